"""The rules on a body's content: messages and their blocks, media URLs and inline media, the
prompt forms, audio formats and the 20 MB body limit (protocol doc 2.1-2.3, decided in 10).
Called by :func:`~._checks.check_body`; each adds :class:`~._refusals.Violation`\\ s to a
:class:`~._refusals.Check`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._catalog import (
    _BLOCK_DATA_KIND,
    _BODY_SLACK,
    _CONTENT_TYPE_BY_NAME,
    _HTTP_URL,
    _MAX_URL_PARSE,
    _MIB,
    _YOUTUBE,
    CONTENT_TYPES,
    MAX_MEDIA_URLS,
    MAX_PROMPT_CHARS,
    MAX_SYSTEM_PROMPT_CHARS,
    MESSAGE_ROLES,
    Form,
    ModelSpec,
)
from ._inline_media import InlineMedia
from ._media import (
    AUDIO_FORMATS,
    AUDIO_MIME,
    audio_format_from_mime,
    data_uri_header,
    format_from_extension,
    youtube_watch_url,
)
from ._refusals import Check, Surface, brief, joined, megabytes

__all__ = ["check_body_size", "check_messages", "check_prompt_form"]


# ---- media URLs ------------------------------------------------------------------------------


def _url_text(value: Any) -> str | None:
    """A media URL as text to check: the string itself, or an InlineMedia's header and first
    payload characters (its checks need no more); ``None`` for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, InlineMedia):
        return value.head()
    return None


def _url_length(value: Any) -> int:
    return value.uri_length if isinstance(value, InlineMedia) else len(value)


def _url_problem(url: str, kind: str | None) -> str | None:
    """Why ``url`` is not an http(s) URL or a base64 data URI of ``kind`` (None: any kind)."""
    if _HTTP_URL.match(url) is not None:
        return None
    if url[:5].lower() == "data:":
        header = data_uri_header(url)
        if header is None:
            return "is a malformed data URI (expected data:<type>/<subtype>;base64,<payload>)"
        if kind is not None and not header.mime.startswith(kind + "/"):
            return f"is a data URI of type {header.mime}, not {kind}/*"
        if not header.base64:
            return "is a data URI that is not base64 encoded"
        if header.payload_offset >= len(url):
            return "is a data URI with an empty payload"
        return None
    return "is neither an http(s) URL nor a base64 data URI"


def _url_fix(kind: str | None) -> str:
    example = f"data:{kind}/<type>;base64,<payload>" if kind else "data:<mime>;base64,<payload>"
    return f"Pass an http(s) URL or a {example} URI."


def _canonical_mime(fmt: str | None, spec: ModelSpec) -> str:
    mime = AUDIO_MIME.get(fmt) if fmt is not None else None
    return mime if mime in spec.audio_mimes and mime is not None else min(spec.audio_mimes)


def _audio_format_check(check: Check, url: str, spec: ModelSpec, field: str, form: Form) -> None:
    """Per-model audio format rules (2.1): gemini formats, nemotron wav/mp3 and exact mimes."""
    accepted = [f for f in AUDIO_FORMATS if f in spec.audio_formats]
    if _HTTP_URL.match(url) is not None:
        if len(url) > _MAX_URL_PARSE:
            return
        fmt = format_from_extension(url)
        if fmt is None or fmt in spec.audio_formats:
            return  # no recognisable extension: let the server decide
        found = f"a .{fmt} file ({fmt})"
        convert = f"Convert the audio to {'/'.join(accepted)}"
    else:
        header = data_uri_header(url)
        if header is None:
            return  # reported by _url_problem
        fmt = audio_format_from_mime(header.mime)
        if spec.audio_mimes and header.mime not in spec.audio_mimes:
            mimes = " or ".join(sorted(spec.audio_mimes))
            if fmt in spec.audio_formats:
                # Right format, wrong spelling of the mime (e.g. audio/x-wav): nemotron says 422.
                check.add(
                    field,
                    "model_not_support_capability",
                    f"{spec.name} requires the audio data URI mime to be exactly {mimes}, "
                    f"found {header.mime}.",
                    f"Write the data URI as data:{_canonical_mime(fmt, spec)};base64,... "
                    f"(mime {mimes}).",
                )
                return
        elif fmt is not None and fmt in spec.audio_formats:
            return
        found = f"{header.mime} ({fmt or 'unknown format'})"
        convert = f"Convert to {'/'.join(accepted)}, pass an http(s) URL to such a file"
    if fmt is None:
        others: list[str] = []
    elif form == "messages":
        others = [
            s.name
            for s in check.catalog
            if s.name != spec.name
            and "audio_url" in s.content_types
            and s.takes_messages
            and fmt in s.audio_formats
        ]
    else:
        others = [
            s.name
            for s in check.catalog
            if s.name != spec.name and form in s.forms and fmt in s.audio_formats
        ]
    check.add(
        field,
        "model_not_support_capability",
        f"{spec.name} does not accept audio in {found}; it accepts {', '.join(accepted)}.",
        f"{convert}, or use {joined(others)}.",
    )


# ---- messages form ---------------------------------------------------------------------------


def check_messages(check: Check, body: Mapping[str, Any], spec: ModelSpec | None) -> None:
    label = check.label
    messages = body.get("messages")
    if not isinstance(messages, (list, tuple)) or not messages:
        check.invalid(
            "messages",
            f"messages for {label} must be a non-empty list of message objects, got "
            f"{brief(messages)}.",
            'Send messages as [{"role": "user", "content": "..."}].',
        )
        return
    stop = body.get("stop")
    if stop is not None and not (
        isinstance(stop, str)
        or (isinstance(stop, (list, tuple)) and all(isinstance(s, str) for s in stop))
    ):
        check.invalid(
            "stop",
            f"stop for {label} must be a string or a list of strings.",
            "Send stop as a string or a list of strings.",
        )
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            check.invalid(
                f"messages[{i}]",
                f"messages[{i}] for {label} must be an object, got {brief(message)}.",
                'Send each message as {"role": ..., "content": ...}.',
            )
            continue
        role = message.get("role")
        if not isinstance(role, str) or role not in MESSAGE_ROLES:
            check.invalid(
                f"messages[{i}].role",
                f"messages[{i}].role for {label} must be one of "
                f"{', '.join(sorted(MESSAGE_ROLES))}, got {brief(role)}.",
                "Set role to system, developer, user, assistant or tool.",
            )
        content = message.get("content")
        if content is None:
            # OpenAI semantics: an assistant turn that only calls tools has no content.
            if not (
                role == "assistant" and (message.get("tool_calls") or message.get("function_call"))
            ):
                check.invalid(
                    f"messages[{i}].content",
                    f"messages[{i}] for {label} has no content.",
                    "Give the message a string or a list of content blocks (only an assistant "
                    "message with tool_calls may omit it).",
                )
        elif role == "user" and (
            (isinstance(content, str) and not content.strip())
            or (isinstance(content, (list, tuple)) and not content)
        ):
            # Upstream models refuse (or answer nothing to) an empty turn, and it is billed.
            check.invalid(
                f"messages[{i}].content",
                f"messages[{i}] for {label} is a user message with empty content.",
                "Give the user message some text or content blocks, or leave it out.",
            )
        elif isinstance(content, str):
            check.count("messages", len(content))
        elif isinstance(content, (list, tuple)):
            for j, block in enumerate(content):
                _check_block(check, i, j, block, spec)
        else:
            check.invalid(
                f"messages[{i}].content",
                f"messages[{i}].content for {label} must be a string or a list of blocks, got "
                f"{brief(content)}.",
                "Send content as a string or a list of content blocks.",
            )


def _check_block(check: Check, i: int, j: int, block: Any, spec: ModelSpec | None) -> None:
    label = check.label
    if not isinstance(block, Mapping):
        path = f"messages[{i}].content[{j}]"
        check.invalid(
            path,
            f"{path} for {label} must be a content block object, got {brief(block)}.",
            'Send blocks like {"type": "text", "text": "..."}.',
        )
        return
    raw_type = block.get("type")
    if not isinstance(raw_type, str):
        path = f"messages[{i}].content[{j}].type"
        check.invalid(
            path,
            f"{path} for {label} is missing or not a string.",
            f"Set type to one of {', '.join(CONTENT_TYPES)}.",
        )
        return
    btype = _CONTENT_TYPE_BY_NAME.get(raw_type)
    if btype is None:
        # An unknown block type is an unsupported content type for every model (2.2, 10).
        path = f"messages[{i}].content[{j}]"
        check.add(
            path,
            "model_not_support_capability",
            f"{label} got a content block of type {brief(raw_type)}, which FoxAPI does not know.",
            f"Use one of the block types {', '.join(CONTENT_TYPES)}.",
        )
        return
    if spec is not None and btype not in spec.content_types:
        # Protocol doc 2.2 content table; 422 model_not_support_capability (decided in 10).
        path = f"messages[{i}].content[{j}]"
        accepted = [t for t in CONTENT_TYPES if t in spec.content_types]
        check.add(
            path,
            "model_not_support_capability",
            f"{spec.name} does not accept {btype} content blocks on the messages form "
            f"(it accepts {joined(accepted)}).",
            f"Send {btype} blocks to one of "
            f"{joined(check.catalog.models_accepting(btype))}, or remove the block.",
        )
    if btype == "text":
        text = block.get("text")
        if not isinstance(text, str):
            path = f"messages[{i}].content[{j}].text"
            check.invalid(
                path,
                f"{path} for {label} must be a string, got {brief(text)}.",
                'Send text blocks as {"type": "text", "text": "..."}.',
            )
        else:
            check.count("messages", len(text))
        return
    inner = block.get(btype)
    url = inner.get("url") if isinstance(inner, Mapping) else None
    if not isinstance(url, str) or not url:
        path = f"messages[{i}].content[{j}].{btype}"
        check.invalid(
            path,
            f"{path} for {label} must be an object with a non-empty url string.",
            f'Send {{"type": "{btype}", "{btype}": {{"url": "..."}}}}.',
        )
        return
    check.count("messages", len(url))
    kind = _BLOCK_DATA_KIND[btype]
    problem = _url_problem(url, kind)
    if problem is not None:
        path = f"messages[{i}].content[{j}].{btype}.url"
        check.invalid(path, f"{path} for {label} {problem}.", _url_fix(kind))
        return
    if btype == "audio_url" and spec is not None and spec.audio_formats:
        _audio_format_check(
            check, url, spec, f"messages[{i}].content[{j}].audio_url.url", "messages"
        )


# ---- prompt forms ----------------------------------------------------------------------------


def check_prompt_form(
    check: Check, body: Mapping[str, Any], form: Form, spec: ModelSpec | None
) -> None:
    label = check.label
    prompt = body.get("prompt")
    if prompt is None:
        if form != "audio":  # audio falls back to "Please transcribe this audio file" (2.1)
            check.invalid(
                "prompt",
                f"prompt is required on the {form} form for {label}.",
                "Set prompt to a non-empty string.",
            )
    elif not isinstance(prompt, str) or not prompt:
        check.invalid(
            "prompt",
            f"prompt for {label} must be a non-empty string, got {brief(prompt)}.",
            "Set prompt to a non-empty string"
            + (" or leave it out for a transcription." if form == "audio" else "."),
        )
    else:
        check.count("prompt", len(prompt))
        if len(prompt) > MAX_PROMPT_CHARS:
            check.invalid(
                "prompt",
                f"prompt for {label} has {len(prompt):,} characters, over the "
                f"{MAX_PROMPT_CHARS:,}-character limit.",
                f"Shorten the prompt to at most {MAX_PROMPT_CHARS:,} characters or split the task.",
            )
    system_prompt = body.get("system_prompt")
    if system_prompt is not None:
        if not isinstance(system_prompt, str):
            check.invalid(
                "system_prompt",
                f"system_prompt for {label} must be a string, got {brief(system_prompt)}.",
                "Send system_prompt as a string or leave it out.",
            )
        else:
            check.count("system_prompt", len(system_prompt))
            if len(system_prompt) > MAX_SYSTEM_PROMPT_CHARS:
                check.invalid(
                    "system_prompt",
                    f"system_prompt for {label} has {len(system_prompt):,} characters, over "
                    f"the {MAX_SYSTEM_PROMPT_CHARS:,}-character limit.",
                    f"Shorten system_prompt to at most {MAX_SYSTEM_PROMPT_CHARS:,} characters.",
                )
    if form == "vision":
        _check_url_list(check, body, "image_urls", "image", spec)
    elif form == "video":
        _check_url_list(check, body, "video_urls", "video", spec)
    elif form == "audio":
        _check_audio(check, body, spec)


def _check_url_list(
    check: Check, body: Mapping[str, Any], field: str, kind: str, spec: ModelSpec | None
) -> None:
    label = check.label
    urls = body.get(field)
    if not isinstance(urls, (list, tuple)):
        check.invalid(
            field,
            f"{field} for {label} must be a list of URL strings, got {brief(urls)}.",
            f'Send {field} as a list, e.g. ["https://..."].',
        )
        return
    if not 1 <= len(urls) <= MAX_MEDIA_URLS:
        check.invalid(
            field,
            f"{field} for {label} has {len(urls)} items; it takes 1 to {MAX_MEDIA_URLS}.",
            f"Send 1 to {MAX_MEDIA_URLS} {kind}s per request.",
        )
    total = 0
    for i, item in enumerate(urls):
        url = _url_text(item)
        if url is None:
            check.invalid(
                f"{field}[{i}]",
                f"{field}[{i}] for {label} must be a string, got {brief(item)}.",
                _url_fix(kind),
            )
            continue
        total += _url_length(item)
        problem = _url_problem(url, kind)
        if problem is not None:
            check.invalid(f"{field}[{i}]", f"{field}[{i}] for {label} {problem}.", _url_fix(kind))
            continue
        if kind == "video" and url[:4].lower() == "http" and len(url) <= _MAX_URL_PARSE:
            _check_youtube(check, f"{field}[{i}]", url, spec)
    check.count(field, total)
    if spec is None:
        return
    limit = spec.max_images if kind == "image" else spec.max_videos
    # Past the general 1-10 limit (reported above) only a stricter model limit adds news.
    if len(urls) > limit and limit < MAX_MEDIA_URLS:
        # nemotron-3-nano-omni: a single image / a single video, more -> 422 (2.1).
        form: Form = "vision" if kind == "image" else "video"
        others = [
            s.name
            for s in check.catalog
            if form in s.forms and (s.max_images if kind == "image" else s.max_videos) >= len(urls)
        ]
        what = f"a single {kind}" if limit == 1 else f"at most {limit} {kind}s"
        per = f"one {kind} per request" if limit == 1 else f"at most {limit} {kind}s per request"
        check.add(
            field,
            "model_rule_violation",
            f"{spec.name} accepts {what} per request; got {len(urls)}.",
            f"Send {per} or use {joined(others)}.",
        )


def _check_youtube(check: Check, field: str, url: str, spec: ModelSpec | None) -> None:
    watch = youtube_watch_url(url)
    if watch is not None:
        # Shorts links are rejected upstream with 422 (2.1).
        check.add(
            field,
            "model_rule_violation",
            f"{check.label} got a YouTube Shorts link, which the upstream rejects.",
            f"Rewrite it to {watch}.",
        )
        return
    if spec is not None and spec.family != "gemini" and _YOUTUBE.match(url) is not None:
        # YouTube links are accepted by the Gemini family only (2.1).
        gemini = [s.name for s in check.catalog if s.family == "gemini" and "video" in s.forms]
        check.add(
            field,
            "model_not_support_capability",
            f"{spec.name} does not accept YouTube links; only Gemini models do.",
            f"Pass a direct .mp4/.mov/.webm URL or a data:video URI, or use {joined(gemini)}.",
        )


def _check_audio(check: Check, body: Mapping[str, Any], spec: ModelSpec | None) -> None:
    label = check.label
    value = body.get("audio_url")
    if isinstance(value, (list, tuple)):
        check.invalid(
            "audio_url",
            f"audio_url for {label} must be a single string, not a list (one audio per request).",
            "Send one audio_url string; split several recordings into several requests.",
        )
        return
    url = _url_text(value)
    if not url:
        check.invalid(
            "audio_url",
            f"audio_url for {label} must be a non-empty string, got {brief(value)}.",
            _url_fix("audio"),
        )
        return
    check.count("audio_url", _url_length(value))
    problem = _url_problem(url, "audio")
    if problem is not None:
        check.invalid("audio_url", f"audio_url for {label} {problem}.", _url_fix("audio"))
        return
    if spec is not None and spec.audio_formats:
        _audio_format_check(check, url, spec, "audio_url", "audio")


def check_body_size(check: Check, limit: int, form: Form | None, surface: Surface) -> None:
    # gemini-2.5-pro: prompt + system prompt + inline files <= 20 MB (2.1). Estimated from the
    # lengths of the big strings plus slack instead of serialising a 20 MB body again.
    if not check.sizes:
        return
    total = sum(check.sizes.values()) + _BODY_SLACK
    if total <= limit:
        return
    field = max(check.sizes, key=lambda key: check.sizes[key])
    # Every way out that exists where the user is: a URL, segments (audio only), a model
    # that takes the same form without the limit.
    ways = ["pass an http(s) URL instead of inline data"]
    if field == "audio_url":
        ways.append(f"{surface.split} to send the recording in segments")
    else:
        ways.append("send smaller files")
    unlimited = [
        s.name
        for s in check.catalog
        if form is not None and form in s.forms and s.max_body_bytes is None
    ]
    if unlimited:
        ways.append(f"use a model without this limit ({joined(unlimited)})")
    check.add(
        field,
        "model_rule_violation",
        f"The request body for {check.label} is about {megabytes(total)}, over the "
        f"{limit / _MIB:g} MB limit for inline media.",
        _sentence(", ".join(ways[:-1]) + ", or " + ways[-1]),
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
