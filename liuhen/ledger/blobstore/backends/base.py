"""The blob store interface: put a stream, read it back, list, size. Nothing else.

Clause integ-no-tamper-original: there is no overwrite and no delete here at all. Disposal after the
retention period is a separate, audited path (the archive app), never a method of a store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Protocol, runtime_checkable

from liuhen.ledger.blobstore.errors import BlobKeyInvalid

KEY_RE = re.compile(r"[0-9a-f]{64}")

Stream = IO[bytes] | Iterable[bytes] | bytes


@dataclass(frozen=True)
class PutResult:
    sha256: str
    sm3: str
    size: int
    created: bool  # False when a blob with this content was already stored (a no-op)


def check_key(key: str) -> str:
    """A key is a lowercase SHA-256 hex digest; anything else (paths, ``..``) is refused."""
    if not isinstance(key, str) or not KEY_RE.fullmatch(key):
        raise BlobKeyInvalid(key=str(key)[:80])
    return key


def is_key(name: str) -> bool:
    return bool(KEY_RE.fullmatch(name))


@runtime_checkable
class BlobStore(Protocol):
    """A content-addressed, write-once store. Keys are SHA-256 hex digests of the content."""

    name: str  # "local" or "s3": recorded on each Blob row

    def put(self, stream: Stream) -> PutResult:
        """Store the bytes of ``stream`` (a binary file object, an iterable of chunks or bytes).

        Hashes (SHA-256 and SM3) while writing, memory flat. Nothing appears under the final key
        until the whole content is durably stored. The same content again is a no-op (created False).
        """
        ...

    def open(self, key: str) -> IO[bytes]:
        """A binary stream of the blob's bytes (close it). Raises BlobNotFound."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """Raises BlobNotFound."""
        ...

    def keys(self) -> Iterator[str]:
        """Every entry stored under the final keys, well-formed or not (so verification can name strays)."""
        ...

    def extend_retention(self, key: str, until: datetime) -> bool:
        """Make the storage itself refuse deletion until ``until`` where it can (S3 object lock).

        Retention only grows. Returns False where the backend has no such lock (local files: 0444 only).
        """
        ...

    def cleanup(self, *, min_age_seconds: float = ...) -> int:
        """Remove what interrupted writes left in the temporary area; never touches stored blobs."""
        ...
