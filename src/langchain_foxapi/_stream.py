"""One stream accumulator for ``_stream`` and ``_astream``: FoxAPI chunk events in,
``AIMessageChunk`` objects out, in the shape LangChain's merging expects.

- Reasoning pieces go to ``additional_kwargs["reasoning_content"]`` with ``content=""``; with
  ``model_provider="foxapi"`` on every chunk langchain-core shows them as reasoning blocks.
- Tool-call fragments become ``tool_call_chunks`` keyed by ``index``; only the first fragment of
  a call carries its id and name (as on the wire), so merging never doubles them (langchain#34654).
- Strings that merging would concatenate (``model_name``, ``finish_reason``, ``task_id``) and the
  usage are put on ONE chunk only, the last, marked ``chunk_position="last"`` (langchain#38366).
"""

from __future__ import annotations

import warnings
from typing import Any

from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from foxapi_core import ChatCompletion, ChunkEvent

from ._convert import PROVIDER, response_metadata, to_usage_metadata

__all__ = ["ChunkStream", "ReasoningIncompleteWarning", "reasoning_incomplete"]


class ReasoningIncompleteWarning(UserWarning):
    """A thinking model answered, but its reasoning could not be read completely."""


def reasoning_incomplete(
    completion: ChatCompletion | None, *, thinking: bool, model: str, task_id: str | None
) -> bool:
    """Whether a thinking model's reasoning is missing or partial; warns when it is.

    The reasoning of kimi-k2.6 exists only in the task's stream (protocol reference 4.3). When
    the stream cannot be read completely (past its retention, or after ``transport="poll"`` when
    the finished task's stream is gone) the core still returns the answer, from polling, and
    says so with ``ChatCompletion.reasoning_complete=False``. Without that mark (None), a
    thinking model's answer with no reasoning at all is reported too.
    """
    if not thinking or completion is None:
        return False
    marked = completion.reasoning_complete
    if marked is True or (marked is None and completion.reasoning):
        return False
    where = f" (task {task_id})" if task_id else ""
    warnings.warn(
        f"{model} answered{where}, but its reasoning could not be read "
        f"{'completely' if completion.reasoning else 'at all'}: it exists only in the task's "
        "stream, which was no longer available, so the answer came from polling. "
        "response_metadata['reasoning_incomplete'] is True.",
        ReasoningIncompleteWarning,
        stacklevel=4,
    )
    return True


class ChunkStream:
    """Turns a FoxAPI stream into LangChain chunks; shared by the sync and async paths.

    Example:
        >>> acc = ChunkStream(model="kimi-k2.6", thinking=True, stream_usage=True)
        >>> for event in stream:
        ...     chunk = acc.on_event(event)  # None for an empty delta
        >>> last = acc.finish(stream.completion, task_id=stream.task_id)
    """

    def __init__(self, *, model: str, thinking: bool, stream_usage: bool, v1: bool = False) -> None:
        self.model = model
        self.thinking = thinking
        self.stream_usage = stream_usage
        self.v1 = v1
        self.finish_reason: str | None = None
        self.model_name: str = ""
        # Under output_version="v1" langchain-core numbers content blocks by runs of one type
        # but keeps a block's own "index"; a tool-call chunk's index (the wire's, 0-based) would
        # then collide with the reasoning / text blocks before it and merge into them. Shift tool
        # indices past those runs (verified against langchain-core 1.7.2 BaseChatModel.stream).
        self._runs = 0
        self._last_kind = ""
        self._tool_offset: int | None = None

    def _count_run(self, kind: str) -> None:
        if kind != self._last_kind:
            self._last_kind = kind
            self._runs += 1

    def _tool_index(self, index: int) -> int:
        if not self.v1:
            return index
        if self._tool_offset is None:
            self._tool_offset = self._runs
        return index + self._tool_offset

    def on_event(self, event: ChunkEvent) -> ChatGenerationChunk | None:
        """The chunk for one streamed event, or None when it adds nothing visible."""
        chunk = event.chunk
        if chunk.model and not self.model_name:
            self.model_name = chunk.model
        for choice in chunk.choices:
            if choice.index == 0 and choice.finish_reason:
                self.finish_reason = choice.finish_reason
        delta = chunk.delta
        content = delta.content
        if content and not delta.reasoning_content and not delta.tool_calls:
            # The usual chunk, text only: the same message as below (empty additional_kwargs
            # and tool_call_chunks are AIMessageChunk's defaults), ~0.8 µs cheaper per chunk.
            self._count_run("text")
            return ChatGenerationChunk(
                message=AIMessageChunk(
                    content=content, response_metadata={"model_provider": PROVIDER}
                )
            )
        additional_kwargs: dict[str, Any] = {}
        if delta.reasoning_content:
            additional_kwargs["reasoning_content"] = delta.reasoning_content
        tool_chunks = [
            tool_call_chunk(
                name=piece.function.name if piece.function is not None else None,
                args=piece.function.arguments if piece.function is not None else None,
                id=piece.id,
                index=self._tool_index(piece.index),
            )
            for piece in delta.tool_calls or ()
        ]
        if not (delta.content or additional_kwargs or tool_chunks):
            return None
        if additional_kwargs:
            self._count_run("reasoning")
        if delta.content:
            self._count_run("text")
        return ChatGenerationChunk(
            message=AIMessageChunk(
                content=delta.content or "",
                additional_kwargs=additional_kwargs,
                tool_call_chunks=tool_chunks,
                response_metadata={"model_provider": PROVIDER},
            )
        )

    def finish(
        self, completion: ChatCompletion | None, *, task_id: str | None
    ) -> ChatGenerationChunk:
        """The last chunk: usage (once), model name, finish reason and task id."""
        incomplete = reasoning_incomplete(
            completion, thinking=self.thinking, model=self.model, task_id=task_id
        )
        metadata = response_metadata(
            completion,
            model=self.model_name or self.model,
            task_id=task_id,
            finish_reason=self.finish_reason,
            reasoning_incomplete=incomplete,
        )
        metadata.pop("id", None)
        usage = to_usage_metadata(completion.usage) if completion is not None else None
        return ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata=usage if self.stream_usage else None,
                response_metadata=metadata,
                chunk_position="last",
            )
        )
