"""One stream accumulator for ``stream_chat`` and ``astream_chat``: chunk events to responses.

The shape is llama-index-llms-openai's (``OpenAI._stream_chat``): every response's message carries
the cumulative blocks ``[ThinkingBlock?, TextBlock, ToolCallBlock*]``, ``delta`` is the new
content only, and ``additional_kwargs["thinking_delta"]`` the new reasoning, the only place
``FunctionAgent`` reads it (llama_index#19857). Two differences, both fixes: tool-call fragments
are accumulated by ``index`` for every fragment of a chunk (openai's ``update_tool_calls`` reads
only the first), and the stream always ends with one more response carrying the usage, taken from
the core's final ``ChatCompletion`` (llama_index#16721), whose message is exactly what ``chat``
would have returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from foxapi_core import ChatCompletion, ChunkEvent
from foxapi_core._wire import FunctionCall, ToolCall

from ._convert import message_from_completion, usage_kwargs

__all__ = ["StreamAccumulator", "to_completion_response"]


@dataclass
class _ToolCall:
    id: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass
class StreamAccumulator:
    """Turns the chunk events of one streamed generation into cumulative ``ChatResponse``\\ s.

    Example:
        >>> acc = StreamAccumulator()
        >>> for event in client.stream_generate(body):
        ...     yield acc.add(event)
        >>> yield acc.finish(stream.completion)
    """

    content: str = ""
    reasoning: str = ""
    tool_calls: dict[int, _ToolCall] = field(default_factory=dict)
    task_id: str | None = None

    def add(self, event: ChunkEvent) -> ChatResponse:
        """Take one chunk; return the response to yield for it."""
        self.task_id = event.task_id
        delta = event.chunk.delta
        content_delta = delta.content or ""
        reasoning_delta = delta.reasoning_content or ""
        self.content += content_delta
        self.reasoning += reasoning_delta
        for piece in delta.tool_calls or ():  # every fragment, not only the first
            call = self.tool_calls.setdefault(piece.index, _ToolCall())
            if piece.id:
                call.id = piece.id
            if piece.function is not None:
                call.name += piece.function.name or ""
                call.arguments += piece.function.arguments or ""
        blocks: list[Any] = []
        if self.reasoning:
            blocks.append(ThinkingBlock(content=self.reasoning))
        blocks.append(TextBlock(text=self.content))
        for _, call in sorted(self.tool_calls.items()):
            # Partial JSON while streaming, as openai does; get_tool_calls_from_response and the
            # final response parse it.
            blocks.append(
                ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=call.arguments)
            )
        calls = [
            ToolCall(id=c.id or "", function=FunctionCall(name=c.name, arguments=c.arguments))
            for _, c in sorted(self.tool_calls.items())
        ]
        message_extra = {"tool_calls": calls} if calls else {}
        extra: dict[str, Any] = usage_kwargs(event.chunk.usage)
        if reasoning_delta:
            extra["thinking_delta"] = reasoning_delta
        return ChatResponse(
            message=ChatMessage(
                role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=message_extra
            ),
            delta=content_delta,
            raw=event.chunk,
            additional_kwargs=extra,
        )

    def finish(self, completion: ChatCompletion | None, extra: dict[str, Any]) -> ChatResponse:
        """The closing response: the final message (as ``chat`` returns it), usage in
        ``additional_kwargs``, no new content (``delta=""``)."""
        if completion is None:  # pragma: no cover - the core always sets it after a full stream
            completion = ChatCompletion()
            message = ChatMessage(role=MessageRole.ASSISTANT, content=self.content)
        else:
            message = message_from_completion(completion)
        return ChatResponse(
            message=message,
            delta="",
            raw=completion,
            additional_kwargs={**usage_kwargs(completion.usage), **extra},
        )


def to_completion_response(response: ChatResponse) -> CompletionResponse:
    """A chat response as the completion response of ``complete`` / ``stream_complete``."""
    return CompletionResponse(
        text=response.message.content or "",
        delta=response.delta,
        raw=response.raw,
        additional_kwargs=dict(response.additional_kwargs),
    )
