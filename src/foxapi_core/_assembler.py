"""Assembling streamed ``chat.completion.chunk`` objects into one ChatCompletion (I/O free)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._wire import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatMessage,
    Choice,
    FunctionCall,
    ToolCall,
    Usage,
)

__all__ = ["ChunkAssembler"]


@dataclass
class _ToolCallParts:
    id: str = ""
    type: str = "function"
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class ChunkAssembler:
    """Accumulates the chunks of one answer: content, reasoning, tool calls by index, usage and
    finish reason.

    Only the first choice is assembled: FoxAPI answers with one choice (``n`` is not supported).

    Example:
        >>> assembler = ChunkAssembler()
        >>> for event in events:
        ...     assembler.add(event.chunk)
        >>> completion = assembler.completion()
    """

    __slots__ = (
        "_content",
        "_created",
        "_finish_reason",
        "_id",
        "_model",
        "_reasoning",
        "_role",
        "_tool_calls",
        "chunks",
        "usage",
    )

    def __init__(self) -> None:
        self._content: list[str] = []
        self._reasoning: list[str] = []
        self._tool_calls: dict[int, _ToolCallParts] = {}
        self._finish_reason: str | None = None
        self._role = "assistant"
        self._id = ""
        self._model = ""
        self._created = 0
        self.usage: Usage | None = None
        self.chunks = 0

    def add(self, chunk: ChatCompletionChunk) -> None:
        """Take one chunk into account."""
        self.chunks += 1
        if not self._id:
            self._id, self._model, self._created = chunk.id, chunk.model, chunk.created
        if chunk.usage is not None:
            self.usage = chunk.usage
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            delta = choice.delta
            if delta.role:
                self._role = delta.role
            if delta.content:
                self._content.append(delta.content)
            if delta.reasoning_content:
                self._reasoning.append(delta.reasoning_content)
            if delta.tool_calls:
                for piece in delta.tool_calls:
                    parts = self._tool_calls.setdefault(piece.index, _ToolCallParts())
                    if piece.id:
                        parts.id = piece.id
                    if piece.type:
                        parts.type = piece.type
                    if piece.function is not None:
                        if piece.function.name:
                            parts.name += piece.function.name
                        if piece.function.arguments:
                            parts.arguments.append(piece.function.arguments)
            if choice.finish_reason:
                self._finish_reason = choice.finish_reason

    @property
    def reasoning(self) -> str | None:
        """All reasoning received so far, or None when the model sent none."""
        return "".join(self._reasoning) if self._reasoning else None

    @property
    def content(self) -> str:
        """All content received so far."""
        return "".join(self._content)

    @property
    def finish_reason(self) -> str | None:
        """The finish reason, once the last chunk has arrived."""
        return self._finish_reason

    def message(self) -> ChatMessage:
        """The assistant message assembled so far."""
        tool_calls = [
            ToolCall(
                id=parts.id,
                type=parts.type,
                function=FunctionCall(name=parts.name, arguments="".join(parts.arguments)),
            )
            for _, parts in sorted(self._tool_calls.items())
        ]
        return ChatMessage(
            role=self._role,
            content=self.content if (self._content or not tool_calls) else None,
            reasoning_content=self.reasoning,
            tool_calls=tool_calls or None,
        )

    def completion(self) -> ChatCompletion:
        """The ChatCompletion assembled so far."""
        return ChatCompletion(
            id=self._id,
            created=self._created,
            model=self._model,
            choices=[Choice(index=0, message=self.message(), finish_reason=self._finish_reason)],
            usage=self.usage,
        )
