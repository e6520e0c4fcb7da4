"""送达: each method with its proof is recorded and counts; without its proof it is refused, naming
what is missing; no fax or e-mail for a decision letter; not before finalising; the delivery stage
cannot be left until the decision letter is served; verify finds an edited delivery row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from liuhen.cases import services as case_services
from liuhen.cases.errors import TransitionRefused
from liuhen.cases.requirements import stage_requirements
from liuhen.core.clock import TimeInFuture
from liuhen.documents import delivery, services
from liuhen.documents.delivery import DeliveryInvalid, DeliveryRefused, ProofFile
from liuhen.documents.models import Delivery
from liuhen.ledger.blobstore.backends import get_store
from liuhen.ledger.models import Event
from liuhen.ledger.records import verify_records
from liuhen.testing.attacker import attacker
from liuhen.testing.cases import approve_stage, complete_documents, file_case, make_document, serve_document
from liuhen.testing.images import signature_png

PDF = b"%PDF-1.4\n% scanned receipt\n%%EOF\n"


@pytest.fixture(autouse=True)
def _blobs(settings, tmp_path):
    settings.LIUHEN_STORAGE = "local"
    settings.LIUHEN_BLOB_DIR = tmp_path / "blobs"


@pytest.fixture
def staff(staff_for):
    return staff_for("dongxihu-culture")


@pytest.fixture
def case(staff):
    case = staff.open("penalty")
    file_case(staff, case)
    return case


def final(staff, case, code: str):
    """A finalised version of form ``code`` in the case, every field filled, every signer signed."""
    profile = case_services.profile_of(case)
    form = profile.document_types[code]
    for other in form.needs_served:  # the rights notice is served before the decision (doc-rights-notice)
        serve_document(staff, case, make_document(staff, case, other, case.stage))
    draft = services.document_create(actor=staff.officer, case=case, doc_type=code)
    values = {f.id: draft.draft_values.get(f.id) or f"{f.label}（测试）" for f in form.fields}
    services.document_draft_save(actor=staff.officer, document=draft, values=values)
    for role in form.signers:
        if role not in services.IMPLICIT_SIGNERS:
            services.signature_capture(
                actor=staff.officer, document=draft, role=role, signer_name="某某", image=signature_png(seed=5)
            )
    return services.document_finalise(actor=staff.officer, document=draft)


@pytest.fixture
def notice(staff, case):
    """A 责令改正通知书: served on the party, and (not being a 决定书) may go by fax or e-mail."""
    return final(staff, case, "rectification_order")


@pytest.fixture
def letter(staff, case):
    return final(staff, case, "decision_letter")


def now() -> dt.datetime:
    return timezone.now()


def png(seed: int = 1) -> bytes:
    return signature_png(seed=seed)


# Each method: its facts and proofs, and which of them the refusal names when left out.
CASES = {
    "direct": (
        {"signer_name": "王某", "signer_relation": "同住成年家属", "address": "某网吧"},
        [("receipt_scan", PDF)],
        "签收的送达回证",
    ),
    "left_at_premises": (
        {
            "address": "某网吧前台",
            "refusal_reason": "当事人称不认可处理结果，拒绝签收",
            "refusal_date": dt.date.today(),
            "witnesses": ["赵某（社区网格员）"],
        },
        [("receipt_scan", PDF), ("photo", png(2))],
        "注明拒收事由和日期并由送达人、见证人签名的送达回证扫描件",
    ),
    "entrusted": (
        {"details": {"reason": "受送达人在外地", "intermediary": "某区文化执法大队 刘某"}},
        [("receipt_scan", PDF)],
        "受委托人签名的送达回执扫描件",
    ),
    "forwarded": (
        {"details": {"reason": "受送达人被羁押", "intermediary": "某看守所 陈某"}},
        [("receipt_scan", PDF)],
        "转交人签名的送达回执扫描件",
    ),
    "postal": (
        {"address": "某市某路 1 号", "details": {"carrier": "ems", "mail_number": "EA123456789CN"}},
        [("postage_record", PDF), ("return_receipt", png(3))],
        "邮寄登记及付邮资凭证",
    ),
    "electronic": (
        {"details": {"channel": "email", "electronic_address": "party@example.cn"}},
        [("screenshot", png(4))],
        "截图截屏或电话录音、屏幕录像",
    ),
    "public_notice": (
        {
            "details": {
                "other_methods_failed": "直接送达两次无人，邮寄被退回",
                "medium": "本机关门户网站及公告栏",
                "notice_text": "公告：……限你于六十日内领取。",
            }
        },
        [("screenshot", png(5))],
        "公告过程的截屏截图、照片或录像",
    ),
}
CLAUSE = {
    "direct": "doc-service-direct",
    "left_at_premises": "doc-service-lien",
    "entrusted": "doc-service-entrusted",
    "forwarded": "doc-service-entrusted",
    "postal": "doc-service-mail",
    "electronic": "doc-service-electronic",
    "public_notice": "doc-service-public-notice",
}


def record(staff, version, method: str, *, proofs=None, **kw):
    args, default_proofs, _ = CASES[method]
    args = {**args, **kw}
    return delivery.delivery_record(
        actor=staff.officer,
        version=version,
        method=method,
        recipient=args.pop("recipient", "某网吧（经营者李某）"),
        delivered_at=args.pop("delivered_at", now()),
        proofs=default_proofs if proofs is None else proofs,
        **args,
    )


@pytest.mark.parametrize(
    "method", [pytest.param(m, marks=pytest.mark.clause(CLAUSE[m])) for m in CASES], ids=list(CASES)
)
def test_each_method_with_its_proof_is_recorded_complete_and_without_it_refused(staff, notice, method):
    _, proofs, named = CASES[method]
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, method, proofs=[])
    assert exc.value.code == "delivery_proof_missing"
    assert any(named in m for m in exc.value.detail["missing"]), exc.value.detail
    assert not Delivery.objects.exists()

    row = record(staff, notice, method)
    assert row.complete and row.missing == []
    assert {f["kind"] for f in row.proof_files} >= {k for k, _ in proofs}
    with get_store().open(row.proof_files[0]["sha256"]) as fh:
        assert fh.read() == proofs[0][1]
    event = Event.objects.get(action="document.delivered", object_id=str(row.pk))
    assert event.object_type == "delivery"
    assert row.case.timeline.filter(action="document.delivered", ref_id=str(row.pk)).exists()


@pytest.mark.clause("doc-service-lien")
def test_left_at_premises_without_a_witness_or_refusal_reason_is_refused(staff, notice):
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "left_at_premises", witnesses=[], refusal_reason="")
    assert exc.value.code == "delivery_proof_missing"
    assert {"见证人", "拒收事由"} <= set(exc.value.detail["missing"])


@pytest.mark.clause("doc-service-entrusted")
def test_entrusted_without_a_reason_is_refused(staff, notice):
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "entrusted", details={"intermediary": "刘某"})
    assert exc.value.detail["missing"] == ["委托送达原因"]


@pytest.mark.clause("doc-service-direct")
def test_direct_signed_by_someone_else_needs_the_relation(staff, notice):
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "direct", signer_name="王某", signer_relation="")
    assert any("关系" in m for m in exc.value.detail["missing"])


@pytest.mark.clause("doc-service-direct", "doc-signatures")
def test_a_finalised_delivery_receipt_with_the_recipients_signature_stands_for_the_scan(staff, case, notice):
    receipt = final(staff, case, "delivery_receipt")  # deliverer and recipient signed on screen
    row = record(staff, notice, "direct", proofs=[], receipt=receipt, signer_name="")
    assert row.complete and row.proof["receipt_version_id"] == receipt.pk


@pytest.mark.clause("doc-service-mail")
def test_postal_needs_registered_mail_and_counts_only_with_the_return_receipt(staff, notice):
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "postal", details={"carrier": "ordinary", "mail_number": "X1"})
    assert exc.value.code == "postal_carrier_not_allowed"

    sent = record(staff, notice, "postal", proofs=[("postage_record", PDF)])
    assert not sent.complete and sent.missing == ["尚未取得邮件回执"]

    with pytest.raises(DeliveryInvalid) as exc:  # returned, but without the returned-mail record
        record(
            staff,
            notice,
            "postal",
            details={"carrier": "registered", "mail_number": "XA1", "returned": True},
            proofs=[("postage_record", PDF)],
        )
    assert "邮件被退回的具体情况及退件记录" in exc.value.detail["missing"]
    returned = record(
        staff,
        notice,
        "postal",
        details={"carrier": "registered", "mail_number": "XA1", "returned": "on", "return_note": "查无此人"},
        proofs=[("postage_record", PDF), ("returned_mail", png(6))],
    )
    assert not returned.complete and "查无此人" in returned.missing[0]

    # the return receipt arrives: a new row corrects the first
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "postal", supersedes=sent)
    assert exc.value.code == "correction_reason_required"
    done = record(staff, notice, "postal", supersedes=sent, correction_reason="收到邮件回执")
    assert done.complete and done.supersedes_id == sent.pk
    assert delivery.effective(list(Delivery.objects.all())) == [returned, done]
    with pytest.raises(DeliveryRefused) as exc:
        record(staff, notice, "postal", supersedes=sent, correction_reason="再次")
    assert exc.value.code == "delivery_already_superseded"


@pytest.mark.clause("doc-service-electronic")
def test_electronic_delivery_of_a_decision_letter_is_refused(staff, letter):
    with pytest.raises(DeliveryRefused) as exc:
        record(staff, letter, "electronic")
    assert exc.value.code == "electronic_delivery_not_allowed"
    assert "行政执法决定书不得以传真、电子邮件" in exc.value.message
    assert not Delivery.objects.filter(version=letter).exists()


@pytest.mark.clause("doc-service-electronic")
def test_fax_needs_the_fax_copy_with_time_and_number(staff, notice):
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "electronic", details={"channel": "fax", "electronic_address": "027-12345678"})
    assert "注明传真时间和受送达人传真号码的传真件" in exc.value.detail["missing"]
    row = record(
        staff,
        notice,
        "electronic",
        details={"channel": "fax", "electronic_address": "027-12345678"},
        proofs=[("fax_copy", PDF), ("recording", b"ID3" + b"\x00" * 64)],
    )
    assert row.complete


@pytest.mark.clause("doc-service-public-notice")
def test_public_notice_without_why_other_methods_failed_is_refused(staff, notice):
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "public_notice", details={"medium": "网站", "notice_text": "公告"})
    assert exc.value.detail["missing"] == ["已采用其他方式均无法送达的情况"]
    row = record(staff, notice, "public_notice")
    kinds = [f["kind"] for f in row.proof_files]
    assert "notice_text" in kinds  # the notice text is kept as a stored file


def test_delivery_before_finalising_or_in_the_future_is_refused(staff, notice):
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "direct", delivered_at=notice.finalised_at - dt.timedelta(hours=1))
    assert exc.value.code == "delivery_before_finalised"
    with pytest.raises(TimeInFuture) as exc:
        record(staff, notice, "direct", delivered_at=now() + dt.timedelta(days=1))
    assert exc.value.code == "delivery_in_future"


def test_proof_files_must_be_documents_or_images(staff, notice):
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "direct", proofs=[("receipt_scan", b"MZ\x90\x00 not a scan")])
    assert exc.value.code == "delivery_proof_not_supported"
    with pytest.raises(DeliveryInvalid) as exc:
        record(staff, notice, "direct", proofs=[("selfie", PDF)])
    assert exc.value.code == "delivery_proof_kind_unknown"


def test_only_handlers_record_deliveries(staff, notice):
    from liuhen.cases.errors import CaseForbidden

    with pytest.raises(CaseForbidden):
        delivery.delivery_record(
            actor=staff.outsider,
            version=notice,
            method="direct",
            recipient="某网吧",
            delivered_at=now(),
            proofs=[ProofFile("receipt_scan", PDF)],
        )


@pytest.mark.clause("av-lien-service", "doc-service-lien")
def test_mandatory_av_for_left_at_premises_blocks_until_recorded(staff_for):
    staff = staff_for("xigang-culture")  # 留置送达 must be recorded on AV (seed 000 第九条(十))
    case = staff.open("penalty")
    file_case(staff, case)
    version = final(staff, case, "decision_letter")
    row = record(staff, version, "left_at_premises")
    assert row.complete and row.proof["av_required"] == "留置送达"
    profile = case_services.profile_of(case)
    reqs = {r.code: r for r in delivery.delivery_requirements(case, profile)}
    av = reqs[f"av:delivery:{row.pk}"]
    assert av.status == "missing" and av.blocking  # met by a recording: liuhen/media/tests/test_av_guard.py


@pytest.mark.clause("doc-service-direct", "flow-recording-plan-per-type")
def test_delivery_stage_cannot_be_left_until_the_decision_letter_is_delivered(staff, case):
    for stage in ("intake", "filing", "investigation", "review", "decision"):
        case.refresh_from_db()
        assert case.stage == stage, case.stage
        approve_stage(staff, case, stage)
        case_services.case_advance(actor=staff.officer, case=case, expected_stage=stage)
    case.refresh_from_db()
    assert case.stage == "delivery"
    complete_documents(staff, case, "delivery", deliver=False)  # the 送达回证, but no delivery recorded
    with pytest.raises(TransitionRefused) as exc:
        case_services.case_advance(actor=staff.officer, case=case, expected_stage="delivery")
    labels = [m["label"] for m in exc.value.detail["missing"]]
    assert "行政执法决定书尚未送达（或送达证明不全）" in labels

    letter = next(v for v in delivery.served_versions(case) if v.document.doc_type == "decision_letter")
    record(staff, letter, "postal", proofs=[("postage_record", PDF)])  # posted; no return receipt yet
    profile = case_services.profile_of(case)
    reqs = {r.code: r for r in stage_requirements(case, profile, "delivery", visit=None)}
    req = reqs[f"delivery:{letter.document.number}"]
    assert req.blocking and req.note == "尚未取得邮件回执"

    record(staff, letter, "direct")
    case_services.case_advance(actor=staff.officer, case=case, expected_stage="delivery")
    case.refresh_from_db()
    assert case.stage == "closure"


@pytest.mark.clause("integ-no-tamper-original")
def test_verify_is_clean_and_finds_an_edited_delivery_row(staff, notice):
    row = record(staff, notice, "left_at_premises")
    assert verify_records() == []
    with pytest.raises(Exception) as exc:
        Delivery.objects.filter(pk=row.pk).update(complete=False)
    assert getattr(exc.value, "code", "") == "record_immutable"
    with attacker(), connection.cursor() as cursor:
        cursor.execute("UPDATE documents_delivery SET recipient = %s WHERE id = %s", ["别人", row.pk])
    found = {(f.code, f.item) for f in verify_records()}
    assert ("record_row_edited", f"record:documents.Delivery:{row.pk}") in found
