"""The configured blob store: ``get_store()`` (LIUHEN_STORAGE = "local" | "s3").

One store object per configuration and process. The first time a process opens a local store it
removes what writers killed earlier left in its temporary folder (their locks are free).
"""

from __future__ import annotations

import threading

from django.conf import settings

from liuhen.ledger.blobstore.backends.base import BlobStore, PutResult, Stream, check_key, is_key
from liuhen.ledger.blobstore.backends.local import LocalBlobStore
from liuhen.ledger.blobstore.backends.s3 import S3BlobStore
from liuhen.ledger.blobstore.errors import BlobStoreMisconfigured

__all__ = [
    "BlobStore",
    "LocalBlobStore",
    "PutResult",
    "Stream",
    "check_key",
    "get_store",
    "is_key",
    "store_from_settings",
]

_stores: dict[tuple, BlobStore] = {}
_lock = threading.Lock()


def _config() -> tuple:
    kind = getattr(settings, "LIUHEN_STORAGE", "local")
    if kind == "local":
        return ("local", str(getattr(settings, "LIUHEN_BLOB_DIR", settings.DATA_DIR / "blobs")))
    if kind == "s3":
        return (
            "s3",
            settings.LIUHEN_S3_ENDPOINT,
            settings.LIUHEN_S3_BUCKET,
            settings.LIUHEN_S3_ACCESS_KEY,
            settings.LIUHEN_S3_SECRET_KEY,
            getattr(settings, "LIUHEN_S3_REGION", "us-east-1"),
            int(settings.LIUHEN_S3_OBJECT_LOCK_DAYS),
            getattr(settings, "LIUHEN_S3_OBJECT_LOCK_MODE", "COMPLIANCE"),
        )
    raise BlobStoreMisconfigured(f"未知的存储后端 LIUHEN_STORAGE={kind!r}（应为 local 或 s3）")


def store_from_settings(config: tuple) -> BlobStore:
    if config[0] == "local":
        store = LocalBlobStore(config[1])
        store.cleanup()
        return store
    _, endpoint, bucket, access_key, secret_key, region, lock_days, lock_mode = config
    return S3BlobStore(
        endpoint=endpoint,
        bucket=bucket,
        access_key=access_key,
        secret_key=secret_key,
        region=region,
        lock_days=lock_days,
        lock_mode=lock_mode,
    )


def get_store() -> BlobStore:
    """The store the settings name (re-read each call, so tests can override the settings)."""
    config = _config()
    with _lock:
        store = _stores.get(config)
        if store is None:
            store = _stores[config] = store_from_settings(config)
    return store
