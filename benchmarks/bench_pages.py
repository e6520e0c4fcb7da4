"""Page response times: case detail, the case list, the lead list (and the to-do page once it exists) on
the demo data and with 10,000 cases in one agency, against ``/healthz`` in the same run.

    .venv/bin/python benchmarks/bench_pages.py      (or ``make bench BENCH=pages``)

Setup (not timed): a throwaway data folder (SQLite; PostgreSQL when ``DATABASE_URL`` names one: a test
database is made and dropped), ``migrate`` and ``load_demo``; one worked case of 西岗 (three finalised
documents, one served, five recordings linked, its timeline) made through the services. Then
``LIUHEN_BENCH_PAGES_CASES`` (default 10,000) cases are added to the same agency with ``bulk_create``:
copies of cases opened through the services (penalty and inspection), spread over every general stage
and the states 待立案审批 / 办理中 / 中止 / 已结案, each with its handlers, its stage visit and its
deadlines; and as many leads.

Each page is asked through Django's test client (the whole middleware stack, templates rendered, the
case page's ledger write of the view included), ``LIUHEN_BENCH_PAGES_REPEAT`` (default 30) times after
3 warm-up requests, as the agency head (sees every case) and as an officer (handler of every case).
Printed: p50 / p95 in ms and queries per request; ratio = page p95 / healthz p95 (no goal: context);
the goals are absolute (issue 13, item 7): p95 < 300 ms on the demo data and < 500 ms with 10,000 cases.
The exit code is 1 when a goal is not met.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liuhen.settings")
_tmp = tempfile.TemporaryDirectory(prefix="liuhen-bench-pages-")
os.environ["LIUHEN_DATA_DIR"] = _tmp.name
os.environ.setdefault("LIUHEN_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402
from django.utils import timezone  # noqa: E402

CASES = int(os.environ.get("LIUHEN_BENCH_PAGES_CASES", "10000"))
REPEAT = int(os.environ.get("LIUHEN_BENCH_PAGES_REPEAT", "30"))
AGENCY = os.environ.get("LIUHEN_BENCH_PAGES_AGENCY", "xigang")
GOAL_DEMO_MS = 300.0
GOAL_BIG_MS = 500.0
BATCH = 1000


def _setup_database() -> str | None:
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if connection.vendor == "postgresql":
        original = connection.settings_dict["NAME"]
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        return original
    call_command("migrate", verbosity=0)
    return None


def _load_demo() -> bool:
    """The demo data; False (and a note) when ``load_demo`` fails, and the run goes on with a bare agency."""
    from io import StringIO

    try:
        call_command("load_demo", stdout=StringIO())
    except Exception as exc:
        print(f"load_demo failed ({type(exc).__name__}: {str(exc)[:160]}); using a bare agency instead")
        return False
    return True


def _bare_agency():
    """An agency of the national baseline with two officers and an agency head (when load_demo fails)."""
    from liuhen.org.models import Agency, Department, Officer, RoleGrant, User

    agency = Agency.objects.create(code="bench-pages", name="基准测试执法机关", profile_id="national-baseline")
    dept = Department.objects.create(agency=agency, code="enforcement", name="执法科")
    for n, role in enumerate(("officer", "officer", "agency_head")):
        officer = Officer.objects.create(
            agency=agency,
            department=dept,
            name=f"执法员{n}",
            certificate_no=f"BENCH{n:04d}",
            certificate_issuer="基准测试发证机关",
            certificate_valid_from=dt.date(2024, 1, 1),
            certificate_valid_until=dt.date(2035, 12, 31),
        )
        user = User.objects.create_user(
            username=f"bench.{role}{n}", password=None, agency=agency, officer=officer, display_name=f"用户{n}"
        )
        RoleGrant.objects.create(user=user, role=role)
    return agency


def _users(agency):
    from liuhen.org.models import User

    users = User.objects.filter(agency=agency, is_active=True)
    head = next(u for u in users.order_by("pk") if "agency_head" in u.role_codes)
    officer = next(u for u in users.order_by("pk") if "officer" in u.role_codes)
    return head, officer


def _worked_case(agency, head, officer):
    """A case with what the case page draws per row: documents (finalised, one served), recordings
    linked to the case, and the timeline these leave."""
    from liuhen.media.tests.avhelpers import clip
    from liuhen.org.models import User
    from liuhen.testing.cases import Staff, make_document, serve_document

    others = list(User.objects.filter(agency=agency, officer__isnull=False).exclude(pk=officer.pk).order_by("pk"))
    partner = next(u for u in others if "officer" in u.role_codes)
    staff = Staff(
        agency=agency,
        officer=officer,
        officer2=partner,
        department_head=head,
        agency_head=head,
        legal_reviewer=head,
        outsider=partner,
    )
    case = staff.open("penalty", title="基准测试：接纳未成年人进入营业场所", party_name="某某网吧")
    for n, code in enumerate(("interview_record", "site_inspection_record", "sampling_voucher")):
        doc = make_document(staff, case, code, case.stage, seed=n)
        if n == 0:
            serve_document(staff, case, doc)
    folder = Path(_tmp.name) / "av-src"
    folder.mkdir(exist_ok=True)
    start = timezone.now() - dt.timedelta(hours=2)
    for n in range(5):
        clip(
            staff,
            folder,
            f"bench-{n}.mp4",
            start=start + dt.timedelta(minutes=3 * n),
            seconds=1,
            case=case,
            stage_id=case.stage,
            serial="BENCH-CAM-1",
        )
    case.refresh_from_db()
    return case


def _templates(agency, officer, partner):
    """Cases opened through the services, one per enforcement type used: the rows the bulk copies."""
    from liuhen.cases import services
    from liuhen.cases.models import Case
    from liuhen.policy.loader import get_profile

    profile = get_profile(agency.profile_id)
    out = []
    for et in ("penalty", "inspection"):
        if et not in profile.enforcement_types:
            continue
        kw = {}
        if profile.enforcement_types[et].requires_lead:
            kw["source"] = services.case_source_register(
                actor=officer, kind="own_inspection", received_at=timezone.now(), summary="基准测试案源"
            )
        out.append(
            services.case_open(
                actor=officer,
                enforcement_type=et,
                title=f"基准{et}",
                party_name="某某公司",
                handlers=[officer, partner],
                **kw,
            )
        )
    return [Case.objects.get(pk=c.pk) for c in out], profile


def _bulk(agency, officer, partner, count: int) -> None:
    """``count`` cases copied from real ones, in every general stage and four states, with handlers,
    the open stage visit and deadlines; ``count`` leads."""
    from liuhen.cases.models import Case, CaseDeadline, CaseSource, CaseStatus, DeadlineStatus, StageVisit

    templates, profile = _templates(agency, officer, partner)
    rng = random.Random(13)
    now = timezone.now()
    skip = {"id", "number"}
    case_fields = [f.attname for f in Case._meta.concrete_fields if f.attname not in skip]
    deadline_rows = {t.pk: list(CaseDeadline.objects.filter(case=t)) for t in templates}
    states = [
        CaseStatus.PENDING_FILING,
        CaseStatus.OPEN,
        CaseStatus.OPEN,
        CaseStatus.OPEN,
        CaseStatus.SUSPENDED,
        CaseStatus.CLOSED,
    ]
    through = Case.handlers.through
    made = 0
    while made < count:
        n = min(BATCH, count - made)
        batch = []
        for i in range(made, made + n):
            t = templates[i % len(templates)]
            stages = [s.id for s in profile.enforcement_types[t.enforcement_type].stages]
            c = Case(**{f: getattr(t, f) for f in case_fields})
            c.number = f"{agency.code}-bench-{i:05d}"
            c.title = f"基准案件{i} {rng.choice(['无证经营', '接纳未成年人', '超范围经营', '未按规定公示'])}"
            c.party_name = f"某某公司{i % 997}"
            c.started_at = now - dt.timedelta(days=rng.randint(0, 700), minutes=i % 1440)
            c.status = states[i % len(states)]
            c.stage = stages[0] if c.status == CaseStatus.PENDING_FILING else rng.choice(stages[1:] or stages)
            c.filed_at = None if c.status == CaseStatus.PENDING_FILING else c.started_at + dt.timedelta(days=1)
            if c.status == CaseStatus.CLOSED:
                c.stage = stages[-1]
                c.closed_at = c.started_at + dt.timedelta(days=30)
            batch.append(c)
        with transaction.atomic():
            Case.objects.bulk_create(batch, batch_size=500)
            if connection.vendor != "postgresql":  # SQLite returns no ids from bulk_create before 3.35
                numbers = [c.number for c in batch]
                ids = dict(Case.objects.filter(number__in=numbers).values_list("number", "pk"))
                for c in batch:
                    c.pk = ids[c.number]
            through.objects.bulk_create(
                [through(case_id=c.pk, user_id=u.pk) for c in batch for u in (officer, partner)], batch_size=1000
            )
            StageVisit.objects.bulk_create(
                [
                    StageVisit(
                        case_id=c.pk,
                        stage_id=c.stage,
                        entered_at=c.started_at,
                        entered_by_id=officer.pk,
                        left_at=c.closed_at,
                        left_by_id=officer.pk if c.closed_at else None,
                    )
                    for c in batch
                ],
                batch_size=1000,
            )
            deadlines = []
            for i, c in enumerate(batch):
                for d in deadline_rows[templates[(made + i) % len(templates)].pk]:
                    started = c.started_at.date()
                    deadlines.append(
                        CaseDeadline(
                            case_id=c.pk,
                            code=d.code,
                            label=d.label,
                            value=d.value,
                            unit=d.unit,
                            stop_event=d.stop_event,
                            pausable=d.pausable,
                            started_on=started,
                            due_on=started + (d.due_on - d.started_on),
                            status=DeadlineStatus.MET if c.status == CaseStatus.CLOSED else d.status,
                            stopped_at=c.closed_at,
                        )
                    )
            CaseDeadline.objects.bulk_create(deadlines, batch_size=1000)
            CaseSource.objects.bulk_create(
                [
                    CaseSource(
                        agency=agency,
                        number=f"{agency.code}-bench-lead-{i:05d}",
                        kind="own_inspection",
                        received_at=now - dt.timedelta(days=rng.randint(0, 700)),
                        summary=f"基准案源{i}",
                        party_name=f"某某公司{i % 997}",
                        registered_by=officer,
                        registered_at=now,
                    )
                    for i in range(made, made + n)
                ],
                batch_size=1000,
            )
        made += n


def _time(client: Client, url: str) -> tuple[float, float, int]:
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(REPEAT):
        started = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return statistics.median(times), p95, len(queries)


def _has(url: str) -> bool:
    try:
        resolve(url)
    except Resolver404:
        return False
    return True


def _measure(label: str, goal: float, pages: list[tuple[str, object, str]]) -> bool:
    anon = Client()
    _, base95, _ = _time(anon, "/healthz")
    print(f"[{label}] /healthz p95 {base95:.1f} ms (baseline)")
    ok = True
    for name, user, url in pages:
        client = Client()
        client.force_login(user)
        p50, p95, queries = _time(client, url)
        met = p95 < goal
        ok &= met
        print(f"[{label}] {name:<34} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  {queries:3d} queries")
        print(
            f"[{label}] {name} ratio (p95 / healthz p95): {p95 / base95:.0f}x; "
            f"goal p95 < {goal:.0f} ms: {'met' if met else 'NOT met'}"
        )
    return ok


def _pages(head, officer, worked, other) -> list[tuple[str, object, str]]:
    pages = [
        ("case detail (worked case, head)", head, f"/cases/{worked.pk}/"),
        ("case detail (worked case, officer)", officer, f"/cases/{worked.pk}/"),
        ("case detail (another case, officer)", officer, f"/cases/{other.pk}/"),
        ("case list (head)", head, "/cases/"),
        ("case list (officer)", officer, "/cases/"),
        ("case list, search + status (head)", head, "/cases/?q=%E5%9F%BA%E5%87%86&status=open"),
        ("lead list (officer)", officer, "/cases/leads/"),
    ]
    if _has("/todo/"):
        pages += [("to-do (head)", head, "/todo/"), ("to-do (officer)", officer, "/todo/")]
    else:
        print("(/todo/ does not exist yet: not measured)")
    return pages


def main() -> int:
    from liuhen.cases.models import Case
    from liuhen.org.models import Agency

    settings.LIUHEN_STORAGE = "local"
    original = _setup_database()
    try:
        started = time.perf_counter()
        demo = _load_demo()
        agency = Agency.objects.filter(code__icontains=AGENCY).order_by("pk").first() if demo else None
        agency = agency or _bare_agency()
        head, officer = _users(agency)
        worked = _worked_case(agency, head, officer)
        other = Case.objects.filter(agency=agency).exclude(pk=worked.pk).order_by("pk").first() or worked
        print(
            f"demo data + worked case: {time.perf_counter() - started:.1f} s; agency {agency.name} ({agency.code}), "
            f"{Case.objects.filter(agency=agency).count()} cases; {connection.vendor}"
        )
        ok = _measure("demo" if demo else "bare agency", GOAL_DEMO_MS, _pages(head, officer, worked, other))

        partner = next(u for u in _users_of(agency) if u.pk != officer.pk and "officer" in u.role_codes)
        started = time.perf_counter()
        _bulk(agency, officer, partner, CASES)
        total = Case.objects.filter(agency=agency).count()
        print(
            f"bulk: {CASES} cases and {CASES} leads added in {time.perf_counter() - started:.1f} s; {total} cases "
            f"in {agency.code}"
        )
        bulk_case = Case.objects.filter(agency=agency, number__contains="-bench-").order_by("-pk").first()
        ok &= _measure(f"{total} cases", GOAL_BIG_MS, _pages(head, officer, worked, bulk_case))
        print(f"goals: {'met' if ok else 'NOT met'}")
        return 0 if ok else 1
    finally:
        if original is not None:
            connection.creation.destroy_test_db(original, verbosity=0)


def _users_of(agency):
    from liuhen.org.models import User

    return list(User.objects.filter(agency=agency, is_active=True, officer__isnull=False).order_by("pk"))


if __name__ == "__main__":
    sys.exit(main())
