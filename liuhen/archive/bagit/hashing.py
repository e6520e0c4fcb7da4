"""Streaming digests of one file with several algorithms in one read, memory flat.

Each algorithm beyond the first runs in its own thread fed through a bounded queue (hashlib releases
the GIL for large updates), so SHA-256, SHA-512 and SM3 of a file cost about as much wall time as the
slowest of them, not their sum. At most ``QUEUE_DEPTH`` chunks per thread are in flight.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

CHUNK_SIZE = 4 * 1024 * 1024
QUEUE_DEPTH = 4
_STOP = object()

#: The algorithms every Liuhen package carries, in manifest order.
ALGORITHMS: tuple[str, ...] = ("sha256", "sha512", "sm3")


class _Worker(threading.Thread):
    def __init__(self, algorithm: str) -> None:
        super().__init__(name=f"hash-{algorithm}", daemon=True)
        self.hash = hashlib.new(algorithm)
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self.error: BaseException | None = None

    def run(self) -> None:
        update = self.hash.update
        while True:
            chunk = self.queue.get()
            if chunk is _STOP:
                return
            if self.error is None:
                try:
                    update(chunk)
                except BaseException as exc:  # pragma: no cover - OpenSSL failing mid-stream
                    self.error = exc


class MultiHasher:
    """Feed chunks once; get a hex digest per algorithm. The first algorithm runs in the caller's thread."""

    def __init__(self, algorithms: Sequence[str] = ALGORITHMS) -> None:
        if not algorithms:
            raise ValueError("at least one algorithm")
        self.algorithms = tuple(algorithms)
        self._first = hashlib.new(self.algorithms[0])
        self._workers = [_Worker(a) for a in self.algorithms[1:]]
        for worker in self._workers:
            worker.start()
        self.size = 0
        self._closed = False

    def update(self, chunk: bytes) -> None:
        for worker in self._workers:
            worker.queue.put(chunk)
        self._first.update(chunk)
        self.size += len(chunk)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            for worker in self._workers:
                worker.queue.put(_STOP)
            for worker in self._workers:
                worker.join()

    def hexdigests(self) -> dict[str, str]:
        self.close()
        out = {self.algorithms[0]: self._first.hexdigest()}
        for worker in self._workers:
            if worker.error is not None:
                raise worker.error
            out[worker.hash.name] = worker.hash.hexdigest()
        return out

    def __enter__(self) -> MultiHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def iter_stream(stream: IO[bytes], chunk_size: int = CHUNK_SIZE) -> Iterable[bytes]:
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            return
        yield chunk


def file_digests(path: Path | str, algorithms: Sequence[str] = ALGORITHMS) -> tuple[dict[str, str], int]:
    """(hex digest per algorithm, size) of the file at ``path``, read once."""
    with open(path, "rb", buffering=0) as stream, MultiHasher(algorithms) as hasher:
        for chunk in iter_stream(stream):
            hasher.update(chunk)
        return hasher.hexdigests(), hasher.size


def copy_with_digests(
    source: IO[bytes], target: IO[bytes], algorithms: Sequence[str] = ALGORITHMS
) -> tuple[dict[str, str], int]:
    """Copy ``source`` to ``target`` and hash what went through, in one pass."""
    with MultiHasher(algorithms) as hasher:
        for chunk in iter_stream(source):
            target.write(chunk)
            hasher.update(chunk)
        return hasher.hexdigests(), hasher.size
