"""S3-compatible blob store (boto3): ``<prefix>ab/cd/<sha256>``, object-lock retention where the bucket has it.

Clauses integ-no-tamper-original, integ-no-destroy-within-retention. A write streams the content as a
multipart upload under a temporary key (``tmp/<uuid>``), hashing each part as it goes (memory: one
part plus the hasher's queue). Only when the upload is complete and its digests known is it copied,
server-side and atomically, to its final key with the digests as metadata and, where the bucket has
object lock and ``lock_days`` > 0, a retention date. The final object is checked (size, digest
metadata, lock) and the temporary object deleted. An interrupted write leaves at most a temporary
object or an unfinished multipart upload, never anything under a final key; ``cleanup`` removes them.

Do not give the bucket a default retention rule: it would lock the temporary objects too.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import logging
import uuid
from collections.abc import Iterator
from typing import IO, Any

from liuhen.ledger.blobstore.backends.base import PutResult, Stream, check_key, is_key
from liuhen.ledger.blobstore.errors import BlobNotFound, BlobStoreError, BlobStoreMisconfigured
from liuhen.ledger.blobstore.hashing import DualHasher, iter_chunks

log = logging.getLogger(__name__)

PART_SIZE = 8 * 1024 * 1024  # S3 needs >= 5 MiB for every part but the last
SINGLE_COPY_LIMIT = 5 * 1024**3  # CopyObject's limit; larger objects are copied in parts
LOCK_MODES = ("COMPLIANCE", "GOVERNANCE")


def _is_not_found(exc: Exception) -> bool:
    code = str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound", "NoSuchVersion")


class _BodyReader(io.RawIOBase):
    """A botocore StreamingBody as a standard binary stream (``read``, ``readinto``, ``with``)."""

    def __init__(self, body: Any) -> None:
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


class S3BlobStore:
    name = "s3"

    def __init__(
        self,
        *,
        bucket: str,
        endpoint: str = "",
        access_key: str = "",
        secret_key: str = "",
        region: str = "us-east-1",
        lock_days: int = 0,
        lock_mode: str = "COMPLIANCE",
        prefix: str = "blobs/",
        tmp_prefix: str = "tmp/",
        part_size: int = PART_SIZE,
        client: Any = None,
    ) -> None:
        if not bucket:
            raise BlobStoreMisconfigured("未配置对象存储桶 LIUHEN_S3_BUCKET", code="blob_store_misconfigured")
        if lock_mode not in LOCK_MODES:
            raise BlobStoreMisconfigured(f"对象锁定模式必须是 {' 或 '.join(LOCK_MODES)}")
        if part_size < 5 * 1024 * 1024:
            raise BlobStoreMisconfigured("分段上传的分段不得小于 5 MiB")
        self.bucket = bucket
        self.prefix = prefix
        self.tmp_prefix = tmp_prefix
        self.part_size = part_size
        self.lock_days = lock_days
        self.lock_mode = lock_mode
        self._lock_supported: bool | None = None
        if client is None:
            import boto3  # imported here: the local store never pays for it
            from botocore.config import Config

            client = boto3.client(
                "s3",
                endpoint_url=endpoint or None,
                aws_access_key_id=access_key or None,
                aws_secret_access_key=secret_key or None,
                region_name=region,
                config=Config(
                    s3={"addressing_style": "path"},
                    signature_version="s3v4",
                    retries={"max_attempts": 3, "mode": "standard"},
                ),
            )
        self.client = client

    def __repr__(self) -> str:
        return f"S3BlobStore(bucket={self.bucket!r}, prefix={self.prefix!r})"

    def object_key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}{key[:2]}/{key[2:4]}/{key}"

    # -- object lock ---------------------------------------------------------------------------

    @property
    def lock_supported(self) -> bool:
        """Whether the bucket has object lock enabled (asked once per store)."""
        if self._lock_supported is None:
            try:
                conf = self.client.get_object_lock_configuration(Bucket=self.bucket)
                enabled = conf.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled"
            except Exception as exc:  # ObjectLockConfigurationNotFoundError, NotImplemented, ...
                log.info("bucket %s: no object lock (%s)", self.bucket, exc)
                enabled = False
            self._lock_supported = enabled
        return self._lock_supported

    def _default_until(self) -> dt.datetime | None:
        if self.lock_days <= 0 or not self.lock_supported:
            return None
        return dt.datetime.now(dt.UTC) + dt.timedelta(days=self.lock_days)

    def retention(self, key: str) -> tuple[str, dt.datetime] | None:
        """The blob's current object-lock retention (mode, retain-until), or None."""
        try:
            found = self.client.get_object_retention(Bucket=self.bucket, Key=self.object_key(key))["Retention"]
        except Exception as exc:
            if _is_not_found(exc):
                raise BlobNotFound(key=key) from None
            return None
        return found["Mode"], found["RetainUntilDate"]

    def extend_retention(self, key: str, until: dt.datetime) -> bool:
        if not self.lock_supported:
            return False
        current = self.retention(key)
        if current is not None and current[1] >= until:
            return True  # retention only grows
        self.client.put_object_retention(
            Bucket=self.bucket,
            Key=self.object_key(key),
            Retention={"Mode": current[0] if current else self.lock_mode, "RetainUntilDate": until},
        )
        return True

    # -- writing -------------------------------------------------------------------------------

    def _parts(self, stream: Stream) -> Iterator[bytes]:
        """Re-chunk the stream into parts of ``part_size``; the last is shorter, possibly empty."""
        buffer = bytearray()
        for chunk in iter_chunks(stream):
            buffer += chunk
            while len(buffer) >= self.part_size:
                yield bytes(buffer[: self.part_size])
                del buffer[: self.part_size]
        yield bytes(buffer)

    def _upload_temp(self, stream: Stream, hasher: DualHasher, tmp_key: str) -> str | None:
        """Upload under ``tmp_key``; returns the temporary object's version id (versioned buckets)."""
        parts = self._parts(stream)
        first = next(parts)
        second = next(parts, None)
        if second is None or not second:  # the whole content fits in one part
            hasher.update(first)
            return self.client.put_object(Bucket=self.bucket, Key=tmp_key, Body=first).get("VersionId")
        upload_id = self.client.create_multipart_upload(Bucket=self.bucket, Key=tmp_key)["UploadId"]
        try:
            done = []
            for number, body in enumerate(itertools.chain((first, second), parts), start=1):
                if not body:  # only the last can be empty
                    break
                hasher.update(body)
                part = self.client.upload_part(
                    Bucket=self.bucket, Key=tmp_key, UploadId=upload_id, PartNumber=number, Body=body
                )
                done.append({"PartNumber": number, "ETag": part["ETag"]})
            response = self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=tmp_key, UploadId=upload_id, MultipartUpload={"Parts": done}
            )
            return response.get("VersionId")
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=tmp_key, UploadId=upload_id)
            except Exception:  # cleanup() will find it
                log.warning("could not abort multipart upload %s of %s", upload_id, tmp_key, exc_info=True)
            raise

    def _copy_to_final(self, tmp_key: str, final_key: str, size: int, sha256: str, sm3: str) -> None:
        extra: dict[str, Any] = {"Metadata": {"sha256": sha256, "sm3": sm3}, "MetadataDirective": "REPLACE"}
        until = self._default_until()
        if until is not None:
            extra |= {"ObjectLockMode": self.lock_mode, "ObjectLockRetainUntilDate": until}
        source = {"Bucket": self.bucket, "Key": tmp_key}
        if size < SINGLE_COPY_LIMIT:
            self.client.copy_object(Bucket=self.bucket, Key=final_key, CopySource=source, **extra)
        else:
            from boto3.s3.transfer import TransferConfig

            config = TransferConfig(multipart_threshold=SINGLE_COPY_LIMIT, multipart_chunksize=512 * 1024**2)
            self.client.copy(source, self.bucket, final_key, ExtraArgs=extra, Config=config)
        head = self.client.head_object(Bucket=self.bucket, Key=final_key)
        if head["ContentLength"] != size or head.get("Metadata", {}).get("sha256") != sha256:
            raise BlobStoreError("对象存储复制结果与上传内容不符", code="blob_copy_mismatch", key=sha256)
        if until is not None and not head.get("ObjectLockMode"):
            # Some servers drop lock headers on copy; set the retention explicitly.
            self.client.put_object_retention(
                Bucket=self.bucket, Key=final_key, Retention={"Mode": self.lock_mode, "RetainUntilDate": until}
            )

    def put(self, stream: Stream) -> PutResult:
        tmp_key = f"{self.tmp_prefix}{uuid.uuid4().hex}"
        hasher = DualHasher()
        version: str | None = None
        uploaded = False
        try:
            version = self._upload_temp(stream, hasher, tmp_key)
            uploaded = True
            sha256, sm3 = hasher.hexdigests()
            final_key = self.object_key(sha256)
            created = not self._head_exists(final_key)
            if created:
                self._copy_to_final(tmp_key, final_key, hasher.size, sha256, sm3)
            return PutResult(sha256=sha256, sm3=sm3, size=hasher.size, created=created)
        finally:
            hasher.close()
            if uploaded:
                self._delete_temp(tmp_key, version)

    def _delete_temp(self, tmp_key: str, version: str | None) -> None:
        try:
            if version:
                self.client.delete_object(Bucket=self.bucket, Key=tmp_key, VersionId=version)
            else:
                self.client.delete_object(Bucket=self.bucket, Key=tmp_key)
        except Exception:
            log.warning("could not delete temporary object %s", tmp_key, exc_info=True)

    # -- reading -------------------------------------------------------------------------------

    def _head_exists(self, object_key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=object_key)
            return True
        except Exception as exc:
            if _is_not_found(exc):
                return False
            raise

    def open(self, key: str) -> IO[bytes]:
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))["Body"]
        except Exception as exc:
            if _is_not_found(exc):
                raise BlobNotFound(key=key) from None
            raise
        return io.BufferedReader(_BodyReader(body), buffer_size=1024 * 1024)

    def exists(self, key: str) -> bool:
        return self._head_exists(self.object_key(key))

    def size(self, key: str) -> int:
        try:
            return int(self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))["ContentLength"])
        except Exception as exc:
            if _is_not_found(exc):
                raise BlobNotFound(key=key) from None
            raise

    def keys(self) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                rest = item["Key"][len(self.prefix) :]
                name = rest.rsplit("/", 1)[-1]
                yield name if is_key(name) and rest == f"{name[:2]}/{name[2:4]}/{name}" else rest

    # -- recovery ------------------------------------------------------------------------------

    def cleanup(self, *, min_age_seconds: float = 24 * 3600.0) -> int:
        """Abort unfinished multipart uploads and delete temporary objects older than ``min_age_seconds``.

        S3 has no lock that says a writer is alive, so age alone decides: keep it above the longest upload.
        """
        cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=min_age_seconds)
        removed = 0
        for page in self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self.tmp_prefix
        ):
            for upload in page.get("Uploads", []):
                if upload["Initiated"] <= cutoff:
                    self.client.abort_multipart_upload(
                        Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                    )
                    removed += 1
        for page in self.client.get_paginator("list_object_versions").paginate(
            Bucket=self.bucket, Prefix=self.tmp_prefix
        ):
            for item in page.get("Versions", []) + page.get("DeleteMarkers", []):
                if item["LastModified"] <= cutoff:
                    args = {"Bucket": self.bucket, "Key": item["Key"]}
                    if item.get("VersionId") and item["VersionId"] != "null":
                        args["VersionId"] = item["VersionId"]
                    self.client.delete_object(**args)
                    removed += 1
        return removed
