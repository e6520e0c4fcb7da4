"""Proofs for outside auditors: the ``liuhen-proof/1`` bundle that ``tools/liuhen_verify_proof.py`` checks.

Clause integ-audit-trail-traceability: with the agency's public key (and the witnesses' keys) anyone can
check, offline, that an event is in a signed checkpoint. The auditor's export, case files and evidence
discs all build their bundles here.
"""

from __future__ import annotations

import base64
from typing import Any

from django.db import transaction

from liuhen.core.errors import NotFound
from liuhen.ledger import merkle, signing, tree
from liuhen.ledger.cosigning import checkpoint_for_proof, cosigned_note
from liuhen.ledger.models import Checkpoint, Event
from liuhen.ledger.policies import ledger_policy
from liuhen.ledger.services import record

BUNDLE_FORMAT = "liuhen-proof/1"


def proof_bundle(event: Event, cp: Checkpoint, *, note: str | None = None) -> dict[str, Any]:
    """The ``liuhen-proof/1`` bundle that ``tools/liuhen_verify_proof.py`` checks: ``event`` is in
    signed checkpoint ``cp`` (verified here before it is handed out). No access check and no event:
    the caller's act records the export (an auditor's export, a case file, an evidence disc).

    ``checkpoint`` is the note with the witnesses' cosignature lines after the log's signature
    (``cosigning.cosigned_note``; ADR 0013): still a valid signed note for verifiers that know no
    witness. A caller building several bundles on one checkpoint passes the ``note`` it got once, so
    that a cosignature arriving meanwhile cannot make them differ."""
    path = merkle.inclusion_proof(event.seq, cp.size, tree.tree_fetch)
    leaf = bytes.fromhex(event.leaf_hash)
    merkle.verify_inclusion(event.seq, cp.size, leaf, path, bytes.fromhex(cp.root_hash))
    return {
        "format": BUNDLE_FORMAT,
        "leaf_index": event.seq,
        "tree_size": cp.size,
        "leaf_data": tree.entry_bytes(event).decode(),
        "leaf_hash": base64.b64encode(leaf).decode(),
        "payload": event.payload,
        "inclusion_proof": [base64.b64encode(h).decode() for h in path],
        "checkpoint": note if note is not None else cosigned_note(cp),
        "vkey": signing.deployment_verifier().vkey,
    }


def proof_bundle_export(*, actor: Any, seq: int) -> dict[str, Any]:
    """An auditor's export of the proof that event ``seq`` is in the ledger (recorded).

    Uses the newest checkpoint a quorum of witnesses co-signed that covers the event, else the latest
    one, signing a new one first when it does not yet cover the event.
    """
    event = Event.objects.filter(seq=seq).first()
    if event is None or event.agency_id not in (None, getattr(actor, "agency_id", None)):
        raise NotFound("账本事件不存在或无权查看", code="ledger_event_not_found")
    ledger_policy.require(actor, "export_proof")  # after the lookup: another agency's event is 404 for every role
    cp = checkpoint_for_proof(min_size=seq + 1)
    bundle = proof_bundle(event, cp)
    with transaction.atomic():
        record(
            actor=actor,
            action="ledger.proof_exported",
            obj_type="event",
            obj_id=seq,
            payload={"tree_size": cp.size},
        )
    return bundle
