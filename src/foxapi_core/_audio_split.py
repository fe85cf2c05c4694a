"""Cutting a long recording into segments that each fit a model's request limit.

WAV is cut with the standard :mod:`wave` module (no new dependency). Other formats are cut only
when the optional decoder `soundfile <https://pypi.org/project/soundfile/>`_ (libsndfile: FLAC,
OGG, AIFF, MP3) is installed; it is imported lazily so the library never needs it otherwise.
AAC/M4A cannot be decoded by it: those must be converted or sent as a URL.

Segments are planned first (frame ranges, cheap) and read one at a time on demand, so only the
segments being sent are in memory, never the whole decoded recording.
"""

from __future__ import annotations

import importlib
import io
import wave
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ._errors import RequestValidationError
from ._media import AUDIO_MIME

__all__ = ["SOUNDFILE_HINT", "SegmentPlan", "extract_segment", "plan_segments", "probe_duration"]

#: How to get the optional decoder; repeated in every error that needs it.
SOUNDFILE_HINT = "pip install soundfile"

# Output container per format when re-encoding a segment with soundfile (same format as the
# source, so the model sees what the user gave it and the size stays about proportional).
_SF_FORMATS = {"flac": "FLAC", "ogg": "OGG", "aiff": "AIFF", "mp3": "MP3", "wav": "WAV"}
# A compressed segment's size is estimated from the source's average bitrate; the margin
# absorbs bitrate variation between parts of the recording and container overhead.
_COMPRESSED_MARGIN = 0.8
_WAV_HEADER_BYTES = 44


@dataclass(frozen=True)
class SegmentPlan:
    """One planned segment: frames ``[start_frame, start_frame + frames)`` of the source.

    Attributes:
        index: 0-based position of the segment.
        start_frame: First frame.
        frames: Number of frames.
        start_s: Start time in seconds.
        end_s: End time in seconds.
        format: Format of the encoded segment (a key of :data:`~foxapi_core._media.AUDIO_MIME`).
        codec: ``"wave"`` (standard library) or ``"soundfile"``.
    """

    index: int
    start_frame: int
    frames: int
    start_s: float
    end_s: float
    format: str
    codec: str

    @property
    def mime(self) -> str:
        """The mime type of the encoded segment."""
        return AUDIO_MIME[self.format]


@contextmanager
def _open(path: Path | None, data: bytes | None) -> Iterator[IO[bytes]]:
    if path is not None:
        with open(path, "rb") as stream:
            yield stream
    else:
        yield io.BytesIO(data or b"")


def _soundfile(fmt: str, why: str) -> Any:
    """Import soundfile or explain how to get it (it is optional)."""
    try:
        return importlib.import_module("soundfile")
    except ImportError:
        raise RequestValidationError(
            f"{why} needs the optional decoder 'soundfile', which is not installed.",
            field="audio_url",
            fix=f"Run `{SOUNDFILE_HINT}`, convert the {fmt.upper()} file to WAV (WAV splits "
            "without extra packages), or pass an http(s) URL to the file instead.",
        ) from None


def probe_duration(fmt: str | None, path: Path | None, data: bytes | None) -> float | None:
    """Duration in seconds when it can be read cheaply (headers only), else ``None``.

    WAV is read with :mod:`wave`; other formats only when soundfile is installed.
    """
    try:
        if fmt == "wav":
            with _open(path, data) as stream, wave.open(stream, "rb") as wav:
                rate = wav.getframerate()
                return wav.getnframes() / rate if rate else None
        if fmt in _SF_FORMATS:
            sf = importlib.import_module("soundfile")
            with _open(path, data) as stream:
                info = sf.info(stream)
                return float(info.duration)
    except Exception:  # a duration is a nicety: an unreadable header must not fail the load
        return None
    return None


def _frames_per_segment(
    total: int, rate: int, by_size: int | None, max_seconds: float | None
) -> int:
    frames = total
    if by_size is not None:
        frames = min(frames, by_size)
    if max_seconds is not None:
        frames = min(frames, int(max_seconds * rate))
    if frames < 1:
        raise RequestValidationError(
            "The segment limits leave no room for even one audio frame.",
            field="audio_url",
            fix="Raise max_segment_s, or shorten the prompt and system prompt.",
        )
    return frames


def _plans(total: int, rate: int, per: int, fmt: str, codec: str) -> list[SegmentPlan]:
    return [
        SegmentPlan(
            i,
            start,
            min(per, total - start),
            start / rate,
            min(start + per, total) / rate,
            fmt,
            codec,
        )
        for i, start in enumerate(range(0, total, per))
    ]


def plan_segments(
    fmt: str,
    path: Path | None,
    data: bytes | None,
    size_bytes: int,
    *,
    max_bytes: int | None,
    max_seconds: float | None,
) -> list[SegmentPlan]:
    """Plan segments of at most ``max_bytes`` encoded bytes and ``max_seconds`` seconds.

    Args:
        fmt: Source format (``wav``, ``flac``, ...).
        path: The local file, or ``None`` when ``data`` holds the audio.
        data: The audio bytes when there is no path.
        size_bytes: Size of the source in bytes.
        max_bytes: Largest encoded segment, or ``None``.
        max_seconds: Longest segment, or ``None``.

    Raises:
        RequestValidationError: The format cannot be split here (with the way out).
    """
    if fmt == "wav":
        try:
            with _open(path, data) as stream, wave.open(stream, "rb") as wav:
                block = wav.getnchannels() * wav.getsampwidth()
                rate, total = wav.getframerate(), wav.getnframes()
        except (wave.Error, EOFError):
            # The wave module reads PCM only (not float or some extensible WAVs): try soundfile.
            pass
        else:
            by_size = None if max_bytes is None else (max_bytes - _WAV_HEADER_BYTES) // block
            per = _frames_per_segment(total, rate, by_size, max_seconds)
            return _plans(total, rate, per, "wav", "wave")
    if fmt not in _SF_FORMATS:
        raise RequestValidationError(
            f"Splitting {fmt.upper()} audio is not supported: no well-kept Python decoder for "
            "it is used by this library.",
            field="audio_url",
            fix=f"Convert the file to FLAC or WAV (e.g. `ffmpeg -i in.{fmt} out.flac`) and "
            "split that, or pass an http(s) URL to the file instead.",
        )
    sf = _soundfile(fmt, f"Splitting {fmt.upper()} audio")
    with _open(path, data) as stream:
        info = sf.info(stream)
    total, rate = int(info.frames), int(info.samplerate)
    if total < 1 or rate < 1:
        raise RequestValidationError(
            f"The {fmt.upper()} audio has no frames to split.",
            field="audio_url",
            fix="Check that the file is a complete recording.",
        )
    by_size = None
    if max_bytes is not None:
        by_size = int(max_bytes * _COMPRESSED_MARGIN / (size_bytes / total))
    per = _frames_per_segment(total, rate, by_size, max_seconds)
    return _plans(total, rate, per, fmt, "soundfile")


def extract_segment(plan: SegmentPlan, path: Path | None, data: bytes | None) -> bytes:
    """Read and encode one planned segment; returns the segment's bytes (a complete file)."""
    out = io.BytesIO()
    if plan.codec == "wave":
        with _open(path, data) as stream, wave.open(stream, "rb") as src:
            src.setpos(plan.start_frame)
            frames = src.readframes(plan.frames)
            with wave.open(out, "wb") as dst:
                dst.setnchannels(src.getnchannels())
                dst.setsampwidth(src.getsampwidth())
                dst.setframerate(src.getframerate())
                dst.writeframes(frames)
        return out.getvalue()
    sf = _soundfile(plan.format, f"Splitting {plan.format.upper()} audio")
    with _open(path, data) as stream, sf.SoundFile(stream) as src:
        src.seek(plan.start_frame)
        frames = src.read(plan.frames, always_2d=True)
        sf.write(out, frames, src.samplerate, format=_SF_FORMATS[plan.format])
    return out.getvalue()
