"""Demo cases for ``make run``: in each demo agency a complaint lead waiting for a decision, a
penalty case whose filing form waits for the head's approval, and an inspection under way.

Built through the same services as the pages, so every step is in the ledger and the timeline.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from liuhen.cases import services
from liuhen.cases.models import Case
from liuhen.org.models import Agency, User


def _user(agency: Agency, suffix: str) -> User:
    return User.objects.get(username=f"{agency.code}.{suffix}")


def load_demo_cases(agencies: list[Agency]) -> int:
    """Create the demo cases once (skipped for an agency that has cases). Returns how many were made."""
    made = 0
    now = timezone.now()
    for agency in agencies:
        if Case.objects.filter(agency=agency).exists():
            continue
        officer, officer2 = _user(agency, "officer1"), _user(agency, "officer2")
        with transaction.atomic():
            services.case_source_register(
                actor=officer,
                kind="report",
                received_at=now - dt.timedelta(hours=5),
                summary="群众来电举报：某歌舞娱乐场所营业至凌晨，疑似超时经营。",
                party_name="某歌舞娱乐有限公司",
                reporter_name="匿名举报人",
            )
            lead = services.case_source_register(
                actor=officer,
                kind="complaint",
                received_at=now - dt.timedelta(days=1),
                summary="市民投诉某网吧接纳未成年人上网。",
                party_name="某网络文化经营场所",
                party_info="个体工商户，经营地址：示范路 1 号",
                reporter_name="张某",
                reporter_contact="138****0000",
            )
            case = services.case_open(
                actor=officer,
                enforcement_type="penalty",
                title="涉嫌接纳未成年人进入营业性网络上网服务场所",
                party_name=lead.party_name,
                party_info=lead.party_info,
                source=lead,
                handlers=[officer, officer2],
            )
            profile = services.profile_of(case)
            et = profile.enforcement_types["penalty"]
            if et.filing_stage and profile.filing is not None:
                # The filing form may be submitted (and approved) before the case reaches the filing stage.
                form = profile.document_types[profile.filing.form]
                services.filing_form_submit(
                    actor=officer,
                    case=case,
                    values={f.id: _filing_text(f.id, f.label) for f in form.fields},
                )
            made += 1
            services.case_open(
                actor=officer,
                enforcement_type="inspection",
                title="文化市场日常检查：示范街区演出场所",
                party_name="示范街区演出场所",
                handlers=[officer, officer2],
            )
            made += 1
    return made


def _filing_text(field_id: str, label: str) -> str:
    return {
        "source": "群众投诉",
        "party_info": "某网络文化经营场所，个体工商户，经营地址：示范路 1 号",
        "handler_opinion": "经初步核查，当事人涉嫌接纳未成年人，建议立案调查。",
        "department_opinion": "同意立案。",
        "legal_basis": "《互联网上网服务营业场所管理条例》第二十一条、第三十一条",
    }.get(field_id, f"（演示）{label}")
