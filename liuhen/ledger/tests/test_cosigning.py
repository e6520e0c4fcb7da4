"""Witnesses' cosignatures on the server: configuration, the witness endpoints, storing and refusing a
cosignature, the quorum shown on the audit page and in the API, proof bundles carrying cosignatures,
and ``verify`` naming bad ones (ADR 0013)."""

from __future__ import annotations

import base64
import json

import pytest
from django.db import connection

from liuhen.ledger import checkpoints, cosigning, guards, merkle, proofs, signing
from liuhen.ledger.integrity import section_of, verify_all
from liuhen.ledger.models import Checkpoint, Cosignature, Event
from liuhen.ledger.tests.witnessing import TestWitness, configure
from liuhen.org.rules import Role

WITNESS = "/api/ledger/witness"


@pytest.fixture
def cp(append):
    append(7)
    return checkpoints.checkpoint_create()


def _post(client, checkpoint: str, line: str):
    return client.post(
        f"{WITNESS}/cosignatures",
        data=json.dumps({"checkpoint": checkpoint, "cosignature": line}),
        content_type="application/json",
    )


# --- configuration ------------------------------------------------------------------------------------


def test_config__labels_quorum_default_majority_and_refusals():
    a, b, c = TestWitness("a.example/w"), TestWitness("b.example/w"), TestWitness("c.example/w")
    config = cosigning.parse_config(f"市司法局={a.vkey}, {b.vkey}\n{c.vkey}", "")
    assert [w.label for w in config.witnesses] == ["市司法局", "b.example/w", "c.example/w"]
    assert config.quorum == 2  # a majority of three
    assert cosigning.parse_config("", "").quorum == 0
    assert cosigning.parse_config(a.vkey, "1").find("a.example/w", bytes.fromhex(config.witnesses[0].key_id))
    for text, quorum in [(a.vkey, "2"), (a.vkey, "x"), ("not-a-vkey", ""), (f"{a.vkey},{a.vkey}", "")]:
        with pytest.raises(cosigning.WitnessConfigInvalid):
            cosigning.parse_config(text, quorum)
    log_key = signing.vkey_for("log.example", b"\x01" * 32)  # a log key (type 0x01) is not a cosigner key
    with pytest.raises(cosigning.WitnessConfigInvalid):
        cosigning.parse_config(log_key, "")


def test_witness_and_server_agree_on_the_cosignature_format(cp, witnesses):
    w = witnesses[0]
    parsed = signing.CosignatureLine.parse(w.cosign(cp, timestamp=1_700_000_000))
    cosigner = signing.Cosigner.parse(w.vkey)
    assert cosigner.vkey == w.vkey and parsed.key_id == cosigner.key_id and parsed.timestamp == 1_700_000_000
    assert cosigner.verify(signing.note_body(cp.note), parsed.timestamp, parsed.signature)
    assert not cosigner.verify(signing.note_body(cp.note), parsed.timestamp + 1, parsed.signature)


# --- the witness endpoints: no login ---------------------------------------------------------------------


def test_witness_endpoints__checkpoint_and_consistency_without_login(client, append):
    append(5)
    first = checkpoints.checkpoint_create()
    append(6)
    latest = checkpoints.checkpoint_create()
    r = client.get(f"{WITNESS}/checkpoint")
    assert r.status_code == 200
    body = r.json()
    assert body["note"] == latest.note and body["size"] == 11 and body["vkey"] == signing.deployment_verifier().vkey
    r = client.get(f"{WITNESS}/consistency", {"old": first.size, "size": latest.size})
    assert r.status_code == 200
    proof = [base64.b64decode(h) for h in r.json()["proof"]]
    merkle.verify_consistency(
        first.size, latest.size, bytes.fromhex(first.root_hash), bytes.fromhex(latest.root_hash), proof
    )


@pytest.mark.parametrize(("old", "size"), [(0, 5), (6, 5), (5, 12), (-1, 5), (5, 10**30), ("x", 5)], ids=str)
def test_witness_consistency__refuses_sizes_outside_the_latest_checkpoint(client, cp, old, size):
    r = client.get(f"{WITNESS}/consistency", {"old": old, "size": size})
    assert r.status_code == 422
    assert r.json()["code"] in ("consistency_range_invalid", "validation_failed")


def test_witness_checkpoint__404_before_the_first_checkpoint(client, db):
    r = client.get(f"{WITNESS}/checkpoint")
    assert r.status_code == 404 and r.json()["code"] == "checkpoint_not_found"


# --- accepting a cosignature -----------------------------------------------------------------------------


@pytest.mark.clause("integ-audit-trail-traceability")
def test_cosign__stored_with_its_event_and_counted_towards_the_quorum(client, cp, witnesses):
    r = _post(client, cp.note, witnesses[0].cosign(cp))
    assert r.status_code == 201, r.content
    assert r.json()["new"] is True and r.json()["witnesses"]["label"] == "见证 1/2，未达到要求"
    row = Cosignature.objects.get()
    assert row.checkpoint == cp and row.witness == "sfj.example.gov.cn/witness"
    event = Event.objects.get(action="ledger.checkpoint_cosigned")
    assert event.object_id == str(row.pk) and json.loads(event.payload)["line"] == row.line
    assert event.actor_label == "见证方 市司法局"
    r = _post(client, cp.note, witnesses[1].cosign(cp))
    assert r.status_code == 201 and r.json()["witnesses"] == {
        "have": 2,
        "need": 2,
        "configured": 2,
        "met": True,
        "label": "见证 2/2，已达到要求",
    }
    assert cosigning.verify_cosignatures() == []


def test_cosign__again_is_idempotent(client, cp, witnesses):
    assert _post(client, cp.note, witnesses[0].cosign(cp)).status_code == 201
    again = _post(
        client, signing.note_body(cp.note), witnesses[0].cosign(cp, timestamp=int(cp.created_at.timestamp()) + 5)
    )
    assert again.status_code == 200 and again.json()["new"] is False
    assert Cosignature.objects.count() == 1
    assert Event.objects.filter(action="ledger.checkpoint_cosigned").count() == 1


def _flip_signature(line: str) -> str:
    prefix, encoded = line.rsplit(" ", 1)
    raw = bytearray(base64.b64decode(encoded))
    raw[40] ^= 0x01
    return f"{prefix} {base64.b64encode(bytes(raw)).decode()}"


@pytest.mark.clause("integ-audit-trail-traceability")
@pytest.mark.parametrize(
    ("make", "status", "code"),
    [
        (lambda cp, ws: TestWitness("sfj.example.gov.cn/witness").cosign(cp), 403, "cosignature_unknown_witness"),
        (lambda cp, ws: TestWitness("intruder.example/w").cosign(cp), 403, "cosignature_unknown_witness"),
        (lambda cp, ws: _flip_signature(ws[0].cosign(cp)), 422, "cosignature_bad_signature"),
        (
            lambda cp, ws: ws[0].cosign(cp, timestamp=int(cp.created_at.timestamp()) + 86400),
            422,
            "cosignature_time_invalid",
        ),
        (
            lambda cp, ws: ws[0].cosign(cp, timestamp=int(cp.created_at.timestamp()) - 86400),
            422,
            "cosignature_time_invalid",
        ),
        (lambda cp, ws: "— sfj.example.gov.cn/witness AAAA", 422, "cosignature_malformed"),
        (lambda cp, ws: "not a signature line", 422, "cosignature_malformed"),
    ],
    ids=["unknown-key", "unknown-name", "bad-signature", "future", "before-checkpoint", "short", "garbage"],
)
def test_cosign__refused_with_its_code(client, cp, witnesses, make, status, code):
    r = _post(client, cp.note, make(cp, witnesses))
    assert r.status_code == status, r.content
    assert r.json()["code"] == code and r.json()["message"]
    assert not Cosignature.objects.exists()
    assert not Event.objects.filter(action="ledger.checkpoint_cosigned").exists()


def test_cosign__refused_for_a_checkpoint_the_log_never_signed(client, cp, witnesses):
    other_root = signing.checkpoint_body(signing.origin(), cp.size, b"\x07" * 32)
    r = _post(client, other_root, witnesses[0].cosign(other_root + "\n— x AAAA\n"))
    assert r.status_code == 409 and r.json()["code"] == "checkpoint_mismatch"
    bigger = signing.checkpoint_body(signing.origin(), cp.size + 100, b"\x07" * 32)
    r = _post(client, bigger, witnesses[0].cosign(bigger + "\n— x AAAA\n"))
    assert r.status_code == 404 and r.json()["code"] == "checkpoint_not_found"
    foreign = signing.checkpoint_body("other.example/log", cp.size, bytes.fromhex(cp.root_hash))
    r = _post(client, foreign, witnesses[0].cosign(foreign + "\n— x AAAA\n"))
    assert r.status_code == 404
    for junk in ["", "\n\n\n", "liuhen.local/ledger\n١٢\nAAAA\n", "x" * 9000]:
        assert _post(client, junk, witnesses[0].cosign(cp)).status_code == 422


def test_cosign__refused_when_no_witness_is_configured(client, cp, settings):
    settings.LIUHEN_WITNESSES = ""
    r = _post(client, cp.note, TestWitness("a.example/w").cosign(cp))
    assert r.status_code == 403 and r.json()["code"] == "cosignature_unknown_witness"


# --- shown and carried -----------------------------------------------------------------------------------


@pytest.fixture
def auditor(make_agency, make_user):
    return make_user(make_agency("witness-a"), Role.AUDIT_ADMIN)


@pytest.mark.clause("integ-audit-trail-traceability")
def test_audit_page_and_checkpoint_api_show_cosignatures_and_quorum(client, cp, witnesses, auditor):
    cosigning.cosignature_record(checkpoint=cp.note, cosignature=witnesses[0].cosign(cp))
    client.force_login(auditor)
    page = client.get("/ledger/audit/").content.decode()
    assert "见证 1/2，未达到要求" in page and "市司法局" in page and "市档案馆" in page
    body = client.get("/api/ledger/checkpoints/latest").json()
    assert body["witnesses"]["label"] == "见证 1/2，未达到要求" and not body["witnesses"]["met"]
    assert [c["label"] for c in body["cosignatures"]] == ["市司法局"] and body["cosignatures"][0]["valid"]
    assert body["cosigned_note"] == cp.note + Cosignature.objects.get().line + "\n"
    cosigning.cosignature_record(checkpoint=cp.note, cosignature=witnesses[1].cosign(cp))
    assert "见证 2/2，已达到要求" in client.get("/ledger/audit/").content.decode()


def test_audit_page__says_when_no_witness_is_configured_or_the_configuration_is_wrong(client, cp, auditor, settings):
    client.force_login(auditor)
    assert "尚未配置见证方" in client.get("/ledger/audit/").content.decode()
    settings.LIUHEN_WITNESSES = "nonsense"
    r = client.get("/ledger/audit/")
    assert r.status_code == 200 and "见证方配置有误" in r.content.decode()


@pytest.mark.clause("integ-audit-trail-traceability")
def test_proof_bundle__carries_the_cosignatures_of_the_newest_witnessed_checkpoint(append, witnesses, auditor):
    events = append(4, agency_id=auditor.agency_id)
    witnessed = checkpoints.checkpoint_create()
    for w in witnesses:
        cosigning.cosignature_record(checkpoint=witnessed.note, cosignature=w.cosign(witnessed))
    append(3)
    checkpoints.checkpoint_create()  # newer, not yet witnessed
    bundle = proofs.proof_bundle_export(actor=auditor, seq=events[1].seq)
    assert bundle["tree_size"] == witnessed.size  # the witnessed one, not the newest
    assert bundle["checkpoint"].startswith(witnessed.note)
    lines = bundle["checkpoint"][len(witnessed.note) :].splitlines()
    assert sorted(lines) == sorted(c.line for c in Cosignature.objects.all())
    signing.open_checkpoint(bundle["checkpoint"], [signing.deployment_verifier()])  # still a valid note
    later = append(1, agency_id=auditor.agency_id)[0]  # not covered by the witnessed checkpoint
    fresh = proofs.proof_bundle_export(actor=auditor, seq=later.seq)
    assert fresh["tree_size"] > later.seq and fresh["checkpoint"] == Checkpoint.objects.order_by("-size").first().note


# --- verify ----------------------------------------------------------------------------------------------


@pytest.fixture
def attacker(db):
    guards.drop(connection)
    yield connection
    guards.create(connection)


@pytest.mark.clause("integ-audit-trail-traceability")
def test_verify__names_an_altered_a_forged_and_an_unknown_cosignature(cp, witnesses, settings, attacker):
    good, _ = cosigning.cosignature_record(checkpoint=cp.note, cosignature=witnesses[0].cosign(cp))
    other, _ = cosigning.cosignature_record(checkpoint=cp.note, cosignature=witnesses[1].cosign(cp))
    assert cosigning.verify_cosignatures() == []
    tampered = _flip_signature(good.line)
    Cosignature.objects.filter(pk=good.pk).update(line=tampered)
    Cosignature.objects.filter(pk=other.pk).update(timestamp=other.timestamp + 1)
    forger = TestWitness("forger.example/w")
    Cosignature.objects.create(
        checkpoint=cp,
        witness=forger.name,
        key_id="00000000",
        timestamp=1,
        line=forger.cosign(cp),
        received_at=cp.created_at,
    )
    result = verify_all()
    codes = {f.code: f for f in result.findings}
    assert {"cosignature_bad_signature", "cosignature_row_edited", "cosignature_without_event"} <= set(codes)
    assert "市司法局" in codes["cosignature_bad_signature"].message
    assert section_of("cosignature_bad_signature") == "见证签名"
    assert "见证签名" in result.summary() and not result.ok
    configure(settings, [witnesses[1], TestWitness("new.example/w")], 1)  # the 司法局 key dropped
    assert "cosignature_unknown_key" in {f.code for f in cosigning.verify_cosignatures()}
    settings.LIUHEN_WITNESSES = "broken"
    assert [f.code for f in cosigning.verify_cosignatures()] == ["cosignature_config_invalid"]
