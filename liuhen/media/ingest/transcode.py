"""Making browser-playable copies of an original: a small H.264/AAC MP4, an AAC M4A, JPEG thumbnails.

Clause integ-no-tamper-original: these functions only read the original (a path) and write new files;
the original is never opened for writing. Memory stays flat whatever the original's size: packets
are demuxed and decoded one at a time, each frame is scaled and encoded at once, and the output is
written to a file (``movflags=+faststart`` moves the index to the front in a second pass over that
file, so the browser can start playing before the whole preview has arrived).

A damaged original (truncated, a bad packet) gives a preview of what could be decoded; if nothing
could, :class:`NothingDecodable` is raised and no preview is made.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

log = logging.getLogger(__name__)

PREVIEW_HEIGHT = 360
MAX_FPS = 30
THUMB_WIDTH = 320
PHOTO_PREVIEW_SIDE = 1280
THUMB_AT_SECONDS = 1.0  # a frame near the start, past a black first frame
AUDIO_RATE = 48000
AUDIO_BITRATE = 96_000
VIDEO_CRF = "28"


class NothingDecodable(Exception):
    """Not one frame or sample of the original could be decoded."""


@dataclass(frozen=True)
class Made:
    path: Path | None  # the preview file (None when only a thumbnail was made)
    content_type: str
    thumbnail: bytes | None
    width: int | None
    height: int | None
    duration: float | None
    program: str


def video_codec() -> str:
    """libx264 when the bundled FFmpeg has it (PyAV wheels do), else mpeg4 (still plays in most browsers)."""
    import av

    return "libx264" if "libx264" in av.codecs_available else "mpeg4"


def program_name(codec: str | None = None) -> str:
    import av

    return f"liuhen-preview/1 PyAV {av.__version__} {codec or video_codec()}"


def _even(n: float) -> int:
    return max(2, round(n / 2) * 2)


def _thumb_jpeg(image) -> bytes:  # a PIL image
    from PIL import Image

    img = image.convert("RGB")
    img.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 3), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80, optimize=True)
    return out.getvalue()


def transcode_av(src: str | Path, dst: Path, *, want_video: bool = True) -> Made:
    """``src`` → ``dst`` (MP4: H.264 at most 360 lines + AAC; or M4A with AAC only) and a thumbnail."""
    import av

    codec = video_codec()
    thumb: bytes | None = None
    first_video_time: float | None = None
    decoded_any = False
    last_thumb_source = None
    try:
        inp = av.open(str(src), metadata_errors="ignore")
    except (av.error.FFmpegError, OSError) as exc:
        raise NothingDecodable(str(exc)) from exc
    with inp:
        vin = inp.streams.video[0] if (want_video and inp.streams.video) else None
        ain = inp.streams.audio[0] if inp.streams.audio else None
        if vin is None and ain is None:
            raise NothingDecodable("没有音视频流")
        fmt = "mp4" if vin is not None else "ipod"
        options = {"movflags": "+faststart"}
        with av.open(str(dst), "w", format=fmt, options=options) as out:
            vout = aout = None
            graph_size = None
            rate = 25
            if vin is not None:
                vin.thread_type = "AUTO"
                src_w = vin.codec_context.width or 640
                src_h = vin.codec_context.height or 360
                height = min(PREVIEW_HEIGHT, src_h)
                graph_size = (_even(src_w * height / src_h), _even(height))
                guessed = vin.average_rate or vin.guessed_rate or 25
                rate = max(1, min(MAX_FPS, round(float(guessed))))
                vout = out.add_stream(codec, rate=rate)
                vout.width, vout.height = graph_size
                vout.pix_fmt = "yuv420p"
                if codec == "libx264":
                    vout.options = {"preset": "veryfast", "crf": VIDEO_CRF, "profile": "main"}
                else:
                    vout.bit_rate = 600_000
                vout.codec_context.time_base = Fraction(1, rate)
            resampler = None
            if ain is not None:
                aout = out.add_stream("aac", rate=AUDIO_RATE)
                aout.layout = "stereo" if (ain.codec_context.channels or 1) > 1 else "mono"
                aout.bit_rate = AUDIO_BITRATE
                resampler = av.AudioResampler(format="fltp", layout=aout.layout.name, rate=AUDIO_RATE, frame_size=1024)
            next_vpts = 0
            apts = 0
            streams = [s for s in (vin, ain) if s is not None]
            try:
                for packet in inp.demux(*streams):
                    try:
                        frames = packet.decode()
                    except av.error.FFmpegError as exc:  # one bad packet: skip it, keep going
                        log.info("preview: skipped a bad packet of %s: %s", src, exc)
                        continue
                    for frame in frames:
                        if vin is not None and packet.stream is vin:
                            t = float(frame.time) if frame.time is not None else next_vpts / rate
                            if first_video_time is None:
                                first_video_time = t
                            if thumb is None and t - first_video_time >= THUMB_AT_SECONDS:
                                thumb = _thumb_jpeg(frame.to_image())
                            pts = round((t - first_video_time) * rate)
                            if pts < next_vpts:  # more frames than the preview's rate: drop this one
                                continue
                            scaled = frame.reformat(width=graph_size[0], height=graph_size[1], format="yuv420p")
                            scaled.pts = pts
                            scaled.time_base = Fraction(1, rate)
                            next_vpts = pts + 1
                            last_thumb_source = frame
                            for p in vout.encode(scaled):
                                out.mux(p)
                            decoded_any = True
                        elif ain is not None and packet.stream is ain:
                            frame.pts = None
                            for rframe in resampler.resample(frame):
                                rframe.pts = apts
                                rframe.time_base = Fraction(1, AUDIO_RATE)
                                apts += rframe.samples
                                for p in aout.encode(rframe):
                                    out.mux(p)
                                decoded_any = True
            except (av.error.FFmpegError, OSError) as exc:  # truncated: stop here
                log.info("preview: %s ends early: %s", src, exc)
            if vin is not None and thumb is None and next_vpts > 0:
                thumb = _thumb_jpeg(last_thumb_source.to_image())
            if not decoded_any:
                raise NothingDecodable("没有可解码的音视频帧")
            if vout is not None:
                for p in vout.encode():
                    out.mux(p)
            if aout is not None:
                for rframe in resampler.resample(None):
                    rframe.pts = apts
                    rframe.time_base = Fraction(1, AUDIO_RATE)
                    apts += rframe.samples
                    for p in aout.encode(rframe):
                        out.mux(p)
                for p in aout.encode():
                    out.mux(p)
    width, height = graph_size if vin is not None and graph_size else (None, None)
    duration = (next_vpts / rate) if vin is not None else (apts / AUDIO_RATE)
    return Made(
        path=dst,
        content_type="video/mp4" if vin is not None else "audio/mp4",
        thumbnail=thumb,
        width=width,
        height=height,
        duration=round(max(duration, 0.0), 3),
        program=program_name(codec if vin is not None else "aac"),
    )


def photo_derivatives(src: str | Path, dst: Path) -> Made:
    """A JPEG at most 1280 px on its long side (upright per EXIF) and a thumbnail."""
    from PIL import Image, ImageOps

    try:
        with Image.open(src) as img:
            img.draft("RGB", (PHOTO_PREVIEW_SIDE, PHOTO_PREVIEW_SIDE))  # JPEG: decode at a reduced scale
            upright = ImageOps.exif_transpose(img).convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise NothingDecodable(str(exc)) from exc
    upright.thumbnail((PHOTO_PREVIEW_SIDE, PHOTO_PREVIEW_SIDE), Image.Resampling.LANCZOS)
    upright.save(dst, "JPEG", quality=85, optimize=True)
    import PIL

    return Made(
        path=dst,
        content_type="image/jpeg",
        thumbnail=_thumb_jpeg(upright),
        width=upright.width,
        height=upright.height,
        duration=None,
        program=f"liuhen-preview/1 Pillow {PIL.__version__}",
    )
