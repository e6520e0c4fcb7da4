"""Where ingest keeps bytes in flight and how large they may be (settings), and a readable path to a
stored original for the programs that need one (PyAV seeks, so an object-store blob is copied first).

``LIUHEN_UPLOAD_DIR`` (default ``DATA_DIR/uploads``) holds uploads in flight and temporary copies;
``LIUHEN_UPLOAD_EXPIRY_HOURS`` (24) how long an untouched upload lives; ``LIUHEN_UPLOAD_MAX_BYTES``
(64 GiB) the largest tus upload; ``LIUHEN_MULTIPART_MAX_BYTES`` (50 MiB) the largest form upload.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings

from liuhen.ledger.blobstore.backends import get_store

WRITE_CHUNK = 1024 * 1024


def upload_dir() -> Path:
    configured = getattr(settings, "LIUHEN_UPLOAD_DIR", "")
    path = Path(configured) if configured else Path(settings.DATA_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def upload_expiry() -> dt.timedelta:
    return dt.timedelta(hours=float(getattr(settings, "LIUHEN_UPLOAD_EXPIRY_HOURS", 24)))


def upload_max_bytes() -> int:
    return int(getattr(settings, "LIUHEN_UPLOAD_MAX_BYTES", 64 * 1024**3))


def multipart_max_bytes() -> int:
    return int(getattr(settings, "LIUHEN_MULTIPART_MAX_BYTES", 50 * 1024**2))


@contextlib.contextmanager
def original_path(blob_id: str, *, prefix: str) -> Iterator[Path]:
    """A path to read the stored blob from: its own file in a local store, else a temporary copy."""
    store = get_store()
    local = getattr(store, "path", None)
    if local is not None and Path(local(blob_id)).exists():
        yield Path(local(blob_id))
        return
    with tempfile.NamedTemporaryFile(dir=upload_dir(), prefix=prefix) as tmp:
        with store.open(blob_id) as src:
            shutil.copyfileobj(src, tmp, WRITE_CHUNK)
        tmp.flush()
        yield Path(tmp.name)
