"""Demo data: five agencies, one user per role each, loaded once, passwords only in the data folder."""

from django.core.management import call_command

from liuhen.ledger.models import Event
from liuhen.org import rules
from liuhen.org.models import Agency, RoleGrant, User


def test_load_demo__creates_each_seed_agency_with_every_role_once(db, tmp_path):
    accounts_file = tmp_path / "accounts.txt"
    call_command("load_demo", accounts_file=accounts_file)

    assert Agency.objects.count() == 5
    assert set(Agency.objects.values_list("profile_id", flat=True)) == {
        "xigang-culture",
        "xinglongtai-drc",
        "naiman-culture",
        "changzhi-ethnic-religious",
        "dongxihu-culture",
    }
    for agency in Agency.objects.all():
        held = set(RoleGrant.objects.filter(user__agency=agency).values_list("role", flat=True))
        assert held == set(rules.ALL_ROLES), agency.code
    # every officer role is held by someone with a certificate
    for grant in RoleGrant.objects.filter(role__in=rules.OFFICER_ROLES):
        assert grant.user.officer is not None and grant.user.officer.certificate_no

    # the accounts file lists working passwords and is private
    rows = [line.split("\t") for line in accounts_file.read_text().splitlines() if not line.startswith("#")]
    assert len(rows) == User.objects.count()
    _, username, _, password = rows[0]
    assert User.objects.get(username=username).check_password(password)
    assert oct(accounts_file.stat().st_mode & 0o777) == "0o600"

    # loading again changes nothing
    events_before = Event.objects.count()
    call_command("load_demo", accounts_file=accounts_file)
    assert Agency.objects.count() == 5
    assert Event.objects.count() == events_before
    assert Event.objects.filter(action="demo.loaded").count() == 1
