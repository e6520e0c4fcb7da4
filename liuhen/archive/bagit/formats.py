"""可用性 (DA/T 70 usability): does each file open in a format the archive accepts?

PDF through pyHanko's reader (header, cross-reference table or stream, trailer, page tree), JPEG
and PNG through Pillow (decoded, not only the header), MP4/M4A/MOV through PyAV (every packet
demuxed and counted against the container's index, the first video frame decoded; nothing else is
decoded so a multi-GB file costs one read), JSON parsed, plain text decoded as UTF-8.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path


class FormatProblem(ValueError):
    def __init__(self, message: str, code: str = "file_unreadable") -> None:
        super().__init__(message)
        self.code = code


def _pdf(path: Path) -> None:
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    with open(path, "rb") as fh:
        if not fh.read(8).startswith(b"%PDF-"):
            raise FormatProblem("不是 PDF 文件（文件头不是 %PDF-）", "format_mismatch")
        fh.seek(0)
        try:
            reader = PdfFileReader(fh, strict=False)
            pages = reader.root["/Pages"]
            count = int(pages["/Count"])
            if count < 1:
                raise FormatProblem("PDF 没有页面")
            reader.root["/Pages"]["/Kids"][0].get_object()
        except FormatProblem:
            raise
        except (PdfError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise FormatProblem(f"PDF 无法解析：{str(exc)[:120]}") from None


def _image(path: Path) -> None:
    from PIL import Image, UnidentifiedImageError

    expected = {".jpg": "JPEG", ".jpeg": "JPEG", ".png": "PNG"}[path.suffix.lower()]
    try:
        with Image.open(path) as image:
            if image.format != expected:
                raise FormatProblem(f"文件扩展名是 {path.suffix}，内容却是 {image.format}", "format_mismatch")
            image.load()
    except FormatProblem:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise FormatProblem(f"图片无法打开：{str(exc)[:120]}") from None


def _av(path: Path) -> None:
    import av

    try:
        with av.open(str(path), "r") as container:
            streams = [*container.streams.video, *container.streams.audio]
            has_video = bool(container.streams.video)
            if not streams:
                raise FormatProblem("音像文件没有音频或视频流")
            counts = dict.fromkeys((s.index for s in streams), 0)
            for packet in container.demux(streams):
                if packet.size:
                    counts[packet.stream.index] += 1
            for stream in streams:
                if stream.frames and counts[stream.index] < stream.frames:
                    raise FormatProblem(
                        f"音像文件不完整：{stream.type} 流索引记有 {stream.frames} 帧，只读到 {counts[stream.index]} 帧"
                    )
                if not counts[stream.index]:
                    raise FormatProblem(f"音像文件的 {stream.type} 流没有数据")
        if has_video:  # (a closed container's streams must not be touched: PyAV segfaults)
            with av.open(str(path), "r") as container:
                next(container.decode(video=0))
    except FormatProblem:
        raise
    except (av.FFmpegError, StopIteration, OSError, ValueError) as exc:
        raise FormatProblem(f"音像文件无法打开或解码：{str(exc)[:120]}") from None


def _json(path: Path) -> None:
    try:
        with open(path, encoding="utf-8") as fh:
            json.load(fh)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FormatProblem(f"JSON 无法解析：{str(exc)[:120]}") from None


def _text(path: Path) -> None:
    try:
        with open(path, encoding="utf-8") as fh:
            while fh.read(1 << 20):
                pass
    except UnicodeDecodeError:
        raise FormatProblem("文本文件不是 UTF-8 编码") from None


CHECKERS: dict[str, Callable[[Path], None]] = {
    ".pdf": _pdf,
    ".jpg": _image,
    ".jpeg": _image,
    ".png": _image,
    ".mp4": _av,
    ".m4a": _av,
    ".mov": _av,
    ".json": _json,
    ".txt": _text,
    ".vkey": _text,
}


def check_format(path: Path) -> None:
    """Raise :class:`FormatProblem` unless ``path`` opens in the format its suffix names."""
    checker = CHECKERS.get(path.suffix.lower())
    if checker is None:
        raise FormatProblem(f"不接受的文件格式：{path.suffix or '（无扩展名）'}", "format_not_accepted")
    checker(path)
