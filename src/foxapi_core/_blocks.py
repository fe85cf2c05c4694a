"""OpenAI, LangChain-standard and FoxAPI content blocks -> the FoxAPI block of the messages form.

One part of :mod:`._routing` (which shapes whole bodies): each content block a caller may hand
over (OpenAI ``image_url`` / ``input_audio`` / ``file``, FoxAPI ``audio_url`` / ``video_url`` /
``file_url``, LangChain v1 ``image`` / ``audio`` / ``video`` / ``file`` with a URL or base64)
becomes the FoxAPI block carrying the same media (protocol doc 2.2), or a
:class:`~foxapi_core._errors.RequestValidationError` naming the field, the model and the fix.

Example:
    >>> to_foxapi_block({"type": "image", "url": "https://x.test/a.png"}, model="gpt-5.5")
    {'type': 'image_url', 'image_url': {'url': 'https://x.test/a.png'}}
"""

from __future__ import annotations

import binascii
import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ._errors import RequestValidationError
from ._media import AUDIO_MIME, audio_format_from_mime, image_mime_from_bytes, sniff_audio_format

__all__ = [
    "REASONING_BLOCKS",
    "convert_block",
    "describe",
    "joined",
    "routing_error",
    "to_foxapi_block",
]

# FoxAPI's media block types on the messages form (protocol doc 2.2).
_URL_BLOCK_TYPES: Final = frozenset({"image_url", "audio_url", "video_url", "file_url"})
# LangChain v1 standard multimodal blocks -> the FoxAPI block carrying the same media.
_STANDARD_BLOCKS: Final[Mapping[str, str]] = {
    "image": "image_url",
    "audio": "audio_url",
    "video": "video_url",
    "file": "file_url",
}
# Blocks that are not content: reasoning travels in ``reasoning_content`` (protocol doc 4.3),
# tool calls in ``tool_calls`` (OpenAI pass-through, protocol doc 10).
REASONING_BLOCKS: Final = frozenset({"reasoning", "thinking", "redacted_thinking"})
_TOOL_CALL_BLOCKS: Final = frozenset({"tool_call", "tool_call_chunk", "invalid_tool_call"})
_SUPPORTED_BLOCKS: Final = (
    "text, image_url, input_audio, file (OpenAI); audio_url, video_url, file_url (FoxAPI); "
    "image, audio, video, file with url or base64 (LangChain standard blocks)"
)
_DEFAULT_FILE_MIME: Final = "application/pdf"
_DEFAULT_VIDEO_MIME: Final = "video/mp4"
# Base64 characters decoded to sniff a format: 64 chars = 48 bytes, enough for every signature.
_SNIFF_CHARS: Final = 64

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def routing_error(
    message: str,
    *,
    model: str,
    field: str,
    fix: str,
    code: str = "invalid_request_error",
) -> RequestValidationError:
    # Same message layout as the client's check_body errors ("<message> Fix: <fix>").
    return RequestValidationError(
        f"{message} Fix: {fix}", model=model, field=field, fix=fix, code=code
    )


def joined(names: Sequence[str]) -> str:
    return ", ".join(names) or "(none)"


def describe(value: Any) -> str:
    """A short description of a value for messages; never renders a big string."""
    if isinstance(value, str):
        return repr(value[:40]) + ("..." if len(value) > 40 else "")
    return type(value).__name__


# --------------------------------------------------------------------------------------------
# Content blocks
# --------------------------------------------------------------------------------------------


def _url_block(kind: str, url: str) -> dict[str, Any]:
    return {"type": kind, kind: {"url": url}}


def _is_url_like(value: str) -> bool:
    """An http(s) URL or a data URI: used as is, never re-encoded."""
    return value[:5].lower() == "data:" or value[:8].lower().startswith(("http://", "https://"))


def _head_bytes(b64: str) -> bytes:
    """The first bytes of a base64 payload (decodes only a short prefix)."""
    prefix = b64[:_SNIFF_CHARS]
    prefix = prefix[: len(prefix) // 4 * 4]
    try:
        return binascii.a2b_base64(prefix)
    except (binascii.Error, ValueError):
        return b""


def _data_uri(mime: str, b64: str) -> str:
    # The only copy of the payload build_body makes (protocol doc 2.1 data URI shape).
    return f"data:{mime};base64,{b64}"


def _audio_mime(declared: str | None, b64: str, *, model: str, field: str) -> str:
    """The mime of an inline audio, canonical (``audio/wav``, ``audio/mpeg``) when known.

    nemotron-3-nano-omni refuses any spelling but ``audio/wav`` / ``audio/mpeg`` (protocol doc
    2.1), so ``audio/x-wav`` or an OpenAI ``format: "mpeg"`` is written canonically here.
    """
    if declared:
        name = declared.strip().lower()
        if "/" not in name:  # an OpenAI input_audio format: "wav", "mp3", "mpeg", ...
            if name in AUDIO_MIME:
                return AUDIO_MIME[name]
            name = f"audio/{name}"
        fmt = audio_format_from_mime(name)
        return AUDIO_MIME[fmt] if fmt is not None else name
    fmt = sniff_audio_format(_head_bytes(b64))
    if fmt is None:
        raise routing_error(
            f"The audio at {field} has no format and its bytes are not a recognisable "
            f"wav/mp3/aiff/aac/ogg/flac/m4a file.",
            model=model,
            field=field,
            fix="Give the format (input_audio.format) or mime_type (e.g. audio/wav).",
        )
    return AUDIO_MIME[fmt]


def _video_mime(b64: str) -> str:
    head = _head_bytes(b64)
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    if head[4:12] == b"ftypqt  ":
        return "video/quicktime"
    return _DEFAULT_VIDEO_MIME


def _file_mime(filename: Any) -> str:
    # A bare base64 file is a PDF unless its name says otherwise (OpenAI's file blocks are PDFs).
    if isinstance(filename, str) and filename:
        guessed, _ = mimetypes.guess_type(filename, strict=False)
        if guessed:
            return guessed
    return _DEFAULT_FILE_MIME


def _inline_url(kind: str, b64: str, mime: Any, filename: Any, *, model: str, field: str) -> str:
    """URL of an inline payload of block ``kind``: kept when already a URL, else a data URI."""
    if _is_url_like(b64):
        return b64
    declared = mime if isinstance(mime, str) and mime else None
    if kind == "audio_url":
        return _data_uri(_audio_mime(declared, b64, model=model, field=field), b64)
    if declared is not None:
        return _data_uri(declared, b64)
    if kind == "image_url":
        sniffed = image_mime_from_bytes(_head_bytes(b64))
        if sniffed is None:
            raise routing_error(
                f"The image at {field} has no mime_type and is not a recognisable "
                "png/jpeg/gif/webp.",
                model=model,
                field=field,
                fix="Set mime_type (e.g. image/png) on the block.",
            )
        return _data_uri(sniffed, b64)
    if kind == "video_url":
        return _data_uri(_video_mime(b64), b64)
    return _data_uri(_file_mime(filename), b64)


def _nested_url(block: Mapping[str, Any], kind: str, *, model: str, field: str) -> str:
    """The url of ``{"type": kind, kind: {"url": ...}}`` or ``{"type": kind, kind: "..."}``."""
    inner = block.get(kind)
    url = inner.get("url") if isinstance(inner, Mapping) else inner
    if not isinstance(url, str) or not url:
        raise routing_error(
            f"The {kind} block at {field} has no url.",
            model=model,
            field=f"{field}.{kind}",
            fix=f'Send {{"type": "{kind}", "{kind}": {{"url": "https://... or data:..."}}}}.',
        )
    return url


def _file_id_error(kind: str, *, model: str, field: str) -> RequestValidationError:
    what = kind.removesuffix("_url")
    return routing_error(
        f"The {what} at {field} is given by a provider file id, which FoxAPI cannot resolve.",
        model=model,
        field=field,
        fix=f"Pass the {what} inline: a url (http(s) or data: URI) or base64 with mime_type.",
    )


def _openai_input_audio(block: Mapping[str, Any], *, model: str, field: str) -> dict[str, Any]:
    inner = block.get("input_audio")
    data = inner.get("data") if isinstance(inner, Mapping) else None
    if not isinstance(data, str) or not data:
        raise routing_error(
            f"The input_audio block at {field} has no base64 data.",
            model=model,
            field=f"{field}.input_audio.data",
            fix='Send {"type": "input_audio", "input_audio": {"data": "<base64>", '
            '"format": "wav"}}.',
        )
    assert isinstance(inner, Mapping)
    fmt = inner.get("format")
    url = _inline_url(
        "audio_url", data, fmt if isinstance(fmt, str) else None, None, model=model, field=field
    )
    return _url_block("audio_url", url)


def _openai_file(block: Mapping[str, Any], *, model: str, field: str) -> dict[str, Any]:
    inner = block.get("file")
    if not isinstance(inner, Mapping):
        raise routing_error(
            f"The file block at {field} must hold an object in 'file'.",
            model=model,
            field=f"{field}.file",
            fix='Send {"type": "file", "file": {"file_data": "data:application/pdf;base64,...", '
            '"filename": "doc.pdf"}}.',
        )
    data = inner.get("file_data")
    if isinstance(data, str) and data:
        url = _inline_url(
            "file_url", data, None, inner.get("filename"), model=model, field=f"{field}.file"
        )
        return _url_block("file_url", url)
    if inner.get("file_id") is not None:
        raise _file_id_error("file_url", model=model, field=f"{field}.file.file_id")
    raise routing_error(
        f"The file block at {field} has no file_data.",
        model=model,
        field=f"{field}.file.file_data",
        fix="Set file_data to a data:<mime>;base64,... URI (or bare base64 with a filename).",
    )


def _standard_block(
    block: Mapping[str, Any], btype: str, *, model: str, field: str
) -> dict[str, Any]:
    """A LangChain v1 standard ``image``/``audio``/``video``/``file`` block (and the older
    ``source_type`` variants) as the matching FoxAPI block."""
    kind = _STANDARD_BLOCKS[btype]
    source_type = block.get("source_type")
    if source_type == "text" and isinstance(block.get("text"), str):
        return {"type": "text", "text": block["text"]}  # legacy plain-text file block
    url = block.get("url")
    if isinstance(url, str) and url and source_type in (None, "url"):
        return _url_block(kind, url)
    b64 = block.get("base64")
    if not (isinstance(b64, str) and b64):
        b64 = block.get("data")  # older shape: source_type "base64" + data
    if isinstance(b64, str) and b64:
        mime = block.get("mime_type")
        filename = block.get("filename")
        extras = block.get("extras")
        if filename is None and isinstance(extras, Mapping):
            filename = extras.get("filename")
        if filename is None and isinstance(block.get("metadata"), Mapping):
            filename = block["metadata"].get("filename")
        return _url_block(kind, _inline_url(kind, b64, mime, filename, model=model, field=field))
    if block.get("id") is not None or block.get("file_id") is not None or source_type == "id":
        raise _file_id_error(kind, model=model, field=f"{field}.id")
    raise routing_error(
        f"The {btype} block at {field} has neither url nor base64.",
        model=model,
        field=field,
        fix=f'Send {{"type": "{btype}", "url": "https://..."}} or '
        f'{{"type": "{btype}", "base64": "...", "mime_type": "..."}}.',
    )


def convert_block(block: Any, *, model: str, field: str) -> dict[str, Any] | None:
    """One input content block as a FoxAPI block; ``None`` for reasoning / tool-call blocks."""
    if isinstance(block, str):
        return {"type": "text", "text": block}  # LangChain allows bare strings in a list
    if not isinstance(block, Mapping):
        raise routing_error(
            f"The content block at {field} must be an object or a string, got {describe(block)}.",
            model=model,
            field=field,
            fix=f"Use one of the supported block types: {_SUPPORTED_BLOCKS}.",
        )
    btype = block.get("type")
    if btype == "text" or (btype == "text-plain" and isinstance(block.get("text"), str)):
        text = block.get("text")
        if not isinstance(text, str):
            raise routing_error(
                f"The text block at {field} has no text string.",
                model=model,
                field=f"{field}.text",
                fix='Send {"type": "text", "text": "..."}.',
            )
        return {"type": "text", "text": text}
    if btype in REASONING_BLOCKS or btype in _TOOL_CALL_BLOCKS:
        return None
    if btype == "image_url":
        # OpenAI's "detail" has no FoxAPI counterpart (2.2): dropped.
        return _url_block("image_url", _nested_url(block, "image_url", model=model, field=field))
    if isinstance(btype, str) and btype in _URL_BLOCK_TYPES:
        return _url_block(btype, _nested_url(block, btype, model=model, field=field))
    if btype == "input_audio":
        return _openai_input_audio(block, model=model, field=field)
    if btype == "file" and "file" in block:
        return _openai_file(block, model=model, field=field)
    if btype == "text-plain":
        # LangChain v1 plain-text file given by url / base64 (its inline text is handled above).
        return _standard_block(
            {"mime_type": "text/plain", **block}, "file", model=model, field=field
        )
    if isinstance(btype, str) and btype in _STANDARD_BLOCKS:
        return _standard_block(block, btype, model=model, field=field)
    raise routing_error(
        f"The content block at {field} has type {describe(btype)}, which FoxAPI cannot carry.",
        model=model,
        field=field,
        fix=f"Use one of the supported block types: {_SUPPORTED_BLOCKS}.",
        code="model_not_support_capability",
    )


def to_foxapi_block(
    block: Mapping[str, Any], *, model: str, field: str = "content[0]"
) -> dict[str, Any]:
    """Convert one OpenAI / LangChain / FoxAPI content block to a FoxAPI wire block.

    The adapters' conversions produce many block shapes; the messages form knows five (protocol
    doc 2.2). Accepted:

    - OpenAI: ``text``; ``image_url`` (object or string; ``detail`` dropped); ``input_audio``
      (base64 + ``format`` -> ``data:audio/...`` with the canonical mime of ``_media.AUDIO_MIME``);
      ``file`` with ``file_data`` (a bare base64 becomes a data URI, ``application/pdf`` unless
      ``filename`` says otherwise; ``file_id`` is refused).
    - FoxAPI: ``audio_url`` / ``video_url`` / ``file_url`` (object or string form).
    - LangChain v1 standard ``image`` / ``audio`` / ``video`` / ``file`` (and ``text-plain``)
      blocks with ``url``, or ``base64`` + ``mime_type`` (also the older ``source_type`` +
      ``data`` shape); a missing mime is sniffed from the first bytes. Given by ``id`` (a
      provider file id) they are refused.

    The result is ``{"type": "text", "text": ...}`` or ``{"type": t, t: {"url": ...}}`` with ``t``
    one of ``image_url``, ``audio_url``, ``video_url``, ``file_url``. Whether ``model`` accepts
    it is left to ``check_body``.

    Args:
        block: The input block.
        model: The target model, named in errors.
        field: Where the block sits, named in errors (e.g. ``"messages[2].content[1]"``).

    Returns:
        The FoxAPI block (a new dict; large strings are shared, not copied).

    Raises:
        RequestValidationError: An unknown block type, a provider file id, a block without its
            payload, or a reasoning / tool-call block (those are message fields, not content).

    Example:
        >>> to_foxapi_block({"type": "input_audio",
        ...                  "input_audio": {"data": "UklGRg==", "format": "wav"}}, model="m")
        {'type': 'audio_url', 'audio_url': {'url': 'data:audio/wav;base64,UklGRg=='}}
    """
    converted = convert_block(block, model=model, field=field)
    if converted is None:
        raise routing_error(
            f"The {block.get('type')} block at {field} is not content.",
            model=model,
            field=field,
            fix="Send reasoning as the assistant message's reasoning_content and tool calls as "
            "its tool_calls.",
        )
    return converted
