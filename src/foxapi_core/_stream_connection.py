"""One connection of a task's SSE stream: every chunk delivered once, in order, validated.

:func:`read_connection` consumes one opened connection: it decodes the events, tells chunks from
keep-alives, delivers each chunk once to a :class:`Sink` (the assembler, the caller, the history),
checks a resume against what was already delivered (the decision table of :mod:`._resume`) and
says how the connection ended (``done``, a cut, a stall, or an ``error`` event after which the
task decides). :mod:`._generation` reconnects, finishes and picks the transports around it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from pydantic import ValidationError

from ._assembler import ChunkAssembler
from ._errors import APITimeoutError, FoxAPIError, StreamError, TaskFailedError, TaskTimeoutError
from ._flows import (
    CLOSE_STREAM,
    READ_STREAM,
    Emit,
    Flow,
    FlowContext,
    TransportFailure,
    get_task_flow,
)
from ._resume import Resume, State
from ._sse import ServerSentEvent, SSEDecoder
from ._wire import ChatCompletion, ChatCompletionChunk, ChunkEvent

__all__ = ["Outcome", "Sink", "read_connection", "stall_error"]

logger = logging.getLogger("foxapi")


_validate_chunk: Callable[[str], ChatCompletionChunk] = (
    ChatCompletionChunk.__pydantic_validator__.validate_json
)


@dataclass
class Sink:
    """Where delivered chunks go: the assembler, the caller (when emitting) and the history used
    to recognise a server that replays from chunk 0 instead of honouring ``?offset``."""

    ctx: FlowContext
    task_id: str
    assembler: ChunkAssembler
    emit: bool
    delivered: int = 0
    history: list[str] = field(default_factory=list)
    history_start: int = 0
    keepalives: int = 0
    #: The stream was re-read from a gap that ``done`` revealed: check it against the task.
    repaired: bool = False

    def keepalive(self, data: str) -> None:
        """An unnamed ``data:`` that is not a chunk: ignored and not counted (logged once)."""
        if not self.keepalives:
            logger.info(
                "Task %s: ignoring data events that are not chunks (first: %.80r).",
                self.task_id,
                data,
            )
        self.keepalives += 1

    def deliver(self, data: str) -> Emit | None:
        """Validate and record the next chunk; the :class:`Emit` to yield when emitting.

        A plain function, not a sub-flow: ``yield from`` a generator per chunk cost ~0.3 µs
        each, for a command that ``generate()`` never wants.
        """
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
        return Emit(ChunkEvent(self.task_id, index, data, chunk)) if self.emit else None


def _read(decoder: SSEDecoder) -> Flow[tuple[list[ServerSentEvent], TransportFailure | None]]:
    """Read once from the open stream: the events decoded, and a failure if the read failed.
    An empty list with no failure after ``decoder.close()`` means end of stream; ``_UNREADABLE``
    last means the decoder gave up (after the events before it, which are kept)."""
    data = yield READ_STREAM
    if isinstance(data, TransportFailure):
        return [], data
    try:
        events = [*decoder.close(), _EOF] if not data else decoder.feed(data)
    except StreamError:
        events = []
    if decoder.error is not None:
        events.append(_UNREADABLE)
    return events, None


_EOF = ServerSentEvent(event="\x00eof")
_UNREADABLE = ServerSentEvent(event="\x00unreadable")
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
    except (ValueError, AttributeError, RecursionError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _is_chunk(data: str) -> bool:
    """Whether an unnamed ``data:`` payload is a chunk: a JSON object with ``choices`` and no
    other ``object`` (reference section 10: anything else is a keep-alive, not counted)."""
    try:
        payload = json.loads(data)
    except (ValueError, RecursionError):
        return True  # malformed: let the chunk validation say so, with the offset
    return (
        isinstance(payload, dict)
        and "choices" in payload
        and payload.get("object", "chat.completion.chunk") == "chat.completion.chunk"
    )


@dataclass
class Outcome:
    """How one connection ended: ``done`` (with ``total_chunks`` and, when the resume is still
    undecided, the :class:`Resume` the task's text must decide), a ``cut`` or ``stall`` to
    reconnect after, or ``task``: the answer is the task's ``completion``."""

    kind: Literal["done", "cut", "stall", "task"]
    total: int | None = None
    resume: Resume | None = None
    completion: ChatCompletion | None = None


def stall_error(sink: Sink, failure: TransportFailure) -> APITimeoutError:
    error = APITimeoutError(
        f"Task {sink.task_id}: the stream stalled (no data for "
        f"{sink.ctx.config.timeouts.stream_idle:g} s); resume with "
        f"client.stream(task_id, offset={sink.delivered}).",
        task_id=sink.task_id,
        offset=sink.delivered,
    )
    error.__cause__ = failure.error
    return error


def _deadline_error(sink: Sink) -> TaskTimeoutError:
    return TaskTimeoutError(
        f"Task {sink.task_id}: the deadline passed while streaming; resume with "
        f"client.stream(task_id, offset={sink.delivered}).",
        task_id=sink.task_id,
        offset=sink.delivered,
    )


def read_connection(
    sink: Sink, deadline: float, known_prefix: bool, resume: Resume | None = None
) -> Flow[Outcome]:
    """Consume one opened connection, delivering each chunk once (see :mod:`._resume`).
    ``resume`` is the undecided verification of the previous connection, if it broke off."""
    ctx = sink.ctx
    decoder = SSEDecoder()
    # After a reconnect with ?offset=N the server either resumed at chunk N or replayed from 0
    # (reference section 10: verify, never assume). Only while that is undecided are chunks held
    # and compared; the hot path below is a plain deliver.
    if resume is not None:
        resume.reconnect()
    elif sink.delivered:
        resume = Resume(sink.delivered, sink.history if known_prefix else None)
    verifying = resume is not None
    while True:
        events, failure = yield from _read(decoder)
        if failure is not None:
            if failure.timeout and ctx.clock() >= deadline:
                # The read was cut short by the deadline (Send.timeout), not by a stall.
                raise _deadline_error(sink) from failure.error
            if failure.timeout:
                logger.info("Task %s: the stream stalled; resuming.", sink.task_id)
                return Outcome("stall", resume=resume)
            return Outcome("cut", resume=resume)
        for event in events:
            name = event.event
            if name == "message":
                data = event.data
                name = "done" if data == "[DONE]" else "chunk" if _is_chunk(data) else ""
                if not name:
                    sink.keepalive(data)
                    continue
            if name == "chunk":
                if verifying:
                    assert resume is not None
                    for data in resume.chunk(event.data):
                        if (item := sink.deliver(data)) is not None:
                            yield item
                    verifying = resume.state is not State.STREAMING
                else:
                    if (item := sink.deliver(event.data)) is not None:
                        yield item
            elif name == "done":
                total = _total_chunks(event.data) if event.event == "done" else None
                if resume is not None:
                    # A count already contradicted (it sent us back for a gap) proves nothing.
                    ready = resume.done(None if sink.repaired else total)
                    if ready is None:
                        yield from _drain()
                        return Outcome("done", total, resume=resume)
                    for data in ready:
                        if (item := sink.deliver(data)) is not None:
                            yield item
                yield from _drain()
                return Outcome("done", total)
            elif name == "error":
                detail = _error_message(event.data)
                error = StreamError(
                    f"Task {sink.task_id}: the stream ended with an error: {detail}",
                    task_id=sink.task_id,
                    offset=sink.delivered,
                )
                yield CLOSE_STREAM
                completion = yield from _task_after_error(sink, deadline, error, detail)
                return Outcome("task", completion=completion)
            elif event is _EOF:
                return Outcome("cut", resume=resume)
            elif event is _UNREADABLE:
                # The decoder knows bytes, not tasks: say which task, and where to resume it.
                raise StreamError(
                    f"Task {sink.task_id}: {decoder.error.message if decoder.error else ''} "
                    f"Resume with client.stream(task_id, offset={sink.delivered}).",
                    task_id=sink.task_id,
                    offset=sink.delivered,
                )
        if ctx.clock() > deadline:
            raise _deadline_error(sink)


def _task_after_error(
    sink: Sink, deadline: float, error: StreamError, detail: str
) -> Flow[ChatCompletion]:
    """An ``error`` event carries only a message; the task says what really happened: failed
    (TaskFailedError with the task's code, what ``transport="poll"`` raises), or completed with
    its answer (returned: an answer the server holds is never thrown away)."""
    if not sink.task_id:  # a sync+stream POST: no task to ask
        raise error
    try:
        task = yield from get_task_flow(sink.ctx, sink.task_id, deadline)
    except FoxAPIError:
        raise error from None  # the check is best effort: the stream's own error stands
    status = task.status.lower()
    if status in ("failed", "cancelled"):
        info = task.error
        raise TaskFailedError(
            f"Task {sink.task_id} {status}: {(info.message if info else None) or detail}",
            task_id=sink.task_id,
            code=(info.code or info.type) if info else status,
        ) from error
    if status == "completed" and task.results and task.results[0].choices:
        logger.warning(
            "Task %s: the stream ended with an error (%s) but the task is completed; "
            "returning its result.",
            sink.task_id,
            detail,
        )
        return task.results[0]
    raise error


def _error_message(data: str) -> str:
    try:
        message = json.loads(data).get("message")
    except (ValueError, AttributeError, RecursionError):
        message = None
    return str(message) if message else data or "no message"
