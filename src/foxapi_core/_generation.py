"""A generation from submit to ChatCompletion, as I/O-free flows: the SSE stream and the three
transports.

The stream is consumed with resume after a cut (``?offset=N``, verified: a server that replays from
0 is recognised, reference section 10), each chunk delivered once, validated and assembled; when the
stream is gone (past its retention) the task is polled instead and the caller gets what it had not
seen yet. :func:`generate_flow` chooses the transport; :func:`stream_flow` attaches to an existing
task. One connection of the stream (delivering each chunk once, checking a resume) is
:mod:`._stream_connection`; the primitives (commands, requests with retries, polling) are in
:mod:`._flows`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._assembler import ChunkAssembler
from ._errors import (
    APIConnectionError,
    APIStatusError,
    FoxAPIError,
    StreamError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    TaskTimeoutError,
)
from ._flows import (
    CLOSE_STREAM,
    SUBMIT_PATH,
    Emit,
    Flow,
    FlowContext,
    Send,
    Sleep,
    TransportFailure,
    check_server_task_id,
    check_task_id,
    parse_reply,
    send_flow,
    submit_flow,
    validate_flow,
    wait_flow,
)
from ._resume import Resume, State
from ._stream_connection import Sink, read_connection, stall_error
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


@dataclass
class _StreamEnd:
    total: int | None = None
    fallback: FoxAPIError | None = None
    undecided: Resume | None = None
    completion: ChatCompletion | None = None


def _stream_flow(sink: Sink, path: str, deadline: float, *, known_prefix: bool) -> Flow[_StreamEnd]:
    """Consume a task's SSE stream from ``sink.delivered``, reconnecting with ``?offset`` after a
    cut or a stall, and from the gap when ``done`` counts more chunks than arrived.

    Falls back to the task (returns ``fallback``) on a 4xx other than 401/402/403 (a stream past
    its retention, a task submitted without ``stream``), when opening the stream keeps failing
    (5xx or connection errors after the request's own retries), or after more than
    ``max_retries`` reconnects in a row that brought nothing new: polling goes on until the
    caller's deadline, so a stream that cannot progress never ends a call the task can finish.
    """
    ctx = sink.ctx
    policy = ctx.config.retry
    failures = 0
    resume: Resume | None = None  # an undecided resume carried over a cut
    while True:
        params = {"offset": str(sink.delivered)} if sink.delivered else None
        try:
            yield from send_flow(ctx, Send("GET", path, params=params, kind="stream"), deadline)
        except APIStatusError as exc:
            if exc.status is not None and exc.status in (401, 402, 403):
                raise
            return _StreamEnd(fallback=exc)
        except APIConnectionError as exc:
            if ctx.clock() >= deadline:
                raise
            return _StreamEnd(fallback=exc)
        before = sink.delivered, len(resume.held) if resume is not None else 0
        outcome = yield from read_connection(sink, deadline, known_prefix, resume)
        yield CLOSE_STREAM
        resume = None
        if outcome.kind == "task":
            return _StreamEnd(completion=outcome.completion)
        if outcome.kind == "done":
            if outcome.resume is not None:
                return _StreamEnd(total=outcome.total, undecided=outcome.resume)
            if outcome.total is None or outcome.total <= sink.delivered:
                return _StreamEnd(total=outcome.total)
            logger.warning(
                "Task %s: done counts %d chunks but %d arrived; re-streaming from the gap.",
                sink.task_id,
                outcome.total,
                sink.delivered,
            )
            sink.repaired = True
        else:
            held = outcome.resume
            if held is not None and held.state is not State.STREAMING and held.held:
                resume = held
        progress = (sink.delivered, len(resume.held) if resume is not None else 0) > before
        failures = 0 if progress else failures + 1
        if failures > policy.max_retries:
            return _StreamEnd(
                fallback=StreamError(
                    f"Task {sink.task_id}: the stream brought nothing new {failures} times",
                    task_id=sink.task_id,
                    offset=sink.delivered,
                )
            )
        # The first reconnect after progress is immediate: a cut is usually a proxy or LB
        # closing a long response, not an overloaded server.
        if failures:
            delay = policy.backoff(failures - 1, ctx.rng)
            if ctx.clock() + delay > deadline:
                raise TaskTimeoutError(
                    f"Task {sink.task_id}: the deadline passed while reconnecting the stream; "
                    f"resume with client.stream(task_id, offset={sink.delivered}).",
                    task_id=sink.task_id,
                    offset=sink.delivered,
                )
            yield Sleep(delay)


def _synthetic_event(sink: Sink, completion: ChatCompletion) -> ChunkEvent | None:
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
    if text == seen and tool_calls is None:
        return None  # nothing the caller has not seen; the completion carries the rest
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
    sink: Sink, end: _StreamEnd, deadline: float, *, synthesize: bool
) -> Flow[ChatCompletion]:
    """The final ChatCompletion after a stream.

    After a complete stream: from the stream alone when it carried usage and its count agrees,
    else from the task (usage, authoritative message) with the streamed reasoning added; a task
    that then answers ``completed`` without results does not cost the streamed answer. After a
    stream that could not finish or decide: from the task, the caller getting what it had not seen.
    """
    ctx, assembler = sink.ctx, sink.assembler
    if end.fallback is None and end.undecided is None and end.completion is None:
        extra = sink.repaired or (end.total is not None and sink.delivered > end.total)
        if not extra and assembler.usage is not None and assembler.finish_reason:
            complete = sink.history_start == 0
            return _with_reasoning(ctx, assembler.completion(), None, complete=complete)
        try:
            task = yield from wait_flow(ctx, sink.task_id, deadline)
        except TaskFailedError as exc:
            if exc.code != "empty_results" or extra or not assembler.finish_reason:
                raise
            logger.warning(
                "Task %s: completed without a result; returning the streamed answer, which "
                "has no usage.",
                sink.task_id,
            )
            complete = sink.history_start == 0
            return _with_reasoning(ctx, assembler.completion(), None, complete=complete)
        assert task.results  # wait_flow only returns completed tasks with results
        completion = task.results[0]
        if extra:
            _check_extra(sink, end, completion)
        return _with_reasoning(
            ctx, completion, assembler.reasoning, complete=sink.history_start == 0
        )
    if end.fallback is not None:
        logger.info(
            "Task %s: stream unavailable (%s); falling back to polling.",
            sink.task_id,
            end.fallback.status or end.fallback.message,
        )
    if end.completion is not None:
        completion = end.completion
    else:
        # No count alone may decide an ambiguous resume: a wrong one would double or drop text.
        # A task without a result here is a typed error (the streamed chunks are all correct).
        task = yield from wait_flow(ctx, sink.task_id, deadline)
        assert task.results
        completion = task.results[0]
    if end.undecided is not None:
        ready = end.undecided.decide_by_text(
            assembler.content if sink.history_start == 0 else "", completion.text
        )
        if ready is not None:
            for data in ready:
                if (item := sink.deliver(data)) is not None:
                    yield item
            return _with_reasoning(
                ctx, completion, assembler.reasoning, complete=sink.history_start == 0
            )
        logger.warning(
            "Task %s: could not tell whether the server resumed the stream at chunk %d or "
            "replayed it; the rest of the answer comes from the task's result.",
            sink.task_id,
            sink.delivered,
        )
    if sink.emit and synthesize:
        event = _synthetic_event(sink, completion)
        if event is not None:
            yield Emit(event)
    return _with_reasoning(ctx, completion, assembler.reasoning, complete=False)


def _check_extra(sink: Sink, end: _StreamEnd, completion: ChatCompletion) -> None:
    """More chunks arrived than ``done`` counted: a wrong count if the text agrees with the
    task's result, else chunks were doubled, which a caller that was handed them must know."""
    if sink.assembler.content == completion.text or not sink.emit:
        logger.warning(
            "Task %s: done counted %s chunks but %d arrived; the task's result is used.",
            sink.task_id,
            end.total,
            sink.delivered,
        )
        return
    counts = (
        f"{sink.delivered} chunks arrived but the stream counted {end.total}, and "
        if sink.delivered != end.total
        else "a chunk was lost or changed on the way (the count was repaired from the gap): "
    )
    raise StreamError(
        f"Task {sink.task_id}: {counts}the streamed text differs from the task's result; the "
        "result is in this error's .completion.",
        task_id=sink.task_id,
        offset=sink.delivered,
        completion=completion,
    )


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
    sink = Sink(ctx, task_id, ChunkAssembler(), emit, delivered=offset, history_start=offset)
    ctx.delivered = offset
    end = yield from _stream_flow(
        sink, path or f"{SUBMIT_PATH}/{task_id}/stream", deadline, known_prefix=offset == 0
    )
    if offset > 0 and end.fallback is not None and sink.delivered == offset:
        # What the caller holds up to chunk N is unknown here: the task's whole answer would
        # repeat it. Say so instead of silently handing over the whole text.
        raise StreamError(
            f"Task {task_id}: its stream cannot be read from offset {offset} "
            f"({end.fallback.message}); the task may not have been submitted with stream=True, "
            "or its stream has expired. Read the whole answer with client.wait(task_id).",
            task_id=task_id,
            offset=offset,
            status=end.fallback.status,
        ) from end.fallback
    return (yield from _finish(sink, end, deadline, synthesize=offset == 0 or sink.delivered > 0))


# --- the transports ------------------------------------------------------------------------------


def _failed_sync_generation(error: SubmitOutcomeUnknownError) -> TaskFailedError | None:
    """A sync request's 5xx whose body is a task's error (``type: task_error``): the generation
    ran and failed, so the outcome is known. The same TaskFailedError, with the task's code, as
    the stream and poll transports raise."""
    cause = error.__cause__
    body = cause.body if isinstance(cause, APIStatusError) else None
    info = body.get("error") if isinstance(body, dict) else None
    if not (isinstance(info, dict) and info.get("type") == "task_error"):
        return None
    code = info.get("code")
    return TaskFailedError(
        f"The sync generation failed: {info.get('message') or 'no message'}",
        status=error.status,
        code=code if isinstance(code, str) else "task_error",
        request_id=error.request_id,
    )


def _sync_flow(
    ctx: FlowContext, body: Mapping[str, Any], deadline: float, *, thinking: bool, emit: bool
) -> Flow[ChatCompletion]:
    ctx.config.require_key()
    yield from validate_flow(ctx, body, deadline)
    if not thinking:
        cmd = Send("POST", SUBMIT_PATH, body={**body, "sync": True}, kind="sync", submit=True)
        try:
            reply = yield from send_flow(ctx, cmd, deadline)
        except SubmitOutcomeUnknownError as exc:
            failed = _failed_sync_generation(exc)
            if failed is None:
                raise
            raise failed from exc
        completion: ChatCompletion = parse_reply(ChatCompletion, reply, ctx, "sync generation")
        if completion.object == "llm.generation.task" or (
            not completion.choices and "status" in (completion.model_extra or {})
        ):
            # A gateway that queued the request anyway answers with the task: follow it.
            task: Task = parse_reply(Task, reply, ctx, "sync generation")
            ctx.task_id = check_server_task_id(task.id, "sync generation")
            logger.info("Sync generation answered with task %s; waiting for it.", task.id)
            done = yield from wait_flow(ctx, task.id, deadline)
            assert done.results
            return done.results[0]
        if not completion.choices:
            raise TaskFailedError(
                "The sync generation answered a ChatCompletion with no choices (no answer).",
                code="empty_choices",
            )
        return completion
    # A thinking model's reasoning exists only in the stream, so ask for SSE on the POST itself.
    sync_body: dict[str, Any] = {**body, "sync": True, "stream": True}
    if "messages" in body:
        # No task to read usage from afterwards: ask for OpenAI's final usage chunk (the messages
        # form passes OpenAI parameters through, reference 2.2); the caller's own options win.
        options = body.get("stream_options")
        sync_body["stream_options"] = {
            "include_usage": True,
            **(options if isinstance(options, Mapping) else {}),
        }
    cmd = Send("POST", SUBMIT_PATH, body=sync_body, kind="stream", submit=True)
    yield from send_flow(ctx, cmd, deadline)
    sink = Sink(ctx, "", ChunkAssembler(), emit)
    outcome = yield from read_connection(sink, deadline, known_prefix=True)
    yield CLOSE_STREAM
    if outcome.kind == "stall":
        raise stall_error(sink, TransportFailure(TimeoutError("stream idle"), True, True))
    if outcome.kind == "cut":
        raise StreamError(
            "The sync stream broke off and a sync request cannot be resumed; use "
            "transport='stream' for resumable streaming.",
            offset=sink.delivered,
        )
    if outcome.completion is not None:
        return outcome.completion
    if outcome.total is not None and outcome.total != sink.delivered:
        raise StreamError(
            f"The sync stream counted {outcome.total} chunks but {sink.delivered} arrived, and "
            "a sync request cannot be resumed; use transport='stream'.",
            offset=sink.delivered,
        )
    return _with_reasoning(ctx, sink.assembler.completion(), None, complete=True)


def _stream_path(task: Task) -> str:
    """Where a task's stream is read: always the documented path of its (checked) id.

    ``stream.url`` is documented as exactly that path, relative to the base URL (reference 2.4).
    A server that names another one (another origin, ``/v1/account/credits``, a ``..``) is not
    followed, since every request carries the key; the documented path is used instead.
    """
    path = f"{SUBMIT_PATH}/{task.id}/stream"
    given = task.stream.url if task.stream else None
    if given and given != path:
        logger.warning(
            "Task %s: stream.url %r is not the documented stream path; reading %s instead.",
            task.id,
            given[:200],
            path,
        )
    return path


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
    sink = Sink(ctx, task.id, ChunkAssembler(), emit)
    path = _stream_path(task)
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
