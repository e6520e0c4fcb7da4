"""Demo devices for ``make run``: in each demo agency the records keeper registers two body cameras
handed to the two demo officers, a spare camera, an audio recorder and the hearing-room camera; the
first officer has checked their camera today, and the spare has a fault reported to the department head.

Built through the same services as the pages, so every step is in the ledger and in the history.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from liuhen.devices import services
from liuhen.devices.models import Device
from liuhen.org.models import Agency, User


def _user(agency: Agency, suffix: str) -> User:
    return User.objects.get(username=f"{agency.code}.{suffix}")


def load_demo_devices(agencies: list[Agency]) -> int:
    """Create the demo devices once (skipped for an agency that has devices). Returns how many were made."""
    made = 0
    for agency in agencies:
        if Device.objects.filter(agency=agency).exists():
            continue
        keeper = _user(agency, "records")
        officer, officer2 = _user(agency, "officer1"), _user(agency, "officer2")
        prefix = agency.code.upper()
        with transaction.atomic():
            cam1 = services.device_register(
                actor=keeper, serial=f"{prefix}-DSJ-0001", kind="body_camera", model="DSJ-A8"
            )
            cam2 = services.device_register(
                actor=keeper, serial=f"{prefix}-DSJ-0002", kind="body_camera", model="DSJ-A8"
            )
            spare = services.device_register(
                actor=keeper, serial=f"{prefix}-DSJ-0003", kind="body_camera", model="DSJ-V7"
            )
            services.device_register(
                actor=keeper, serial=f"{prefix}-REC-0001", kind="audio_recorder", model="录音笔 R10"
            )
            services.device_register(
                actor=keeper, serial=f"{prefix}-CAM-HALL", kind="fixed_camera", model="半球摄像机", location="听证室"
            )
            services.device_assign(actor=keeper, device=cam1, holder=officer)
            services.device_assign(actor=keeper, device=cam2, holder=officer2)
            services.device_assign(actor=keeper, device=spare, holder=officer2, note="备用机")
            services.preuse_check_record(
                actor=officer, device=cam1, function_ok=True, battery_ok=True, storage_ok=True, clock_calibrated=True
            )
            services.fault_report(
                actor=officer2,
                device=spare,
                kind="fault",
                description="雨天现场检查时进水，录像中途自动关机，无法再开机。",
                occurred_at=timezone.now() - dt.timedelta(hours=3),
            )
            made += 5
    return made
