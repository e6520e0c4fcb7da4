"""Demo cases: each demo agency gets a lead, a penalty case awaiting filing approval and an inspection."""

from django.core.management import call_command

from liuhen.cases.models import Case, CaseSource, CaseStatus, FilingForm
from liuhen.cases.selectors import available_actions
from liuhen.ledger.records import verify_records
from liuhen.ledger.verification import verify_ledger
from liuhen.org.models import User


def test_load_demo__adds_cases_ready_for_the_head_to_approve(db, tmp_path):
    call_command("load_demo", accounts_file=tmp_path / "accounts.txt")
    assert Case.objects.count() == 10 and CaseSource.objects.count() == 10
    for case in Case.objects.filter(enforcement_type="penalty"):
        assert case.status == CaseStatus.PENDING_FILING
        assert FilingForm.objects.filter(case=case).exists()
        head = User.objects.get(username=f"{case.agency.code}.head")
        assert any(a.code == "approve" for a in available_actions(head, case)), case.agency.code
    assert verify_ledger() == [] and verify_records() == []
    call_command("load_demo", accounts_file=tmp_path / "accounts.txt")
    assert Case.objects.count() == 10
