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

from collections.abc import Mapping, Sequence
from typing import Any, Final, Literal

from ._blocks import (
    REASONING_BLOCKS,
    convert_block,
    describe,
    joined,
    routing_error,
    to_foxapi_block,
)
from ._catalog import DEFAULT_CATALOG, Catalog, ModelSpec
from ._errors import RequestValidationError

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
_TRANSCRIPT_LABELS: Final[Mapping[str, str]] = {"user": "User", "assistant": "Assistant"}
_MEDIA_FIELDS: Final[Mapping[str, str]] = {
    "image_url": "image_urls",
    "audio_url": "audio_url",
    "video_url": "video_urls",
}


# --------------------------------------------------------------------------------------------
# Messages form (protocol doc 2.2)
# --------------------------------------------------------------------------------------------


def _reasoning_text(content: Sequence[Any]) -> str:
    """The text of LangChain ``reasoning`` / Anthropic ``thinking`` blocks of a content list."""
    parts: list[str] = []
    for block in content:
        if isinstance(block, Mapping):
            text = block.get("reasoning") or block.get("thinking")
            if block.get("type") in REASONING_BLOCKS and isinstance(text, str):
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
            if (converted := convert_block(block, model=model, field=f"messages[{i}].content[{j}]"))
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
        raise routing_error(
            f"messages[{i}].content must be a string or a list of blocks, got {describe(content)}.",
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
    return routing_error(
        f"{_prompt_reason(model, spec)}, which cannot carry {what}.",
        model=model,
        field=field,
        fix=f"Use one of {joined(catalog.models_with_form('messages'))} (messages form) for "
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
            raise routing_error(
                f"{field} has role {describe(role)}, which the prompt forms cannot carry.",
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
                converted = convert_block(block, model=model, field=block_field)
                if converted is None:
                    continue
                btype = converted["type"]
                if btype == "text":
                    texts.append(converted["text"])
                elif role in ("system", "developer"):
                    raise routing_error(
                        f"{block_field} puts a {btype} block in a {role} message; the prompt "
                        "forms' system_prompt is text only.",
                        model=model,
                        field=block_field,
                        fix="Move the media into a user message.",
                    )
                elif btype == "file_url":
                    raise routing_error(
                        f"{_prompt_reason(model, spec)}, and no prompt form carries files "
                        "(file_url).",
                        model=model,
                        field=block_field,
                        fix=f"Send files to one of {joined(catalog.models_accepting('file_url'))}"
                        " on the messages form, or pass the document's text.",
                        code="model_not_support_capability",
                    )
                else:
                    urls, _ = parts.media.setdefault(btype, ([], block_field))
                    urls.append(converted[btype]["url"])
        elif content is not None:
            raise routing_error(
                f"{field}.content must be a string or a list of blocks, got {describe(content)}.",
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
        raise routing_error(
            f"The conversation for {model} holds several kinds of media ({kinds}); a prompt-form "
            "request carries one kind of media (image_urls, audio_url or video_urls).",
            model=model,
            field=next(iter(parts.media.values()))[1],
            fix="Send them in separate requests, one kind of media each.",
        )
    for btype, (urls, first_field) in parts.media.items():
        if btype == "audio_url":
            if len(urls) > 1:
                raise routing_error(
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
            raise routing_error(
                f"params sets {key!r}, which build_body derives from the model and messages.",
                model=model,
                field=key,
                fix=f"Remove {key!r} from params.",
            )
        if key == "max_completion_tokens":
            # OpenAI's newer name; the wire field is max_tokens on every form (2.1, 2.2).
            other = params.get("max_tokens")
            if other is not None and other != value:
                raise routing_error(
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
                raise routing_error(
                    f"{_prompt_reason(model, spec)}, which cannot carry {key} (it is an OpenAI "
                    "pass-through of the messages form only).",
                    model=model,
                    field=key,
                    fix=f"Use one of {joined(accepting)}, or remove {key}.",
                )
            if key in _MESSAGES_ONLY_PARAMS:
                raise routing_error(
                    f"{_prompt_reason(model, spec)}, which do not document {key} (only "
                    "max_tokens, temperature and reasoning).",
                    model=model,
                    field=key,
                    fix=f"Remove {key}, or use one of "
                    f"{joined(catalog.models_with_form('messages'))} (messages form).",
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
        raise routing_error(
            f"model must be a non-empty string, got {describe(model)}.",
            model=str(model),
            field="model",
            fix=f"Set model to one of {joined(catalog.names)}.",
        )
    if form not in ("auto", "messages", "prompt"):
        raise ValueError(f"form must be 'auto', 'messages' or 'prompt', got {form!r}")
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence) or not messages:
        raise routing_error(
            f"messages for {model} must be a non-empty list of message objects.",
            model=model,
            field="messages",
            fix='Send messages as [{"role": "user", "content": "..."}].',
        )
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            raise routing_error(
                f"messages[{i}] for {model} must be an object, got {describe(message)}.",
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
        raise routing_error(
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
