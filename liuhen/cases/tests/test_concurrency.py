"""Two people acting on one case at the same moment, on two real PostgreSQL connections: exactly one
step is applied, the other is refused with a stable code, and nothing is recorded twice."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from liuhen.cases import services
from liuhen.cases.errors import ApprovalRefused, StageChanged
from liuhen.cases.models import Approval, Case, StageVisit
from liuhen.ledger.models import Event
from liuhen.testing.cases import complete_documents

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls):
    """Run each call in its own thread (own connection), released together; return results/errors."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # collected for the assertions
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def test_two_simultaneous_advances_apply_once(staff_for):
    staff = staff_for("national-baseline")
    case = staff.open("inspection")
    first = case.stage
    complete_documents(staff, case, first)
    results = _race(
        lambda: services.case_advance(actor=staff.officer, case=Case.objects.get(pk=case.pk), expected_stage=first),
        lambda: services.case_advance(actor=staff.officer2, case=Case.objects.get(pk=case.pk), expected_stage=first),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], StageChanged), results
    assert StageVisit.objects.filter(case=case, special=False).count() == 2
    assert Event.objects.filter(action="case.advanced").count() == 1


def test_two_heads_approving_at_once_record_one_approval(staff_for, make_user):
    from liuhen.org.rules import Role

    staff = staff_for("dongxihu-culture")
    second_head = make_user(staff.agency, Role.AGENCY_HEAD)
    case = staff.open("penalty")
    profile = services.profile_of(case)
    form = profile.document_types[profile.filing.form]
    services.filing_form_submit(actor=staff.officer, case=case, values={f.id: "内容" for f in form.fields})

    def approve(head):
        return lambda: services.approval_record(
            actor=head, case=Case.objects.get(pk=case.pk), kind="agency_head", decision="approved", opinion="同意"
        )

    results = _race(approve(staff.agency_head), approve(second_head))
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ApprovalRefused), results
    assert errors[0].code == "approval_already_recorded"
    assert Approval.objects.filter(case=case).count() == 1
    assert Event.objects.filter(action="case.filed").count() == 1
