"""The audit page, key downloads and the ledger API: who may see what."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from liuhen.ledger import checkpoints, integrity, signing, tree
from liuhen.org.rules import Role


@pytest.fixture
def agency(make_agency):
    return make_agency("audit-a")


@pytest.fixture
def auditor(agency, make_user):
    return make_user(agency, Role.AUDIT_ADMIN)


@pytest.mark.clause("integ-audit-trail-traceability")
def test_audit_page__pages_filters_and_chinese_labels(client, agency, auditor, append):
    append(60, agency_id=agency.pk)
    append(3, action="user.logged_out", agency_id=agency.pk)
    checkpoints.checkpoint_create()
    integrity.verification_report_save(findings=[], summary="账本完整")
    client.force_login(auditor)
    r = client.get("/ledger/audit/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "退出登录" in body and "第 1 / 2 页" in body
    assert signing.deployment_verifier().vkey in body
    assert "账本完整" in body and "通过" in body
    r = client.get("/ledger/audit/", {"action": "user.logged_out"})
    assert r.context["page"].paginator.count == 3
    r = client.get("/ledger/audit/", {"action": "user.logged_in", "page": 2})
    assert r.context["page"].number == 2 and "?action=user.logged_in&page=1" in r.content.decode()


def test_audit_page__refused_to_others(client, agency, make_user):
    client.force_login(make_user(agency, Role.SYSTEM_ADMIN))
    assert client.get("/ledger/audit/").status_code == 403


def test_audit_page__shows_only_own_agency(client, agency, auditor, make_agency, append):
    other = make_agency("audit-b")
    append(2, action="user.logged_out", agency_id=other.pk)
    client.force_login(auditor)
    page = client.get("/ledger/audit/", {"action": "user.logged_out"}).context["page"]
    assert page.paginator.count == 0


def test_public_key_downloads(client, auditor):
    client.force_login(auditor)
    pem = client.get("/ledger/public-key", {"format": "pem"}).content
    raw = client.get("/ledger/public-key", {"format": "raw"}).content
    vkey = client.get("/ledger/public-key", {"format": "vkey"}).content.decode().strip()
    loaded = serialization.load_pem_public_key(pem)
    assert loaded.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw) == raw
    assert signing.Verifier.parse(vkey).public_key == raw


def test_sign_checkpoint_on_demand_from_the_page(client, agency, auditor, append):
    append(4, agency_id=agency.pk)
    client.force_login(auditor)
    r = client.post("/ledger/checkpoint/sign", follow=True)
    assert "已签署检查点：树大小" in r.content.decode()
    assert client.get("/ledger/checkpoint/latest.txt").content.decode().startswith("liuhen.local/ledger\n")


def test_api__checkpoint_key_and_proof(client, agency, auditor, append):
    append(5, agency_id=agency.pk)
    client.force_login(auditor)
    assert client.get("/api/ledger/checkpoints/latest").status_code == 404
    key = client.get("/api/ledger/public-key").json()
    assert key["vkey"] == signing.deployment_verifier().vkey
    seq = tree.head().size - 2
    bundle = client.get(f"/api/ledger/events/{seq}/proof").json()
    assert bundle["leaf_index"] == seq and bundle["format"] == "liuhen-proof/1"
    latest = client.get("/api/ledger/checkpoints/latest").json()
    assert latest["size"] == bundle["tree_size"]


def test_api__refused_to_an_officer(client, agency, make_user):
    client.force_login(make_user(agency, Role.OFFICER))
    r = client.get("/api/ledger/public-key")
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_api__supervisor_may_export_a_proof(client, agency, make_user, append):
    append(2, agency_id=agency.pk)
    client.force_login(make_user(agency, Role.SUPERVISOR))
    assert client.get(f"/api/ledger/events/{tree.head().size - 1}/proof").status_code == 200
