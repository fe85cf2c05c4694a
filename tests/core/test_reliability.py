"""The fault-injection matrix of issue 6 (integration bar section 4) for both clients.

Every test runs against the emulator on a real loopback socket (the ``foxapi_emulator`` fixture),
once with ``FoxAPIClient`` and once with ``AsyncFoxAPIClient`` through the ``Api`` facade, which
gives both the same blocking surface so that one test body states the property for both. The
numbered sections follow the matrix of the issue. Timing assertions measure the client's own
waits (Retry-After, stall, deadline, cancellation); nothing here sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import gc
import inspect
import itertools
import logging
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from foxapi_core import (
    AsyncFoxAPIClient,
    AuthenticationError,
    BadRequestError,
    ChatCompletion,
    ChunkEvent,
    ClientClosedError,
    FoxAPIClient,
    InsufficientQuotaError,
    InvalidRequestError,
    MessagesRequest,
    NotFoundError,
    PermissionDeniedError,
    PollPolicy,
    RateLimitError,
    RetryPolicy,
    StreamError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    TaskTimeoutError,
    TextRequest,
    Timeouts,
)
from foxapi_core.emulator import RunningEmulator, chunks, respond

KINDS = ["sync", "async"]
# Fast backoff and polls: these tests count attempts; the schedules themselves are proven in
# test_flows and, with the default policies on a fake clock, in section 8 below.
FAST = RetryPolicy(initial_backoff=0.01, max_backoff=0.02)
QUICK_POLLS = PollPolicy(initial_delay=0.01, min_interval=0.01, max_interval=0.05)
TEXT = TextRequest(model="gemini-2.5-pro", prompt="Name three rivers")
KIMI = MessagesRequest(
    model="kimi-k2.6",
    messages=[{"role": "user", "content": "Is 17 prime? Think it through step by step."}],
)


@dataclass
class Api:
    """One client, sync or async, behind a blocking facade (async calls run on a private loop).

    ``sleeps`` records every wait the driver performs (the flows' ``Sleep`` commands)."""

    kind: str
    client: FoxAPIClient | AsyncFoxAPIClient
    loop: asyncio.AbstractEventLoop | None = None
    sleeps: list[float] = field(default_factory=list)

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        result = getattr(self.client, name)(*args, **kwargs)
        if inspect.isawaitable(result):
            assert self.loop is not None
            return self.loop.run_until_complete(result)
        return result

    def events(
        self, name: str, *args: Any, on_event: Callable[[ChunkEvent], None] | None = None, **kw: Any
    ) -> tuple[list[ChunkEvent], ChatCompletion | None]:
        """Consume ``client.<name>(...)`` (a stream) fully; ``on_event`` sees each event."""
        stream = getattr(self.client, name)(*args, **kw)
        events: list[ChunkEvent] = []
        if self.loop is None:
            for event in stream:
                events.append(event)
                if on_event:
                    on_event(event)
        else:

            async def consume() -> None:
                async for event in stream:
                    events.append(event)
                    if on_event:
                        on_event(event)

            self.loop.run_until_complete(consume())
        return events, stream.completion

    def close(self) -> None:
        if self.loop is not None and self.loop.is_closed():
            return  # closed already (closing twice is proven in test_client)
        if isinstance(self.client, FoxAPIClient):
            self.client.close()
            return
        assert self.loop is not None
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.loop.shutdown_asyncgens())
        self.loop.close()


def make_api(kind: str, emu: RunningEmulator, *, record: bool = True, **settings: Any) -> Api:
    settings.setdefault("retry", FAST)
    settings.setdefault("poll", QUICK_POLLS)
    if kind == "sync":
        api = Api(kind, FoxAPIClient(api_key=emu.api_key, base_url=emu.base_url, **settings))
        if record:

            def sleep(seconds: float) -> None:
                api.sleeps.append(seconds)
                time.sleep(seconds)

            api.client._sleep = sleep  # type: ignore[method-assign]
        return api
    client = AsyncFoxAPIClient(api_key=emu.api_key, base_url=emu.base_url, **settings)
    api = Api(kind, client, loop=asyncio.new_event_loop())
    if record:

        async def asleep(seconds: float) -> None:
            api.sleeps.append(seconds)
            await asyncio.sleep(seconds)

        client._sleep = asleep  # type: ignore[method-assign]
    return api


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def apis(foxapi_emulator: RunningEmulator) -> Iterator[Callable[..., Api]]:
    """A factory of ``Api`` objects bound to the test's emulator; all are closed afterwards."""
    made: list[Api] = []

    def factory(kind: str, **settings: Any) -> Api:
        api = make_api(kind, foxapi_emulator, **settings)
        made.append(api)
        return api

    yield factory
    for api in made:
        api.close()


def pool_state(api: Api) -> tuple[int, int]:
    """(requests waiting for or holding a connection, connections not idle) over every pool the
    client uses: both are 0 when nothing is checked out."""
    client = api.client
    if isinstance(client, FoxAPIClient):
        transports: list[Any] = [client._http._transport]
    else:
        # the async pools are sharded (foxapi_core._pool): one httpx transport per shard
        transports = [s for pool, *_ in client._pools.values() for s in pool._transport.shards]
    requests = busy = 0
    for transport in transports:
        pool = getattr(transport, "inner", transport)._pool
        requests += len(pool._requests)
        busy += sum(1 for c in pool.connections if not (c.is_idle() or c.is_closed()))
    return requests, busy


def expected_chunks(body: dict[str, Any], emu: RunningEmulator, *, thinking: bool) -> int:
    """How many chunks the emulator streams for ``body`` (its responder is deterministic)."""
    config = emu.emulator.config
    answer = respond(body, thinking=thinking, answer_words=config.answer_words)
    return len(chunks(answer, chunk_size=config.chunk_size))


# --- 1. retry matrix ----------------------------------------------------------------------------

RETRYABLE = [408, 409, 429, 500, 502, 503, 504]
FINAL: dict[int, type[Exception]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientQuotaError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: InvalidRequestError,
}


@pytest.mark.parametrize("status", RETRYABLE)
def test_retryable_status_on_poll_takes_exactly_two_attempts(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, status: int
) -> None:
    emu = foxapi_emulator.emulator
    api = apis(kind)
    task = api.call("submit", TEXT)
    emu.faults.fail("poll", status)
    polled = api.call("get_task", task.id)
    assert polled.id == task.id
    assert emu.counters.polls == 2
    assert len(api.sleeps) == 1


@pytest.mark.parametrize("status", RETRYABLE)
def test_retryable_status_on_stream_takes_exactly_two_attempts(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, status: int
) -> None:
    emu = foxapi_emulator.emulator
    emu.faults.fail("stream", status)
    events, completion = apis(kind).events("stream_generate", TEXT)
    assert completion is not None and completion.text
    assert "".join(e.chunk.delta.content or "" for e in events) == completion.text
    assert emu.counters.stream_requests == 2
    assert emu.counters.submits == emu.counters.submit_attempts == 1


@pytest.mark.parametrize("status", sorted(FINAL))
def test_final_status_on_poll_takes_one_attempt_and_the_matching_error(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, status: int
) -> None:
    emu = foxapi_emulator.emulator
    api = apis(kind)
    task = api.call("submit", TEXT)
    emu.faults.fail("poll", status)
    with pytest.raises(FINAL[status]) as info:
        api.call("wait", task.id)
    assert info.value.status == status  # type: ignore[attr-defined]
    assert info.value.task_id == task.id  # type: ignore[attr-defined]
    assert emu.counters.polls == 1
    assert api.sleeps == []


@pytest.mark.parametrize("status", sorted(FINAL))
def test_final_status_on_stream_is_not_retried(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, status: int
) -> None:
    """401/402/403 raise; any other 4xx means "no stream here": the documented fallback reads
    the result from the task (protocol reference section 10)."""
    emu = foxapi_emulator.emulator
    emu.faults.fail("stream", status)
    api = apis(kind)
    if status in (401, 402, 403):
        with pytest.raises(FINAL[status]) as info:
            api.call("generate", TEXT)
        assert info.value.task_id  # type: ignore[attr-defined]
        assert emu.counters.polls == 0
    else:
        completion = api.call("generate", TEXT)
        task = next(iter(emu.tasks.values()))
        assert completion.text == task.completion["choices"][0]["message"]["content"]
        assert emu.counters.polls >= 1
    assert emu.counters.stream_requests == 1


def test_closed_client_fails_every_operation_at_once_with_no_request(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    api = apis(kind)
    api.close()
    calls: list[tuple[str, tuple[Any, ...]]] = [
        ("submit", (TEXT,)),
        ("get_task", ("task-llm-1-abc",)),
        ("wait", ("task-llm-1-abc",)),
        ("generate", (TEXT,)),
        ("list_models", ()),
    ]
    loop = asyncio.new_event_loop() if kind == "async" else None
    try:
        for name, args in calls:
            started = time.monotonic()
            with pytest.raises(ClientClosedError):
                result = getattr(api.client, name)(*args)
                if loop is not None:
                    loop.run_until_complete(result)
            assert time.monotonic() - started < 0.05
        for name in ("stream_generate", "stream"):
            with pytest.raises(ClientClosedError):
                getattr(api.client, name)(TEXT if name == "stream_generate" else "task-llm-1-a")
    finally:
        if loop is not None:
            loop.close()
    assert foxapi_emulator.emulator.counters.requests == 0


def test_client_closed_during_a_wait_sends_no_further_request(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.config.processing_delay = 30.0
    api = apis(kind, poll=PollPolicy(initial_delay=0.0, min_interval=0.01))
    task = api.call("submit", TEXT)

    def close_after_first_poll(_: Any) -> None:
        api.client._closed = True  # what close()/aclose() set first, from inside the wait

    with pytest.raises(ClientClosedError):
        api.call("wait", task.id, on_progress=close_after_first_poll)
    assert emu.counters.polls == 1


# --- 2. Retry-After -----------------------------------------------------------------------------


def _http_date_in(seconds: float) -> tuple[str, float]:
    """An HTTP date about ``seconds`` ahead (whole seconds only) and the wait it stands for,
    measured from now."""
    now = time.time()
    target = int(now + seconds) + 1
    return email.utils.formatdate(target, usegmt=True), target - now


@pytest.mark.parametrize("header", ["retry-after-ms", "retry-after-seconds", "retry-after-date"])
def test_retry_after_is_honoured_within_50_ms(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, header: str
) -> None:
    emu = foxapi_emulator.emulator
    api = apis(kind)
    task = api.call("submit", TEXT)
    if header == "retry-after-ms":
        emu.faults.fail("poll", 429, retry_after_ms=300)
        expected = 0.3
    elif header == "retry-after-seconds":
        emu.faults.fail("poll", 503, retry_after=0.3)
        expected = 0.3
    else:
        date, expected = _http_date_in(0.3)
        emu.faults.fail("poll", 429, retry_after=date)
    started = time.monotonic()
    api.call("get_task", task.id)
    elapsed = time.monotonic() - started
    assert api.sleeps == [pytest.approx(expected, abs=0.05)]
    assert elapsed == pytest.approx(expected, abs=0.05)
    assert emu.counters.polls == 2


def test_retry_after_is_capped(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    api = apis(kind, retry=FAST.model_copy(update={"max_retry_after": 0.2}))
    task = api.call("submit", TEXT)
    emu.faults.fail("poll", 429, retry_after=3600)
    started = time.monotonic()
    api.call("get_task", task.id)
    assert api.sleeps == [0.2]
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("stage", ["submit", "poll"])
def test_retry_after_beyond_the_deadline_fails_fast_with_the_retry_time(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, stage: str
) -> None:
    emu = foxapi_emulator.emulator
    api = apis(kind)
    started = time.monotonic()
    with pytest.raises(RateLimitError) as info:
        if stage == "submit":
            emu.faults.fail("submit", 429, retry_after=30)
            api.call("generate", TEXT, deadline=2.0)
        else:
            task = api.call("submit", TEXT)
            emu.faults.fail("poll", 429, retry_after=30)
            api.call("wait", task.id, deadline=2.0)
    assert time.monotonic() - started < 0.5
    assert info.value.retry_after == 30.0
    assert "30 s would pass the deadline" in str(info.value)
    assert api.sleeps == []
    assert emu.counters.submit_attempts == 1
    assert emu.counters.polls == (1 if stage == "poll" else 0)


# --- 3. submits are never re-sent when a task may exist ----------------------------------------


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize("transport", ["stream", "poll", "sync"])
def test_submit_429_and_503_are_retried(
    apis: Callable[..., Api],
    foxapi_emulator: RunningEmulator,
    kind: str,
    status: int,
    transport: str,
) -> None:
    emu = foxapi_emulator.emulator
    emu.faults.fail("submit", status)
    completion = apis(kind).call("generate", TEXT, transport=transport)
    assert completion.text
    assert emu.counters.submit_attempts == 2
    assert emu.counters.submits == 1


SUBMIT_UNKNOWN = ["dropped", "read-timeout", "500", "502", "504"]


@pytest.mark.parametrize("case", SUBMIT_UNKNOWN)
@pytest.mark.parametrize("transport", ["stream", "poll", "sync"])
def test_submit_that_may_have_created_a_task_is_not_resent(
    apis: Callable[..., Api],
    foxapi_emulator: RunningEmulator,
    kind: str,
    case: str,
    transport: str,
) -> None:
    emu = foxapi_emulator.emulator
    settings: dict[str, Any] = {}
    if case == "dropped":
        emu.faults.drop_after_submit()
    elif case == "read-timeout":
        emu.faults.delay_submit_response(5.0)
        settings["timeouts"] = Timeouts(read=0.2, sync=0.2)
    else:
        emu.faults.fail("submit", int(case))
    api = apis(kind, **settings)
    with pytest.raises(SubmitOutcomeUnknownError) as info:
        api.call("generate", TEXT, transport=transport)
    message = str(info.value)
    assert "may or may not" in message or "may already have created" in message
    assert "not re-sent" in message
    assert emu.counters.submit_attempts == 1
    # a status fault is answered before the emulator creates the task; a drop or a delay after
    assert emu.counters.submits == (1 if case in ("dropped", "read-timeout") else 0)
    if case not in ("dropped", "read-timeout"):
        assert info.value.status == int(case)
        assert info.value.request_id  # what is known is carried
    assert api.sleeps == []


# --- 4. stream cuts -----------------------------------------------------------------------------

CUTS = ["none", "first", "middle", "all-but-last", "all"]


def _cut_after(where: str, total: int) -> int:
    return {"none": 0, "first": 1, "middle": total // 2, "all-but-last": total - 1}.get(
        where, total
    )


@pytest.mark.parametrize("honour_offset", [True, False], ids=["offset", "replay-from-0"])
@pytest.mark.parametrize("where", CUTS)
def test_stream_cut_after_chunk_k_yields_every_chunk_once_in_order_byte_identical(
    apis: Callable[..., Api],
    foxapi_emulator: RunningEmulator,
    kind: str,
    where: str,
    honour_offset: bool,
) -> None:
    emu = foxapi_emulator.emulator
    emu.config.honour_offset = honour_offset
    body = KIMI.to_body(stream=True)
    total = expected_chunks(body, foxapi_emulator, thinking=True)
    cut = _cut_after(where, total)
    emu.faults.cut_stream(after_chunks=cut)
    api = apis(kind)
    events, completion = api.events("stream_generate", KIMI)
    (task,) = emu.tasks.values()
    # byte-identical to what an uncut stream of this task sends...
    assert [e.data.encode() for e in events] == task.chunk_data
    assert [e.index for e in events] == list(range(total))
    # ...and to an uncut re-read of the same task through the client
    uncut, _ = api.events("stream", task.id)
    assert [e.data for e in uncut] == [e.data for e in events]
    assert completion is not None
    assert completion.reasoning == "".join(e.chunk.delta.reasoning_content or "" for e in events)
    assert completion.reasoning == task.answer.reasoning
    assert completion.text == "".join(e.chunk.delta.content or "" for e in events)
    streams = [r for r in emu.counters.log if r.path.endswith("/stream")]
    assert len(streams) == 3  # the cut one, its resume, the uncut re-read
    assert streams[1].query == (f"offset={cut}" if cut else "")
    assert emu.counters.submits == 1


def test_stream_past_its_retention_falls_back_to_the_task(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    real_clock = emu.clock

    def clock() -> float:
        # Travel 1,000 s (past stream_ttl) as soon as the client reconnects after the cut.
        return real_clock() + (1000.0 if emu.counters.stream_requests >= 2 else 0.0)

    emu.clock = clock
    emu.config.stream_ttl = 60.0
    emu.faults.cut_stream(after_chunks=2)
    events, completion = apis(kind).events("stream_generate", TEXT)
    (task,) = emu.tasks.values()
    assert completion is not None
    assert completion.text == task.completion["choices"][0]["message"]["content"]
    assert completion.usage is not None and completion.usage.total_tokens > 0
    # the first two chunks as streamed, then one chunk with the rest, built from the task
    assert [e.data.encode() for e in events[:2]] == task.chunk_data[:2]
    assert len(events) == 3
    assert "".join(e.chunk.delta.content or "" for e in events) == completion.text
    assert emu.counters.stream_requests == 2
    assert emu.counters.polls >= 1


# --- 5. malformed chunks, error events, failed tasks, null results, unknown ids ----------------


def test_malformed_chunk_raises_a_stream_error_with_task_id_and_offset(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    foxapi_emulator.emulator.faults.malformed_chunk(at=2)
    seen: list[ChunkEvent] = []
    with pytest.raises(StreamError) as info:
        apis(kind).events("stream_generate", KIMI, on_event=seen.append)
    (task_id,) = foxapi_emulator.emulator.tasks
    assert info.value.task_id == task_id
    assert info.value.offset == 2
    assert "not a valid chat.completion.chunk" in str(info.value)
    assert [e.index for e in seen] == [0, 1]


def test_an_oversized_event_raises_a_stream_error_with_task_id_and_offset(
    apis: Callable[..., Api],
    foxapi_emulator: RunningEmulator,
    kind: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The SSE cap is the decoder's; the error the user gets still says which task and where
    to resume, like every other stream error."""
    import functools

    from foxapi_core import _stream_connection
    from foxapi_core._sse import SSEDecoder

    monkeypatch.setattr(
        _stream_connection, "SSEDecoder", functools.partial(SSEDecoder, max_event_chars=500)
    )
    foxapi_emulator.emulator.quirks.answer_chunks = ["a", "b", "x" * 1000, "c"]
    seen: list[ChunkEvent] = []
    with pytest.raises(StreamError) as info:
        apis(kind).events("stream_generate", TEXT, on_event=seen.append)
    (task_id,) = foxapi_emulator.emulator.tasks
    assert (info.value.task_id, info.value.offset) == (task_id, 2)
    assert "more than 500 characters" in str(info.value)
    assert "offset=2" in str(info.value)
    assert [e.index for e in seen] == [0, 1]


def test_error_event_raises_a_stream_error_with_task_id(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    # the task is still running when the error event comes (chunks 0.05 s apart): nothing to keep
    foxapi_emulator.emulator.config.chunk_delay = 0.05
    foxapi_emulator.emulator.faults.stream_error(at=1, message="upstream exploded")
    with pytest.raises(StreamError) as info:
        apis(kind).events("stream_generate", TEXT)
    (task_id,) = foxapi_emulator.emulator.tasks
    assert info.value.task_id == task_id
    assert info.value.offset == 1
    assert "upstream exploded" in str(info.value)


def test_error_event_on_a_completed_task_returns_its_answer(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    """Issue 13: an ``error`` event while the task is already completed with results does not
    cost the answer: the caller gets the rest of it from the task."""
    foxapi_emulator.emulator.faults.stream_error(at=1, message="relay hiccup")
    events, completion = apis(kind).events("stream_generate", TEXT)
    assert completion is not None and completion.text
    assert "".join(e.chunk.delta.content or "" for e in events) == completion.text
    assert [e.index for e in events] == list(range(len(events)))


@pytest.mark.parametrize("transport", ["stream", "poll"])
def test_failed_task_raises_task_failed_with_its_code_and_task_id(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, transport: str
) -> None:
    """The stream's ``error`` event carries no code, so the client asks the task for it."""
    foxapi_emulator.emulator.faults.fail_task(code="content_filter", message="refused")
    with pytest.raises(TaskFailedError) as info:
        apis(kind).call("generate", TEXT, transport=transport)
    (task_id,) = foxapi_emulator.emulator.tasks
    assert info.value.code == "content_filter"
    assert info.value.task_id == task_id
    assert "refused" in str(info.value)


def test_completed_with_null_results_is_requeried(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.faults.null_results(times=2)
    api = apis(kind)
    task = api.call("submit", TEXT)
    done = api.call("wait", task.id)
    assert done.results and done.results[0].text
    assert emu.counters.polls == 3


def test_completed_with_null_results_for_good_raises_task_failed(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.faults.null_results(times=100)
    api = apis(kind, poll=PollPolicy(initial_delay=0.0, min_interval=0.01, null_result_retries=2))
    task = api.call("submit", TEXT)
    with pytest.raises(TaskFailedError) as info:
        api.call("wait", task.id)
    assert info.value.code == "empty_results"
    assert info.value.task_id == task.id
    assert emu.counters.polls == 3  # bounded: the first answer and 2 re-queries


@pytest.mark.parametrize("operation", ["wait", "get_task", "stream"])
def test_unknown_task_id_raises_not_found_with_the_task_id(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, operation: str
) -> None:
    api = apis(kind)
    with pytest.raises(NotFoundError) as info:
        if operation == "stream":  # 404 on the stream: fall back to the task, also 404
            api.events("stream", "task-llm-1-unknown")
        else:
            api.call(operation, "task-llm-1-unknown")
    assert info.value.task_id == "task-llm-1-unknown"
    assert info.value.status == 404


# --- 6. stalls and heartbeats -------------------------------------------------------------------

IDLE = 0.5


def test_stall_is_detected_within_the_idle_timeout_and_resumed(
    apis: Callable[..., Api],
    foxapi_emulator: RunningEmulator,
    kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 13: a stall is detected within the idle timeout (+10 %) and no longer ends the call
    (the task goes on, and is billed): the stream is reopened at the offset reached.

    The bound is on the detection (the client's log line, stamped when it decides), not on the
    next chunk's arrival, which adds a new connection's latency on a loaded machine."""
    caplog.set_level(logging.INFO, "foxapi")
    emu = foxapi_emulator.emulator
    emu.faults.stall_stream(after_chunks=2, seconds=10)
    api = apis(kind, timeouts=Timeouts(stream_idle=IDLE))
    times: list[float] = []
    events, completion = api.events(
        "stream_generate", TEXT, on_event=lambda e: times.append(time.time())
    )
    assert completion is not None
    assert "".join(e.chunk.delta.content or "" for e in events) == completion.text
    assert [e.index for e in events] == list(range(len(events)))
    (stalled,) = [r for r in caplog.records if "the stream stalled" in r.getMessage()]
    assert IDLE <= stalled.created - times[1] <= IDLE * 1.1
    assert times[2] > stalled.created  # the rest came after the resume
    streams = [r for r in emu.counters.log if r.path.endswith("/stream")]
    assert [r.query for r in streams] == ["", "offset=2"]


@pytest.mark.parametrize("heartbeat", [0.1, None], ids=["heartbeats", "no-heartbeats"])
def test_heartbeats_keep_a_slow_stream_alive(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, heartbeat: float | None
) -> None:
    """Chunks come further apart than the idle timeout: with ``: ping`` comments in between the
    stream completes; without them (the control) the same stream counts as stalled."""
    config = foxapi_emulator.emulator.config
    config.chunk_delay = 0.35
    config.heartbeat_interval = heartbeat
    config.answer_words = 4
    config.chunk_size = 2
    api = apis(kind, timeouts=Timeouts(stream_idle=0.25))
    times: list[float] = []
    if heartbeat is None:
        # the control: every gap counts as a stall, so the stream is reopened after each one
        api.events("stream_generate", TEXT, on_event=lambda e: times.append(time.monotonic()))
        assert foxapi_emulator.emulator.counters.stream_requests > 1
        return
    _, completion = api.events(
        "stream_generate", TEXT, on_event=lambda e: times.append(time.monotonic())
    )
    assert completion is not None and completion.text
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) > 0.25  # slower than the idle timeout, yet alive
    assert foxapi_emulator.emulator.counters.stream_requests == 1


# --- 7. cancellation ----------------------------------------------------------------------------


def _interrupt_note(exc: BaseException, caplog: pytest.LogCaptureFixture, task_id: str) -> None:
    """The task id reaches the user: as a note on the exception (3.11+) and in a log record."""
    if sys.version_info >= (3, 11):
        assert any(task_id in note for note in getattr(exc, "__notes__", []))
    assert any(task_id in r.getMessage() for r in caplog.records if r.name == "foxapi")


@pytest.mark.parametrize("during", ["poll-wait", "stream"])
def test_cancelling_an_async_call_returns_at_once_and_releases_everything(
    foxapi_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture, during: str
) -> None:
    emu = foxapi_emulator.emulator
    caplog.set_level(logging.INFO, logger="foxapi")
    if during == "poll-wait":
        emu.config.processing_delay = 30.0
    else:
        emu.config.chunk_delay = 30.0  # the first chunk comes at once, the next in 30 s
    api = make_api("async", foxapi_emulator)
    assert api.loop is not None
    client = api.client
    assert isinstance(client, AsyncFoxAPIClient)

    async def scenario() -> tuple[float, BaseException, int]:
        reached = asyncio.Event()
        if during == "poll-wait":
            # on_progress runs inside the flow right before it yields the Sleep: once the
            # event is seen, the call is parked in the driver's poll wait.
            coro: Any = client.generate(TEXT, transport="poll", on_progress=lambda t: reached.set())
        else:

            async def consume() -> None:
                async for _ in client.stream_generate(TEXT):
                    reached.set()

            coro = consume()
        task = asyncio.ensure_future(coro)
        await reached.wait()
        await asyncio.sleep(0)  # let the task reach its next await (the wait or the read)
        requests = emu.counters.requests  # the last response was read: it is counted
        started = time.monotonic()
        task.cancel()
        try:
            await task
        except asyncio.CancelledError as exc:
            return time.monotonic() - started, exc, requests
        raise AssertionError("not cancelled")

    try:
        elapsed, exc, requests_before = api.loop.run_until_complete(scenario())
        assert elapsed < 0.1
        assert pool_state(api) == (0, 0)
        assert emu.counters.requests == requests_before
        (task_id,) = emu.tasks
        _interrupt_note(exc, caplog, task_id)
    finally:
        api.close()


class _InterruptingStream(httpx.SyncByteStream):
    """A response body that delivers its first read, then behaves like Ctrl-C during the next
    blocking read."""

    def __init__(self, inner: httpx.SyncByteStream) -> None:
        self.inner = inner

    def __iter__(self) -> Iterator[bytes]:
        for piece in self.inner:
            yield piece
            raise KeyboardInterrupt

    def close(self) -> None:
        self.inner.close()


class _InterruptingTransport(httpx.BaseTransport):
    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/stream"):
            assert isinstance(response.stream, httpx.SyncByteStream)
            response.stream = _InterruptingStream(response.stream)
        return response

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize("during", ["poll-wait", "stream"])
def test_keyboard_interrupt_in_sync_code_returns_at_once_and_releases_everything(
    foxapi_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture, during: str
) -> None:
    emu = foxapi_emulator.emulator
    caplog.set_level(logging.INFO, logger="foxapi")
    raised_at: list[float] = []
    if during == "poll-wait":
        emu.config.processing_delay = 30.0
        api = make_api("sync", foxapi_emulator, record=False)

        def interrupted_sleep(seconds: float) -> None:  # Ctrl-C while waiting between polls
            raised_at.append(time.monotonic())
            raise KeyboardInterrupt

        api.client._sleep = interrupted_sleep  # type: ignore[method-assign]
        call: Callable[[], Any] = lambda: api.call("generate", TEXT, transport="poll")  # noqa: E731
    else:
        emu.config.chunk_delay = 30.0
        http = httpx.Client(transport=_InterruptingTransport(), follow_redirects=False)
        client = FoxAPIClient(
            api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url, http_client=http
        )
        api = Api("sync", client)

        def call() -> Any:
            raised_at.append(time.monotonic())
            return api.events("stream_generate", TEXT)

    try:
        with pytest.raises(KeyboardInterrupt) as info:
            call()
        returned = time.monotonic()
        requests = emu.counters.requests
        assert returned - raised_at[-1] < 0.1
        assert pool_state(api) == (0, 0)
        (task_id,) = emu.tasks
        _interrupt_note(info.value, caplog, task_id)
        assert emu.counters.requests == requests
        assert emu.counters.submits == 1
    finally:
        api.close()
        if during == "stream":
            http.close()


# --- 8. deadlines -------------------------------------------------------------------------------


class FakeClock:
    """Shared by the emulator (task timeline) and the client (flows and waits): a 60-second task
    runs in milliseconds of real time."""

    def __init__(self) -> None:
        self.now = 10_000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.now += seconds


def _fake_time(api: Api, emu: RunningEmulator) -> FakeClock:
    clock = FakeClock()
    emu.emulator.clock = clock
    api.client._clock = clock  # type: ignore[method-assign]
    api.client._sleep = clock.sleep if api.kind == "sync" else clock.asleep  # type: ignore[method-assign]
    return clock


def test_a_sixty_second_task_costs_at_most_15_polls(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.config.processing_delay = 60.0
    api = apis(kind, record=False, poll=PollPolicy())
    clock = _fake_time(api, foxapi_emulator)
    start = clock.now
    completion = api.call("generate", TEXT, transport="poll")
    assert completion.text
    assert emu.counters.polls <= 15
    # completion seen within one (maximum) poll interval of the task finishing
    assert 60.0 <= clock.now - start <= 60.0 + PollPolicy().max_interval


def test_the_deadline_is_enforced_with_a_final_poll_at_the_deadline(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.config.processing_delay = 60.0
    api = apis(kind, record=False, poll=PollPolicy())
    clock = _fake_time(api, foxapi_emulator)
    start = clock.now
    polled_at: list[float] = []
    with pytest.raises(TaskTimeoutError) as info:
        api.call(
            "generate",
            TEXT,
            transport="poll",
            deadline=30.0,
            on_progress=lambda t: polled_at.append(clock.now - start),
        )
    assert polled_at[-1] == pytest.approx(30.0)
    assert all(b > a for a, b in itertools.pairwise(polled_at))
    assert info.value.task_id in emu.tasks
    assert "client.wait(task_id)" in str(info.value)


@pytest.mark.parametrize("transport", ["stream", "poll"])
def test_the_deadline_holds_in_real_time_while_the_server_is_silent(
    apis: Callable[..., Api], foxapi_emulator: RunningEmulator, kind: str, transport: str
) -> None:
    """No chunk and no heartbeat arrives before the deadline: the call must still end at the
    deadline, not after the stream-idle timeout (120 s by default)."""
    foxapi_emulator.emulator.config.processing_delay = 20.0
    api = apis(kind)
    started = time.monotonic()
    with pytest.raises(TaskTimeoutError) as info:
        api.call("generate", TEXT, transport=transport, deadline=0.6)
    assert 0.55 <= time.monotonic() - started <= 0.75
    assert info.value.task_id in foxapi_emulator.emulator.tasks


# --- 9. event loops and threads ----------------------------------------------------------------


@contextlib.contextmanager
def _unraisable() -> Iterator[list[str]]:
    """Collect exceptions Python could only print (finalizers, __del__), such as "Event loop is
    closed" from a pool finalized after its loop."""
    seen: list[str] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append(f"{u.exc_type.__name__}: {u.exc_value}")
    try:
        yield seen
    finally:
        gc.collect()
        sys.unraisablehook = previous


def test_one_async_client_across_100_asyncio_runs_and_8_threads(
    foxapi_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = foxapi_emulator.emulator
    caplog.set_level(logging.DEBUG)
    client = AsyncFoxAPIClient(
        api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url, poll=QUICK_POLLS
    )

    async def one(transport: Any) -> str:
        return (await client.generate(TEXT, transport=transport)).text

    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for transport in ("stream", "poll", "sync"):
                assert asyncio.run(one(transport))
        except BaseException as exc:  # reported below
            errors.append(exc)

    with warnings.catch_warnings(record=True) as caught, _unraisable() as unraisable:
        warnings.simplefilter("always")
        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for i in range(100):  # meanwhile, 100 runs from this thread
            assert asyncio.run(one(("stream", "poll", "sync")[i % 3]))
        for thread in threads:
            thread.join()
        assert client._pools == {}  # each loop's pool was closed as its loop shut down
        asyncio.run(client.aclose())
        asyncio.run(client.aclose())  # idempotent, from yet another loop
        gc.collect()
    assert errors == []
    assert unraisable == []
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert "Event loop is closed" not in caplog.text
    assert "interrupted" not in caplog.text  # finished calls are not reported as interrupted
    assert emu.counters.submits == emu.counters.submit_attempts == 124


def test_one_sync_client_across_8_threads(
    foxapi_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = foxapi_emulator.emulator
    errors: list[BaseException] = []
    with FoxAPIClient(
        api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url, poll=QUICK_POLLS
    ) as c:

        def worker() -> None:
            try:
                for transport in ("stream", "poll", "sync"):
                    assert c.generate(TEXT, transport=transport).text  # type: ignore[arg-type]
            except BaseException as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert emu.counters.submits == emu.counters.submit_attempts == 24
    assert "interrupted" not in caplog.text


def test_async_pools_of_other_live_loops_are_closed_in_their_own_loop(
    foxapi_emulator: RunningEmulator,
) -> None:
    """aclose() from one loop must not touch another thread's pool from the wrong loop; it asks
    that loop to close it."""
    client = AsyncFoxAPIClient(api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url)
    other = asyncio.new_event_loop()
    thread = threading.Thread(target=other.run_forever)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(client.generate(TEXT), other).result(timeout=10)
        ((pool, *_),) = client._pools.values()
        asyncio.run(client.aclose())

        async def closed() -> None:
            # The close runs as a task of the other loop; httpx offers nothing to await for it.
            while not pool.is_closed:  # noqa: ASYNC110
                await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(asyncio.wait_for(closed(), 5), other).result(timeout=10)
        assert pool.is_closed
    finally:
        other.call_soon_threadsafe(other.stop)
        thread.join()
        other.close()
