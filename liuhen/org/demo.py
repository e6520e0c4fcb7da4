"""Demo data: one agency per seed profile, with departments, officers and one user per role.

Loaded once by ``manage.py load_demo`` (``make run`` calls it). Passwords are generated on the
first load and written to a file in the data folder (mode 0600), never to git.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from liuhen.ledger.services import record
from liuhen.org import rules, services
from liuhen.org.models import Agency, Department, Officer, User


@dataclass(frozen=True)
class DemoAgency:
    code: str
    name: str
    short_name: str
    profile_id: str
    region: str
    cert_prefix: str  # administrative division code used in demo certificate numbers
    issuer: str
    enforcement_department: str


DEMO_AGENCIES: tuple[DemoAgency, ...] = (
    DemoAgency(
        "xigang",
        "大连市西岗区文化和旅游局",
        "西岗区文旅局",
        "xigang-culture",
        "辽宁省大连市西岗区",
        "210203",
        "大连市人民政府",
        "文化市场综合执法科",
    ),
    DemoAgency(
        "xinglongtai",
        "盘锦市兴隆台区发展和改革局",
        "兴隆台区发改局",
        "xinglongtai-drc",
        "辽宁省盘锦市兴隆台区",
        "211103",
        "盘锦市人民政府",
        "价格监督检查科",
    ),
    DemoAgency(
        "naiman",
        "奈曼旗文化市场综合执法局",
        "奈曼旗文化执法局",
        "naiman-culture",
        "内蒙古自治区通辽市奈曼旗",
        "150525",
        "通辽市人民政府",
        "综合执法大队",
    ),
    DemoAgency(
        "changzhi",
        "长治市民族宗教事务局",
        "长治市民宗局",
        "changzhi-ethnic-religious",
        "山西省长治市",
        "140400",
        "长治市人民政府",
        "政策法规科",
    ),
    DemoAgency(
        "dongxihu",
        "武汉市东西湖区文化和旅游局",
        "东西湖区文旅局",
        "dongxihu-culture",
        "湖北省武汉市东西湖区",
        "420112",
        "武汉市人民政府",
        "文化市场综合执法大队",
    ),
)

# (username suffix, display name, roles, department: "enforcement" | "legal" | "office")
DEMO_PEOPLE: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("officer1", "王建国", (rules.Role.OFFICER,), "enforcement"),
    ("officer2", "李晓梅", (rules.Role.OFFICER,), "enforcement"),
    ("depthead", "张志强", (rules.Role.DEPARTMENT_HEAD,), "enforcement"),
    ("head", "刘德明", (rules.Role.AGENCY_HEAD,), "office"),
    ("legal", "陈静", (rules.Role.LEGAL_REVIEWER,), "legal"),
    ("records", "赵丽", (rules.Role.RECORDS_KEEPER,), "office"),
    ("supervisor", "孙伟", (rules.Role.SUPERVISOR,), "legal"),
    ("sysadmin", "周磊", (rules.Role.SYSTEM_ADMIN,), "office"),
    ("secadmin", "吴敏", (rules.Role.SECURITY_ADMIN,), "office"),
    ("auditor", "郑华", (rules.Role.AUDIT_ADMIN,), "office"),
)
CERTIFIED_ROLES = rules.OFFICER_ROLES | {rules.Role.LEGAL_REVIEWER}


def _password() -> str:
    return f"Lh-{secrets.token_urlsafe(9)}"


def demo_loaded() -> bool:
    return Agency.objects.filter(code__in=[a.code for a in DEMO_AGENCIES]).exists()


def load_demo(*, accounts_file: Path) -> list[tuple[str, str, str, str]]:
    """Create the demo organisations. Returns (agency, username, name, password) rows, also written to ``accounts_file``."""
    accounts: list[tuple[str, str, str, str]] = []
    with transaction.atomic():
        for spec in DEMO_AGENCIES:
            agency = services.agency_create(
                actor=None,
                code=spec.code,
                name=spec.name,
                short_name=spec.short_name,
                profile_id=spec.profile_id,
                region=spec.region,
            )
            departments = {
                "enforcement": services.department_create(
                    actor=None, agency=agency, code="enforcement", name=spec.enforcement_department
                ),
                "legal": services.department_create(
                    actor=None, agency=agency, code="legal", name="法制审核科", is_enforcement=False
                ),
                "office": services.department_create(
                    actor=None, agency=agency, code="office", name="办公室", is_enforcement=False
                ),
            }
            for n, (suffix, name, roles, dept_key) in enumerate(DEMO_PEOPLE, start=1):
                department: Department = departments[dept_key]
                officer: Officer | None = None
                if set(roles) & CERTIFIED_ROLES:
                    officer = services.officer_create(
                        actor=None,
                        agency=agency,
                        department=department,
                        name=name,
                        certificate_no=f"{spec.cert_prefix}{n:05d}",
                        certificate_issuer=spec.issuer,
                        certificate_valid_from=dt.date(2024, 1, 1),
                        certificate_valid_until=dt.date(2029, 12, 31),
                    )
                password = _password()
                user: User = services.user_create(
                    actor=None,
                    agency=agency,
                    username=f"{spec.code}.{suffix}",
                    display_name=name,
                    password=password,
                    department=department,
                    officer=officer,
                )
                for role in roles:
                    services.role_grant(actor=None, user=user, role=role)
                accounts.append(
                    (
                        spec.short_name,
                        user.username,
                        f"{name}（{'、'.join(rules.ROLE_LABELS[r] for r in roles)}）",
                        password,
                    )
                )
        record(
            actor=None,
            action="demo.loaded",
            obj_type="demo",
            obj_id="demo",
            payload={"agencies": [a.code for a in DEMO_AGENCIES]},
        )
    _write_accounts(accounts_file, accounts)
    return accounts


def _write_accounts(path: Path, accounts: list[tuple[str, str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# 留痕演示账号（仅供本机演示，首次载入时随机生成；请勿用于生产）", "# 机关\t用户名\t姓名（角色）\t密码"]
    lines += ["\t".join(row) for row in accounts]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    path.chmod(0o600)
