"""Hash a stream with SHA-256 and SM3 in one pass, memory flat.

SM3 (GB/T 32905) through OpenSSL runs at roughly a fifth of SHA-256's speed on x86 with SHA-NI, so it
runs in its own thread: hashlib releases the GIL for large updates, and the thread that reads, writes
and computes SHA-256 keeps going while SM3 catches up. The queue between them is bounded, so at most
``QUEUE_DEPTH`` chunks are in flight whatever the size of the stream.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Iterable, Iterator
from typing import IO, Any

CHUNK_SIZE = 1024 * 1024
QUEUE_DEPTH = 4
_STOP = object()


def iter_chunks(stream: IO[bytes] | Iterable[bytes] | bytes, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """Yield immutable byte chunks from a binary file object, an iterable of chunks, or bytes."""
    if isinstance(stream, bytes | bytearray | memoryview):
        data = bytes(stream)
        for start in range(0, len(data), chunk_size):
            yield data[start : start + chunk_size]
        return
    read = getattr(stream, "read", None)
    if read is not None:
        while True:
            chunk = read(chunk_size)
            if not chunk:
                return
            yield chunk if isinstance(chunk, bytes) else bytes(chunk)
    else:
        for chunk in stream:
            if chunk:
                # A producer may reuse its buffer; the SM3 thread must see the bytes as they were.
                yield chunk if isinstance(chunk, bytes) else bytes(chunk)


class DualHasher:
    """SHA-256 in the caller's thread, SM3 in a worker thread fed through a bounded queue."""

    def __init__(self) -> None:
        self.sha256 = hashlib.sha256()
        self.sm3 = hashlib.new("sm3")
        self.size = 0
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sm3-hasher", daemon=True)
        self._thread.start()
        self._closed = False

    def _run(self) -> None:
        update = self.sm3.update
        while True:
            chunk = self._queue.get()
            if chunk is _STOP:
                return
            if self._error is None:
                try:
                    update(chunk)
                except BaseException as exc:  # pragma: no cover - OpenSSL failing mid-stream
                    self._error = exc

    def update(self, chunk: bytes) -> None:
        self._queue.put(chunk)
        self.sha256.update(chunk)
        self.size += len(chunk)

    def close(self) -> None:
        """Stop the worker (also on failure, so no thread outlives an aborted write)."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join()

    def hexdigests(self) -> tuple[str, str]:
        self.close()
        if self._error is not None:
            raise self._error
        return self.sha256.hexdigest(), self.sm3.hexdigest()

    def __enter__(self) -> DualHasher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
