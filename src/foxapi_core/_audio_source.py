"""Audio sources, per-model checks, splitting plans, requests and metadata (no I/O to FoxAPI).

The pipeline of one input, before anything is sent::

    AudioSource.from_input(x)  ->  plan_jobs(source, options)  ->  build_request(job, options)
      resolve + sniff format        model checks, optional split      data URI (bounded memory)

:mod:`foxapi_core._audio` runs it over the clients; both frameworks' documents are built from
:func:`audio_metadata` and :func:`document_id` so they carry the same keys and ids.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple, Union

from ._audio_split import SegmentPlan, extract_segment, plan_segments, probe_duration
from ._catalog import DEFAULT_CATALOG, Catalog, ModelSpec
from ._checks import CORE_SURFACE, Surface
from ._errors import RequestValidationError
from ._inline_media import InlineMedia
from ._media import (
    AUDIO_FORMATS,
    AUDIO_MIME,
    format_from_extension,
    sniff_audio_format,
    youtube_watch_url,
)
from ._wire import AudioRequest, VideoRequest

__all__ = [
    "DEFAULT_AUDIO_MODEL",
    "DEFAULT_AUDIO_PROMPT",
    "AudioInput",
    "AudioJob",
    "AudioOptions",
    "AudioResult",
    "AudioSource",
    "NamedAudio",
    "OnError",
    "ProgressCallback",
    "audio_metadata",
    "build_request",
    "build_video_request",
    "document_id",
    "plan_jobs",
]


#: The documented default model of the audio form (protocol doc 2.1).
DEFAULT_AUDIO_MODEL = "gemini-2.5-pro"
#: What the service does without a prompt (protocol doc 2.1).
DEFAULT_AUDIO_PROMPT = "Please transcribe this audio file"

#: Anything that can be resolved to audio: a path, raw bytes, a binary file object or a URL.
AudioInput = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
OnError = Literal["raise", "record"]
#: Called after each source with ``(sources_done, total_sources_or_None)``.
ProgressCallback = Callable[[int, "int | None"], None]

logger = logging.getLogger("foxapi")

_HTTP_URL = re.compile(r"https?://[^\s/?#]", re.IGNORECASE)
_OTHER_SCHEME = re.compile(r"(?:[a-z][a-z0-9+.-]*://|data:)", re.IGNORECASE)
_HEAD_BYTES = 4096  # enough for sniffing, including an ID3 tag in front of an ADTS frame
_HASH_CHUNK = 1024 * 1024
# check_body's allowance for JSON punctuation and small fields (catalog._BODY_SLACK), plus our
# own margin so a segment sized to the limit never trips the server's own accounting.
_BODY_SLACK = 1024
_SPLIT_MARGIN = 16 * 1024
_MIB = 1024 * 1024


def _mb(size: float) -> str:
    return f"{size / _MIB:.1f} MiB"


def _fmt_list(formats: Iterable[str]) -> str:
    names = [f.upper() for f in AUDIO_FORMATS if f in set(formats)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _error(message: str, fix: str, *, model: str | None = None) -> RequestValidationError:
    return RequestValidationError(message, model=model, field="audio_url", fix=fix)


class NamedAudio(NamedTuple):
    """Audio bytes or a file object with the name to report as ``source`` (and to read the
    extension from), e.g. ``NamedAudio(blob.as_bytes(), "calls/a.mp3")``."""

    audio: bytes | IO[bytes]
    name: str


@dataclass(frozen=True)
class AudioSource:
    """A resolved audio input: where it is, its format, size and (when cheap) duration.

    Build it with :meth:`from_input`. ``kind`` is ``"path"`` (read lazily, streamed into the
    data URI), ``"bytes"`` (held in memory) or ``"url"`` (sent as is, never downloaded).
    """

    source: str
    kind: Literal["path", "bytes", "url"]
    format: str | None
    size_bytes: int | None = None
    duration_s: float | None = None
    path: Path | None = None
    data: bytes | None = field(default=None, repr=False)

    @property
    def mime_type(self) -> str | None:
        """The data-URI mime of the format (``audio/wav``, ``audio/mpeg``...), if known."""
        return AUDIO_MIME.get(self.format) if self.format else None

    @cached_property
    def digest(self) -> str:
        """sha256 of the audio bytes (of the URL for a URL): the base of the document id."""
        sha = hashlib.sha256()
        if self.kind == "url":
            sha.update(b"url\0" + self.source.encode("utf-8", "surrogatepass"))
        elif self.path is not None:
            with open(self.path, "rb") as stream:
                while chunk := stream.read(_HASH_CHUNK):
                    sha.update(chunk)
        else:
            sha.update(self.data or b"")
        return sha.hexdigest()

    @classmethod
    def from_input(
        cls, value: AudioInput | NamedAudio | AudioSource, *, strict_format: bool = True
    ) -> AudioSource:
        """Resolve a path, bytes, file object, :class:`NamedAudio` or http(s) URL.

        Args:
            value: The audio.
            strict_format: Refuse a file whose content and extension disagree (default); with
                ``False`` the content wins and a warning is logged.

        Raises:
            RequestValidationError: Missing or empty file, a directory, a URL that is not
                http(s), an unknown format or an extension/content mismatch.

        Example:
            >>> AudioSource.from_input("calls/a.mp3").format
            'mp3'
        """
        if isinstance(value, AudioSource):
            return value
        name: str | None = None
        raw: Any = value
        if isinstance(value, NamedAudio):
            raw, name = value.audio, value.name
        if isinstance(raw, (bytes, bytearray, memoryview)):
            return cls._from_bytes(bytes(raw), name, strict_format)
        if isinstance(raw, (str, os.PathLike)):
            return cls._from_path_or_url(os.fspath(raw), strict_format)
        if hasattr(raw, "read"):
            label = name or getattr(raw, "name", None)
            data = raw.read()
            if not isinstance(data, bytes):
                raise _error(
                    f"The file object {label or ''}".rstrip()
                    + f" returned {type(data).__name__}, not bytes: it is not in binary mode.",
                    "Open the file in binary mode ('rb').",
                )
            return cls._from_bytes(data, label if isinstance(label, str) else None, strict_format)
        raise _error(
            f"Cannot read audio from a {type(raw).__name__}.",
            "Pass a path, bytes, a binary file object or an http(s) URL.",
        )

    @classmethod
    def _from_path_or_url(cls, text: str, strict: bool) -> AudioSource:
        if _HTTP_URL.match(text):
            return cls(source=text, kind="url", format=format_from_extension(text))
        if _OTHER_SCHEME.match(text):
            scheme = text.split(":", 1)[0]
            raise _error(
                f"{text[:60]!r} is a {scheme}: URL; FoxAPI fetches only http(s) URLs.",
                "Pass an http(s) URL, or download the file and pass its local path or bytes.",
            )
        path = Path(text).expanduser()
        if not path.exists():
            raise _error(
                f"No such audio file: {text!r}.", "Check the path (relative to the current dir)."
            )
        if path.is_dir():
            raise _error(
                f"{text!r} is a directory, not an audio file.",
                "Pass the files in it (e.g. a list or a glob), or use a directory loader/reader.",
            )
        size = path.stat().st_size
        if size == 0:
            raise _error(f"The audio file {text!r} is empty (0 bytes).", "Pass a complete file.")
        with open(path, "rb") as stream:
            head = stream.read(_HEAD_BYTES)
        fmt = _detect(head, text, text, strict)
        duration = probe_duration(fmt, path, None)
        return cls(text, "path", fmt, size, duration, path=path)

    @classmethod
    def _from_bytes(cls, data: bytes, name: str | None, strict: bool) -> AudioSource:
        label = name or f"<{len(data)} bytes>"
        if not data:
            raise _error(f"The audio {label} is empty (0 bytes).", "Pass complete audio data.")
        fmt = _detect(data[:_HEAD_BYTES], name, label, strict)
        duration = probe_duration(fmt, None, data)
        return cls(label, "bytes", fmt, len(data), duration, data=data)


def _detect(head: bytes, name: str | None, label: str, strict: bool) -> str:
    """Format by magic bytes, with the extension as a fallback; a disagreement is reported."""
    by_content = sniff_audio_format(head)
    by_name = format_from_extension(name) if name else None
    if by_content and by_name and by_content != by_name:
        message = (
            f"{label!r} looks like {by_content.upper()} by its content, but its extension says "
            f"{by_name.upper()}."
        )
        if strict:
            raise _error(
                message,
                f"Rename it to .{by_content} (or re-export it as {by_name.upper()}), or pass "
                "strict_format=False to trust the content.",
            )
        logger.warning("%s Using %s (the content).", message, by_content.upper())
    if by_content is None and by_name is not None:
        # Every format accepted here has a signature that sniff_audio_format knows, so content it
        # does not recognise is not what the name claims (a text file named .wav, random bytes
        # named .mp3): uploading it would be billed for an error or a nonsense transcript.
        message = (
            f"{label!r} is named .{by_name} but its content is not {by_name.upper()} audio "
            "(nor any audio format recognised by its first bytes)."
        )
        if strict:
            raise _error(
                message,
                f"Check that the file really is {by_name.upper()} audio (re-export it if it is "
                "damaged), or pass strict_format=False to send it as it is.",
            )
        logger.warning("%s Sending it as %s anyway (strict_format=False).", message, by_name)
    fmt = by_content or by_name
    if fmt is None:
        raise _error(
            f"Unknown audio format: {label!r} is not recognisable by its content or extension.",
            f"Use one of {_fmt_list(AUDIO_FORMATS)}, or pass an http(s) URL to the file.",
        )
    return fmt


@dataclass(frozen=True)
class AudioOptions:
    """What to ask and how to send it; shared by every source of one run.

    Attributes:
        model: ``gemini-2.5-pro`` (default) or ``nemotron-3-nano-omni`` (WAV/MP3 only).
        prompt: A question about the audio; ``None`` transcribes (the service's default).
        system_prompt, max_tokens, temperature, reasoning: Audio-form fields (doc 2.1).
        split: Cut local audio that is over the model's body limit into segments.
        max_segment_s: Also cut into segments of at most this many seconds (implies split).
        strict_format: Refuse files whose extension and content disagree.
        catalog: Model rules.
        surface: Where the user is: a refusal names that surface's switches (the CLI's
            ``--split``, Python's ``split=True``).
    """

    model: str = DEFAULT_AUDIO_MODEL
    prompt: str | None = None
    system_prompt: str | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    reasoning: bool | None = None
    split: bool = False
    max_segment_s: float | None = None
    strict_format: bool = True
    catalog: Catalog = DEFAULT_CATALOG
    surface: Surface = CORE_SURFACE

    def _overhead(self) -> int:
        return len(self.prompt or "") + len(self.system_prompt or "") + _BODY_SLACK


@dataclass(frozen=True)
class AudioJob:
    """One request to make: a source, or one segment of it."""

    source: AudioSource
    segment: SegmentPlan | None = None

    @property
    def mime_type(self) -> str | None:
        """The mime of what is sent."""
        return self.segment.mime if self.segment else self.source.mime_type


@dataclass
class AudioResult:
    """The answer for one job, or the recorded error (``on_error="record"``).

    ``task_id`` is the FoxAPI task that produced ``text``: kept out of ``metadata`` because it
    changes on every run and the frameworks hash metadata to detect changed documents.
    """

    text: str
    metadata: dict[str, Any]
    id: str
    error: BaseException | None = None
    task_id: str | None = None


def _spec(options: AudioOptions) -> ModelSpec:
    catalog, model = options.catalog, options.model
    spec = catalog.get(model)
    audio_models = [s.name for s in catalog if "audio" in s.forms and s.audio_formats]
    if spec is None or "audio" not in spec.forms or not spec.audio_formats:
        what = "an unknown model" if spec is None else "a model without the audio form"
        raise _error(f"{model!r} is {what}.", f"Use one of {', '.join(audio_models)}.", model=model)
    return spec


def _body_estimate(size: int, mime: str, options: AudioOptions) -> int:
    return len(f"data:{mime};base64,") + 4 * ((size + 2) // 3) + options._overhead()


def _check_format(source: AudioSource, spec: ModelSpec, options: AudioOptions) -> None:
    fmt = source.format
    if fmt is None or fmt in spec.audio_formats:
        return  # a URL without a known extension: the service decides
    how = "by its extension" if source.kind == "url" else "by its content"
    others = [
        s.name
        for s in options.catalog
        if s.name != spec.name and "audio" in s.forms and fmt in s.audio_formats
    ]
    use = " or ".join(f"model={m!r}" for m in others)
    raise _error(
        f"{spec.name} does not accept {fmt.upper()} audio ({source.source!r}, recognised {how}); "
        f"it accepts {_fmt_list(spec.audio_formats)} only.",
        f"Convert the recording to {_fmt_list(spec.audio_formats)}"
        + (f", or use {use}, which accepts {fmt.upper()}." if others else "."),
        model=spec.name,
    )


def _size_error(
    source: AudioSource, spec: ModelSpec, options: AudioOptions, body: int, segment_bytes: int
) -> RequestValidationError:
    fmt = source.format or ""
    limit = spec.max_body_bytes or 0
    others = [
        s.name
        for s in options.catalog
        if s.name != spec.name
        and "audio" in s.forms
        and fmt in s.audio_formats
        and (s.max_body_bytes is None or s.max_body_bytes >= body)
    ]
    per = ""
    if source.duration_s and source.size_bytes:
        per = f", about {source.duration_s * segment_bytes / source.size_bytes / 60:.1f} min"
    return _error(
        f"The audio {source.source!r} is {_mb(source.size_bytes or 0)} of {fmt.upper()}: sent "
        f"inline (base64) the request body to {spec.name} would be about {_mb(body)}, over its "
        f"{limit / _MIB:g} MiB ({limit:,} bytes) limit for the whole body.",
        f"Pass an http(s) URL to the file instead, or {options.surface.split} to send "
        "segments of at most "
        f"{_mb(segment_bytes)}{per} each"
        + (f", or use {' or '.join(repr(m) for m in others)}." if others else "."),
        model=spec.name,
    )


def _segment_budget(spec: ModelSpec, mime: str, options: AudioOptions) -> int | None:
    """Largest raw segment whose base64 body fits the model's limit, or ``None``."""
    if spec.max_body_bytes is None:
        return None
    room = spec.max_body_bytes - _SPLIT_MARGIN - _body_estimate(0, mime, options)
    return max(0, room // 4 * 3)


def plan_jobs(source: AudioSource, options: AudioOptions) -> list[AudioJob]:
    """Check ``source`` against the model's rules and plan its request(s); sends nothing.

    Raises:
        RequestValidationError: A rule is broken; the message states what was found, the limit
            and the ways out (a URL, another model, splitting).
    """
    spec = _spec(options)
    _check_format(source, spec, options)
    if source.kind == "url" or source.format is None or source.size_bytes is None:
        return [AudioJob(source)]
    mime = AUDIO_MIME[source.format]
    budget = _segment_budget(spec, mime, options)
    body = _body_estimate(source.size_bytes, mime, options)
    too_big = spec.max_body_bytes is not None and body > spec.max_body_bytes
    if too_big and not (options.split or options.max_segment_s):
        raise _size_error(source, spec, options, body, budget or 0)
    if not too_big and options.max_segment_s is None:
        return [AudioJob(source)]
    plans = plan_segments(
        source.format,
        source.path,
        source.data,
        source.size_bytes,
        max_bytes=budget if too_big else None,
        max_seconds=options.max_segment_s,
    )
    if len(plans) == 1:
        return [AudioJob(source)]
    return [AudioJob(source, plan) for plan in plans]


def build_request(job: AudioJob, options: AudioOptions) -> AudioRequest:
    """The wire request of a job; local audio becomes an :class:`InlineMedia`, encoded while the
    request is sent (about one piece of extra memory whatever the file's size)."""
    source = job.source
    audio_url: str | InlineMedia
    if source.kind == "url":
        audio_url = source.source
    elif job.segment is not None:
        data = extract_segment(job.segment, source.path, source.data)
        spec = _spec(options)
        body = _body_estimate(len(data), job.segment.mime, options)
        if spec.max_body_bytes is not None and body > spec.max_body_bytes:
            # Compressed segments are sized from the average bitrate: a dense part can overflow.
            raise _error(
                f"Segment {job.segment.index} of {source.source!r} encodes to {_mb(len(data))}, "
                f"over the {spec.max_body_bytes / _MIB:g} MiB body limit of {spec.name}.",
                "Pass a smaller max_segment_s, or an http(s) URL to the file.",
                model=spec.name,
            )
        audio_url = InlineMedia(data, job.segment.mime)
    else:
        mime = AUDIO_MIME[source.format or ""]
        local = source.path if source.path is not None else source.data or b""
        audio_url = InlineMedia(local, mime)
    return AudioRequest(
        model=options.model,
        audio_url=audio_url,
        prompt=options.prompt,
        system_prompt=options.system_prompt,
        max_tokens=options.max_tokens,
        temperature=options.temperature,
        reasoning=options.reasoning,
    )


_VIDEO_MIME = {
    "mp4": "video/mp4",
    "mpeg": "video/mpeg",
    "mpg": "video/mpeg",
    "mov": "video/quicktime",
    "webm": "video/webm",
}


def build_video_request(
    source: str | os.PathLike[str],
    prompt: str,
    *,
    model: str = DEFAULT_AUDIO_MODEL,
    catalog: Catalog = DEFAULT_CATALOG,
) -> VideoRequest:
    """A video-form request for an http(s) URL (YouTube Shorts rewritten to ``watch?v=``) or a
    local .mp4/.mpeg/.mpg/.mov/.webm file (inline, checked against the body limit first).

    Example:
        >>> build_video_request("https://youtu.be/abc", "What happens?").video_urls
        ['https://youtu.be/abc']
    """
    text = os.fspath(source)
    spec = catalog.get(model)
    if spec is None or "video" not in spec.forms:
        video_models = ", ".join(s.name for s in catalog if "video" in s.forms)
        raise _error(f"{model!r} does not take video.", f"Use one of {video_models}.", model=model)
    if _HTTP_URL.match(text):
        url = youtube_watch_url(text) or text
    elif _OTHER_SCHEME.match(text):
        raise _error(f"{text[:60]!r} is not an http(s) URL.", "Pass an http(s) URL or a path.")
    else:
        path = Path(text).expanduser()
        ext = path.suffix.lower().lstrip(".")
        if not path.is_file() or ext not in _VIDEO_MIME:
            raise _error(
                f"{text!r} is not an existing .mp4/.mpeg/.mpg/.mov/.webm file.",
                "Pass an http(s) URL (YouTube links work with Gemini) or a local video file.",
            )
        size = path.stat().st_size
        body = len(prompt) + 4 * ((size + 2) // 3) + _BODY_SLACK
        if spec.max_body_bytes is not None and body > spec.max_body_bytes:
            raise _error(
                f"The video {text!r} is {_mb(size)}: inline (base64) the body would be about "
                f"{_mb(body)}, over the {spec.max_body_bytes / _MIB:g} MiB limit of {model}.",
                "Pass an http(s) URL to the video instead, or cut it shorter.",
                model=model,
            )
        return VideoRequest(
            model=model, prompt=prompt, video_urls=[InlineMedia(path, _VIDEO_MIME[ext])]
        )
    return VideoRequest(model=model, prompt=prompt, video_urls=[url])


def document_id(job: AudioJob, options: AudioOptions) -> str:
    """Deterministic id: sha256 of (audio bytes or URL) + model + prompt + segment."""
    segment = "" if job.segment is None else str(job.segment.index)
    key = "\x1f".join((job.source.digest, options.model, options.prompt or "", segment))
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def audio_metadata(job: AudioJob, options: AudioOptions) -> dict[str, Any]:
    """The metadata schema shared by both frameworks; keys with unknown values are left out
    (several vector stores refuse ``None`` values). Never the raw response.

    Only values fixed by the audio, the options and the source: the frameworks hash metadata
    with the text (LlamaIndex ``Document.hash``, LangChain ``index()``), so a per-run value
    such as the task id (:attr:`AudioResult.task_id`) would make every re-ingestion look new.
    """
    source = job.source
    meta: dict[str, Any] = {"source": source.source, "model": options.model}
    optional: dict[str, Any] = {
        "mime_type": job.mime_type,
        "size_bytes": source.size_bytes,
        "duration_s": source.duration_s,
    }
    if job.segment is not None:
        optional |= {
            "segment": job.segment.index,
            # Exact (frames / rate), not rounded: consecutive segments must meet exactly.
            "start_s": job.segment.start_s,
            "end_s": job.segment.end_s,
        }
    if options.prompt is not None and options.prompt != DEFAULT_AUDIO_PROMPT:
        optional["prompt"] = options.prompt
    meta.update((k, v) for k, v in optional.items() if v is not None)
    return meta
