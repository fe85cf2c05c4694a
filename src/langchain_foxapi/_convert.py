"""Converters between LangChain messages and what ``foxapi_core`` takes and returns.

Inbound, LangChain messages become OpenAI chat dicts (``convert_to_openai_messages``), which
``foxapi_core._routing.build_body`` turns into a wire body. ``convert_to_openai_messages`` drops
the reasoning of assistant messages, but thinking models (kimi-k2.6, like DeepSeek's) answer 400
when an assistant tool-call turn comes back without its ``reasoning_content`` (langchain#34166):
:func:`to_openai_messages` puts it back.

Outbound, a ``ChatCompletion`` becomes an ``AIMessage`` (:func:`to_ai_message`) and usage becomes
``UsageMetadata`` (:func:`to_usage_metadata`); streamed chunks are handled in ``_stream``.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.exceptions import OutputParserException
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    InvalidToolCall,
    convert_to_openai_messages,
)
from langchain_core.messages import ToolCall as LCToolCall
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import tool_call as make_tool_call
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call

from foxapi_core import ChatCompletion, ToolCall, Usage
from foxapi_core._blocks import to_foxapi_block

__all__ = [
    "PROVIDER",
    "convert_tool_choice",
    "reasoning_of",
    "to_ai_message",
    "to_openai_messages",
    "to_usage_metadata",
]

#: ``response_metadata["model_provider"]``: no translator is registered under this name, so
#: langchain-core turns ``additional_kwargs["reasoning_content"]`` into a standard reasoning
#: block (the "openai" translator would drop it, langchain#35059).
PROVIDER = "foxapi"


def reasoning_of(message: BaseMessage) -> str | None:
    """The reasoning text an assistant message carries, from ``additional_kwargs`` or from
    ``reasoning`` content blocks (v1 output), or None.

    Example:
        >>> reasoning_of(AIMessage("", additional_kwargs={"reasoning_content": "hmm"}))
        'hmm'
    """
    value = message.additional_kwargs.get("reasoning_content")
    if isinstance(value, str) and value:
        return value
    if isinstance(message.content, list):
        parts = [
            str(block.get("reasoning") or "")
            for block in message.content
            if isinstance(block, dict) and block.get("type") == "reasoning"
        ]
        text = "".join(parts)
        if text:
            return text
    return None


def _drop_reasoning_blocks(content: Any) -> Any:
    """Assistant content without ``reasoning`` blocks (v1 output keeps them in ``content``;
    on the wire reasoning travels in ``reasoning_content``, not as a block)."""
    if not isinstance(content, list):
        return content
    kept = [b for b in content if not (isinstance(b, dict) and b.get("type") == "reasoning")]
    if kept and all(isinstance(b, dict) and b.get("type") == "text" for b in kept):
        return "".join(str(b.get("text", "")) for b in kept)
    return kept or ""


def _unnamed_inline_file(block: Any) -> bool:
    if not (isinstance(block, dict) and block.get("type") == "file"):
        return False
    if not (block.get("source_type") == "base64" or "base64" in block) or block.get("filename"):
        return False
    return not any(
        isinstance(extra, Mapping) and "filename" in extra
        for extra in (block.get("extras"), block.get("metadata"))
    )


def _name_inline_files(message: BaseMessage) -> BaseMessage:
    """The message with a filename on each inline ``file`` block that has none.

    langchain-core's converter warns "OpenAI may require a filename" for such blocks and
    substitutes a placeholder. FoxAPI needs no name (the block travels as a data URI whose mime
    type says what it is), so the warning would only mislead; the name given here is never sent.
    """
    content = message.content
    if not isinstance(content, list) or not any(_unnamed_inline_file(b) for b in content):
        return message
    blocks: list[Any] = []
    for block in content:
        if isinstance(block, dict) and _unnamed_inline_file(block):
            extension = mimetypes.guess_extension(str(block.get("mime_type"))) or ""
            block = {**block, "filename": f"document{extension}"}
        blocks.append(block)
    return message.model_copy(update={"content": blocks})


def _is_foxapi_only(block: Any) -> bool:
    """A standard block langchain-core's converter refuses but FoxAPI carries: ``video`` (any
    source) and ``file`` given by URL."""
    if not isinstance(block, Mapping):
        return False
    kind = block.get("type")
    return kind == "video" or (kind == "file" and isinstance(block.get("url"), str))


def _pre_convert(message: BaseMessage, model: str) -> BaseMessage:
    """Turn the blocks langchain-core cannot convert into FoxAPI blocks (``video_url``,
    ``file_url``), which it passes through; the core's checks then judge them per model."""
    content = message.content
    if not isinstance(content, list) or not any(_is_foxapi_only(b) for b in content):
        return message
    converted: list[str | dict[Any, Any]] = [
        to_foxapi_block(b, model=model, field=f"content[{j}]")
        if isinstance(b, dict) and _is_foxapi_only(b)
        else b
        for j, b in enumerate(content)
    ]
    return message.model_copy(update={"content": converted})


def to_openai_messages(
    messages: Sequence[BaseMessage], *, send_reasoning: bool, model: str = ""
) -> list[dict[str, Any]]:
    """OpenAI chat dicts of a LangChain conversation, for ``build_body``.

    Args:
        messages: The conversation.
        send_reasoning: Put each assistant tool-call turn's reasoning back into its dict as
            ``reasoning_content`` (for thinking models; they refuse such turns without it).
        model: The model, named in errors about a block.

    Example:
        >>> to_openai_messages([HumanMessage("Hi")], send_reasoning=False)
        [{'role': 'user', 'content': 'Hi'}]
    """
    out: list[dict[str, Any]] = []
    for message in messages:
        converted = convert_to_openai_messages([_name_inline_files(_pre_convert(message, model))])
        for item in converted:
            if item.get("role") != "assistant":
                out.append(item)
                continue
            item = {**item, "content": _drop_reasoning_blocks(item.get("content"))}
            if send_reasoning and item.get("tool_calls"):
                reasoning = reasoning_of(message)
                if reasoning:
                    item["reasoning_content"] = reasoning
            out.append(item)
    return out


def convert_tool_choice(
    tool_choice: str | bool | Mapping[str, Any] | None, tool_names: Sequence[str]
) -> str | dict[str, Any] | None:
    """OpenAI ``tool_choice`` of LangChain's spellings.

    ``"any"``, ``"required"`` and ``True`` force a tool call (``"required"``); ``"auto"`` and
    ``"none"`` pass through; any other string names a tool; a dict passes through.

    Raises:
        ValueError: ``tool_choice`` names no bound tool.

    Example:
        >>> convert_tool_choice("any", ["f"]), convert_tool_choice("f", ["f"])
        ('required', {'type': 'function', 'function': {'name': 'f'}})
    """
    if tool_choice is None or tool_choice is False:
        return None
    if tool_choice is True or tool_choice in ("any", "required"):
        return "required"
    if isinstance(tool_choice, str):
        if tool_choice in ("auto", "none"):
            return tool_choice
        if tool_names and tool_choice not in tool_names:
            raise ValueError(
                f"tool_choice={tool_choice!r} names no bound tool; bound: {', '.join(tool_names)}."
            )
        return {"type": "function", "function": {"name": tool_choice}}
    return dict(tool_choice)


def to_usage_metadata(usage: Usage | None) -> UsageMetadata | None:
    """LangChain ``UsageMetadata`` of a FoxAPI ``Usage`` (reasoning under
    ``output_token_details.reasoning``, cached prompt tokens under ``input_token_details``)."""
    if usage is None:
        return None
    metadata = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens or usage.prompt_tokens + usage.completion_tokens,
    )
    if usage.reasoning_tokens is not None:
        metadata["output_token_details"] = OutputTokenDetails(reasoning=usage.reasoning_tokens)
    cached = (usage.prompt_tokens_details or {}).get("cached_tokens")
    if isinstance(cached, int):
        metadata["input_token_details"] = InputTokenDetails(cache_read=cached)
    return metadata


def _tool_call_dict(call: ToolCall) -> dict[str, Any]:
    return {
        "id": call.id,
        "type": call.type,
        "function": {"name": call.function.name, "arguments": call.function.arguments},
    }


def parse_tool_calls(
    calls: Sequence[ToolCall] | None,
) -> tuple[list[LCToolCall], list[InvalidToolCall]]:
    """LangChain tool calls of the wire's; calls whose arguments are not JSON become
    ``invalid_tool_calls`` (with the parser's error) instead of failing the whole answer."""
    valid: list[LCToolCall] = []
    invalid: list[InvalidToolCall] = []
    for call in calls or ():
        raw = _tool_call_dict(call)
        try:
            parsed = parse_tool_call(raw, return_id=True)
        except OutputParserException as exc:
            invalid.append(make_invalid_tool_call(raw, str(exc)))
            continue
        if parsed is not None:
            valid.append(make_tool_call(name=parsed["name"], args=parsed["args"], id=parsed["id"]))
    return valid, invalid


def response_metadata(
    completion: ChatCompletion | None,
    *,
    model: str,
    task_id: str | None,
    finish_reason: str | None = None,
    reasoning_incomplete: bool = False,
) -> dict[str, Any]:
    """``response_metadata`` of an answer: model, finish reason, provider and the task id."""
    metadata: dict[str, Any] = {
        "model_name": (completion.model if completion is not None else "") or model,
        "finish_reason": finish_reason
        or (completion.finish_reason if completion is not None else None),
        "model_provider": PROVIDER,
    }
    if task_id:
        metadata["task_id"] = task_id
    if completion is not None and completion.id:
        metadata["id"] = completion.id
    if reasoning_incomplete:
        metadata["reasoning_incomplete"] = True
    return metadata


def to_ai_message(
    completion: ChatCompletion,
    *,
    model: str,
    task_id: str | None,
    reasoning_incomplete: bool = False,
) -> AIMessage:
    """The ``AIMessage`` of a ChatCompletion: content, tool calls, reasoning, usage, metadata.

    Example:
        >>> to_ai_message(completion, model="kimi-k2.6", task_id="task-llm-1-abc")
    """
    message = completion.message
    tool_calls, invalid_tool_calls = parse_tool_calls(message.tool_calls)
    additional_kwargs: dict[str, Any] = {}
    if message.reasoning_content:
        additional_kwargs["reasoning_content"] = message.reasoning_content
    usage = to_usage_metadata(completion.usage)
    return AIMessage(
        content=message.content or "",
        additional_kwargs=additional_kwargs,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid_tool_calls,
        usage_metadata=usage,
        response_metadata=response_metadata(
            completion, model=model, task_id=task_id, reasoning_incomplete=reasoning_incomplete
        ),
    )


StructuredMethod = Literal["function_calling", "json_mode", "json_schema"]
