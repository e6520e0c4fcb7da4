"""Where an off-site replica lives: a folder (on another disk) or ``s3://bucket/prefix`` (clause store-offsite-backup).

A replica holds ``blobs/`` (a blob store of the primary's layout, so the write-once, hashed and fsynced
``put`` is the one already proven for originals), ``ledger/`` (event segments, the checkpoint mirror,
the public key) and ``db/`` (database snapshots). Files other than blobs are written whole under a
temporary name, fsynced and then linked (folder) or put in one request (S3), so a name only appears
once its bytes are complete; ``write_new`` never replaces an existing name.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings

from liuhen.core.errors import DomainError
from liuhen.ledger.blobstore.backends.base import BlobStore
from liuhen.ledger.blobstore.backends.local import LocalBlobStore, _fsync_dir
from liuhen.ledger.blobstore.backends.s3 import S3BlobStore, _BodyReader, _is_not_found

S3_SCHEME = "s3://"


class ReplicationError(DomainError):
    code = "replication_error"
    status = 500
    message = "异地副本操作失败"


class ReplicaTargetInvalid(ReplicationError):
    code = "replica_target_invalid"
    status = 400
    message = "异地副本位置无效：应为文件夹路径或 s3://桶名/前缀"


class ReplicaNotFound(ReplicationError):
    code = "replica_not_found"
    status = 404
    message = "异地副本不存在"


class ReplicaTarget(Protocol):
    label: str  # for people and the ledger: never holds credentials

    @property
    def blobs(self) -> BlobStore: ...

    def exists(self) -> bool:
        """Whether anything was ever replicated here."""
        ...

    def names(self, folder: str) -> list[str]:
        """File names directly in ``folder`` ("ledger", "db"), sorted; [] when there is none."""
        ...

    def open(self, name: str) -> IO[bytes]:
        """Read ``folder/file``; raises FileNotFoundError."""
        ...

    def write_new(self, name: str, source: Path) -> bool:
        """Copy the local file ``source`` to ``name`` unless the name exists (False then). Verified."""
        ...

    def replace(self, name: str, data: bytes) -> None:
        """Atomically put ``data`` under ``name`` (mirrors such as the checkpoint list)."""
        ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _check_name(name: str) -> str:
    parts = name.split("/")
    if len(parts) != 2 or any(p in ("", ".", "..") for p in parts):
        raise ReplicaTargetInvalid(f"副本内的文件名无效：{name!r}", name=name)
    return name


class LocalTarget:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.label = str(root)
        self._blobs: LocalBlobStore | None = None

    def __repr__(self) -> str:
        return f"LocalTarget({self.label!r})"

    @property
    def blobs(self) -> LocalBlobStore:
        if self._blobs is None:
            self._blobs = LocalBlobStore(self.root / "blobs")
        return self._blobs

    def exists(self) -> bool:
        return self.root.is_dir() and any(self.root.iterdir())

    def names(self, folder: str) -> list[str]:
        path = self.root / folder
        if not path.is_dir():
            return []
        return sorted(e.name for e in os.scandir(path) if e.is_file(follow_symlinks=False))

    def open(self, name: str) -> IO[bytes]:
        return open(self.root / _check_name(name), "rb")

    def _temp(self) -> Path:
        folder = self.root / "tmp"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{os.getpid()}-{uuid.uuid4().hex}.part"

    def _write_temp(self, fill: Any) -> Path:
        tmp = self._temp()
        with tmp.open("xb") as fh:
            fill(fh)
            fh.flush()
            os.fsync(fh.fileno())
        return tmp

    def write_new(self, name: str, source: Path) -> bool:
        final = self.root / _check_name(name)
        if final.exists():
            return False
        final.parent.mkdir(parents=True, exist_ok=True)
        with source.open("rb") as src:
            tmp = self._write_temp(lambda fh: shutil.copyfileobj(src, fh, 1024 * 1024))
        try:
            if sha256_file(tmp) != sha256_file(source):
                raise ReplicationError(f"写入副本的文件与原文件不符：{name}", code="replica_copy_mismatch", name=name)
            os.chmod(tmp, 0o444)
            try:
                os.link(tmp, final)  # never replaces: a segment or snapshot is written once
            except FileExistsError:
                return False
            _fsync_dir(final.parent)
            return True
        finally:
            tmp.unlink(missing_ok=True)

    def replace(self, name: str, data: bytes) -> None:
        final = self.root / _check_name(name)
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._write_temp(lambda fh: fh.write(data))
        os.replace(tmp, final)
        _fsync_dir(final.parent)


class S3Target:
    """A bucket (and key prefix) on any S3-compatible store, reached with the LIUHEN_S3_* settings."""

    def __init__(self, bucket: str, prefix: str) -> None:
        self.bucket = bucket
        self.prefix = prefix
        self.label = f"{S3_SCHEME}{bucket}/{prefix}"
        self._store = S3BlobStore(
            bucket=bucket,
            endpoint=settings.LIUHEN_S3_ENDPOINT,
            access_key=settings.LIUHEN_S3_ACCESS_KEY,
            secret_key=settings.LIUHEN_S3_SECRET_KEY,
            region=getattr(settings, "LIUHEN_S3_REGION", "us-east-1"),
            lock_days=int(getattr(settings, "LIUHEN_S3_OBJECT_LOCK_DAYS", 0)),
            lock_mode=getattr(settings, "LIUHEN_S3_OBJECT_LOCK_MODE", "COMPLIANCE"),
            prefix=f"{prefix}blobs/",
            tmp_prefix=f"{prefix}tmp/",
        )
        self.client = self._store.client

    def __repr__(self) -> str:
        return f"S3Target({self.label!r})"

    @property
    def blobs(self) -> BlobStore:
        return self._store

    def _keys(self, prefix: str) -> Iterator[str]:
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield item["Key"]

    def exists(self) -> bool:
        try:
            response = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
        except Exception as exc:
            raise ReplicaNotFound(f"无法访问对象存储桶 {self.bucket}：{exc}", target=self.label) from None
        return bool(response.get("KeyCount") or response.get("Contents"))

    def names(self, folder: str) -> list[str]:
        base = f"{self.prefix}{folder}/"
        return sorted(k[len(base) :] for k in self._keys(base) if "/" not in k[len(base) :])

    def open(self, name: str) -> IO[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + _check_name(name))["Body"]
        except Exception as exc:
            if _is_not_found(exc):
                raise FileNotFoundError(name) from None
            raise
        return io.BufferedReader(_BodyReader(body), buffer_size=1024 * 1024)

    def _exists(self, key: str) -> bool:
        return self._store._head_exists(key)

    def write_new(self, name: str, source: Path) -> bool:
        key = self.prefix + _check_name(name)
        if self._exists(key):
            return False
        expected = sha256_file(source)
        with source.open("rb") as fh:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=fh, Metadata={"sha256": expected})
        with self.open(name) as stored:
            digest = hashlib.sha256()
            while chunk := stored.read(1024 * 1024):
                digest.update(chunk)
        if digest.hexdigest() != expected:
            raise ReplicationError(f"写入副本的文件与原文件不符：{name}", code="replica_copy_mismatch", name=name)
        return True

    def replace(self, name: str, data: bytes) -> None:
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + _check_name(name), Body=data)


def open_target(target: str) -> ReplicaTarget:
    """Parse ``target``: ``s3://bucket[/prefix]`` or a folder path outside the data folder."""
    if not isinstance(target, str) or not target.strip():
        raise ReplicaTargetInvalid(target=str(target))
    target = target.strip()
    if target.startswith(S3_SCHEME):
        bucket, _, prefix = target[len(S3_SCHEME) :].partition("/")
        prefix = prefix.strip("/")
        if not bucket or any(p in (".", "..") for p in prefix.split("/")):
            raise ReplicaTargetInvalid(target=target)
        return S3Target(bucket, f"{prefix}/" if prefix else "")
    if "://" in target:
        raise ReplicaTargetInvalid(f"不支持的异地副本位置：{target}（只支持文件夹路径或 s3://）", target=target)
    root = Path(target).expanduser().resolve()
    data_dir = Path(settings.DATA_DIR).resolve()
    if root == data_dir or data_dir in root.parents or root in data_dir.parents:
        raise ReplicaTargetInvalid(
            f"异地副本不能放在数据目录 {data_dir} 之内或之上：请使用另一块磁盘上的文件夹", target=target
        )
    if root.exists() and not root.is_dir():
        raise ReplicaTargetInvalid(f"异地副本位置不是文件夹：{root}", target=target)
    return LocalTarget(root)
