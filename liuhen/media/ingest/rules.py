"""Pure rules of ingest: file names, tus metadata, kinds, times a client sends (no ORM).

Clause integ-no-tamper-original: what a client sends is kept exactly (the raw name as base64), but
only a cleaned display name is ever shown, and no name from a client is ever used to build a path.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import unicodedata

from liuhen.core.time import BEIJING
from liuhen.media.models import Flag, Kind

MAX_NAME = 255
UNNAMED = "未命名文件"


def filename_clean(raw: bytes | str) -> tuple[str, list[str]]:
    """The display name for ``raw`` and the flags the cleaning raised.

    Invalid UTF-8 is decoded with replacement characters (flag ``invalid_filename_encoding``); any
    directory part (``/`` or ``\\``), control character or a name of only dots is removed (flag
    ``unsafe_filename``).
    """
    flags: list[str] = []
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("utf-8", errors="replace")
            flags.append(Flag.INVALID_FILENAME_ENCODING.value)
    else:
        text = raw
    base = re.split(r"[\\/]", text)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if cleaned.strip(".") == "":
        cleaned = UNNAMED
    if cleaned != text:
        flags.append(Flag.UNSAFE_FILENAME.value)
    if len(cleaned) > MAX_NAME:
        stem, dot, ext = cleaned.rpartition(".")
        cleaned = (stem[: MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) < 16 else cleaned[:MAX_NAME]
    return cleaned, flags


def tus_metadata_parse(header: str) -> dict[str, bytes]:
    """``Upload-Metadata``: comma-separated ``key base64value`` pairs (value optional) → raw bytes.

    Raises ValueError on a malformed header (bad key, bad base64, repeated key).
    """
    result: dict[str, bytes] = {}
    if not header.strip():
        return result
    for part in header.split(","):
        bits = part.strip().split(" ")
        if not bits or not bits[0] or len(bits) > 2 or not re.fullmatch(r"[!-~]+", bits[0]):
            raise ValueError(f"bad metadata pair {part!r}")
        key = bits[0]
        if key in result:
            raise ValueError(f"repeated metadata key {key!r}")
        try:
            result[key] = base64.b64decode(bits[1], validate=True) if len(bits) == 2 else b""
        except (binascii.Error, ValueError) as exc:
            raise ValueError(f"bad base64 for {key!r}") from exc
    return result


def text_of(value: bytes | None) -> str:
    """A metadata value as text (invalid UTF-8 replaced; control characters dropped)."""
    if not value:
        return ""
    text = value.decode("utf-8", errors="replace")
    return "".join(ch for ch in text if unicodedata.category(ch)[0] != "C").strip()


_EXT_KIND = {
    **dict.fromkeys(("mp4", "mov", "avi", "mkv", "ts", "m4v", "3gp", "flv", "wmv"), Kind.VIDEO),
    **dict.fromkeys(("m4a", "aac", "mp3", "wav", "amr", "ogg", "opus", "flac", "wma"), Kind.AUDIO),
    **dict.fromkeys(("jpg", "jpeg", "png", "heic", "heif", "bmp", "tif", "tiff", "webp"), Kind.PHOTO),
}


def kind_guess(content_type: str, filename: str) -> str:
    """The kind a record claims by its declared type or, failing that, its extension."""
    major = content_type.split("/", 1)[0].strip().lower()
    by_type = {"video": Kind.VIDEO, "audio": Kind.AUDIO, "image": Kind.PHOTO}.get(major)
    if by_type:
        return by_type.value
    ext = filename.rpartition(".")[2].lower() if "." in filename else ""
    return _EXT_KIND.get(ext, Kind.UNKNOWN).value


def datetime_parse(value: str) -> dt.datetime | None:
    """An ISO 8601 time; a naive one is taken as Beijing time. None when empty; ValueError when bad."""
    value = value.strip()
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=BEIJING)
    return parsed
