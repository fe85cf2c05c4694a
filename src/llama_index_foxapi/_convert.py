"""Conversions between LlamaIndex's chat types and the OpenAI chat format ``foxapi_core`` takes.

Outbound: :func:`to_openai_messages` turns ``ChatMessage`` objects (with their ``TextBlock``,
``ImageBlock``, ``AudioBlock``, ``VideoBlock``, ``DocumentBlock``, ``ThinkingBlock`` and
``ToolCallBlock`` blocks) into OpenAI chat dicts; ``foxapi_core._routing.build_body`` then picks the
request form and shapes the wire body, and the client checks it against the model catalog. Nothing
here knows a model rule: media go out as standard ``image`` / ``audio`` / ``video`` / ``file``
blocks (URL, or base64 with the mime LlamaIndex knows) and the core builds the FoxAPI blocks and
decides whether the model takes them.

Inbound: :func:`message_from_completion` builds the assistant ``ChatMessage`` of a core
``ChatCompletion`` with the blocks llama-index-llms-openai produces,
``[ThinkingBlock?, TextBlock, ToolCallBlock*]``; :func:`tool_selections` reads them back as
``ToolSelection`` objects for agents.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.llms.utils import parse_partial_json

from foxapi_core import ChatCompletion, RequestValidationError, Usage
from foxapi_core._wire import ToolCall

__all__ = [
    "ReasoningHistory",
    "legacy_tool_calls",
    "message_from_completion",
    "parse_tool_kwargs",
    "to_openai_messages",
    "tool_selections",
    "usage_kwargs",
]


ReasoningHistory = Literal["tool_calls", "all", "none"]
"""Which assistant turns send their ``ThinkingBlock`` back as ``reasoning_content``:
``"tool_calls"`` (thinking models' tool-call turns, which kimi-k2.6 requires), ``"all"`` (every
assistant turn that has one, any model) or ``"none"``."""

# LlamaIndex roles -> OpenAI chat roles (the messages form takes the OpenAI roles, protocol 2.2).
_ROLES: Mapping[str, str] = {
    MessageRole.SYSTEM.value: "system",
    MessageRole.DEVELOPER.value: "developer",
    MessageRole.USER.value: "user",
    MessageRole.ASSISTANT.value: "assistant",
    MessageRole.TOOL.value: "tool",
    MessageRole.FUNCTION.value: "tool",
    MessageRole.CHATBOT.value: "assistant",
    MessageRole.MODEL.value: "assistant",
}


# --- outbound ------------------------------------------------------------------------------------


def _media_block(kind: str, url: Any, b64: Any, mime: str | None, **extra: Any) -> dict[str, Any]:
    """A LangChain-v1-style standard block; ``build_body`` turns it into the FoxAPI block (it
    sniffs and canonicalises mimes, so no media rule lives here)."""
    if b64 is None:
        return {"type": kind, "url": str(url)}
    block = {"type": kind, "base64": b64.read().decode("ascii"), **extra}
    if mime:
        block["mime_type"] = mime
    return block


def _by_url(block: Any, data: Any) -> bool:
    return block.url is not None and data is None and block.path is None


def _content_block(block: Any) -> dict[str, Any] | None:
    """One LlamaIndex content block as an OpenAI-format content block (None: not content).

    Blocks with a URL keep it (nothing is downloaded); bytes and paths go inline as base64,
    which LlamaIndex already holds (``resolve_*(as_base64=True)`` does not re-encode).
    """
    if isinstance(block, TextBlock):
        return {"type": "text", "text": block.text}
    if isinstance(block, ImageBlock):
        inline = None if _by_url(block, block.image) else block.resolve_image(as_base64=True)
        return _media_block("image", block.url, inline, block.image_mimetype)
    if isinstance(block, AudioBlock):
        # AudioBlock.audio holds base64 after validation; resolve_audio() reads it either way.
        inline = None if _by_url(block, block.audio) else block.resolve_audio(as_base64=True)
        return _media_block("audio", block.url, inline, block.format)
    if isinstance(block, VideoBlock):
        inline = None if _by_url(block, block.video) else block.resolve_video(as_base64=True)
        return _media_block("video", block.url, inline, block.video_mimetype)
    if isinstance(block, DocumentBlock):
        if _by_url(block, block.data):
            return _media_block("file", block.url, None, None)
        raw = block.resolve_document()
        encoded = io.BytesIO(base64.b64encode(raw.read()))
        return _media_block("file", None, encoded, block.document_mimetype, filename=block.title)
    if isinstance(block, (ThinkingBlock, ToolCallBlock, CachePoint)):
        return None  # reasoning and tool calls are message fields; cache points have no meaning
    # Our error, not a TypeError: LlamaIndex's refine/compact synthesizers swallow TypeErrors.
    raise RequestValidationError(
        f"FoxAPI cannot send a {type(block).__name__} content block.",
        field="messages.content",
        fix="Use TextBlock, ImageBlock, AudioBlock, VideoBlock or DocumentBlock.",
    )


def _tool_call_dict(block: ToolCallBlock, index: int) -> dict[str, Any]:
    kwargs = block.tool_kwargs
    arguments = kwargs if isinstance(kwargs, str) else json.dumps(kwargs, ensure_ascii=False)
    return {
        "id": block.tool_call_id or f"call_{index}",
        "type": "function",
        "function": {"name": block.tool_name, "arguments": arguments},
    }


def _legacy_tool_calls(calls: Iterable[Any]) -> list[dict[str, Any]]:
    """``additional_kwargs["tool_calls"]`` as dicts (openai objects, pydantic models or dicts)."""
    result: list[dict[str, Any]] = []
    for call in calls:
        if hasattr(call, "model_dump"):
            call = call.model_dump(exclude_none=True)
        if isinstance(call, Mapping):
            function = dict(call.get("function") or {})
            arguments = function.get("arguments")
            if not isinstance(arguments, str):
                function["arguments"] = json.dumps(arguments or {}, ensure_ascii=False)
            result.append(
                {
                    "id": call.get("id", ""),
                    "type": call.get("type", "function"),
                    "function": function,
                }
            )
    return result


def _text_of(blocks: Sequence[Any]) -> str:
    return "\n".join(block.text for block in blocks if isinstance(block, TextBlock))


def _to_openai_message(
    message: ChatMessage, *, reasoning: ReasoningHistory, thinking_model: bool
) -> dict[str, Any]:
    role = _ROLES.get(str(message.role.value), "user")
    extra = message.additional_kwargs
    if role == "tool":
        return {
            "role": "tool",
            "tool_call_id": str(extra.get("tool_call_id") or extra.get("name") or ""),
            "content": _text_of(message.blocks),
        }
    content = [part for b in message.blocks if (part := _content_block(b)) is not None]
    result: dict[str, Any] = {"role": role}
    if all(part["type"] == "text" for part in content):
        result["content"] = "\n".join(part["text"] for part in content)
    else:
        result["content"] = content
    if role != "assistant":
        return result
    calls = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    tool_calls = [_tool_call_dict(b, i) for i, b in enumerate(calls)]
    if not tool_calls and extra.get("tool_calls"):
        tool_calls = _legacy_tool_calls(extra["tool_calls"])
    if tool_calls:
        result["tool_calls"] = tool_calls
        if result["content"] == "":
            result["content"] = None  # OpenAI semantics: a tool-call-only turn has no content
    send_reasoning = reasoning == "all" or (
        reasoning == "tool_calls" and thinking_model and bool(tool_calls)
    )
    if send_reasoning:
        # llama_index#18828: dropping the reasoning of tool-call turns makes thinking models
        # (kimi-k2.6) refuse the history with a 400.
        thoughts = [b.content for b in message.blocks if isinstance(b, ThinkingBlock) and b.content]
        text = "".join(thoughts) or extra.get("reasoning_content")
        if text:
            result["reasoning_content"] = text
    return result


def to_openai_messages(
    messages: Sequence[ChatMessage],
    *,
    reasoning: ReasoningHistory = "tool_calls",
    thinking_model: bool = False,
) -> list[dict[str, Any]]:
    """OpenAI chat-format dicts of LlamaIndex messages, for ``foxapi_core._routing.build_body``.

    Args:
        messages: The conversation.
        reasoning: Which assistant turns carry their ``ThinkingBlock`` as ``reasoning_content``.
        thinking_model: Whether the target model is a thinking model (catalog ``thinking``).

    Raises:
        RequestValidationError: A block FoxAPI cannot carry (e.g. a ``CitationBlock``).

    Example:
        >>> to_openai_messages([ChatMessage(role="user", content="Hi")])
        [{'role': 'user', 'content': 'Hi'}]
    """
    return [
        _to_openai_message(m, reasoning=reasoning, thinking_model=thinking_model) for m in messages
    ]


# --- inbound -------------------------------------------------------------------------------------


def parse_tool_kwargs(arguments: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """Tool arguments as a dict; partial JSON (a stream cut mid-call) is completed if possible."""
    if isinstance(arguments, Mapping):
        return dict(arguments)
    if not arguments:
        return {}
    try:
        parsed = json.loads(arguments)
    except ValueError:
        try:
            parsed = parse_partial_json(arguments)
        except (ValueError, TypeError):
            return {}
    return parsed if isinstance(parsed, dict) else {}


def _final_tool_kwargs(arguments: str) -> dict[str, Any] | str:
    """Complete arguments as a dict; text that is not a JSON object stays a string."""
    try:
        parsed = json.loads(arguments) if arguments else {}
    except ValueError:
        return arguments
    return parsed if isinstance(parsed, dict) else arguments


def message_from_completion(completion: ChatCompletion) -> ChatMessage:
    """The assistant ``ChatMessage`` of a completion: ``[ThinkingBlock?, TextBlock,
    ToolCallBlock*]``, the shape llama-index-llms-openai gives; ``.content`` is the answer only.
    """
    wire = completion.message
    blocks: list[Any] = []
    extra: dict[str, Any] = {}
    if wire.reasoning_content:
        tokens = completion.usage.reasoning_tokens if completion.usage else None
        blocks.append(ThinkingBlock(content=wire.reasoning_content, num_tokens=tokens))
    blocks.append(TextBlock(text=wire.content or ""))
    for call in wire.tool_calls or ():
        blocks.append(
            ToolCallBlock(
                tool_call_id=call.id or None,
                tool_name=call.function.name,
                tool_kwargs=_final_tool_kwargs(call.function.arguments),
            )
        )
    if wire.tool_calls:
        extra["tool_calls"] = legacy_tool_calls(wire.tool_calls)
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def legacy_tool_calls(calls: Iterable[ToolCall]) -> list[ToolCall]:
    """``message.additional_kwargs["tool_calls"]``, as llama-index-llms-openai fills it.

    LlamaIndex reads tool calls there, not in ``ToolCallBlock`` blocks: the streaming programs
    (``process_streaming_objects``, behind ``stream_structured_predict``), the token counters of
    the memories, and the chat engines' ``is_function``. The items are objects with
    ``.id`` and ``.function.name`` / ``.function.arguments`` (attribute access, as the token
    counter needs); they serialize as OpenAI tool-call dicts.
    """
    return [call.model_copy(deep=True) for call in calls]


def usage_kwargs(usage: Usage | None) -> dict[str, Any]:
    """Token counts under the keys llama-index-llms-openai uses (plus ``reasoning_tokens``)."""
    if usage is None:
        return {}
    counts: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.reasoning_tokens is not None:
        counts["reasoning_tokens"] = usage.reasoning_tokens
    return counts


def tool_selections(message: ChatMessage) -> list[ToolSelection]:
    """The tool calls of an assistant message (``ToolCallBlock``\\ s, else the legacy
    ``additional_kwargs["tool_calls"]``) as ``ToolSelection``\\ s."""
    blocks = [b for b in message.blocks if isinstance(b, ToolCallBlock)]
    if blocks:
        return [
            ToolSelection(
                tool_id=b.tool_call_id or "",
                tool_name=b.tool_name,
                tool_kwargs=parse_tool_kwargs(b.tool_kwargs),
            )
            for b in blocks
        ]
    return [
        ToolSelection(
            tool_id=str(call.get("id") or ""),
            tool_name=str(call["function"].get("name") or ""),
            tool_kwargs=parse_tool_kwargs(call["function"].get("arguments")),
        )
        for call in _legacy_tool_calls(message.additional_kwargs.get("tool_calls") or ())
    ]
