"""Pytest plugin: shared fixtures, the database banner and the ``postgres`` marker.

Clause traceability (``@pytest.mark.clause``) lives in ``liuhen.testing.clauses``.
A test marked ``@pytest.mark.postgres`` needs PostgreSQL: on any other database it is skipped with a
visible reason; ``make test-postgres`` (scripts/with_postgres.py) runs it against a throwaway cluster.
"""

from __future__ import annotations

import datetime as dt

import pytest

POSTGRES_SKIP_REASON = (
    "needs PostgreSQL: runs in the PostgreSQL pass (make test-postgres, or DATABASE_URL=postgres://...); "
    "this run uses {vendor}"
)


def _database_vendor() -> str:
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if "postgresql" in engine else engine.rsplit(".", 1)[-1]


def pytest_report_header(config: pytest.Config) -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    where = (db.get("HOST") or "") if _database_vendor() == "postgresql" else db.get("NAME")
    return f"数据库 database: {_database_vendor()} ({where})"


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def _keys_once(tmp_path_factory: pytest.TempPathFactory):
    """The deployment's ledger key and the seal CA, made once per run (per xdist worker)."""
    from django.test import override_settings

    from liuhen.documents.pdf import seal
    from liuhen.ledger import signing

    folder = tmp_path_factory.mktemp("keys-once")
    with override_settings(DATA_DIR=folder):
        signing.deployment_verifier()
        seal.ca_certificate_pem()
    return folder / "keys"


@pytest.fixture(autouse=True)
def _private_data_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, _keys_once):
    """Every test has its own data folder (blobs, witness file, uploads, discs, case files), never the
    developer's ``var/`` and never another xdist worker's; the keys are copied in, not made again.
    Passwords are hashed with a fast hasher: the login-security tests ask for ``real_password_hashing``."""
    import shutil

    settings = request.getfixturevalue("settings")
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(_keys_once, data / "keys")
    settings.DATA_DIR = data
    settings.LIUHEN_BLOB_DIR = data / "blobs"
    if "real_password_hashing" not in request.fixturenames:
        settings.PASSWORD_HASHERS = FAST_HASHERS
    yield data


@pytest.fixture
def real_password_hashing():
    """Keep the configured argon2 hasher (login and lock-out tests measure the real thing)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    vendor = _database_vendor()
    if vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason=POSTGRES_SKIP_REASON.format(vendor=vendor))
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


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
