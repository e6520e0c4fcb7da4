"""The originals of text records — sealed PDFs, scans, signature images, delivery proofs, the data of each
version — kept in the write-once blob store and read back by their SHA-256 (integ-no-tamper-original)."""

from __future__ import annotations

from liuhen.ledger.blobstore.backends import get_store


def read_blob(sha256: str) -> bytes:
    with get_store().open(sha256) as fh:
        return fh.read()
