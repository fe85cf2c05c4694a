"""The FoxAPI task protocol as I/O-free flows.

A flow is a generator that yields *commands* (send this request, read from the open stream, sleep,
hand this item to the caller) and receives their outcomes; it returns the operation's result. The
sync and async clients are thin drivers that execute the commands with httpx (the pattern of
httpx's auth flows). Everything that decides anything lives here, once: retry decisions, the poll
schedule, the deadline, SSE decoding, stream resume and de-duplication, assembling the answer.

Protocol reference: ``shared/foxapi-protocol.md`` sections 2-5 and the decisions in section 10.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from ._assembler import ChunkAssembler
from ._catalog import Catalog, check_body
from ._config import ClientConfig
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    FoxAPIError,
    RateLimitError,
    RequestValidationError,
    StreamError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    TaskTimeoutError,
    status_error_class,
)
from ._sse import ServerSentEvent, SSEDecoder
from ._wire import (
    ChatCompletion,
    ChatCompletionChunk,
    ChunkChoice,
    ChunkDelta,
    ChunkEvent,
    ErrorBody,
    FunctionCallDelta,
    Task,
    ToolCallDelta,
    Transport,
)

__all__ = [
    "CLOSE_STREAM",
    "READ_STREAM",
    "CloseStream",
    "Emit",
    "Flow",
    "FlowContext",
    "ReadStream",
    "Reply",
    "Send",
    "Sleep",
    "TransportFailure",
    "generate_flow",
    "get_task_flow",
    "list_models_flow",
    "stream_flow",
    "submit_flow",
    "wait_flow",
]

logger = logging.getLogger("foxapi")

T = TypeVar("T")

SUBMIT_PATH = "/v1/llm/generations"
MODELS_PATH = "/v1/configs/llm_generations_models"
# The least time a request gets even when the deadline is (almost) reached: the last poll comes
# exactly at the deadline (the Smithy waiter rule) and must be allowed to complete.
MIN_REQUEST_TIME = 1.0
STREAM_MIN_TIME = 0.01

# --- commands and their outcomes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Send a request. ``kind="stream"`` keeps a 2xx response open for ``ReadStream``;
    ``submit`` marks a request that may create (and bill) a task. ``timeout`` (seconds, set by
    ``send_flow`` from the deadline) caps every configured timeout of this request, reads of an
    opened stream included, so a silent server cannot hold a call far past its deadline."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    body: Mapping[str, Any] | None = None
    kind: Literal["request", "stream", "sync"] = "request"
    submit: bool = False
    timeout: float | None = None


class ReadStream:
    """Read the next bytes of the open stream (the reply is ``b""`` at its end)."""

    __slots__ = ()


class CloseStream:
    """Close the open stream, if any."""

    __slots__ = ()


READ_STREAM = ReadStream()
CLOSE_STREAM = CloseStream()


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait this many seconds."""

    seconds: float


class Emit:
    """Hand one item (a ``ChunkEvent``) to the caller.

    Yielded once per streamed chunk, so a plain ``__slots__`` class (immutable by convention)
    rather than a frozen dataclass, whose ``__init__`` costs an ``object.__setattr__`` per field.
    """

    __slots__ = ("item",)
    __match_args__ = ("item",)
    __hash__ = None  # type: ignore[assignment]

    item: Any

    def __init__(self, item: Any) -> None:
        self.item = item

    def __eq__(self, other: object) -> bool:
        if type(other) is not Emit:
            return NotImplemented
        return bool(self.item == other.item)

    def __repr__(self) -> str:
        return f"Emit(item={self.item!r})"


@dataclass(frozen=True, slots=True)
class Reply:
    """A response: its status, headers and body (empty for an opened stream)."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class TransportFailure:
    """A request or read that failed in transport. ``sent`` is False only when the request
    certainly never reached the server (connect phase)."""

    error: Exception
    sent: bool
    timeout: bool


Command = Send | ReadStream | CloseStream | Sleep | Emit
Flow = Generator[Command, Any, T]


@dataclass
class FlowContext:
    """What a flow needs besides its arguments; ``task_id`` and ``delivered`` are kept up to
    date so that a driver can tell the user how to resume after an interruption."""

    config: ClientConfig
    catalog: Catalog
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    task_id: str | None = None
    delivered: int = 0

    def deadline(self, seconds: float | None) -> float:
        """The absolute deadline for an operation starting now."""
        return self.clock() + (self.config.timeouts.deadline if seconds is None else seconds)


# --- errors --------------------------------------------------------------------------------------


def _status_error(reply: Reply, ctx: FlowContext, what: str, suffix: str = "") -> APIStatusError:
    detail = None
    try:
        detail = ErrorBody.model_validate_json(reply.body).error
        body: Any = json.loads(reply.body)
    except (ValidationError, ValueError):
        body = reply.body.decode("utf-8", "replace")[:1000]
    code = detail.code if detail else None
    text = (detail.message if detail and detail.message else None) or f"HTTP {reply.status}"
    cls = status_error_class(reply.status, code)
    kwargs: dict[str, Any] = {
        "task_id": ctx.task_id,
        "status": reply.status,
        "code": code,
        "request_id": reply.headers.get("x-request-id"),
        "body": body,
    }
    if cls is RateLimitError:
        from ._policies import parse_retry_after

        kwargs["retry_after"] = parse_retry_after(reply.headers)
    return cls(f"{what} failed: {text}{suffix}", **kwargs)


def _transport_error(failure: TransportFailure, ctx: FlowContext, what: str) -> FoxAPIError:
    cls = APITimeoutError if failure.timeout else APIConnectionError
    reason = f"{type(failure.error).__name__}: {failure.error}".rstrip(": ")
    return cls(f"{what} failed: {reason}", task_id=ctx.task_id)


def _with_suffix(error: FoxAPIError, suffix: str) -> FoxAPIError:
    rebuilt = error.__reduce__()[1]
    return type(error)(rebuilt[1] + suffix, **rebuilt[2])


def _parse(model: type[BaseModel], reply: Reply, ctx: FlowContext, what: str) -> Any:
    try:
        return model.model_validate_json(reply.body)
    except ValidationError as exc:
        raise FoxAPIError(
            f"{what}: unexpected response body ({exc.error_count()} problems)",
            task_id=ctx.task_id,
            status=reply.status,
            request_id=reply.headers.get("x-request-id"),
        ) from exc


# --- requests with retries ----------------------------------------------------------------------


def send_flow(ctx: FlowContext, cmd: Send, deadline: float) -> Flow[Reply]:
    """Send ``cmd``, retrying per the retry policy inside ``deadline``; return a 2xx reply.

    A submit is re-sent only when the server certainly created no task (reference section 10).
    """
    policy = ctx.config.retry
    what = f"{cmd.method} {cmd.path}"
    attempt = 0
    while True:
        # A stream opened near the deadline gets no grace: its reads would only wait for chunks.
        floor = STREAM_MIN_TIME if cmd.kind == "stream" else MIN_REQUEST_TIME
        reply = yield replace(cmd, timeout=max(deadline - ctx.clock(), floor))
        headers: Mapping[str, str] | None = None
        if isinstance(reply, TransportFailure):
            if cmd.submit and reply.sent:
                raise SubmitOutcomeUnknownError(
                    f"The submit reached FoxAPI but no answer came back "
                    f"({type(reply.error).__name__}); a task may or may not have been created, "
                    "and it was not re-sent to avoid a second, billed task. Check your FoxAPI "
                    "task list before submitting again.",
                    task_id=ctx.task_id,
                ) from reply.error
            error: FoxAPIError = _transport_error(reply, ctx, what)
        elif 300 <= reply.status < 400:
            # Redirects are never followed: the Authorization header must not reach another
            # address. FoxAPI documents none, so one means a wrong base URL or a hostile hop.
            location = reply.headers.get("location", "?")
            raise APIStatusError(
                f"{what} failed: FoxAPI answered HTTP {reply.status} redirecting to {location!r}; "
                "redirects are not followed so that the API key is only ever sent to base_url. "
                "Set base_url to the address the service really answers on.",
                task_id=ctx.task_id,
                status=reply.status,
                request_id=reply.headers.get("x-request-id"),
                location=location,
            )
        elif reply.status < 400:
            ok: Reply = reply
            return ok
        else:
            retryable = policy.submit_retry_statuses if cmd.submit else policy.retry_statuses
            if reply.status not in retryable:
                error = _status_error(reply, ctx, what)
                if cmd.submit and reply.status >= 500:
                    raise SubmitOutcomeUnknownError(
                        f"{error.message}; the gateway may already have created a task, so the "
                        "submit was not re-sent. Check your FoxAPI task list before submitting "
                        "again.",
                        task_id=ctx.task_id,
                        status=reply.status,
                        code=error.code,
                        request_id=error.request_id,
                    ) from error
                raise error
            error = _status_error(reply, ctx, what)
            headers = reply.headers
        if attempt >= policy.max_retries:
            raise error
        delay = policy.delay(attempt, headers, ctx.rng)
        remaining = deadline - ctx.clock()
        if delay > remaining:
            raise _with_suffix(
                error,
                f"; a retry in {delay:.3g} s would pass the deadline ({max(remaining, 0):.3g} s "
                "left)",
            )
        yield Sleep(delay)
        attempt += 1


# --- simple operations ---------------------------------------------------------------------------


def validate_body(ctx: FlowContext, body: Mapping[str, Any]) -> None:
    """Raise RequestValidationError, before anything is sent, if ``body`` breaks a rule."""
    if not ctx.config.validate_requests:
        return
    violations = check_body(body, catalog=ctx.catalog)
    if not violations:
        return
    first = violations[0]
    lines = [f"{v.message} Fix: {v.fix}" for v in violations]
    message = lines[0] if len(lines) == 1 else "\n".join(["Invalid request:", *lines])
    model = body.get("model")
    raise RequestValidationError(
        message,
        model=model if isinstance(model, str) else None,
        field=first.field,
        fix=first.fix,
        code=first.code,
        violations=tuple(violations),
    )


def submit_flow(ctx: FlowContext, body: Mapping[str, Any], deadline: float) -> Flow[Task]:
    """Validate and submit a generation; return the new task."""
    ctx.config.require_key()
    validate_body(ctx, body)
    reply = yield from send_flow(ctx, Send("POST", SUBMIT_PATH, body=body, submit=True), deadline)
    task: Task = _parse(Task, reply, ctx, "submit")
    ctx.task_id = task.id
    return task


_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def check_task_id(task_id: str) -> str:
    """Refuse a task id that could change the URL it is put into (``../``, ``?``, ``/``)."""
    if not isinstance(task_id, str) or not _TASK_ID.fullmatch(task_id):
        raise RequestValidationError(
            f"{task_id!r} is not a FoxAPI task id (letters, digits, '-', '_', '.').",
            field="task_id",
            fix="pass the id returned by submit(), e.g. 'task-llm-1776874481-rj6bs3yb'",
        )
    return task_id


def get_task_flow(
    ctx: FlowContext, task_id: str, deadline: float, *, sync_upstream: bool = False
) -> Flow[Task]:
    """``GET /v1/tasks/{task_id}``."""
    ctx.config.require_key()
    ctx.task_id = check_task_id(task_id)
    params = {"sync_upstream": "true"} if sync_upstream else None
    reply = yield from send_flow(ctx, Send("GET", f"/v1/tasks/{task_id}", params=params), deadline)
    task: Task = _parse(Task, reply, ctx, "get task")
    return task


def list_models_flow(ctx: FlowContext, deadline: float) -> Flow[Catalog]:
    """``GET /v1/configs/llm_generations_models``, merged into the documented catalog."""
    ctx.config.require_key()
    reply = yield from send_flow(ctx, Send("GET", MODELS_PATH), deadline)
    try:
        payload = json.loads(reply.body)
    except ValueError as exc:
        raise FoxAPIError("list models: the answer is not JSON", status=reply.status) from exc
    return ctx.catalog.merged_with_live(payload)


def wait_flow(
    ctx: FlowContext,
    task_id: str,
    deadline: float,
    *,
    first_delay: float = 0.0,
    on_progress: Callable[[Task], None] | None = None,
) -> Flow[Task]:
    """Poll until the task is completed (returned) or failed (raised), per the poll policy.

    The last poll happens exactly at the deadline (the Smithy waiter rule).

    Raises:
        TaskFailedError: the task failed or was cancelled.
        TaskTimeoutError: the deadline passed first; the task may still complete.
    """
    policy = ctx.config.poll
    started = ctx.clock()
    null_results = 0
    if first_delay > 0:
        yield Sleep(min(first_delay, max(deadline - started, 0.0)))
    while True:
        task = yield from get_task_flow(ctx, task_id, deadline)
        if on_progress is not None:
            on_progress(task)
        if task.status == "completed":
            if task.results:
                return task
            # Reference section 3: `completed` can briefly come with null results; re-query.
            null_results += 1
            if null_results > policy.null_result_retries:
                raise TaskFailedError(
                    "The task is completed but FoxAPI returned no result after "
                    f"{null_results} queries.",
                    task_id=task_id,
                    code="empty_results",
                )
        elif task.status in ("failed", "cancelled"):
            error = task.error
            raise TaskFailedError(
                f"Task {task_id} {task.status}: "
                f"{(error.message if error else None) or 'no message from FoxAPI'}",
                task_id=task_id,
                code=(error.code or error.type) if error else task.status,
            )
        now = ctx.clock()
        if now >= deadline:
            raise TaskTimeoutError(
                f"Task {task_id} did not finish before the deadline (status {task.status}); it "
                "may still complete: resume with client.wait(task_id).",
                task_id=task_id,
            )
        yield Sleep(min(policy.next_interval(now - started), deadline - now))


# --- streaming -----------------------------------------------------------------------------------


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


def _sync_flow(
    ctx: FlowContext, body: Mapping[str, Any], deadline: float, *, thinking: bool, emit: bool
) -> Flow[ChatCompletion]:
    ctx.config.require_key()
    validate_body(ctx, body)
    if not thinking:
        cmd = Send("POST", SUBMIT_PATH, body={**body, "sync": True}, kind="sync", submit=True)
        reply = yield from send_flow(ctx, cmd, deadline)
        completion: ChatCompletion = _parse(ChatCompletion, reply, ctx, "sync generation")
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
    stream_url = task.stream.url if task.stream else ""
    path = stream_url if stream_url.startswith("/") else f"{SUBMIT_PATH}/{task.id}/stream"
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
