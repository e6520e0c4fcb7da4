"""Storing originals: ``blob_put`` is the one way in (clauses integ-no-tamper-original, integ-audit-trail-traceability).

The bytes go to the store first (hashed while written, durable before they appear under their key);
then the Blob row and its ``blob.stored`` ledger event commit together. A crash between the two leaves
a stored but untracked blob, which ``verify_blobs`` reports as ``blob_untracked`` and which the next
``blob_put`` of the same content adopts; it never leaves a row without its blob.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from liuhen.ledger.blobstore.backends import BlobStore, Stream, get_store
from liuhen.ledger.blobstore.models import Blob
from liuhen.ledger.services import record


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    if actor is None:
        return None, "系统"
    if isinstance(actor, str):
        return None, actor[:120]
    label = getattr(actor, "display_name", "") or getattr(actor, "username", "") or str(actor)
    return getattr(actor, "pk", None), label[:120]


def blob_put(*, actor: Any, stream: Stream, store: BlobStore | None = None, agency_id: int | None = None) -> Blob:
    """Store ``stream`` (a binary file object, an iterable of byte chunks, or bytes) and track it.

    Returns the Blob; ``blob.created`` is False when the same content was already tracked (a
    duplicate: no new row, no new event; the caller records its own event naming the blob).
    """
    store = store or get_store()
    result = store.put(stream)
    with transaction.atomic():
        blob = Blob.objects.filter(pk=result.sha256).first()
        if blob is not None:
            blob.created = False
            return blob
        actor_id, actor_label = _actor_fields(actor)
        try:
            with transaction.atomic():
                blob = Blob(
                    sha256=result.sha256,
                    sm3=result.sm3,
                    size=result.size,
                    backend=store.name,
                    stored_at=timezone.now(),
                    first_stored_by_id=actor_id,
                    first_stored_by_label=actor_label,
                )
                blob.save()
        except IntegrityError:  # another writer tracked the same content a moment ago
            blob = Blob.objects.get(pk=result.sha256)
            blob.created = False
            return blob
        record(
            actor=actor,
            action="blob.stored",
            obj_type="blob",
            obj_id=blob.sha256,
            payload={"sha256": blob.sha256, "sm3": blob.sm3, "size": blob.size, "backend": blob.backend},
            agency_id=agency_id,
        )
        blob.created = True
    return blob
