"""Device fixtures: an agency's staff (see the case fixtures) and a helper to register and hand out a camera."""

from __future__ import annotations

from typing import Any

import pytest

from liuhen.devices import services
from liuhen.devices.models import Device
from liuhen.org.rules import Role
from liuhen.testing.cases import Staff, make_staff


@pytest.fixture
def staff_of(make_agency, make_user):
    """``staff_of(code, profile_id)``: officers, heads and a records keeper of a new agency."""

    def _make(code: str = "dev-agency", profile_id: str = "dongxihu-culture") -> Staff:
        staff = make_staff(make_agency, make_user, code, profile_id)
        staff.records_keeper = make_user(staff.agency, Role.RECORDS_KEEPER)  # type: ignore[attr-defined]
        return staff

    return _make


@pytest.fixture
def staff(staff_of) -> Staff:
    return staff_of()


@pytest.fixture
def camera(staff) -> Any:
    """``camera(serial, holder=None)``: a body camera registered by the department head, optionally handed out."""

    def _make(serial: str = "DSJ-A8-0001", holder: Any = None, **kw: Any) -> Device:
        device = services.device_register(actor=staff.department_head, serial=serial, kind="body_camera", **kw)
        if holder is not None:
            services.device_assign(actor=staff.department_head, device=device, holder=holder)
            device.refresh_from_db()
        return device

    return _make
