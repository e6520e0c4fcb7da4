"""Real media made on the fly for tests and benchmarks: H.264 MP4 (PyAV), AAC M4A, JPEG (Pillow)."""

from __future__ import annotations

import array
import math
import os
import random
from fractions import Fraction
from pathlib import Path

import av


def make_mp4(
    path: Path,
    *,
    seconds: float = 2,
    fps: int = 10,
    size: tuple[int, int] = (160, 120),
    creation_time: str = "2026-03-01T02:00:00.000000Z",
    serial: str = "",
    audio: bool = True,
) -> Path:
    """A small H.264 (+AAC) MP4 with a creation time and, optionally, a device serial tag."""
    options = {"movflags": "use_metadata_tags"} if serial else {}
    with av.open(str(path), "w", format="mp4", options=options) as out:
        out.metadata["creation_time"] = creation_time
        if serial:
            out.metadata["serial_number"] = serial
        video = out.add_stream("libx264", rate=fps, options={"preset": "ultrafast"})
        video.width, video.height = size
        video.pix_fmt = "yuv420p"
        astream = out.add_stream("aac", rate=16000) if audio else None
        frames = int(seconds * fps)
        for i in range(frames):
            frame = av.VideoFrame(size[0], size[1], "yuv420p")
            for n, plane in enumerate(frame.planes):
                plane.update(bytes([(i * 7 + n * 50) % 255]) * plane.buffer_size)
            frame.pts = i
            for packet in video.encode(frame):
                out.mux(packet)
        for packet in video.encode():
            out.mux(packet)
        if astream is not None:
            _encode_tone(out, astream, seconds)
    return path


def _encode_tone(out, stream, seconds: float) -> None:
    rate = 16000
    samples = int(seconds * rate)
    step = 1024
    for start in range(0, samples, step):
        count = min(step, samples - start)
        pcm = array.array("f", (0.2 * math.sin(2 * math.pi * 440 * (start + k) / rate) for k in range(count)))
        frame = av.AudioFrame(format="fltp", layout="mono", samples=count)
        frame.planes[0].update(pcm.tobytes() + bytes(frame.planes[0].buffer_size - len(pcm.tobytes())))
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = Fraction(1, rate)
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)


def make_m4a(path: Path, *, seconds: float = 1, creation_time: str = "2026-03-01T03:00:00.000000Z") -> Path:
    with av.open(str(path), "w", format="ipod") as out:
        out.metadata["creation_time"] = creation_time
        stream = out.add_stream("aac", rate=16000)
        _encode_tone(out, stream, seconds)
    return path


def make_jpeg(path: Path, *, when: str = "2026:03:01 10:00:00", serial: str = "CAM-PHOTO-1") -> Path:
    from PIL import Image

    img = Image.new("RGB", (64, 48), (120, 30, 200))
    exif = Image.Exif()
    exif[306] = when
    exif.get_ifd(0x8769)[36867] = when
    exif.get_ifd(0x8769)[42033] = serial
    img.save(path, "JPEG", exif=exif)
    return path


def make_big(path: Path, size: int, *, seed: int = 0) -> Path:
    """A file of ``size`` pseudo-random bytes (written in 1 MiB pieces; not media)."""
    block = random.Random(seed).randbytes(1024 * 1024)
    with open(path, "wb") as fh:
        left = size
        n = 0
        while left > 0:
            piece = block[: min(left, len(block))]
            fh.write(piece[:8] + n.to_bytes(8, "big") + piece[16:] if len(piece) > 16 else piece)
            left -= len(piece)
            n += 1
    return path


def truncate(src: Path, dst: Path, keep: float = 0.6) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    os.utime(dst)
    return dst
