"""Reading blobs: look up the row, open the bytes. Permission checks belong to the apps that own the records."""

from __future__ import annotations

from typing import IO

from liuhen.ledger.blobstore.backends import BlobStore, check_key, get_store
from liuhen.ledger.blobstore.errors import BlobNotFound
from liuhen.ledger.blobstore.models import Blob


def blob_get(*, sha256: str) -> Blob:
    check_key(sha256)
    try:
        return Blob.objects.get(pk=sha256)
    except Blob.DoesNotExist:
        raise BlobNotFound(key=sha256) from None


def blob_open(*, sha256: str, store: BlobStore | None = None) -> IO[bytes]:
    """A binary stream of a tracked blob's bytes (the caller closes it)."""
    blob_get(sha256=sha256)
    return (store or get_store()).open(sha256)
