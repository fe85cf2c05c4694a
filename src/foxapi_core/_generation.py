"""A generation from submit to ChatCompletion, as I/O-free flows: the SSE stream and the three
transports.

The stream is consumed with resume after a cut (``?offset=N``, verified: a server that replays from
0 is recognised, reference section 10), each chunk delivered once, validated and assembled; when the
stream is gone (past its retention) the task is polled instead and the caller gets what it had not
seen yet. :func:`generate_flow` chooses the transport; :func:`stream_flow` attaches to an existing
task. The primitives (commands, requests with retries, polling) are in :mod:`foxapi_core._flows`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ._assembler import ChunkAssembler
from ._errors import (
    APIStatusError,
    APITimeoutError,
    FoxAPIError,
    StreamError,
    TaskFailedError,
    TaskTimeoutError,
)
from ._flows import (
    CLOSE_STREAM,
    READ_STREAM,
    SUBMIT_PATH,
    Emit,
    Flow,
    FlowContext,
    Send,
    Sleep,
    TransportFailure,
    check_stream_path,
    check_task_id,
    get_task_flow,
    parse_reply,
    send_flow,
    submit_flow,
    validate_body,
    wait_flow,
)
from ._sse import ServerSentEvent, SSEDecoder
from ._wire import (
    ChatCompletion,
    ChatCompletionChunk,
    ChunkChoice,
    ChunkDelta,
    ChunkEvent,
    FunctionCallDelta,
    Task,
    ToolCallDelta,
    Transport,
)

__all__ = ["generate_flow", "stream_flow"]

logger = logging.getLogger("foxapi")


_validate_chunk: Callable[[str], ChatCompletionChunk] = (
    ChatCompletionChunk.__pydantic_validator__.validate_json
)


@dataclass
class _Sink:
    """Where delivered chunks go: the assembler, the caller (when emitting) and the history used
    to recognise a server that replays from chunk 0 instead of honouring ``?offset``."""

    ctx: FlowContext
    task_id: str
    assembler: ChunkAssembler
    emit: bool
    delivered: int = 0
    history: list[str] = field(default_factory=list)
    history_start: int = 0

    def deliver(self, data: str) -> Flow[None]:
        try:
            # the model's validator directly: skips ``model_validate_json``'s Python wrapper
            chunk = _validate_chunk(data)
        except ValidationError as exc:
            raise StreamError(
                f"Task {self.task_id}: chunk {self.delivered} is not a valid "
                "chat.completion.chunk; resume with client.stream(task_id, offset=...) or read "
                "the result with client.wait(task_id).",
                task_id=self.task_id,
                offset=self.delivered,
            ) from exc
        self.assembler.add(chunk)
        self.history.append(data)
        index = self.delivered
        self.delivered = self.ctx.delivered = index + 1
        if self.emit:
            yield Emit(ChunkEvent(self.task_id, index, data, chunk))


def _read(decoder: SSEDecoder) -> Flow[tuple[list[ServerSentEvent], TransportFailure | None]]:
    """Read once from the open stream: the events decoded, and a failure if the read failed.
    An empty list with no failure after ``decoder.close()`` means end of stream."""
    data = yield READ_STREAM
    if isinstance(data, TransportFailure):
        return [], data
    if not data:
        return [*decoder.close(), _EOF], None
    return decoder.feed(data), None


_EOF = ServerSentEvent(event="\x00eof")
_DRAIN_READS = 4


def _drain() -> Flow[None]:
    """Read the few bytes left after ``done`` (the body's terminator) so that the connection
    goes back to the pool: closing a response with unread body discards its connection, which
    made every streamed call pay a new TCP (and TLS) handshake."""
    for _ in range(_DRAIN_READS):
        data = yield READ_STREAM
        if not data or isinstance(data, TransportFailure):
            return


def _total_chunks(data: str) -> int | None:
    try:
        value = json.loads(data).get("total_chunks")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


@dataclass
class _StreamEnd:
    total: int | None = None
    fallback: APIStatusError | None = None


def _connection(sink: _Sink, deadline: float, known_prefix: bool) -> Flow[bool | int | None]:
    """Consume one opened connection. Returns ``False`` if it broke off (reconnect), else the
    ``total_chunks`` of the ``done`` event (None when the server did not say)."""
    ctx = sink.ctx
    decoder = SSEDecoder()
    # After a reconnect with ?offset=N the server either resumed at chunk N or replayed from 0
    # (reference section 10: verify, never assume). Hold chunks that repeat what we already have
    # until they prove to be a replay (all N seen again) or new (one differs).
    resumed_at = sink.delivered
    verifying = resumed_at > 0
    held: list[str] = []
    while True:
        events, failure = yield from _read(decoder)
        if failure is not None:
            if failure.timeout and ctx.clock() >= deadline:
                # The read was cut short by the deadline (Send.timeout), not by a stall.
                raise TaskTimeoutError(
                    f"Task {sink.task_id}: the deadline passed while streaming; resume with "
                    f"client.stream(task_id, offset={sink.delivered}).",
                    task_id=sink.task_id,
                    offset=sink.delivered,
                ) from failure.error
            if failure.timeout:
                raise APITimeoutError(
                    f"Task {sink.task_id}: the stream stalled (no data for "
                    f"{ctx.config.timeouts.stream_idle:g} s); resume with "
                    f"client.stream(task_id, offset={sink.delivered}).",
                    task_id=sink.task_id,
                    offset=sink.delivered,
                ) from failure.error
            return False
        for event in events:
            name = event.event
            if name == "chunk" or (name == "message" and event.data != "[DONE]"):
                if verifying:
                    k = len(held)
                    if not known_prefix or (
                        k < resumed_at and event.data == sink.history[k - sink.history_start]
                    ):
                        held.append(event.data)
                        if known_prefix and len(held) == resumed_at:
                            held.clear()  # a replay from 0: everything held was a repeat
                            verifying = False
                        continue
                    verifying = False
                    for data in held:
                        yield from sink.deliver(data)
                    held.clear()
                yield from sink.deliver(event.data)
            elif name == "done" or event.data == "[DONE]":
                total = _total_chunks(event.data) if name == "done" else None
                if held:
                    replayed = (
                        total is not None
                        and len(held) == total
                        and total != (resumed_at + len(held))
                    )
                    for data in held[resumed_at:] if replayed else held:
                        yield from sink.deliver(data)
                yield from _drain()
                return total
            elif name == "error":
                detail = _error_message(event.data)
                error = StreamError(
                    f"Task {sink.task_id}: the stream ended with an error: {detail}",
                    task_id=sink.task_id,
                    offset=sink.delivered,
                )
                yield CLOSE_STREAM
                yield from _raise_if_task_failed(sink, deadline, error, detail)
                raise error
            elif event is _EOF:
                return False
        if ctx.clock() > deadline:
            raise TaskTimeoutError(
                f"Task {sink.task_id}: the deadline passed while streaming; resume with "
                f"client.stream(task_id, offset={sink.delivered}).",
                task_id=sink.task_id,
            )


def _raise_if_task_failed(
    sink: _Sink, deadline: float, error: StreamError, detail: str
) -> Flow[None]:
    """An ``error`` event carries only a message; when the task itself failed, raise the typed
    TaskFailedError with the task's code instead (what ``transport="poll"`` would raise)."""
    if not sink.task_id:  # a sync+stream POST: no task to ask
        return
    try:
        task = yield from get_task_flow(sink.ctx, sink.task_id, deadline)
    except FoxAPIError:
        return  # the check is best effort: the stream's own error stands
    if task.status in ("failed", "cancelled"):
        info = task.error
        raise TaskFailedError(
            f"Task {sink.task_id} {task.status}: {(info.message if info else None) or detail}",
            task_id=sink.task_id,
            code=(info.code or info.type) if info else task.status,
        ) from error


def _error_message(data: str) -> str:
    try:
        message = json.loads(data).get("message")
    except (ValueError, AttributeError):
        message = None
    return str(message) if message else data or "no message"


def _stream_flow(
    sink: _Sink, path: str, deadline: float, *, known_prefix: bool
) -> Flow[_StreamEnd]:
    """Consume a task's SSE stream from ``sink.delivered``, reconnecting with ``?offset`` after a
    cut. Falls back (returns ``fallback``) on a 4xx other than 401/402/403, e.g. a stream past its
    retention or a task submitted without ``stream``."""
    ctx = sink.ctx
    policy = ctx.config.retry
    failures = 0
    while True:
        params = {"offset": str(sink.delivered)} if sink.delivered else None
        try:
            yield from send_flow(ctx, Send("GET", path, params=params, kind="stream"), deadline)
        except APIStatusError as exc:
            if (
                exc.status is not None
                and 400 <= exc.status < 500
                and exc.status not in (401, 402, 403)
            ):
                return _StreamEnd(fallback=exc)
            raise
        before = sink.delivered
        outcome = yield from _connection(sink, deadline, known_prefix)
        yield CLOSE_STREAM
        if outcome is not False:
            return _StreamEnd(total=outcome if isinstance(outcome, int) else None)
        failures = 0 if sink.delivered > before else failures + 1
        if failures > policy.max_retries:
            raise StreamError(
                f"Task {sink.task_id}: the stream kept breaking off; resume with "
                f"client.stream(task_id, offset={sink.delivered}) or client.wait(task_id).",
                task_id=sink.task_id,
                offset=sink.delivered,
            )
        # The first reconnect after progress is immediate: a cut is usually a proxy or LB
        # closing a long response, not an overloaded server.
        if failures:
            delay = policy.backoff(failures - 1, ctx.rng)
            if ctx.clock() + delay > deadline:
                raise TaskTimeoutError(
                    f"Task {sink.task_id}: the deadline passed while reconnecting the stream.",
                    task_id=sink.task_id,
                )
            yield Sleep(delay)


def _synthetic_event(sink: _Sink, completion: ChatCompletion) -> ChunkEvent | None:
    """When the stream became unavailable part-way, a chunk carrying what the caller has not
    seen yet, built from the task's final result."""
    message = completion.message
    seen = sink.assembler.content
    text = message.content or ""
    if not text.startswith(seen):
        logger.warning(
            "Task %s: the streamed text and the final result differ; the result is authoritative.",
            sink.task_id,
        )
        return None
    tool_calls = None
    if message.tool_calls and sink.assembler.message().tool_calls is None:
        tool_calls = [
            ToolCallDelta(
                index=i,
                id=call.id,
                type=call.type,
                function=FunctionCallDelta(
                    name=call.function.name, arguments=call.function.arguments
                ),
            )
            for i, call in enumerate(message.tool_calls)
        ]
    chunk = ChatCompletionChunk(
        id=completion.id,
        created=completion.created,
        model=completion.model,
        choices=[
            ChunkChoice(
                delta=ChunkDelta(content=text[len(seen) :] or None, tool_calls=tool_calls),
                finish_reason=completion.finish_reason,
            )
        ],
        usage=completion.usage,
    )
    return ChunkEvent(sink.task_id, sink.delivered, chunk.model_dump_json(), chunk)


def _finish(
    sink: _Sink, end: _StreamEnd, deadline: float, *, synthesize: bool
) -> Flow[ChatCompletion]:
    """The final ChatCompletion after a stream: from the stream alone when it carried usage,
    else from the task (usage, authoritative message) with the streamed reasoning added."""
    assembler = sink.assembler
    if end.fallback is None and assembler.usage is not None and assembler.finish_reason:
        complete = sink.history_start == 0
        return _with_reasoning(sink.ctx, assembler.completion(), None, complete=complete)
    if end.fallback is not None:
        logger.info(
            "Task %s: stream unavailable (%s); falling back to polling.",
            sink.task_id,
            end.fallback.status,
        )
    task = yield from wait_flow(sink.ctx, sink.task_id, deadline)
    assert task.results  # wait_flow only returns completed tasks with results
    completion = task.results[0]
    if end.fallback is not None and sink.emit and synthesize:
        event = _synthetic_event(sink, completion)
        if event is not None:
            yield Emit(event)
    complete = end.fallback is None and sink.history_start == 0
    return _with_reasoning(sink.ctx, completion, assembler.reasoning, complete=complete)


def _with_reasoning(
    ctx: FlowContext, completion: ChatCompletion, reasoning: str | None, *, complete: bool
) -> ChatCompletion:
    """kimi-k2.6's task result lacks the reasoning that only the stream carried (section 4.3):
    attach what the stream gave, and say whether that is all of it."""
    spec = ctx.catalog.get(completion.model)
    if not (spec and spec.thinking) and not reasoning:
        return completion
    completion = completion.model_copy(deep=True)
    completion.reasoning_complete = complete
    if reasoning and completion.choices and not completion.message.reasoning_content:
        completion.choices[0].message.reasoning_content = reasoning
    if not complete:
        logger.warning(
            "Task %s: the reasoning of %s is only in the stream, which could not be read "
            "completely; the answer is complete, its reasoning is not.",
            ctx.task_id,
            completion.model,
        )
    return completion


def stream_flow(
    ctx: FlowContext,
    task_id: str,
    deadline: float,
    *,
    offset: int = 0,
    path: str | None = None,
    emit: bool = True,
) -> Flow[ChatCompletion]:
    """Stream an existing task from chunk ``offset``; emit each chunk once; return the final
    ChatCompletion. With ``offset > 0`` the earlier chunks are unknown here, so a server that
    replays from 0 is recognised by ``done``'s ``total_chunks`` instead of by content."""
    ctx.config.require_key()
    ctx.task_id = check_task_id(task_id)
    sink = _Sink(ctx, task_id, ChunkAssembler(), emit, delivered=offset, history_start=offset)
    ctx.delivered = offset
    end = yield from _stream_flow(
        sink, path or f"{SUBMIT_PATH}/{task_id}/stream", deadline, known_prefix=offset == 0
    )
    return (yield from _finish(sink, end, deadline, synthesize=offset == 0 or sink.delivered > 0))


# --- the transports ------------------------------------------------------------------------------


def _sync_flow(
    ctx: FlowContext, body: Mapping[str, Any], deadline: float, *, thinking: bool, emit: bool
) -> Flow[ChatCompletion]:
    ctx.config.require_key()
    validate_body(ctx, body)
    if not thinking:
        cmd = Send("POST", SUBMIT_PATH, body={**body, "sync": True}, kind="sync", submit=True)
        reply = yield from send_flow(ctx, cmd, deadline)
        completion: ChatCompletion = parse_reply(ChatCompletion, reply, ctx, "sync generation")
        return completion
    # A thinking model's reasoning exists only in the stream, so ask for SSE on the POST itself.
    cmd = Send(
        "POST", SUBMIT_PATH, body={**body, "sync": True, "stream": True}, kind="stream", submit=True
    )
    yield from send_flow(ctx, cmd, deadline)
    sink = _Sink(ctx, "", ChunkAssembler(), emit)
    outcome = yield from _connection(sink, deadline, known_prefix=True)
    yield CLOSE_STREAM
    if outcome is False:
        raise StreamError(
            "The sync stream broke off and a sync request cannot be resumed; use "
            "transport='stream' for resumable streaming.",
            offset=sink.delivered,
        )
    return _with_reasoning(ctx, sink.assembler.completion(), None, complete=True)


def generate_flow(
    ctx: FlowContext,
    body: Mapping[str, Any],
    transport: Transport,
    deadline: float,
    *,
    emit: bool = False,
    on_progress: Callable[[Task], None] | None = None,
) -> Flow[ChatCompletion]:
    """Submit ``body`` and return its ChatCompletion, by the chosen transport:

    - ``"stream"``: submit with ``stream=true``, consume the SSE (resuming after cuts), then take
      usage and the final message from the task; the reasoning comes from the stream.
    - ``"poll"``: submit and poll; for a thinking model the finished task's stream is read once
      to recover the reasoning.
    - ``"sync"``: one blocking request (SSE on the POST for a thinking model); not resumable.
    """
    spec = ctx.catalog.get(str(body.get("model", "")))
    thinking = bool(spec and spec.thinking)
    if transport == "sync":
        return (yield from _sync_flow(ctx, body, deadline, thinking=thinking, emit=emit))
    stream = transport == "stream" or thinking
    task = yield from submit_flow(ctx, {**body, "stream": True} if stream else body, deadline)
    sink = _Sink(ctx, task.id, ChunkAssembler(), emit)
    # stream.url is documented as a path relative to the base URL (reference 2.4); anything else
    # (an absolute URL to another origin) must not receive our key.
    path = check_stream_path(task.stream.url if task.stream else None, task.id)
    if transport == "stream":
        end = yield from _stream_flow(sink, path, deadline, known_prefix=True)
        return (yield from _finish(sink, end, deadline, synthesize=True))
    policy = ctx.config.poll
    done = yield from wait_flow(
        ctx, task.id, deadline, first_delay=policy.initial_delay, on_progress=on_progress
    )
    assert done.results
    completion = done.results[0]
    if thinking:
        end = yield from _stream_flow(sink, path, deadline, known_prefix=True)
        completion = _with_reasoning(
            ctx, completion, sink.assembler.reasoning, complete=end.fallback is None
        )
    return completion
