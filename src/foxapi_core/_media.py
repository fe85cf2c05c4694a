"""Media helpers: data URIs, audio and image format sniffing, mime tables.

The prompt forms of ``POST /v1/llm/generations`` take media as an http(s) URL or as an inline
``data:<type>/<subtype>;base64,<payload>`` URI (protocol doc 2.1); the messages form takes the same
two kinds inside ``image_url`` / ``video_url`` / ``audio_url`` / ``file_url`` blocks (2.2). Inline
audio is checked per model by its format (gemini-2.5-pro: wav/mp3/aiff/aac/ogg/flac/m4a;
nemotron-3-nano-omni: only ``audio/wav`` and ``audio/mpeg``), so this module maps between
formats, mime types, file extensions and magic bytes.

Everything here is I/O free except :func:`data_uri_from_file`, which reads one local file with
bounded extra memory: inline media can be 20 MB (the gemini-2.5-pro body limit, 2.1) and we do not
want several full copies of it alive at once.
"""

from __future__ import annotations

import binascii
import io
import os
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import NamedTuple

__all__ = [
    "AUDIO_FORMATS",
    "AUDIO_MIME",
    "DEFAULT_CHUNK_SIZE",
    "DataURIHeader",
    "audio_format_from_mime",
    "data_uri_from_bytes",
    "data_uri_from_file",
    "data_uri_header",
    "format_from_extension",
    "image_mime_from_bytes",
    "mime_for_data_uri",
    "sniff_audio_format",
    "youtube_watch_url",
]

#: Audio format name -> canonical mime type to put in a data URI. The format names are the ones
#: the docs use for gemini-2.5-pro's accepted formats (protocol doc 2.1); ``audio/wav`` and
#: ``audio/mpeg`` are the exact mimes nemotron-3-nano-omni insists on.
AUDIO_MIME: Mapping[str, str] = MappingProxyType(
    {
        "wav": "audio/wav",
        "mp3": "audio/mpeg",
        "aiff": "audio/aiff",
        "aac": "audio/aac",
        "ogg": "audio/ogg",
        "flac": "audio/flac",
        "m4a": "audio/mp4",
    }
)

#: Every audio format this library knows, in the docs' order.
AUDIO_FORMATS: tuple[str, ...] = tuple(AUDIO_MIME)

#: Default read size of :func:`data_uri_from_file`: 3 MiB, a multiple of 3 so that every chunk
#: but the last encodes to base64 without padding and the pieces concatenate exactly.
DEFAULT_CHUNK_SIZE = 3 * 1024 * 1024

# Mime subtype (of type ``audio``) -> format. Covers the registered names and the common
# ``x-`` aliases browsers and recorders emit.
_AUDIO_SUBTYPE_FORMAT: Mapping[str, str] = MappingProxyType(
    {
        "wav": "wav",
        "x-wav": "wav",
        "wave": "wav",
        "vnd.wave": "wav",
        "mpeg": "mp3",
        "mp3": "mp3",
        "x-mp3": "mp3",
        "mpeg3": "mp3",
        "x-mpeg": "mp3",
        "aiff": "aiff",
        "x-aiff": "aiff",
        "aac": "aac",
        "x-aac": "aac",
        "aacp": "aac",
        "ogg": "ogg",
        "flac": "flac",
        "x-flac": "flac",
        "mp4": "m4a",
        "m4a": "m4a",
        "x-m4a": "m4a",
    }
)

# File extension (lower case, no dot) -> format.
_AUDIO_EXTENSION_FORMAT: Mapping[str, str] = MappingProxyType(
    {
        "wav": "wav",
        "wave": "wav",
        "mp3": "mp3",
        "aif": "aiff",
        "aiff": "aiff",
        "aifc": "aiff",
        "aac": "aac",
        "ogg": "ogg",
        "oga": "ogg",
        "flac": "flac",
        "m4a": "m4a",
    }
)

# ISO base media ``ftyp`` major brands that hold (or commonly hold) AAC/ALAC audio.
_M4A_BRANDS = frozenset(
    {
        b"M4A ",
        b"M4B ",
        b"M4P ",
        b"mp41",
        b"mp42",
        b"isom",
        b"iso2",
        b"iso4",
        b"iso5",
        b"iso6",
        b"dash",
        b"f4a ",
    }
)

# RFC 2397 header: ``data:[<type>/<subtype>][;param=value]*[;base64],``. Token characters per
# RFC 6838; quantifiers are bounded and matching is always given a small ``endpos`` so that a
# malformed 20 MB string is never scanned past its first few hundred characters.
_DATA_URI_HEADER = re.compile(
    r"data:(?P<type>[a-z0-9!#$&^_.+-]{1,127})/(?P<sub>[a-z0-9!#$&^_.+-]{1,127})"
    r"(?:;(?!base64,)[^;,]{0,256}){0,16}(?P<b64>;base64)?,",
    re.IGNORECASE,
)
_DATA_URI_HEADER_MAX = 2048

# A mime type as accepted by :func:`data_uri_from_bytes` (optional ``;key=value`` params).
_MIME = re.compile(
    r"[a-z0-9!#$&^_.+-]{1,127}/[a-z0-9!#$&^_.+-]{1,127}(?:;[^;,\s=]+=[^;,\s]+)*", re.I
)

# YouTube Shorts links are rejected upstream with 422; ``watch?v=`` links work (protocol doc 2.1).
_YOUTUBE_SHORTS = re.compile(
    r"https?://(?:www\.|m\.)?youtube\.com/shorts/(?P<id>[A-Za-z0-9_-]{1,64})(?=$|[?#/])",
    re.IGNORECASE,
)


class DataURIHeader(NamedTuple):
    """What the header of a ``data:`` URI says.

    Attributes:
        mime: Lower-cased ``type/subtype``; parameters such as ``charset`` are dropped.
        base64: Whether the header ends in ``;base64``.
        payload_offset: Index of the first payload character (just after the comma).
    """

    mime: str
    base64: bool
    payload_offset: int


def data_uri_header(data_uri: str) -> DataURIHeader | None:
    """Parse the header of a ``data:`` URI, reading only its first characters.

    Args:
        data_uri: Any string; it may be many megabytes long, only its prefix is looked at.

    Returns:
        The parsed header, or ``None`` when the string is not a ``data:`` URI with an explicit
        ``type/subtype`` media type.
    """
    match = _DATA_URI_HEADER.match(data_uri, 0, _DATA_URI_HEADER_MAX)
    if match is None:
        return None
    mime = f"{match.group('type')}/{match.group('sub')}".lower()
    return DataURIHeader(mime, match.group("b64") is not None, match.end())


def mime_for_data_uri(data_uri: str) -> str | None:
    """Return the mime type of a data URI, e.g. ``"audio/wav"`` for ``"data:audio/wav;base64,..."``.

    Only the prefix of the string is read, so this is cheap on a 20 MB URI.

    Args:
        data_uri: The URI.

    Returns:
        The lower-cased ``type/subtype`` without parameters, or ``None`` if ``data_uri`` is not a
        data URI with a media type.
    """
    header = data_uri_header(data_uri)
    return header.mime if header is not None else None


def audio_format_from_mime(mime: str) -> str | None:
    """Map an audio mime type to a format name (a key of :data:`AUDIO_MIME`).

    ``audio/x-wav`` and ``audio/wave`` give ``"wav"``, ``audio/mpeg`` gives ``"mp3"``, ``audio/mp4``
    and ``audio/x-m4a`` give ``"m4a"`` and so on. Parameters (``;codecs=...``) are ignored.

    Args:
        mime: A mime type such as ``"audio/x-flac"``; case does not matter.

    Returns:
        The format, or ``None`` for non-audio or unknown mime types.
    """
    base = mime.split(";", 1)[0].strip().lower()
    kind, _, subtype = base.partition("/")
    if kind != "audio":
        return None
    return _AUDIO_SUBTYPE_FORMAT.get(subtype)


def format_from_extension(name: str) -> str | None:
    """Guess an audio format from a file name, path or URL by its extension.

    A URL's query string and fragment are ignored, so ``".../a.mp3?sig=..."`` gives ``"mp3"``.

    Args:
        name: A file name, path or URL.

    Returns:
        The format (a key of :data:`AUDIO_MIME`), or ``None`` when the extension is missing or not
        a known audio extension.
    """
    end = len(name)
    for sep in ("?", "#"):
        cut = name.find(sep, 0, end)
        if cut != -1:
            end = cut
    # Only the last path segment can carry the extension.
    start = max(name.rfind("/", 0, end), name.rfind("\\", 0, end)) + 1
    dot = name.rfind(".", start, end)
    if dot == -1 or end - dot > 8:
        return None
    return _AUDIO_EXTENSION_FORMAT.get(name[dot + 1 : end].lower())


def _mpeg_audio_kind(head: bytes, offset: int) -> str | None:
    """Classify an MPEG audio / ADTS frame header starting at ``offset``."""
    if len(head) < offset + 2 or head[offset] != 0xFF:
        return None
    second = head[offset + 1]
    # ADTS (AAC) has a 12-bit sync 0xFFF and layer bits 00; MPEG-1/2 audio never uses layer 00.
    if second & 0xF6 == 0xF0:
        return "aac"
    # MPEG audio: 11-bit sync 0xFFE, version bits != 01 (reserved), layer bits 01 = Layer III.
    if second & 0xE0 == 0xE0 and (second >> 3) & 0x03 != 0x01 and (second >> 1) & 0x03 == 0x01:
        return "mp3"
    return None


def sniff_audio_format(head: bytes) -> str | None:
    """Recognise an audio container by its first bytes.

    Recognised: RIFF/WAVE (and RF64/BW64) -> ``wav``; an ID3 tag or an MPEG Layer III frame
    -> ``mp3``; ADTS or ADIF -> ``aac`` (ADTS shares the 0xFF sync byte with MP3 and is told
    apart by its layer bits ``00``); ``fLaC`` -> ``flac``; ``OggS`` -> ``ogg``; ``FORM`` +
    ``AIFF``/``AIFC`` -> ``aiff``; an ISO base media ``ftyp`` box with an audio-capable brand
    -> ``m4a``.

    Args:
        head: The first bytes of the file; 12 are enough for everything except an ID3 tag in front
            of AAC, which is recognised only when ``head`` reaches past the tag.

    Returns:
        The format (a key of :data:`AUDIO_MIME`), or ``None`` if unrecognised.
    """
    if len(head) >= 12 and head[:4] in (b"RIFF", b"RF64", b"BW64") and head[8:12] == b"WAVE":
        return "wav"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if len(head) >= 12 and head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
        return "aiff"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _M4A_BRANDS:
        return "m4a"
    if head[:4] == b"ADIF":
        return "aac"
    if head[:3] == b"ID3":
        # An ID3v2 tag usually fronts MP3, but can front raw AAC: look past it when we can.
        if len(head) >= 10:
            size = (head[6] & 0x7F) << 21 | (head[7] & 0x7F) << 14 | (head[8] & 0x7F) << 7
            size |= head[9] & 0x7F
            footer = 10 if head[5] & 0x10 else 0
            after = _mpeg_audio_kind(head, 10 + size + footer)
            if after is not None:
                return after
        return "mp3"
    return _mpeg_audio_kind(head, 0)


def image_mime_from_bytes(head: bytes) -> str | None:
    """Recognise PNG, JPEG, GIF and WebP images by their first bytes.

    Args:
        head: The first bytes of the image (12 are enough).

    Returns:
        ``"image/png"``, ``"image/jpeg"``, ``"image/gif"``, ``"image/webp"`` or ``None``.
    """
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _data_uri_prefix(mime: str) -> str:
    if not isinstance(mime, str) or _MIME.fullmatch(mime) is None:
        raise ValueError(f"not a valid mime type for a data URI: {mime!r}")
    return f"data:{mime};base64,"


def _b64_len(n: int) -> int:
    return 4 * ((n + 2) // 3)


def data_uri_from_bytes(data: bytes | bytearray | memoryview, mime: str) -> str:
    """Encode bytes as a base64 ``data:`` URI.

    Args:
        data: The payload.
        mime: Its mime type, e.g. ``"audio/wav"`` (see :data:`AUDIO_MIME`).

    Returns:
        ``"data:<mime>;base64,<payload>"``.

    Raises:
        ValueError: If ``mime`` is not a ``type/subtype`` mime type.
    """
    prefix = _data_uri_prefix(mime)
    encoded = binascii.b2a_base64(data, newline=False).decode("ascii")
    return prefix + encoded


def _read_full(stream: io.BufferedIOBase, view: memoryview) -> int:
    """Fill ``view`` from ``stream``; return the byte count (short only at end of file)."""
    total = 0
    size = len(view)
    while total < size:
        got = stream.readinto(view[total:])
        if not got:
            break
        total += got
    return total


def data_uri_from_file(
    path: str | os.PathLike[str], mime: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> str:
    """Read a local file into a base64 ``data:`` URI with bounded extra memory.

    The file is read in chunks whose size is a multiple of 3 (so every chunk but the last encodes
    without padding) and each chunk is base64-encoded straight into one ``bytearray`` preallocated
    to the final size; the result ``str`` is built from it once. Peak extra memory is about the
    base64 size, plus one chunk and its encoding, plus the returned string. If the file grows or
    shrinks while it is read, the result still holds exactly what was read.

    Args:
        path: The file to read.
        mime: Mime type to declare, e.g. ``"audio/wav"``; see :data:`AUDIO_MIME` and
            :func:`sniff_audio_format` / :func:`image_mime_from_bytes` to pick it.
        chunk_size: Bytes per read; a positive multiple of 3.

    Returns:
        ``"data:<mime>;base64,<payload>"``, equal to ``data_uri_from_bytes(file_bytes, mime)``.

    Raises:
        ValueError: If ``mime`` is invalid or ``chunk_size`` is not a positive multiple of 3.
        OSError: If the file cannot be opened or read.
    """
    if isinstance(chunk_size, bool) or chunk_size <= 0 or chunk_size % 3:
        raise ValueError(f"chunk_size must be a positive multiple of 3, got {chunk_size!r}")
    prefix = _data_uri_prefix(mime).encode("ascii")
    with open(path, "rb") as stream:
        try:
            expected = os.fstat(stream.fileno()).st_size
        except OSError:  # pragma: no cover - exotic file objects
            expected = 0
        out = bytearray(len(prefix) + _b64_len(expected))
        out[: len(prefix)] = prefix
        pos = len(prefix)
        # A small file does not need a full-size read buffer (still a multiple of 3).
        chunk = bytearray(
            chunk_size if expected >= chunk_size else max(3, _b64_len(expected) // 4 * 3)
        )
        with memoryview(chunk) as view:
            while True:
                got = _read_full(stream, view)
                if got == 0:
                    break
                encoded = binascii.b2a_base64(view[:got], newline=False)
                end = pos + len(encoded)
                # Slice assignment writes in place; it only grows ``out`` if the file grew.
                out[pos:end] = encoded
                pos = end
                if got < len(view):
                    break  # a short read is the end of the file: the padded piece is the last
        del out[pos:]  # in place; only does something if the file shrank
    return out.decode("ascii")


def youtube_watch_url(url: str) -> str | None:
    """Rewrite a YouTube Shorts link to the ``watch?v=`` form the upstream accepts.

    ``https://www.youtube.com/shorts/<id>`` is rejected upstream with 422, while
    ``https://www.youtube.com/watch?v=<id>`` works (protocol doc 2.1).

    Args:
        url: Any URL.

    Returns:
        The ``watch?v=`` URL for a Shorts link, ``None`` for anything else.
    """
    match = _YOUTUBE_SHORTS.match(url, 0, 512)
    if match is None:
        return None
    return f"https://www.youtube.com/watch?v={match.group('id')}"
