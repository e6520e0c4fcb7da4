"""Local-filesystem blob store (the default): ``<root>/objects/ab/cd/<sha256>``, files 0444.

Clause integ-no-tamper-original. A write goes to ``<root>/tmp/`` (same filesystem), is fsynced, made
read-only, then hard-linked to its final name: ``link`` fails if the name exists, so a final file is
never replaced, and it appears only once complete. The shard directory is fsynced after the link.

While writing, the temporary file holds an exclusive ``flock``. A writer that dies (killed, power
lost) releases it; ``cleanup`` removes only temporary files whose lock it can take, so it never
pulls a file from under a live writer in another process.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO

from liuhen.ledger.blobstore.backends.base import PutResult, Stream, check_key, is_key
from liuhen.ledger.blobstore.errors import BlobNotFound
from liuhen.ledger.blobstore.hashing import CHUNK_SIZE, DualHasher, iter_chunks

log = logging.getLogger(__name__)

TMP_SUFFIX = ".part"


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


class LocalBlobStore:
    name = "local"

    def __init__(self, root: Path | str, *, chunk_size: int = CHUNK_SIZE) -> None:
        self.root = Path(root)
        self.objects = self.root / "objects"
        self.tmp = self.root / "tmp"
        self.chunk_size = chunk_size
        for folder in (self.root, self.objects, self.tmp):
            folder.mkdir(parents=True, exist_ok=True)

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def path(self, key: str) -> Path:
        check_key(key)
        return self.objects / key[:2] / key[2:4] / key

    # -- writing -------------------------------------------------------------------------------

    def _open_temp(self) -> tuple[int, Path]:
        path = self.tmp / f"{os.getpid()}-{uuid.uuid4().hex}{TMP_SUFFIX}"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return fd, path

    def _make_dirs(self, folder: Path) -> None:
        """Create shard folders, fsyncing each parent so the new entries survive a crash."""
        missing = []
        current = folder
        while not current.exists():
            missing.append(current)
            current = current.parent
        for new in reversed(missing):
            try:
                new.mkdir()
            except FileExistsError:
                continue
            _fsync_dir(new.parent)

    def put(self, stream: Stream) -> PutResult:
        fd, tmp_path = self._open_temp()
        hasher = DualHasher()
        try:
            for chunk in iter_chunks(stream, self.chunk_size):
                hasher.update(chunk)
                _write_all(fd, chunk)
            os.fchmod(fd, 0o444)
            os.fsync(fd)
            sha256, sm3 = hasher.hexdigests()
            final = self.path(sha256)
            self._make_dirs(final.parent)
            created = self._link(tmp_path, final)
            if created:
                _fsync_dir(final.parent)
            elif (existing := final.stat().st_size) != hasher.size:
                # Never replaced: verification reports the damaged original by name.
                log.warning("blob %s already stored with size %s, not %s", sha256, existing, hasher.size)
            return PutResult(sha256=sha256, sm3=sm3, size=hasher.size, created=created)
        finally:
            hasher.close()
            try:
                os.unlink(tmp_path)
            finally:
                os.close(fd)

    @staticmethod
    def _link(tmp_path: Path, final: Path) -> bool:
        try:
            os.link(tmp_path, final)
            return True
        except FileExistsError:
            return False
        except OSError as exc:
            # Filesystems without hard links: fall back to rename, which is atomic but not exclusive.
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK):
                raise
            if final.exists():
                return False
            os.rename(tmp_path, final)
            return True

    # -- reading -------------------------------------------------------------------------------

    def open(self, key: str) -> IO[bytes]:
        try:
            return open(self.path(key), "rb", buffering=0)
        except FileNotFoundError:
            raise BlobNotFound(key=key) from None

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        try:
            return self.path(key).stat().st_size
        except FileNotFoundError:
            raise BlobNotFound(key=key) from None

    def keys(self) -> Iterator[str]:
        """Keys in ascending order; an entry in the wrong place is yielded as its relative path."""
        for first in sorted(os.scandir(self.objects), key=lambda e: e.name):
            if not first.is_dir(follow_symlinks=False):
                yield first.name
                continue
            for second in sorted(os.scandir(first.path), key=lambda e: e.name):
                if not second.is_dir(follow_symlinks=False):
                    yield f"{first.name}/{second.name}"
                    continue
                for entry in sorted(os.scandir(second.path), key=lambda e: e.name):
                    name = entry.name
                    placed = is_key(name) and name[:2] == first.name and name[2:4] == second.name
                    yield (
                        name
                        if placed and entry.is_file(follow_symlinks=False)
                        else f"{first.name}/{second.name}/{name}"
                    )

    def extend_retention(self, key: str, until: datetime) -> bool:
        check_key(key)
        return False

    # -- recovery ------------------------------------------------------------------------------

    def cleanup(self, *, min_age_seconds: float = 60.0) -> int:
        """Delete temporary files of dead writers (their lock is free) older than ``min_age_seconds``.

        The age guard covers the instant between a writer creating its file and locking it.
        """
        removed = 0
        now = time.time()
        for entry in os.scandir(self.tmp):
            if not entry.name.endswith(TMP_SUFFIX):
                continue
            try:
                if now - entry.stat().st_mtime < min_age_seconds:
                    continue
                fd = os.open(entry.path, os.O_RDONLY)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                continue  # a live writer holds it
            try:
                os.unlink(entry.path)
                removed += 1
            except FileNotFoundError:
                pass
            finally:
                os.close(fd)
        if removed:
            log.info("blob store %s: removed %d unfinished temporary file(s)", self.root, removed)
        return removed
