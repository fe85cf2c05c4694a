"""The I/O-free protocol flows, driven by scripted replies and a fake clock (no sockets)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from stream_model import Clock, drive, make_ctx

from foxapi_core import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ChunkEvent,
    InsufficientQuotaError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    StreamError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    TaskTimeoutError,
)
from foxapi_core._flows import (
    ReadStream,
    Reply,
    Send,
    TransportFailure,
    get_task_flow,
    submit_flow,
    wait_flow,
)
from foxapi_core._generation import generate_flow, stream_flow
from foxapi_core._policies import RetryPolicy

JSON = {"content-type": "application/json"}
BODY = {"model": "gemini-3.1-pro-preview", "messages": [{"role": "user", "content": "hi"}]}


#: The id every scripted task answer carries (a task answer for another id is refused).
TASK = "task-llm-1-abcdefgh"


def task_json(status: str = "pending", **extra: Any) -> bytes:
    task = {"id": TASK, "object": "llm.generation.task", "status": status}
    task.update(extra)
    return json.dumps(task).encode()


def completion_json(content: str = "hello", **message: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "gemini-3.1-pro-preview",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, **message},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


def error_reply(status: int, **headers: str) -> Reply:
    body = json.dumps({"error": {"message": f"status {status}", "type": "x"}}).encode()
    return Reply(status, {**JSON, **headers}, body)


# --- retry matrix -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_retryable_status_on_poll_is_retried_once(status: int) -> None:
    clock = Clock()
    replies = iter([error_reply(status), Reply(200, JSON, task_json())])
    run = drive(
        get_task_flow(make_ctx(clock), TASK, clock.now + 60), lambda c: next(replies), clock
    )
    assert run.error is None
    assert len(run.sent) == 2
    assert len(run.sleeps) == 1


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (402, InsufficientQuotaError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, InvalidRequestError),
    ],
)
def test_final_status_is_not_retried(status: int, error: type[Exception]) -> None:
    clock = Clock()
    run = drive(
        get_task_flow(make_ctx(clock), TASK, clock.now + 60), lambda c: error_reply(status), clock
    )
    assert isinstance(run.error, error)
    assert len(run.sent) == 1
    assert run.error.status == status  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", [429, 503])
def test_submit_retried_when_no_task_was_created(status: int) -> None:
    clock = Clock()
    replies = iter([error_reply(status), Reply(200, JSON, task_json())])
    run = drive(submit_flow(make_ctx(clock), BODY, clock.now + 60), lambda c: next(replies), clock)
    assert run.error is None
    assert run.result.id == "task-llm-1-abcdefgh"
    assert [c.submit for c in run.sent] == [True, True]


@pytest.mark.parametrize("status", [500, 502, 504])
def test_submit_not_resent_after_server_error(status: int) -> None:
    clock = Clock()
    run = drive(
        submit_flow(make_ctx(clock), BODY, clock.now + 60), lambda c: error_reply(status), clock
    )
    assert isinstance(run.error, SubmitOutcomeUnknownError)
    assert run.error.status == status
    assert "not re-sent" in str(run.error)
    assert len(run.sent) == 1


@pytest.mark.parametrize("sent", [True, False])
def test_submit_transport_failure_resent_only_if_never_sent(sent: bool) -> None:
    clock = Clock()
    replies = iter(
        [TransportFailure(OSError("boom"), sent=sent, timeout=False), Reply(200, JSON, task_json())]
    )
    run = drive(submit_flow(make_ctx(clock), BODY, clock.now + 60), lambda c: next(replies), clock)
    if sent:
        assert isinstance(run.error, SubmitOutcomeUnknownError)
        assert len(run.sent) == 1
    else:
        assert run.error is None
        assert len(run.sent) == 2


def test_poll_connection_errors_are_retried_until_the_deadline_not_max_retries() -> None:
    """Idempotent reads are bounded by the deadline: max_retries=3 does not stop them at 4
    attempts, and the last wait that would pass the deadline ends the call."""
    clock = Clock()
    start = clock.now
    failure = TransportFailure(OSError("reset"), sent=True, timeout=False)
    run = drive(
        get_task_flow(make_ctx(clock, max_retries=3), TASK, clock.now + 60),
        lambda c: failure,
        clock,
    )
    assert isinstance(run.error, APIConnectionError)
    assert "would pass the deadline" in run.error.message
    assert len(run.sent) > 4
    assert clock.now <= start + 60
    assert max(run.sleeps) <= 8.0  # capped backoff


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_three_5xx_polls_in_a_row_do_not_abort_a_call_with_deadline_left(status: int) -> None:
    clock = Clock()
    replies = iter([error_reply(status)] * 3 + [Reply(200, JSON, task_json())])
    run = drive(
        get_task_flow(make_ctx(clock), TASK, clock.now + 60),
        lambda c: next(replies),
        clock,
    )
    assert run.error is None
    assert len(run.sent) == 4


@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after-ms": "1250"}, 1.25), ({"retry-after": "2"}, 2.0)],
)
def test_retry_after_is_honoured(headers: dict[str, str], expected: float) -> None:
    clock = Clock()
    replies = iter([error_reply(429, **headers), Reply(200, JSON, task_json())])
    run = drive(
        get_task_flow(make_ctx(clock), TASK, clock.now + 60), lambda c: next(replies), clock
    )
    assert run.sleeps == [pytest.approx(expected, abs=0.05)]


def test_retry_after_is_capped() -> None:
    clock = Clock()
    replies = iter([error_reply(429, **{"retry-after": "3600"}), Reply(200, JSON, task_json())])
    ctx = make_ctx(clock, max_retry_after=5.0)
    run = drive(get_task_flow(ctx, TASK, clock.now + 60), lambda c: next(replies), clock)
    assert run.sleeps == [5.0]


def test_retry_beyond_deadline_fails_fast_with_the_retry_time() -> None:
    clock = Clock()
    run = drive(
        get_task_flow(make_ctx(clock), TASK, clock.now + 1.0),
        lambda c: error_reply(429, **{"retry-after": "30"}),
        clock,
    )
    assert isinstance(run.error, RateLimitError)
    assert run.error.retry_after == 30.0
    assert "30 s would pass the deadline" in str(run.error)
    assert run.sleeps == []


def test_backoff_is_capped_exponential_with_jitter() -> None:
    policy = RetryPolicy()
    delays = [policy.backoff(n) for n in range(8)]
    for n, delay in enumerate(delays):
        base = min(0.5 * 2**n, 8.0)
        assert 0.75 * base <= delay <= base


# --- polling ------------------------------------------------------------------------------------


def test_sixty_second_task_needs_at_most_fifteen_polls() -> None:
    clock = Clock()
    start = clock.now

    def server(cmd: Any) -> Reply:
        done = clock.now - start >= 60.0
        if done:
            return Reply(200, JSON, task_json("completed", results=[completion_json()]))
        return Reply(200, JSON, task_json("processing"))

    flow = wait_flow(make_ctx(clock), TASK, start + 900, first_delay=0.5)
    run = drive(flow, server, clock)
    assert run.error is None
    assert run.result.status == "completed"
    assert len(run.sent) <= 15
    # completion is seen within one interval (at most 10 s late)
    assert clock.now - start - 60.0 <= 10.0


def test_deadline_gets_a_last_poll_exactly_at_the_deadline() -> None:
    clock = Clock()
    start = clock.now
    poll_times: list[float] = []

    def server(cmd: Any) -> Reply:
        poll_times.append(clock.now - start)
        return Reply(200, JSON, task_json("processing"))

    run = drive(wait_flow(make_ctx(clock), TASK, start + 7.0), server, clock)
    assert isinstance(run.error, TaskTimeoutError)
    assert run.error.task_id == TASK
    assert poll_times[-1] == pytest.approx(7.0)


def test_failed_task_raises_with_code_and_task_id() -> None:
    clock = Clock()
    failed = task_json("failed", error={"code": "upstream_error", "message": "no", "type": "x"})
    run = drive(
        wait_flow(make_ctx(clock), TASK, clock.now + 60), lambda c: Reply(200, JSON, failed), clock
    )
    assert isinstance(run.error, TaskFailedError)
    assert run.error.code == "upstream_error"
    assert run.error.task_id == TASK


def test_completed_with_null_results_is_requeried() -> None:
    clock = Clock()
    replies = iter(
        [
            Reply(200, JSON, task_json("completed", results=None)),
            Reply(200, JSON, task_json("completed", results=[completion_json("ok")])),
        ]
    )
    run = drive(wait_flow(make_ctx(clock), TASK, clock.now + 60), lambda c: next(replies), clock)
    assert run.result.results[0].text == "ok"
    assert len(run.sent) == 2


# --- streaming ----------------------------------------------------------------------------------


def chunk_data(i: int, **delta: Any) -> str:
    delta = delta or {"content": f"w{i} "}
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "model": "kimi-k2.6",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        },
        separators=(",", ":"),
    )


class SSEServer:
    """Answers stream Sends with SSE bytes; can cut a connection and ignore ?offset."""

    def __init__(
        self,
        chunks: list[str],
        *,
        cut_after: int | None = None,
        honour_offset: bool = True,
        final: dict[str, Any] | None = None,
        read_size: int = 7,
    ) -> None:
        self.chunks = chunks
        self.cut_after = cut_after
        self.honour_offset = honour_offset
        self.final = final or completion_json("".join(f"w{i} " for i in range(len(chunks))))
        self.read_size = read_size
        self.pending: list[bytes] = []
        self.offsets: list[int] = []

    def __call__(self, cmd: Any) -> Any:
        if isinstance(cmd, Send):
            if cmd.kind == "stream":
                offset = int((cmd.params or {}).get("offset", 0))
                self.offsets.append(offset)
                start = offset if self.honour_offset else 0
                parts = [f"event: chunk\ndata: {c}\n\n" for c in self.chunks[start:]]
                if self.cut_after is not None and len(self.offsets) == 1:
                    parts = parts[: self.cut_after]
                else:
                    parts.append(f'event: done\ndata: {{"total_chunks": {len(self.chunks)}}}\n\n')
                raw = b": ping\n\n" + "".join(parts).encode()
                self.pending = [
                    raw[i : i + self.read_size] for i in range(0, len(raw), self.read_size)
                ]
                return Reply(200, {"content-type": "text/event-stream"})
            if cmd.method == "POST":
                return Reply(
                    200, JSON, task_json(stream={"url": f"/v1/llm/generations/{TASK}/stream"})
                )
            return Reply(200, JSON, task_json("completed", results=[self.final]))
        if isinstance(cmd, ReadStream):
            return self.pending.pop(0) if self.pending else b""
        return None


ALL = [chunk_data(i) for i in range(10)]


@pytest.mark.parametrize("cut_after", [0, 1, 3, 5, 9, 10])
@pytest.mark.parametrize("honour_offset", [True, False])
def test_cut_stream_yields_every_chunk_exactly_once(cut_after: int, honour_offset: bool) -> None:
    clock = Clock()
    server = SSEServer(ALL, cut_after=cut_after, honour_offset=honour_offset)
    run = drive(stream_flow(make_ctx(clock), TASK, clock.now + 60), server, clock)
    assert run.error is None
    events: list[ChunkEvent] = run.emitted
    assert [e.data for e in events] == ALL  # byte-identical, in order, once each
    assert [e.index for e in events] == list(range(10))
    assert server.offsets == [0, cut_after] if cut_after else True
    assert run.result.text == "".join(f"w{i} " for i in range(10))


def test_resume_keeps_reasoning_complete() -> None:
    chunks = [chunk_data(i, reasoning_content=f"r{i} ") for i in range(4)] + [
        chunk_data(i) for i in range(4, 8)
    ]
    clock = Clock()
    server = SSEServer(chunks, cut_after=2, honour_offset=False, final=completion_json("w4 w5 "))
    flow = generate_flow(make_ctx(clock), {**BODY, "model": "kimi-k2.6"}, "stream", clock.now + 60)
    run = drive(flow, server, clock)
    assert run.error is None
    assert run.result.reasoning == "r0 r1 r2 r3 "


def test_user_offset_with_replaying_server_uses_total_chunks() -> None:
    clock = Clock()
    server = SSEServer(ALL, honour_offset=False)
    run = drive(stream_flow(make_ctx(clock), TASK, clock.now + 60, offset=4), server, clock)
    assert [e.data for e in run.emitted] == ALL[4:]
    assert [e.index for e in run.emitted] == list(range(4, 10))


def test_error_event_raises_stream_error_with_offset() -> None:
    clock = Clock()

    def server(cmd: Any) -> Any:
        if isinstance(cmd, Send):
            return Reply(200, {})
        if isinstance(cmd, ReadStream):
            data = f'event: chunk\ndata: {ALL[0]}\n\nevent: error\ndata: {{"message": "boom"}}\n\n'
            server.sent = getattr(server, "sent", 0) + 1  # type: ignore[attr-defined]
            return data.encode() if server.sent == 1 else b""  # type: ignore[attr-defined]
        return None

    run = drive(stream_flow(make_ctx(clock), TASK, clock.now + 60), server, clock)
    assert isinstance(run.error, StreamError)
    assert "boom" in str(run.error)
    assert run.error.offset == 1
    assert run.error.task_id == TASK


def test_malformed_chunk_raises_stream_error() -> None:
    clock = Clock()
    server = SSEServer([ALL[0], "{not json", ALL[2]])
    run = drive(stream_flow(make_ctx(clock), TASK, clock.now + 60), server, clock)
    assert isinstance(run.error, StreamError)
    assert run.error.offset == 1


def test_stream_past_retention_falls_back_to_the_task() -> None:
    clock = Clock()

    def server(cmd: Any) -> Any:
        if isinstance(cmd, Send) and cmd.kind == "stream":
            return error_reply(404)
        if isinstance(cmd, Send):
            return Reply(200, JSON, task_json("completed", results=[completion_json("late")]))
        return None

    run = drive(stream_flow(make_ctx(clock), TASK, clock.now + 60), server, clock)
    assert run.error is None
    assert run.result.text == "late"
    assert [e.chunk.delta.content for e in run.emitted] == ["late"]


def test_stall_resumes_and_a_stream_that_only_stalls_falls_back_to_the_task() -> None:
    """Issue 13: a stall no longer ends the call; the task (still running, billed) is followed."""
    clock = Clock()
    opened: list[Send] = []

    def server(cmd: Any) -> Any:
        if isinstance(cmd, Send) and cmd.kind == "stream":
            opened.append(cmd)
            return Reply(200, {})
        if isinstance(cmd, Send):
            return Reply(200, JSON, task_json("completed", results=[completion_json("late")]))
        if isinstance(cmd, ReadStream):
            clock.now += 30  # the idle timeout
            return TransportFailure(TimeoutError("read"), sent=True, timeout=True)
        return None

    run = drive(stream_flow(make_ctx(clock), TASK, clock.now + 900), server, clock)
    assert run.error is None
    assert run.result.text == "late"
    assert 1 < len(opened) <= 4  # reconnected, then polled well inside the deadline


def test_validation_happens_before_anything_is_sent() -> None:
    clock = Clock()
    body = {"model": "claude-opus-4-7", "messages": [{"role": "user", "content": "hi"}]}
    run = drive(submit_flow(make_ctx(clock), body, clock.now + 60), lambda c: None, clock)
    assert run.error is not None
    assert "max_tokens" in str(run.error)
    assert run.sent == []
