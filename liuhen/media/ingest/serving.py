"""Streaming a stored blob over HTTP with byte ranges (RFC 9110 §14), so a browser can seek in a video.

One range per request (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``); a request for several ranges gets
the whole file (200), which RFC 9110 allows. A range that starts past the end gets 416 with
``Content-Range: bytes */size``. The body is read from the blob store 256 KiB at a time, so memory
stays flat for any size. Who may read is decided before this is called; this only moves bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from liuhen.ledger.blobstore.backends import get_store

CHUNK = 256 * 1024
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


@dataclass(frozen=True)
class ByteRange:
    start: int
    end: int  # inclusive

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class Unsatisfiable(Exception):
    pass


def range_parse(header: str, size: int) -> ByteRange | None:
    """The one range asked for, None for the whole file; raises ``Unsatisfiable`` when it lies past the end."""
    header = (header or "").strip().replace(" ", "")
    if not header:
        return None
    match = _RANGE.match(header)
    if match is None:  # several ranges or another unit: serve the whole file
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # a suffix: the last n bytes
        n = int(last)
        if n == 0:
            raise Unsatisfiable()
        return ByteRange(max(0, size - n), size - 1) if size else None
    start = int(first)
    if start >= size:
        raise Unsatisfiable()
    end = min(int(last), size - 1) if last else size - 1
    if end < start:
        return None  # syntactically invalid: ignore the header
    return ByteRange(start, end)


def _chunks(fh: IO[bytes], start: int, length: int) -> Iterator[bytes]:
    try:
        if start:
            if fh.seekable():
                fh.seek(start)
            else:  # an object-store stream: read past what is not wanted
                left = start
                while left > 0:
                    skipped = fh.read(min(CHUNK, left))
                    if not skipped:
                        return
                    left -= len(skipped)
        left = length
        while left > 0:
            data = fh.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data
    finally:
        fh.close()


def blob_response(
    request: HttpRequest,
    *,
    sha256: str,
    size: int,
    content_type: str,
    filename: str = "",
    attachment: bool = False,
) -> HttpResponse:
    """200 / 206 / 304 / 416 for the blob ``sha256`` (its digest is the ETag: content never changes)."""
    etag = f'"{sha256}"'
    common = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Cache-Control": "private, max-age=3600",
        "X-Content-Type-Options": "nosniff",
    }
    if request.headers.get("If-None-Match") == etag and "Range" not in request.headers:
        response = HttpResponse(status=304)
        for name, value in common.items():
            response[name] = value
        return response
    try:
        wanted = range_parse(request.headers.get("Range", ""), size)
    except Unsatisfiable:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        for name, value in common.items():
            response[name] = value
        return response
    if_range = request.headers.get("If-Range")
    if wanted is not None and if_range and if_range != etag:
        wanted = None  # the client's copy is of other content: send it all
    start, length = (wanted.start, wanted.length) if wanted else (0, size)
    if request.method == "HEAD":
        response: HttpResponse = HttpResponse(status=206 if wanted else 200, content_type=content_type)
    else:
        body = _chunks(get_store().open(sha256), start, length)
        response = StreamingHttpResponse(body, status=206 if wanted else 200, content_type=content_type)
    response["Content-Length"] = str(length)
    if wanted:
        response["Content-Range"] = f"bytes {wanted.start}-{wanted.end}/{size}"
    for name, value in common.items():
        response[name] = value
    if filename:
        response["Content-Disposition"] = content_disposition_header(attachment, filename)
    return response
