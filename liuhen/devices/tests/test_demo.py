"""Demo devices: each demo agency has cameras handed to its demo officers, a check and a reported fault."""

from django.core.management import call_command

from liuhen.core.models import Notification
from liuhen.devices.models import Device, DeviceStatus, FaultReport, PreUseCheck
from liuhen.ledger.records import verify_records
from liuhen.ledger.verification import verify_ledger
from liuhen.org.demo import DEMO_AGENCIES


def test_load_demo__adds_devices_assigned_to_demo_officers(db, tmp_path, settings):
    call_command("load_demo", accounts_file=tmp_path / "accounts.txt")
    for spec in DEMO_AGENCIES:
        devices = Device.objects.filter(agency__code=spec.code)
        assert devices.count() == 5
        holders = set(devices.exclude(holder=None).values_list("holder__username", flat=True))
        assert holders == {f"{spec.code}.officer1", f"{spec.code}.officer2"}
        assert devices.filter(status=DeviceStatus.FAULTY).count() == 1
        assert Notification.objects.filter(recipient__username=f"{spec.code}.depthead").count() == 1
    assert PreUseCheck.objects.count() == len(DEMO_AGENCIES) and FaultReport.objects.count() == len(DEMO_AGENCIES)
    assert verify_ledger() == [] and verify_records() == []
    call_command("load_demo", accounts_file=tmp_path / "accounts.txt")
    assert Device.objects.count() == 5 * len(DEMO_AGENCIES)
