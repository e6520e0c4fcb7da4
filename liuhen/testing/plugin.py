"""Pytest plugin: shared fixtures. The clause-traceability part is added by the testing-infra work."""

from __future__ import annotations

import datetime as dt

import pytest


@pytest.fixture
def make_agency(db):
    """Create an agency with one department, running under ``profile_id``."""
    from liuhen.org.models import Agency, Department

    def _make(code: str = "test-agency", profile_id: str = "national-baseline") -> Agency:
        agency = Agency.objects.create(code=code, name=f"{code} 测试局", profile_id=profile_id)
        Department.objects.create(agency=agency, code="enforcement", name="执法科")
        return agency

    return _make


@pytest.fixture
def make_user(db):
    """Create a user with the given roles (an officer record too when a role needs one)."""
    from liuhen.org import rules
    from liuhen.org.models import Officer, RoleGrant, User

    counter = {"n": 0}

    def _make(agency, *roles: str, username: str | None = None, password: str = "Liuhen-test-2026!") -> User:
        counter["n"] += 1
        username = username or f"user{counter['n']}-{agency.code}"
        officer = None
        if set(roles) & rules.OFFICER_ROLES or rules.Role.LEGAL_REVIEWER in roles:
            officer = Officer.objects.create(
                agency=agency,
                department=agency.departments.first(),
                name=f"执法员{counter['n']}",
                certificate_no=f"T{agency.pk:03d}{counter['n']:05d}",
                certificate_issuer="测试发证机关",
                certificate_valid_from=dt.date(2024, 1, 1),
                certificate_valid_until=dt.date(2030, 12, 31),
            )
        user = User.objects.create_user(
            username=username, password=password, agency=agency, officer=officer, display_name=f"用户{counter['n']}"
        )
        for role in roles:
            RoleGrant.objects.create(user=user, role=role)
        user.__dict__.pop("role_codes", None)
        return user

    return _make
