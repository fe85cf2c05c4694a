"""Turn an OpenAI chat-format conversation into a FoxAPI wire body: the one place that does it.

``POST /v1/llm/generations`` takes five request forms, told apart by which field the body
carries (protocol doc 2): the OpenAI-style ``messages`` form (llm-custom, 2.2) and four prompt
forms, ``prompt`` (text), ``image_urls`` (vision), ``audio_url`` (audio) and ``video_urls``
(video) (2.1). The eight whitelisted models take the messages form; gemini-2.5-pro and
nemotron-3-nano-omni take only the prompt forms (decided in protocol doc 10). Both the LangChain
adapter (fed by langchain-core's ``convert_to_openai_messages``) and the LlamaIndex adapter hand
their conversation here as OpenAI chat dicts, so no adapter holds protocol logic.

:func:`build_body` picks the form from the catalog (or from an explicit override) and shapes the
body; it raises :class:`~foxapi_core._errors.RequestValidationError` only for what the chosen form
cannot carry at all (tools on a prompt form, two audios, a provider file id...). Per-model
content tables and limits are *not* checked here: :func:`~foxapi_core._catalog.check_body`
checks every body before it is sent, so a body built for an invalid combination (an audio block
to gpt-5.5) is refused there with the model's rules.

Example:
    >>> build_body("gpt-5.5", [{"role": "user", "content": "Hi"}], params={"temperature": 0})
    {'model': 'gpt-5.5', 'messages': [{'role': 'user', 'content': 'Hi'}], 'temperature': 0}
    >>> build_body("gemini-2.5-pro", [{"role": "system", "content": "Be brief."},
    ...                               {"role": "user", "content": "Hi"}])
    {'model': 'gemini-2.5-pro', 'system_prompt': 'Be brief.', 'prompt': 'Hi'}

Inline media can be many megabytes (gemini-2.5-pro takes 20 MB bodies, 2.1): blocks are rebuilt
around the caller's strings without copying them, and a base64 payload is copied once, into its
``data:`` URI, only when the input was not one already.
"""

from __future__ import annotations

import binascii
import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from ._catalog import DEFAULT_CATALOG, Catalog, ModelSpec
from ._errors import RequestValidationError
from ._media import AUDIO_MIME, audio_format_from_mime, image_mime_from_bytes, sniff_audio_format

__all__ = [
    "FOREIGN_REASONING",
    "ForeignToolCalls",
    "RouteForm",
    "build_body",
    "missing_reasoning_turns",
    "to_foxapi_block",
]

#: What to do with an assistant tool-call turn a thinking model (kimi-k2.6) did not produce, i.e.
#: one without ``reasoning_content``, which its upstream refuses with 400 ``reasoning_content is
#: missing in assistant tool call message`` (protocol doc 10): ``"fill"`` (the default) sends
#: :data:`FOREIGN_REASONING` as that turn's reasoning; ``"refuse"`` raises before sending.
ForeignToolCalls = Literal["fill", "refuse"]

#: The reasoning sent for a foreign tool-call turn under the ``"fill"`` policy: true (the turn
#: has no recorded reasoning), short, and non-empty, as the upstream rule requires.
FOREIGN_REASONING: Final = "(No reasoning was recorded for this earlier tool call.)"

#: ``"auto"``: the catalog decides; ``"messages"`` / ``"prompt"``: force that form.
RouteForm = Literal["auto", "messages", "prompt"]

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
_REASONING_BLOCKS: Final = frozenset({"reasoning", "thinking", "redacted_thinking"})
_TOOL_CALL_BLOCKS: Final = frozenset({"tool_call", "tool_call_chunk", "invalid_tool_call"})
_SUPPORTED_BLOCKS: Final = (
    "text, image_url, input_audio, file (OpenAI); audio_url, video_url, file_url (FoxAPI); "
    "image, audio, video, file with url or base64 (LangChain standard blocks)"
)
# Message fields the messages form carries besides role and content (OpenAI Chat, 2.2).
_PASSED_MESSAGE_FIELDS: Final = ("name", "tool_call_id", "function_call")
# Params only the messages form can carry: tools & co. are an OpenAI pass-through there (10).
_TOOL_PARAMS: Final = ("tools", "tool_choice", "parallel_tool_calls")
# Documented for llm-custom (2.2) but not for the prompt forms (2.1).
_MESSAGES_ONLY_PARAMS: Final = ("stop", "top_p")
# Fields build_body sets itself; a param must not overwrite them or smuggle in a second form.
_RESERVED_PARAMS: Final = frozenset(
    {"model", "messages", "prompt", "system_prompt", "image_urls", "audio_url", "video_urls"}
)
_DEFAULT_FILE_MIME: Final = "application/pdf"
_DEFAULT_VIDEO_MIME: Final = "video/mp4"
# Base64 characters decoded to sniff a format: 64 chars = 48 bytes, enough for every signature.
_SNIFF_CHARS: Final = 64
_TRANSCRIPT_LABELS: Final[Mapping[str, str]] = {"user": "User", "assistant": "Assistant"}
_MEDIA_FIELDS: Final[Mapping[str, str]] = {
    "image_url": "image_urls",
    "audio_url": "audio_url",
    "video_url": "video_urls",
}


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


def _error(
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


def _names(names: Sequence[str]) -> str:
    return ", ".join(names) or "(none)"


def _describe(value: Any) -> str:
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
        raise _error(
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
            raise _error(
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
        raise _error(
            f"The {kind} block at {field} has no url.",
            model=model,
            field=f"{field}.{kind}",
            fix=f'Send {{"type": "{kind}", "{kind}": {{"url": "https://... or data:..."}}}}.',
        )
    return url


def _file_id_error(kind: str, *, model: str, field: str) -> RequestValidationError:
    what = kind.removesuffix("_url")
    return _error(
        f"The {what} at {field} is given by a provider file id, which FoxAPI cannot resolve.",
        model=model,
        field=field,
        fix=f"Pass the {what} inline: a url (http(s) or data: URI) or base64 with mime_type.",
    )


def _openai_input_audio(block: Mapping[str, Any], *, model: str, field: str) -> dict[str, Any]:
    inner = block.get("input_audio")
    data = inner.get("data") if isinstance(inner, Mapping) else None
    if not isinstance(data, str) or not data:
        raise _error(
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
        raise _error(
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
    raise _error(
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
    raise _error(
        f"The {btype} block at {field} has neither url nor base64.",
        model=model,
        field=field,
        fix=f'Send {{"type": "{btype}", "url": "https://..."}} or '
        f'{{"type": "{btype}", "base64": "...", "mime_type": "..."}}.',
    )


def _convert_block(block: Any, *, model: str, field: str) -> dict[str, Any] | None:
    """One input content block as a FoxAPI block; ``None`` for reasoning / tool-call blocks."""
    if isinstance(block, str):
        return {"type": "text", "text": block}  # LangChain allows bare strings in a list
    if not isinstance(block, Mapping):
        raise _error(
            f"The content block at {field} must be an object or a string, got {_describe(block)}.",
            model=model,
            field=field,
            fix=f"Use one of the supported block types: {_SUPPORTED_BLOCKS}.",
        )
    btype = block.get("type")
    if btype == "text" or (btype == "text-plain" and isinstance(block.get("text"), str)):
        text = block.get("text")
        if not isinstance(text, str):
            raise _error(
                f"The text block at {field} has no text string.",
                model=model,
                field=f"{field}.text",
                fix='Send {"type": "text", "text": "..."}.',
            )
        return {"type": "text", "text": text}
    if btype in _REASONING_BLOCKS or btype in _TOOL_CALL_BLOCKS:
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
    raise _error(
        f"The content block at {field} has type {_describe(btype)}, which FoxAPI cannot carry.",
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
    converted = _convert_block(block, model=model, field=field)
    if converted is None:
        raise _error(
            f"The {block.get('type')} block at {field} is not content.",
            model=model,
            field=field,
            fix="Send reasoning as the assistant message's reasoning_content and tool calls as "
            "its tool_calls.",
        )
    return converted


# --------------------------------------------------------------------------------------------
# Messages form (protocol doc 2.2)
# --------------------------------------------------------------------------------------------


def _reasoning_text(content: Sequence[Any]) -> str:
    """The text of LangChain ``reasoning`` / Anthropic ``thinking`` blocks of a content list."""
    parts: list[str] = []
    for block in content:
        if isinstance(block, Mapping):
            text = block.get("reasoning") or block.get("thinking")
            if block.get("type") in _REASONING_BLOCKS and isinstance(text, str):
                parts.append(text)
    return "".join(parts)


def _messages_form_message(message: Mapping[str, Any], i: int, *, model: str) -> dict[str, Any]:
    role = message.get("role")
    # Not every upstream has "developer"; the gateway maps "system" for all of them (2.2).
    out: dict[str, Any] = {"role": "system" if role == "developer" else role}
    content = message.get("content")
    tool_calls = message.get("tool_calls")
    if isinstance(content, (list, tuple)):
        blocks = [
            converted
            for j, block in enumerate(content)
            if (
                converted := _convert_block(block, model=model, field=f"messages[{i}].content[{j}]")
            )
            is not None
        ]
        if blocks:
            out["content"] = blocks
        else:
            # Only reasoning / tool-call blocks: OpenAI semantics want null beside tool_calls.
            out["content"] = None if role == "assistant" and tool_calls else ""
    elif content is None or isinstance(content, str):
        out["content"] = content
    else:
        raise _error(
            f"messages[{i}].content must be a string or a list of blocks, got "
            f"{_describe(content)}.",
            model=model,
            field=f"messages[{i}].content",
            fix="Send content as a string or a list of content blocks.",
        )
    for key in _PASSED_MESSAGE_FIELDS:
        if message.get(key) is not None:
            out[key] = message[key]
    if role != "assistant":
        return out
    if tool_calls:
        out["tool_calls"] = tool_calls  # OpenAI shape, passed through as is (protocol doc 10)
    reasoning = message.get("reasoning_content")
    if (
        not (isinstance(reasoning, str) and reasoning)
        and tool_calls
        and isinstance(content, (list, tuple))
    ):
        # langchain#34166: thinking models (kimi-k2.6, 4.3) refuse a tool-call turn whose
        # reasoning is missing; recover it from the reasoning blocks convert_to_openai_messages
        # leaves in the content.
        reasoning = _reasoning_text(content) or None
    if reasoning:
        out["reasoning_content"] = reasoning
    return out


# --------------------------------------------------------------------------------------------
# Prompt forms (protocol doc 2.1)
# --------------------------------------------------------------------------------------------


class _PromptParts:
    """What a conversation contributes to a prompt-form body."""

    __slots__ = ("media", "system", "turns")

    def __init__(self) -> None:
        self.system: list[str] = []
        self.turns: list[tuple[str, str]] = []  # (role, text)
        # FoxAPI block type -> (urls, field of the first block), in conversation order.
        self.media: dict[str, tuple[list[str], str]] = {}


def _prompt_reason(model: str, spec: ModelSpec | None) -> str:
    if spec is not None and not spec.takes_messages:
        return f"{model} takes only the prompt forms"
    return f"{model} is sent on the prompt forms here"


def _prompt_tools_error(
    model: str, spec: ModelSpec | None, catalog: Catalog, field: str, what: str
) -> RequestValidationError:
    return _error(
        f"{_prompt_reason(model, spec)}, which cannot carry {what}.",
        model=model,
        field=field,
        fix=f"Use one of {_names(catalog.models_with_form('messages'))} (messages form) for "
        "tool use, or drop the tool turns.",
    )


def _collect_prompt_parts(
    messages: Sequence[Any], *, model: str, spec: ModelSpec | None, catalog: Catalog
) -> _PromptParts:
    parts = _PromptParts()
    for i, message in enumerate(messages):
        assert isinstance(message, Mapping)  # checked by build_body
        role = message.get("role")
        field = f"messages[{i}]"
        if role in ("tool", "function"):
            raise _prompt_tools_error(model, spec, catalog, field, "tool results")
        if role not in ("system", "developer", "user", "assistant"):
            raise _error(
                f"{field} has role {_describe(role)}, which the prompt forms cannot carry.",
                model=model,
                field=f"{field}.role",
                fix="Use the roles system, developer, user and assistant.",
            )
        if role == "assistant" and (message.get("tool_calls") or message.get("function_call")):
            raise _prompt_tools_error(model, spec, catalog, f"{field}.tool_calls", "tool calls")
        content = message.get("content")
        texts: list[str] = []
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, (list, tuple)):
            for j, block in enumerate(content):
                block_field = f"{field}.content[{j}]"
                converted = _convert_block(block, model=model, field=block_field)
                if converted is None:
                    continue
                btype = converted["type"]
                if btype == "text":
                    texts.append(converted["text"])
                elif role in ("system", "developer"):
                    raise _error(
                        f"{block_field} puts a {btype} block in a {role} message; the prompt "
                        "forms' system_prompt is text only.",
                        model=model,
                        field=block_field,
                        fix="Move the media into a user message.",
                    )
                elif btype == "file_url":
                    raise _error(
                        f"{_prompt_reason(model, spec)}, and no prompt form carries files "
                        "(file_url).",
                        model=model,
                        field=block_field,
                        fix=f"Send files to one of {_names(catalog.models_accepting('file_url'))}"
                        " on the messages form, or pass the document's text.",
                        code="model_not_support_capability",
                    )
                else:
                    urls, _ = parts.media.setdefault(btype, ([], block_field))
                    urls.append(converted[btype]["url"])
        elif content is not None:
            raise _error(
                f"{field}.content must be a string or a list of blocks, got {_describe(content)}.",
                model=model,
                field=f"{field}.content",
                fix="Send content as a string or a list of content blocks.",
            )
        text = "\n".join(t for t in texts if t)
        if role in ("system", "developer"):
            if text:
                parts.system.append(text)
        else:
            assert isinstance(role, str)
            parts.turns.append((role, text))
    return parts


def _prompt_form_fields(
    messages: Sequence[Any], *, model: str, spec: ModelSpec | None, catalog: Catalog
) -> dict[str, Any]:
    parts = _collect_prompt_parts(messages, model=model, spec=spec, catalog=catalog)
    body: dict[str, Any] = {}
    if parts.system:
        body["system_prompt"] = "\n\n".join(parts.system)  # protocol doc 2.1 system_prompt
    if len(parts.turns) == 1 and parts.turns[0][0] == "user":
        prompt = parts.turns[0][1]
    else:
        # The prompt forms are single-turn (2.1): give the model the conversation as a transcript.
        prompt = "\n\n".join(
            f"{_TRANSCRIPT_LABELS[role]}: {text}" for role, text in parts.turns if text
        )
    if prompt:
        # Left out when empty: the audio form then transcribes (2.1); the other forms' missing
        # prompt is reported by check_body.
        body["prompt"] = prompt
    if len(parts.media) > 1:
        kinds = ", ".join(parts.media)
        raise _error(
            f"The conversation for {model} holds several kinds of media ({kinds}); a prompt-form "
            "request carries one kind of media (image_urls, audio_url or video_urls).",
            model=model,
            field=next(iter(parts.media.values()))[1],
            fix="Send them in separate requests, one kind of media each.",
        )
    for btype, (urls, first_field) in parts.media.items():
        if btype == "audio_url":
            if len(urls) > 1:
                raise _error(
                    f"The conversation for {model} holds {len(urls)} audios; the audio form "
                    "takes exactly one audio_url (protocol: a string, not a list).",
                    model=model,
                    field=first_field,
                    fix="Split the recordings into separate requests, one audio each.",
                )
            body["audio_url"] = urls[0]
        else:
            body[_MEDIA_FIELDS[btype]] = urls
    return body


# --------------------------------------------------------------------------------------------
# Params
# --------------------------------------------------------------------------------------------


def _shape_params(
    params: Mapping[str, Any],
    *,
    prompt: bool,
    model: str,
    spec: ModelSpec | None,
    catalog: Catalog,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if value is None:
            continue  # JSON null means "not sent" (2.1)
        if key in _RESERVED_PARAMS:
            raise _error(
                f"params sets {key!r}, which build_body derives from the model and messages.",
                model=model,
                field=key,
                fix=f"Remove {key!r} from params.",
            )
        if key == "max_completion_tokens":
            # OpenAI's newer name; the wire field is max_tokens on every form (2.1, 2.2).
            other = params.get("max_tokens")
            if other is not None and other != value:
                raise _error(
                    f"params sets both max_tokens ({other}) and max_completion_tokens ({value}).",
                    model=model,
                    field="max_tokens",
                    fix="Set only max_tokens.",
                )
            key = "max_tokens"
        if prompt:
            if key in _TOOL_PARAMS or key == "response_format":
                if key == "tools" and isinstance(value, (list, tuple)) and not value:
                    continue  # no tools at all
                accepting = (
                    [s.name for s in catalog if s.takes_messages and s.supports_tools]
                    if key in _TOOL_PARAMS
                    else list(catalog.models_with_form("messages"))
                )
                raise _error(
                    f"{_prompt_reason(model, spec)}, which cannot carry {key} (it is an OpenAI "
                    "pass-through of the messages form only).",
                    model=model,
                    field=key,
                    fix=f"Use one of {_names(accepting)}, or remove {key}.",
                )
            if key in _MESSAGES_ONLY_PARAMS:
                raise _error(
                    f"{_prompt_reason(model, spec)}, which do not document {key} (only "
                    "max_tokens, temperature and reasoning).",
                    model=model,
                    field=key,
                    fix=f"Remove {key}, or use one of "
                    f"{_names(catalog.models_with_form('messages'))} (messages form).",
                )
        out[key] = value
    return out


# --------------------------------------------------------------------------------------------
# build_body
# --------------------------------------------------------------------------------------------


def _uses_messages_form(spec: ModelSpec | None, form: RouteForm) -> bool:
    # Protocol doc 10: route by the catalog; unknown models go to the messages form; the
    # caller may force either.
    if form == "messages":
        return True
    if form == "prompt":
        return False
    return spec is None or spec.takes_messages


def build_body(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    *,
    params: Mapping[str, Any] | None = None,
    catalog: Catalog = DEFAULT_CATALOG,
    form: RouteForm = "auto",
    foreign_tool_calls: ForeignToolCalls = "fill",
) -> dict[str, Any]:
    """Build the wire body of ``POST /v1/llm/generations`` for an OpenAI-format conversation.

    Form (protocol doc 10): with ``form="auto"`` a model whose catalog spec takes the messages
    form gets it, a prompt-only model (gemini-2.5-pro, nemotron-3-nano-omni) gets the prompt
    forms, an unknown model gets the messages form; ``"messages"`` / ``"prompt"`` force one.

    Messages form (2.2): each message keeps ``role`` (``developer`` becomes ``system``),
    ``content`` (strings as is, lists converted with :func:`to_foxapi_block`, reasoning and
    tool-call blocks dropped), ``name``, ``tool_call_id``, assistant ``tool_calls`` and
    ``reasoning_content`` (required back by thinking models on tool-call turns, 4.3; recovered
    from reasoning blocks when only those carry it). Every non-``None`` param is passed through.

    Prompt forms (2.1): system / developer texts become ``system_prompt`` (joined by a blank
    line); a lone user message becomes ``prompt``, a longer conversation a ``User: ...`` /
    ``Assistant: ...`` transcript; images go to ``image_urls``, one audio to ``audio_url``,
    videos to ``video_urls``. ``max_tokens``, ``temperature``, ``reasoning`` and unknown params
    pass; tools, ``tool_choice``, ``parallel_tool_calls``, ``response_format``, ``stop`` and
    ``top_p`` are refused.

    Per-model defaults: a model whose spec has ``default_max_tokens`` (claude-*, which the server
    refuses without ``max_tokens``) gets it when ``params`` has no ``max_tokens``.

    Per-model rules (block types, counts, audio formats, ``max_tokens``) are checked by
    :func:`~foxapi_core._catalog.check_body`, which the client runs on every body.

    Args:
        model: The model id.
        messages: OpenAI chat-format message dicts (e.g. from ``convert_to_openai_messages``).
        params: OpenAI-style parameters (``temperature``, ``max_tokens``, ``tools``, ...).
        catalog: Decides the form of a known model and names alternatives in errors.
        form: ``"auto"``, or force ``"messages"`` / ``"prompt"``.
        foreign_tool_calls: For a thinking model (kimi-k2.6), what to do with assistant
            tool-call turns that carry no ``reasoning_content`` (a history it did not produce):
            ``"fill"`` sends :data:`FOREIGN_REASONING` for them, ``"refuse"`` raises.

    Returns:
        A new body dict; large strings of the input are shared, not copied.

    Raises:
        RequestValidationError: What the chosen form cannot carry: tools, tool turns, ``stop`` /
            ``top_p`` or files on a prompt form; several kinds of media or several audios on a
            prompt form; an unknown block type; media given by a provider file id.

    Example:
        >>> body = build_body("nemotron-3-nano-omni", [{"role": "user", "content": [
        ...     {"type": "text", "text": "Transcribe."},
        ...     {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}}]}])
        >>> body["audio_url"], body["prompt"]
        ('data:audio/wav;base64,UklGRg==', 'Transcribe.')
    """
    if not isinstance(model, str) or not model:
        raise _error(
            f"model must be a non-empty string, got {_describe(model)}.",
            model=str(model),
            field="model",
            fix=f"Set model to one of {_names(catalog.names)}.",
        )
    if form not in ("auto", "messages", "prompt"):
        raise ValueError(f"form must be 'auto', 'messages' or 'prompt', got {form!r}")
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence) or not messages:
        raise _error(
            f"messages for {model} must be a non-empty list of message objects.",
            model=model,
            field="messages",
            fix='Send messages as [{"role": "user", "content": "..."}].',
        )
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise _error(
                f"messages[{i}] for {model} must be an object, got {_describe(message)}.",
                model=model,
                field=f"messages[{i}]",
                fix='Send each message as {"role": ..., "content": ...}.',
            )
    spec = catalog.get(model)
    use_messages = _uses_messages_form(spec, form)
    body: dict[str, Any] = {"model": model}
    if use_messages:
        body["messages"] = [
            _messages_form_message(message, i, model=model) for i, message in enumerate(messages)
        ]
    else:
        body.update(_prompt_form_fields(messages, model=model, spec=spec, catalog=catalog))
    if params:
        body.update(
            _shape_params(params, prompt=not use_messages, model=model, spec=spec, catalog=catalog)
        )
    if use_messages and spec is not None and spec.thinking:
        _foreign_tool_calls(body, model, foreign_tool_calls)
    if body.get("max_tokens") is None and spec is not None and spec.default_max_tokens:
        # claude-*: the server requires max_tokens (2.3); the catalog's documented default.
        body["max_tokens"] = spec.default_max_tokens
    return body


def missing_reasoning_turns(body: Mapping[str, Any]) -> list[int]:
    """Indexes of the assistant messages with ``tool_calls`` but no ``reasoning_content``.

    The rule of kimi-k2.6's upstream (protocol doc 10); the emulator enforces it with this.
    """
    messages = body.get("messages")
    if not isinstance(messages, list):
        return []
    return [
        i
        for i, m in enumerate(messages)
        if isinstance(m, Mapping)
        and m.get("role") == "assistant"
        and m.get("tool_calls")
        and not m.get("reasoning_content")
    ]


def _foreign_tool_calls(body: dict[str, Any], model: str, policy: ForeignToolCalls) -> None:
    missing = missing_reasoning_turns(body)
    if not missing:
        return
    if policy == "refuse":
        where = ", ".join(f"messages[{i}]" for i in missing)
        raise _error(
            f"{model} refuses assistant tool-call turns without reasoning_content ({where}): "
            "its upstream answers 400 'reasoning_content is missing in assistant tool call "
            "message' for a tool-call history it did not produce (few-shot examples, a "
            "conversation begun on another model).",
            model=model,
            field=f"messages[{missing[0]}].reasoning_content",
            fix="Give those turns their reasoning_content, or use the 'fill' policy, which "
            "sends a placeholder reasoning for them.",
        )
    messages = body["messages"]
    for i in missing:
        messages[i] = {**messages[i], "reasoning_content": FOREIGN_REASONING}
