"""Reading and writing clips, audio and images with PyAV, soundfile and Pillow.

Conventions: frames are uint8 RGB ``[N, H, W, 3]``; waveforms are float32 mono
``[S]`` in ``[-1, 1]`` at ``sr`` Hz; images are uint8 RGB ``[H, W, 3]``. Every
missing or unreadable file raises :class:`~senseslens.errors.DataError` naming it.
"""

from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Iterator

import numpy as np
from jaxtyping import Float32, UInt8

from ..errors import DataError

PathLike = str | Path

#: Sampled frames are decoded forward (no seek) when the next target lies closer than
#: this many seconds ahead of the decoder position; farther targets are reached by seeking.
SEEK_GAP_S = 1.0

_VIDEO_CODECS = ("libx264", "h264", "mpeg4")


def _require_file(path: PathLike, what: str) -> Path:
    p = Path(path)
    if not p.is_file():
        raise DataError(f"{what} file not found: {str(p)!r}. Check the path (or the dataset's videos/ folder).")
    return p


@contextmanager
def _open(path: PathLike, what: str) -> Iterator["object"]:
    import av

    p = _require_file(path, what)
    try:
        container = av.open(str(p))
    except Exception as exc:  # PyAV raises many subclasses of its own error types
        raise DataError(f"cannot read {what} file {str(p)!r}: {exc}. Is it a valid media file?") from exc
    try:
        yield container
    finally:
        container.close()


def _duration_s(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    if stream.frames and stream.average_rate:
        return float(stream.frames / stream.average_rate)
    return 0.0


def _frame_size(size: int | tuple[int, int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, int):
        return size, size
    return int(size[0]), int(size[1])


def sample_frames(
    path: PathLike, n: int, *, size: int | tuple[int, int] | None = None
) -> UInt8[np.ndarray, "n h w 3"]:
    """``n`` RGB frames at the centres of ``n`` equal segments of the clip.

    Target time ``t_i = (i + 0.5) * duration / n`` seconds; the frame returned for
    ``t_i`` is the first decoded frame whose timestamp is ``>= t_i`` (the last frame
    of the clip when none is). The decoder seeks to the keyframe before a target
    more than :data:`SEEK_GAP_S` ahead and never holds more than two decoded frames.
    ``size``: ``(H, W)`` or an int for a square output; ``None`` keeps the native size.
    """
    import av

    if n < 1:
        raise DataError(f"sample_frames needs n >= 1 frames, got {n}.")
    with _open(path, "video") as container:
        if not container.streams.video:
            raise DataError(f"video file {str(path)!r} has no video stream.")
        try:
            return _sample(container, container.streams.video[0], n, _frame_size(size), str(path))
        except av.error.FFmpegError as exc:
            raise DataError(f"cannot decode the video frames of {str(path)!r}: {exc}") from exc


def _sample(container, stream, n: int, hw: tuple[int, int] | None, name: str) -> np.ndarray:
    stream.thread_type = "AUTO"
    duration = _duration_s(container, stream)
    tb = stream.time_base
    start_s = float(stream.start_time * tb) if stream.start_time is not None and tb else 0.0
    out: np.ndarray | None = None
    frames_iter = None
    position = -np.inf  # clip time (s) of the last decoded frame
    pending = None  # last decoded frame, reused when it already lies past a target
    last_any = None
    for i in range(n):
        t = (i + 0.5) * duration / n
        if frames_iter is None or t - position > SEEK_GAP_S:
            offset = int((start_s + t) / tb) if tb else 0
            container.seek(max(offset, 0), stream=stream, backward=True, any_frame=False)
            frames_iter = container.decode(stream)
            position, pending = -np.inf, None
        chosen = pending if pending is not None and _clip_time(pending, start_s) >= t - 1e-6 else None
        while chosen is None:
            frame = next(frames_iter, None)
            if frame is None:
                chosen = pending if pending is not None else last_any
                break
            pending = last_any = frame
            position = _clip_time(frame, start_s)
            if position >= t - 1e-6:
                chosen = frame
        if chosen is None:
            raise DataError(f"video file {name!r} has no decodable frames.")
        kwargs = {"format": "rgb24"}
        if hw is not None:
            kwargs.update(height=hw[0], width=hw[1])
        rgb = chosen.to_ndarray(**kwargs)
        if out is None:
            out = np.empty((n, *rgb.shape), dtype=np.uint8)
        out[i] = rgb
    assert out is not None
    return out


def _clip_time(frame, start_s: float) -> float:
    """Seconds since the stream start; +inf when the frame carries no timestamp."""
    return np.inf if frame.time is None else frame.time - start_s


def load_audio(path: PathLike, sr: int = 16_000) -> Float32[np.ndarray, " samples"]:
    """The first audio track of a video or audio file, mono float32 at ``sr`` Hz."""
    import av
    from av.audio.resampler import AudioResampler

    with _open(path, "audio") as container:
        if not container.streams.audio:
            raise DataError(
                f"file {str(path)!r} has no audio track. Pass the audio separately "
                "(Item.audio_path / Item.waveform) or leave audio out of the prompt."
            )
        stream = container.streams.audio[0]
        resampler = AudioResampler(format="flt", layout="mono", rate=sr)
        chunks: list[np.ndarray] = []
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().reshape(-1))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        except av.error.FFmpegError as exc:
            raise DataError(f"cannot decode the audio of {str(path)!r}: {exc}") from exc
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate(chunks).astype(np.float32, copy=False)


def load_image(path: PathLike) -> UInt8[np.ndarray, "h w 3"]:
    """An image file as uint8 RGB ``[H, W, 3]``."""
    from PIL import Image, UnidentifiedImageError

    p = _require_file(path, "image")
    try:
        with Image.open(p) as img:
            return np.asarray(img.convert("RGB"), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError) as exc:
        raise DataError(f"cannot read image file {str(p)!r}: {exc}") from exc


def _check_frames(frames: np.ndarray) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8 or len(frames) == 0:
        raise DataError(f"frames must be a non-empty uint8 array [N, H, W, 3], got {frames.dtype} {frames.shape}.")
    if frames.shape[1] % 2 or frames.shape[2] % 2:
        raise DataError(f"frame height and width must be even for yuv420p video, got {frames.shape[1:3]}; crop or pad.")
    return frames


def write_video(
    path: PathLike,
    frames: UInt8[np.ndarray, "n h w 3"],
    fps: float,
    audio: Float32[np.ndarray, " samples"] | None = None,
    sr: int = 16_000,
) -> Path:
    """Write an mp4 (H.264, or MPEG-4 part 2 when no H.264 encoder exists) with an
    optional mono AAC track. Returns the path written."""
    import av

    frames = _check_frames(frames)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    codec = next((c for c in _VIDEO_CODECS if c in av.codecs_available), None)
    if codec is None:
        raise DataError("this PyAV build has no H.264 or MPEG-4 encoder; install PyAV wheels from PyPI.")
    rate = Fraction(fps).limit_denominator(1000)
    with av.open(str(p), mode="w") as container:
        vstream = container.add_stream(codec, rate=rate)
        vstream.width, vstream.height = frames.shape[2], frames.shape[1]
        vstream.pix_fmt = "yuv420p"
        if codec == "libx264":
            vstream.options = {"preset": "ultrafast", "g": str(max(1, round(fps)))}
        astream = None
        if audio is not None:
            astream = container.add_stream("aac", rate=sr)
            astream.layout = "mono"
        for image in frames:
            vframe = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            for packet in vstream.encode(vframe):
                container.mux(packet)
        for packet in vstream.encode():
            container.mux(packet)
        if astream is not None:
            _encode_audio(container, astream, np.asarray(audio, dtype=np.float32).reshape(-1), sr)
    return p


def _encode_audio(container, astream, wave: np.ndarray, sr: int) -> None:
    import av

    step = astream.codec_context.frame_size or 1024
    for start in range(0, len(wave), step):
        chunk = wave[start : start + step]
        aframe = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
        aframe.sample_rate = sr
        aframe.pts = start
        aframe.time_base = Fraction(1, sr)
        for packet in astream.encode(aframe):
            container.mux(packet)
    for packet in astream.encode():
        container.mux(packet)


def write_wav(path: PathLike, waveform: Float32[np.ndarray, " samples"], sr: int = 16_000) -> Path:
    """Write a mono float waveform as 16-bit PCM WAV."""
    import soundfile as sf

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(p), np.asarray(waveform, dtype=np.float32).reshape(-1), sr, subtype="PCM_16")
    return p


def write_png(path: PathLike, image: UInt8[np.ndarray, "h w 3"]) -> Path:
    """Write a uint8 RGB image as PNG."""
    from PIL import Image

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(p, format="PNG")
    return p
