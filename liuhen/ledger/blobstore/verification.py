"""Blob checks for ``manage.py verify`` (clauses resp-tamper-delete, integ-no-tamper-original).

``verify_blobs`` re-hashes every tracked blob (or a random fraction of them for daily runs) against
its key and recorded size, and lists the store for files nobody tracked. Findings, each naming
``blob:<sha256>`` (or ``blob:<path>`` for a stray entry):

- ``blob_changed``: the bytes no longer hash to their key, or the size differs from the row;
- ``blob_missing``: a tracked blob is not in the store;
- ``blob_unreadable``: the store has it but it cannot be read (permissions, I/O error);
- ``blob_untracked``: the store holds an entry no Blob row names (a crash between store and row, or
  a file put there behind the application's back).

A blob whose content was disposed after its retention (a tombstone in the archive app, registered
with :func:`register_disposed`) is counted as ``blobs_disposed``, not re-hashed and not missing.

Memory stays flat: rows are streamed, files hashed in fixed-size chunks, keys checked in batches.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from typing import Any

from liuhen.ledger.blobstore.backends import BlobStore, get_store, is_key
from liuhen.ledger.blobstore.errors import BlobNotFound
from liuhen.ledger.blobstore.hashing import CHUNK_SIZE, DualHasher
from liuhen.ledger.blobstore.models import Blob
from liuhen.ledger.findings import Finding

BATCH = 1000
READ_SIZE = 8 * 1024 * 1024

# Callables returning the SHA-256 of every blob whose content was disposed (clause
# integ-no-destroy-within-retention: disposal after the period leaves a tombstone, never a gap).
_DISPOSED_PROVIDERS: list[Any] = []


def register_disposed(provider: Any) -> None:
    if provider not in _DISPOSED_PROVIDERS:
        _DISPOSED_PROVIDERS.append(provider)


def disposed_keys() -> set[str]:
    keys: set[str] = set()
    for provider in _DISPOSED_PROVIDERS:
        keys |= set(provider())
    return keys


def rehash(store: BlobStore, key: str, *, with_sm3: bool = False) -> tuple[str, str | None, int]:
    """(sha256, sm3 or None, size) of the stored bytes. Raises BlobNotFound."""
    with store.open(key) as stream:
        if with_sm3:
            with DualHasher() as hasher:
                while chunk := stream.read(CHUNK_SIZE):
                    hasher.update(chunk)
                sha256, sm3 = hasher.hexdigests()
            return sha256, sm3, hasher.size
        digest = hashlib.sha256()
        buffer = bytearray(READ_SIZE)
        view = memoryview(buffer)
        size = 0
        readinto = getattr(stream, "readinto", None)
        while True:
            if readinto is not None:
                n = readinto(buffer)
                if not n:
                    break
                digest.update(view[:n])
            else:
                chunk = stream.read(READ_SIZE)
                if not chunk:
                    break
                n = len(chunk)
                digest.update(chunk)
            size += n
        return digest.hexdigest(), None, size


def _check_row(store: BlobStore, sha256: str, sm3: str, size: int, *, with_sm3: bool) -> Finding | None:
    item = f"blob:{sha256}"
    try:
        actual_sha256, actual_sm3, actual_size = rehash(store, sha256, with_sm3=with_sm3)
    except BlobNotFound:
        return Finding("blob_missing", "原始文件缺失：账上登记的文件在存储中找不到", item)
    except OSError as exc:
        return Finding("blob_unreadable", "原始文件无法读取", item, {"error": str(exc)})
    if actual_sha256 != sha256 or actual_size != size or (actual_sm3 is not None and actual_sm3 != sm3):
        detail = {
            "expected_sha256": sha256,
            "actual_sha256": actual_sha256,
            "expected_size": size,
            "actual_size": actual_size,
        }
        if actual_sm3 is not None:
            detail |= {"expected_sm3": sm3, "actual_sm3": actual_sm3}
        return Finding("blob_changed", "原始文件已被改动：内容摘要与登记不符", item, detail)
    return None


def _batches(keys: Iterator[str]) -> Iterator[list[str]]:
    batch: list[str] = []
    for key in keys:
        batch.append(key)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def verify_blobs(
    *,
    sample: float | None = None,
    store: BlobStore | None = None,
    with_sm3: bool = False,
    rng: random.Random | None = None,
    stats: dict[str, Any] | None = None,
) -> list[Finding]:
    """Check the configured store against the Blob table; ``sample`` (0–1] re-hashes only that fraction.

    Blobs not drawn in a sample are still checked for presence, and the untracked check always
    covers the whole store (listing is cheap). ``with_sm3`` also recomputes SM3 (slower). ``stats`` is
    filled with counts: ``blobs`` (rows), ``blobs_rehashed``, ``blob_bytes_rehashed``, ``store_entries``.
    """
    if sample is not None and not 0 < sample <= 1:
        raise ValueError("sample must be in (0, 1]")
    store = store or get_store()
    rng = rng or random.SystemRandom()
    findings: list[Finding] = []
    counts = {"blobs": 0, "blobs_rehashed": 0, "blob_bytes_rehashed": 0, "store_entries": 0, "blobs_disposed": 0}
    disposed = disposed_keys()
    rows = Blob.objects.order_by("sha256").values_list("sha256", "sm3", "size").iterator(chunk_size=BATCH)
    for sha256, sm3, size in rows:
        counts["blobs"] += 1
        if sha256 in disposed:
            counts["blobs_disposed"] += 1
            continue
        if sample is None or rng.random() < sample:
            counts["blobs_rehashed"] += 1
            counts["blob_bytes_rehashed"] += size
            if finding := _check_row(store, sha256, sm3, size, with_sm3=with_sm3):
                findings.append(finding)
        elif not store.exists(sha256):
            findings.append(Finding("blob_missing", "原始文件缺失：账上登记的文件在存储中找不到", f"blob:{sha256}"))
    for batch in _batches(store.keys()):
        counts["store_entries"] += len(batch)
        keys = [key for key in batch if is_key(key)]
        tracked = set(Blob.objects.filter(sha256__in=keys).values_list("sha256", flat=True))
        for entry in batch:
            if entry not in tracked:
                findings.append(
                    Finding(
                        "blob_untracked",
                        "存储中有未登记的文件：没有任何记录引用它",
                        f"blob:{entry}",
                        {"well_formed_key": is_key(entry)},
                    )
                )
    if stats is not None:
        stats.update(counts)
    return findings
