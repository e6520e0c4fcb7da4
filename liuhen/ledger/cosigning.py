"""Witnesses' cosignatures of checkpoints (ADR 0013; clause integ-audit-trail-traceability).

A checkpoint signed with the deployment's own key proves nothing against the deployment itself:
whoever holds the key and the database can sign a rewritten tree and show it to one auditor while
showing the old one to another (a fork), or roll the ledger back and sign again. Outside bodies (司法局,
档案馆, a court) run ``liuhen-witness`` (``liuhen.witness``): it keeps the last checkpoint it saw,
checks the consistency proof from it to the newest one and returns a C2SP tlog-cosignature. A
checkpoint co-signed by a quorum of them cannot have been forked or rolled back without one of them
refusing.

Here: which witnesses a deployment trusts and how many must co-sign (``configured``, from the
settings ``LIUHEN_WITNESSES`` and ``LIUHEN_WITNESS_QUORUM``); accepting a cosignature
(``cosignature_record``); what a checkpoint's witnessing amounts to (``witnessing``); the cosigned
note that proof bundles carry (``cosigned_note``) and the checkpoint they are built on
(``checkpoint_for_proof``); the consistency proofs witnesses ask for (``consistency_between``); and
what ``manage.py verify`` checks of the stored cosignatures (``verify_cosignatures``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from liuhen.core.errors import Conflict, DomainError, NotFound, ValidationFailed
from liuhen.ledger import merkle, signing
from liuhen.ledger.checkpoints import checkpoint_create
from liuhen.ledger.findings import Finding
from liuhen.ledger.models import Checkpoint, Cosignature, Event
from liuhen.ledger.services import record
from liuhen.ledger.tree import tree_fetch

ACTION = "ledger.checkpoint_cosigned"
OBJECT_TYPE = "cosignature"
# A witness's clock may be this far ahead of ours, or behind the checkpoint's signing time.
CLOCK_TOLERANCE = dt.timedelta(minutes=10)
MAX_PROOF_CANDIDATES = 20


# --- errors ----------------------------------------------------------------------------------------


class WitnessConfigInvalid(DomainError):
    code = "witness_config_invalid"
    status = 503
    message = "见证方配置有误（LIUHEN_WITNESSES / LIUHEN_WITNESS_QUORUM），请运维人员检查"


class CosignatureRefused(DomainError):
    code = "cosignature_refused"
    status = 422
    message = "见证签名未被接受"


class CosignatureMalformed(CosignatureRefused):
    code = "cosignature_malformed"
    message = "见证签名格式错误"


class CosignatureUnknownWitness(CosignatureRefused):
    code = "cosignature_unknown_witness"
    status = 403
    message = "该见证签名不是由本系统配置的见证方密钥签署的"


class CosignatureBadSignature(CosignatureRefused):
    code = "cosignature_bad_signature"
    message = "见证签名无效：签名与检查点内容不符"


class CosignatureTimeInvalid(CosignatureRefused):
    code = "cosignature_time_invalid"
    message = "见证签名的时间不可信"


class WitnessCheckpointNotFound(NotFound):
    code = "checkpoint_not_found"
    message = "没有这个检查点"


class WitnessCheckpointMismatch(Conflict):
    code = "checkpoint_mismatch"
    message = "同一树大小的检查点根哈希与本系统的不同"


class ConsistencyRangeInvalid(ValidationFailed):
    code = "consistency_range_invalid"
    message = "一致性证明的树大小不正确"


class ConsistencyUnavailable(Conflict):
    code = "ledger_inconsistent"
    message = "账本树节点不完整，无法给出一致性证明"


# --- configuration ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Witness:
    """A witness the deployment trusts: its cosignature key and the name people know it by."""

    cosigner: signing.Cosigner
    label: str

    @property
    def name(self) -> str:
        return self.cosigner.name

    @property
    def key_id(self) -> str:
        return self.cosigner.key_id.hex()

    @property
    def vkey(self) -> str:
        return self.cosigner.vkey


@dataclass(frozen=True)
class WitnessConfig:
    witnesses: tuple[Witness, ...]
    quorum: int

    def find(self, name: str, key_id: bytes) -> Witness | None:
        for witness in self.witnesses:
            if witness.name == name and witness.cosigner.key_id == key_id:
                return witness
        return None


def parse_config(witnesses: str, quorum: str | int | None) -> WitnessConfig:
    """The witnesses listed in ``witnesses`` (vkeys, comma/semicolon/whitespace separated, each
    optionally ``名称=vkey``) and the quorum (default: a majority). Raises WitnessConfigInvalid."""
    found: list[Witness] = []
    for item in re.split(r"[,;\s]+", witnesses or ""):
        if not item:
            continue
        label, sep, vkey = item.partition("=")
        if not sep or "+" in label:  # "=" inside a vkey only pads its base64, after the "+"
            label, vkey = "", item
        try:
            cosigner = signing.Cosigner.parse(vkey)
        except signing.NoteError as exc:
            raise WitnessConfigInvalid(f"LIUHEN_WITNESSES 中的见证方公钥无法解析：{vkey[:40]}…（{exc}）") from None
        if any(w.name == cosigner.name for w in found):
            raise WitnessConfigInvalid(f"LIUHEN_WITNESSES 中见证方 {cosigner.name} 出现了两次")
        found.append(Witness(cosigner, label or cosigner.name))
    text = str(quorum if quorum is not None else "").strip()
    if not text:
        need = len(found) // 2 + 1 if found else 0
    else:
        try:
            need = int(text)
        except ValueError:
            raise WitnessConfigInvalid(f"LIUHEN_WITNESS_QUORUM 应为整数，收到 {text!r}") from None
    if not 0 <= need <= len(found):
        raise WitnessConfigInvalid(f"LIUHEN_WITNESS_QUORUM 为 {need}，但只配置了 {len(found)} 个见证方")
    return WitnessConfig(tuple(found), need)


@functools.lru_cache(maxsize=8)
def _cached(witnesses: str, quorum: str) -> WitnessConfig:
    return parse_config(witnesses, quorum)


def configured() -> WitnessConfig:
    """This deployment's witnesses and quorum (re-read when the settings change, as in tests)."""
    return _cached(
        str(getattr(settings, "LIUHEN_WITNESSES", "") or ""), str(getattr(settings, "LIUHEN_WITNESS_QUORUM", ""))
    )


# --- what a checkpoint's witnessing amounts to -------------------------------------------------------


@dataclass(frozen=True)
class CosignatureView:
    row: Cosignature
    witness: Witness | None  # None: not a configured witness (any more)
    valid: bool  # the signature verifies against the configured key

    @property
    def label(self) -> str:
        return self.witness.label if self.witness else self.row.witness

    @property
    def signed_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(min(self.row.timestamp, 253402300799), tz=dt.UTC)

    @property
    def status(self) -> str:
        if self.witness is None:
            return "非配置的见证方"
        return "有效" if self.valid else "签名无效"


@dataclass(frozen=True)
class Witnessing:
    checkpoint: Checkpoint
    cosignatures: tuple[CosignatureView, ...]
    need: int
    configured: int

    @property
    def have(self) -> int:
        return len({c.witness.name for c in self.cosignatures if c.valid and c.witness})

    @property
    def met(self) -> bool:
        return self.need > 0 and self.have >= self.need

    @property
    def label(self) -> str:
        if not self.configured:
            return "未配置见证方"
        return f"见证 {self.have}/{self.need}，{'已达到' if self.met else '未达到'}要求"

    @property
    def valid_lines(self) -> list[str]:
        return [c.row.line for c in self.cosignatures if c.valid and c.witness]


def _view(row: Cosignature, body: str | None, config: WitnessConfig) -> CosignatureView:
    try:
        parsed = signing.CosignatureLine.parse(row.line)
    except signing.NoteError:
        return CosignatureView(row, None, False)
    witness = config.find(parsed.name, parsed.key_id)
    valid = (
        witness is not None
        and body is not None
        and parsed.name == row.witness
        and parsed.key_id.hex() == row.key_id
        and parsed.timestamp == row.timestamp
        and witness.cosigner.verify(body, parsed.timestamp, parsed.signature)
    )
    return CosignatureView(row, witness, valid)


def _body(cp: Checkpoint) -> str | None:
    try:
        return signing.note_body(cp.note)
    except signing.NoteError:
        return None


def witnessing_of(checkpoints: Iterable[Checkpoint]) -> dict[int, Witnessing]:
    """Each checkpoint's cosignatures (each signature checked against the configured keys) and quorum."""
    config = configured()
    cps = list(checkpoints)
    rows: dict[int, list[Cosignature]] = {cp.pk: [] for cp in cps}
    for row in Cosignature.objects.filter(checkpoint_id__in=list(rows)).order_by("witness", "id"):
        rows[row.checkpoint_id].append(row)
    result = {}
    for cp in cps:
        body = _body(cp)
        views = tuple(_view(row, body, config) for row in rows[cp.pk])
        result[cp.pk] = Witnessing(cp, views, config.quorum, len(config.witnesses))
    return result


def witnessing(cp: Checkpoint) -> Witnessing:
    return witnessing_of([cp])[cp.pk]


def cosigned_note(cp: Checkpoint) -> str:
    """The checkpoint note with the valid cosignature lines of configured witnesses after the log's
    own signature: one C2SP signed note, which verifiers without witness keys still accept as is."""
    lines = witnessing(cp).valid_lines
    return cp.note + "".join(f"{line}\n" for line in lines)


def checkpoint_for_proof(*, min_size: int) -> Checkpoint:
    """The checkpoint to prove events below ``min_size`` against: the newest one a quorum of witnesses
    co-signed, when there is one that covers them; otherwise the newest (signed now if need be)."""
    config = configured()
    if config.quorum:
        candidates = (
            Checkpoint.objects.filter(size__gte=min_size)
            .annotate(n=Count("cosignatures"))
            .filter(n__gte=config.quorum)
            .order_by("-size", "-id")[:MAX_PROOF_CANDIDATES]
        )
        for w in witnessing_of(candidates).values():  # newest first
            if w.met:
                return w.checkpoint
    cp = Checkpoint.objects.order_by("-size", "-id").first()
    if cp is None or cp.size < min_size:
        cp = checkpoint_create()
    assert cp is not None and cp.size >= min_size
    return cp


# --- serving witnesses -------------------------------------------------------------------------------


def consistency_between(*, old_size: int, size: int) -> list[bytes]:
    """RFC 9162 consistency proof from ``old_size`` to ``size``, both within the latest checkpoint."""
    latest = Checkpoint.objects.order_by("-size", "-id").first()
    if latest is None:
        raise WitnessCheckpointNotFound("尚未签署检查点")
    if not 0 < old_size <= size <= latest.size:
        raise ConsistencyRangeInvalid(
            f"一致性证明要求 0 < 旧树大小 ≤ 新树大小 ≤ 最新检查点的树大小（{latest.size}）",
            old_size=old_size,
            size=size,
            latest_size=latest.size,
        )
    try:
        return merkle.consistency_proof(old_size, size, tree_fetch)
    except merkle.ProofError as exc:
        raise ConsistencyUnavailable(f"账本树节点不完整，无法给出一致性证明：{exc}") from None


# --- accepting a cosignature ---------------------------------------------------------------------------


def _checkpoint_named(text: str) -> Checkpoint:
    """The stored checkpoint whose body ``text`` (a checkpoint note or its body alone) is."""
    body = text.partition("\n\n")[0] + "\n" if "\n\n" in text else text
    lines = body.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise CosignatureMalformed("检查点格式错误：需要 origin、树大小和根哈希三行")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not size_text.isascii() or not size_text.isdigit() or str(int(size_text)) != size_text:
        raise CosignatureMalformed("检查点的树大小格式错误")
    try:
        root = base64.b64decode(root_text, validate=True)
    except (binascii.Error, ValueError):
        raise CosignatureMalformed("检查点的根哈希不是有效的 base64") from None
    if len(root) != merkle.HASH_SIZE:
        raise CosignatureMalformed("检查点的根哈希长度错误")
    if origin != signing.origin():
        raise WitnessCheckpointNotFound(f"不是本系统的检查点（origin 为 {origin[:80]}）", origin=origin[:80])
    size = int(size_text)
    if size > 2**63 - 1:
        raise WitnessCheckpointNotFound("没有这个树大小的检查点")
    same_size = list(Checkpoint.objects.filter(size=size).order_by("id"))
    for cp in same_size:
        if cp.root_hash == root.hex():
            return cp
    if same_size:
        raise WitnessCheckpointMismatch(
            f"树大小 {size} 的检查点根哈希与本系统的不同（见证方看到的是另一棵树）", size=size, root=root.hex()
        )
    raise WitnessCheckpointNotFound(f"没有树大小为 {size} 的检查点", size=size)


def cosignature_record(
    *, checkpoint: str, cosignature: str, now: dt.datetime | None = None
) -> tuple[Cosignature, bool]:
    """Accept a witness's cosignature of one of our checkpoints; return it and whether it is new.

    ``checkpoint`` is the checkpoint the witness co-signed (note or body), ``cosignature`` its
    signature line. Refused unless it is a ``cosignature/v1`` by a configured witness whose signature
    verifies, with a plausible time. A witness co-signing the same checkpoint again gets its first
    cosignature back (nothing new recorded). A new one is stored with its ``ledger.checkpoint_cosigned``
    event in one transaction.
    """
    config = configured()
    if not config.witnesses:
        raise CosignatureUnknownWitness("本系统没有配置见证方（LIUHEN_WITNESSES），不接受见证签名")
    try:
        parsed = signing.CosignatureLine.parse(cosignature)
    except signing.NoteError as exc:
        raise CosignatureMalformed(f"见证签名格式错误：{exc}") from None
    cp = _checkpoint_named(checkpoint)
    witness = config.find(parsed.name, parsed.key_id)
    if witness is None:
        raise CosignatureUnknownWitness(
            f"见证方 {parsed.name[:80]}（密钥标识 {parsed.key_id.hex()}）不是本系统配置的见证方",
            witness=parsed.name[:80],
            key_id=parsed.key_id.hex(),
        )
    body = _body(cp)
    if body is None or not witness.cosigner.verify(body, parsed.timestamp, parsed.signature):
        raise CosignatureBadSignature(
            f"见证方 {witness.label} 的见证签名与树大小 {cp.size} 的检查点不符", witness=witness.name, size=cp.size
        )
    now = now or timezone.now()
    signed_at = dt.datetime.fromtimestamp(min(parsed.timestamp, 253402300799), tz=dt.UTC)
    if signed_at > now + CLOCK_TOLERANCE:
        raise CosignatureTimeInvalid("见证签名的时间晚于本系统时间超过 10 分钟：请核对见证方计算机的时钟")
    if signed_at < cp.created_at - CLOCK_TOLERANCE:
        raise CosignatureTimeInvalid("见证签名的时间早于检查点的签署时间：请核对见证方计算机的时钟")
    return _store(cp, witness, parsed, now)


def _store(
    cp: Checkpoint, witness: Witness, parsed: signing.CosignatureLine, now: dt.datetime
) -> tuple[Cosignature, bool]:
    key = {"checkpoint": cp, "witness": witness.name, "key_id": witness.key_id}
    with transaction.atomic():
        existing = Cosignature.objects.filter(**key).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                row = Cosignature.objects.create(**key, timestamp=parsed.timestamp, line=parsed.line, received_at=now)
        except IntegrityError:  # the same witness, at the same moment, on another connection
            return Cosignature.objects.get(**key), False
        record(
            actor=f"见证方 {witness.label}",
            action=ACTION,
            obj_type=OBJECT_TYPE,
            obj_id=row.pk,
            payload={
                "checkpoint_size": cp.size,
                "root": cp.root_hash,
                "witness": row.witness,
                "key_id": row.key_id,
                "timestamp": row.timestamp,
                "line": row.line,
            },
        )
    return row, True


# --- verify --------------------------------------------------------------------------------------------


def verify_cosignatures(*, stats: dict[str, Any] | None = None) -> list[Finding]:
    """Every stored cosignature against the configured witness keys and its own event; one finding each."""
    findings: list[Finding] = []
    try:
        config = configured()
    except WitnessConfigInvalid as exc:
        return [Finding("cosignature_config_invalid", exc.message, "config:LIUHEN_WITNESSES")]
    with_event = set(Event.objects.filter(action=ACTION, object_type=OBJECT_TYPE).values_list("object_id", flat=True))
    rows = 0
    by_checkpoint: dict[int, set[str]] = {}
    for row in Cosignature.objects.select_related("checkpoint").order_by("id").iterator(chunk_size=2000):
        rows += 1
        cp = row.checkpoint
        item = f"cosignature:{row.pk}(checkpoint:size={cp.size},witness={row.witness})"
        if str(row.pk) not in with_event:
            findings.append(
                Finding(
                    "cosignature_without_event",
                    f"见证签名记录没有创建它的账本事件（树大小 {cp.size}，见证方 {row.witness}）",
                    item,
                )
            )
        try:
            parsed = signing.CosignatureLine.parse(row.line)
        except signing.NoteError as exc:
            findings.append(
                Finding("cosignature_malformed", f"见证签名格式错误（{row.witness}）", item, {"reason": str(exc)})
            )
            continue
        if (parsed.name, parsed.key_id.hex(), parsed.timestamp) != (row.witness, row.key_id, row.timestamp):
            findings.append(
                Finding(
                    "cosignature_row_edited",
                    f"见证签名记录的见证方、密钥标识或时间与签名行不符（树大小 {cp.size}）",
                    item,
                    {"row": [row.witness, row.key_id, row.timestamp], "line": [parsed.name, parsed.key_id.hex()]},
                )
            )
            continue
        witness = config.find(parsed.name, parsed.key_id)
        if witness is None:
            findings.append(
                Finding(
                    "cosignature_unknown_key",
                    f"见证签名不是由配置的见证方密钥签署的（{row.witness}，密钥标识 {row.key_id}）",
                    item,
                )
            )
            continue
        body = _body(cp)
        if body is None:
            continue  # the checkpoint itself is reported by the ledger checks
        if not witness.cosigner.verify(body, parsed.timestamp, parsed.signature):
            findings.append(
                Finding(
                    "cosignature_bad_signature",
                    f"见证方 {witness.label} 对树大小 {cp.size} 的检查点的见证签名无效（记录被改动或伪造）",
                    item,
                )
            )
            continue
        by_checkpoint.setdefault(cp.size, set()).add(witness.name)
    if stats is not None:
        met = sorted(size for size, names in by_checkpoint.items() if config.quorum and len(names) >= config.quorum)
        stats.update(
            cosignatures=rows,
            witnesses=len(config.witnesses),
            witness_quorum=config.quorum,
            checkpoints_witnessed=len(met),
            latest_witnessed_size=met[-1] if met else None,
        )
    return findings
