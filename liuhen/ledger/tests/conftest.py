"""Ledger test fixtures: a private data folder (keys, witness file) and a quick way to append events."""

from __future__ import annotations

import pytest
from django.db import transaction


@pytest.fixture(autouse=True)
def ledger_data_dir(_private_data_dir):
    """This test's own data folder (liuhen.testing.plugin): keys, the witness file, blobs."""
    return _private_data_dir


@pytest.fixture
def append(db):
    """Append ``n`` events (one transaction) and return them."""
    from liuhen.ledger.services import record

    def _append(n: int, *, action: str = "user.logged_in", agency_id: int | None = None):
        with transaction.atomic():
            return [
                record(actor="测试", action=action, obj_type="user", obj_id=i, payload={"i": i}, agency_id=agency_id)
                for i in range(n)
            ]

    return _append


@pytest.fixture
def witnesses(settings):
    """Two witnesses (市司法局, 市档案馆) the deployment trusts, both needed (quorum 2)."""
    from liuhen.ledger.tests.witnessing import two_witnesses

    return two_witnesses(settings)
