"""The fault-injection matrix of issue 6, as a LangChain user sees it through ``ChatFoxAPI``.

tests/core/test_reliability.py proves the matrix for the core clients; this file proves that the
adapter keeps each property where a user meets it: ``invoke`` / ``stream`` / ``batch`` and their
async twins. Every test runs against the emulator on a loopback socket (``foxapi_emulator``),
counts requests with the emulator's counters, and measures only the client's own waits (stall,
cancellation); nothing sleeps to synchronise. The numbers follow the matrix of the issue.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelError,
)
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.tools import tool

import foxapi_core
from foxapi_core import AsyncFoxAPIClient
from foxapi_core.emulator import SCENARIOS, RunningEmulator, Scenario
from foxapi_core.emulator._state import TaskRecord
from langchain_foxapi import (
    ChatFoxAPI,
    FoxAPIAuthenticationError,
    FoxAPIStreamError,
    FoxAPISubmitOutcomeUnknownError,
    FoxAPITaskFailedError,
    ReasoningIncompleteWarning,
)

GPT = "gpt-5.5"
KIMI = "kimi-k2.6"
PROMPT = "Explain rainbows"
METHODS = ["invoke", "stream", "ainvoke", "astream"]
# stream() / astream() always read the task's stream: no poll, whatever ``transport`` says.
STREAM_ONLY = {(m, t) for m in ("stream", "astream") for t in ("poll", "sync")}
NEVER_POLLS = {(m, "poll") for m in ("stream", "astream")}


def make(emulator: RunningEmulator, model: str = GPT, **kw: Any) -> ChatFoxAPI:
    """A ``ChatFoxAPI`` pointed at the emulator (polls start at once: these tests count them)."""
    kw.setdefault("api_key", emulator.api_key)
    kw.setdefault("poll_initial_delay", 0.01)
    kw.setdefault("poll_max_interval", 0.05)
    return ChatFoxAPI(model=model, base_url=emulator.base_url, **kw)


def aggregate(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


def run(llm: Any, method: str, prompt: str = PROMPT) -> BaseMessage:
    """One call the way a user makes it; streams are aggregated into one message."""
    if method == "invoke":
        message: BaseMessage = llm.invoke(prompt)
        return message
    if method == "stream":
        return aggregate(list(llm.stream(prompt)))

    async def go() -> BaseMessage:
        if method == "ainvoke":
            result: BaseMessage = await llm.ainvoke(prompt)
            return result
        return aggregate([chunk async for chunk in llm.astream(prompt)])

    return asyncio.run(go())


def only_task(emulator: RunningEmulator) -> TaskRecord:
    (task,) = emulator.emulator.tasks.values()
    return task


def answer_of(task: TaskRecord) -> str:
    content: str = task.completion["choices"][0]["message"]["content"]
    return content


@contextlib.contextmanager
def reasoning_must_be_complete() -> Iterator[None]:
    """A lost or partial reasoning is reported with a warning; here it is a failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReasoningIncompleteWarning)
        yield


# --- 1. retries are invisible; final statuses are not retried ----------------------------------

# (status, retry-after-ms): a plain 503 (client backoff) and a 429 with the server's hint.
RETRYABLE = [pytest.param(503, None, id="503"), pytest.param(429, 20, id="429-retry-after-ms")]


@pytest.mark.parametrize(("status", "retry_after_ms"), RETRYABLE)
@pytest.mark.parametrize("method", METHODS)
def test_retryable_status_on_the_stream_is_invisible(
    foxapi_emulator: RunningEmulator, method: str, status: int, retry_after_ms: int | None
) -> None:
    emu = foxapi_emulator.emulator
    emu.faults.fail("stream", status, retry_after_ms=retry_after_ms)
    message = run(make(foxapi_emulator), method)
    assert message.content == answer_of(only_task(foxapi_emulator))
    assert emu.counters.stream_requests == 2
    assert emu.counters.submits == emu.counters.submit_attempts == 1


@pytest.mark.parametrize(("status", "retry_after_ms"), RETRYABLE)
@pytest.mark.parametrize("method", ["invoke", "ainvoke"])
def test_retryable_status_on_a_poll_is_invisible(
    foxapi_emulator: RunningEmulator, method: str, status: int, retry_after_ms: int | None
) -> None:
    emu = foxapi_emulator.emulator
    emu.faults.fail("poll", status, retry_after_ms=retry_after_ms)
    message = run(make(foxapi_emulator, transport="poll"), method)
    assert message.content == answer_of(only_task(foxapi_emulator))
    assert emu.counters.polls == 2  # the task is finished at once: the failed poll and one more
    assert emu.counters.submits == emu.counters.submit_attempts == 1


@pytest.mark.parametrize(
    ("method", "stage"),
    [(m, s) for m in METHODS for s in ("submit", "poll", "stream") if (m, s) not in NEVER_POLLS],
)
def test_401_is_a_langchain_authentication_error_after_one_attempt(
    foxapi_emulator: RunningEmulator, method: str, stage: str
) -> None:
    emu = foxapi_emulator.emulator
    settings: dict[str, Any] = {"transport": "poll"} if stage == "poll" else {}
    if stage == "submit":
        settings["api_key"] = "sk-wrong"
    else:
        emu.faults.fail("poll" if stage == "poll" else "stream", 401)
    with pytest.raises(FoxAPIAuthenticationError) as info:
        run(make(foxapi_emulator, **settings), method)
    assert isinstance(info.value, ModelAuthenticationError)
    assert isinstance(info.value, foxapi_core.AuthenticationError)
    assert info.value.status == 401
    counters = emu.counters
    attempts = {
        "submit": counters.submit_attempts,
        "poll": counters.polls,
        "stream": counters.stream_requests,
    }
    assert attempts[stage] == 1
    assert counters.requests == (1 if stage == "submit" else 2)  # nothing else was sent
    if stage != "submit":
        assert only_task(foxapi_emulator).id in str(info.value)


# --- 3. a submit that may have landed is never re-sent -----------------------------------------


def _assert_outcome_unknown(error: BaseException) -> None:
    assert isinstance(error, FoxAPISubmitOutcomeUnknownError)
    assert isinstance(error, ModelError) and isinstance(
        error, foxapi_core.SubmitOutcomeUnknownError
    )
    message = str(error)
    assert "may or may not have been created" in message
    assert "not re-sent" in message


@pytest.mark.parametrize(
    ("method", "transport"),
    [(m, t) for m in METHODS for t in ("stream", "poll", "sync") if (m, t) not in STREAM_ONLY],
)
def test_dropped_submit_says_the_outcome_is_unknown_and_is_not_resent(
    foxapi_emulator: RunningEmulator, method: str, transport: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.faults.drop_after_submit()
    with pytest.raises(FoxAPISubmitOutcomeUnknownError) as info:
        run(make(foxapi_emulator, transport=transport), method)
    _assert_outcome_unknown(info.value)
    assert emu.counters.submits == emu.counters.submit_attempts == 1
    assert emu.counters.requests == 1  # no re-send, no poll, no stream of a guessed task


@pytest.mark.parametrize("method", ["batch", "abatch"])
def test_dropped_submit_in_a_batch_fails_that_input_only(
    foxapi_emulator: RunningEmulator, method: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.faults.drop_after_submit()
    llm = make(foxapi_emulator)
    prompts: list[Any] = [f"question number {i}" for i in range(4)]
    if method == "batch":
        results = llm.batch(prompts, return_exceptions=True)
    else:
        results = asyncio.run(llm.abatch(prompts, return_exceptions=True))
    failed = [r for r in results if isinstance(r, BaseException)]
    assert len(failed) == 1
    _assert_outcome_unknown(failed[0])
    answered = {str(r.content) for r in results if not isinstance(r, BaseException)}
    assert len(answered) == 3
    assert answered <= {f"Emulated answer from {GPT}. You said: {p}" for p in prompts}
    assert emu.counters.submits == emu.counters.submit_attempts == 4  # 4 inputs, 4 submits


def test_dropped_submit_in_a_batch_raises_without_return_exceptions(
    foxapi_emulator: RunningEmulator,
) -> None:
    emu = foxapi_emulator.emulator
    emu.faults.drop_after_submit()
    with pytest.raises(FoxAPISubmitOutcomeUnknownError) as info:
        make(foxapi_emulator).batch(["one", "two"], config={"max_concurrency": 1})
    _assert_outcome_unknown(info.value)
    assert emu.counters.submit_attempts <= 2
    assert emu.counters.submits == emu.counters.submit_attempts


# --- 4. stream cuts -----------------------------------------------------------------------------

CUTS = ["none", "first", "middle", "all-but-last", "last"]


def _cut_after(where: str, total: int) -> int:
    return {"none": 0, "first": 1, "middle": total // 2, "all-but-last": total - 1}.get(
        where, total
    )


def _stream_queries(emulator: RunningEmulator, task_id: str) -> list[str]:
    path = f"/v1/llm/generations/{task_id}/stream"
    return [r.query for r in emulator.emulator.counters.for_path(path)]


def _stream_chunks(llm: Any, method: str, prompt: str) -> list[AIMessageChunk]:
    if method == "stream":
        return list(llm.stream(prompt))

    async def go() -> list[AIMessageChunk]:
        return [chunk async for chunk in llm.astream(prompt)]

    return asyncio.run(go())


@pytest.mark.parametrize("honour_offset", [True, False], ids=["offset", "replay-from-0"])
@pytest.mark.parametrize("where", CUTS)
@pytest.mark.parametrize("method", ["stream", "astream"])
def test_stream_cut_after_chunk_k_aggregates_to_the_uncut_answer(
    foxapi_emulator: RunningEmulator, method: str, where: str, honour_offset: bool
) -> None:
    emu = foxapi_emulator.emulator
    emu.config.honour_offset = honour_offset
    llm = make(foxapi_emulator, KIMI)
    with reasoning_must_be_complete():
        expected = llm.invoke(PROMPT)
    (reference,) = emu.tasks.values()
    total = reference.total_chunks
    cut = _cut_after(where, total)
    emu.faults.cut_stream(after_chunks=cut)
    with reasoning_must_be_complete():
        chunks = _stream_chunks(llm, method, PROMPT)
    full = aggregate(chunks)
    assert full.content == expected.content
    reasoning = full.additional_kwargs["reasoning_content"]
    assert reasoning == expected.additional_kwargs["reasoning_content"]
    # every streamed piece exactly once, in order: the pieces are the task's own deltas
    (task,) = (t for t in emu.tasks.values() if t is not reference)
    assert "".join(str(c.content) for c in chunks) == answer_of(task)
    assert reasoning == task.answer.reasoning
    assert full.response_metadata["task_id"] == task.id
    assert [c for c in chunks if c.usage_metadata] == [chunks[-1]]
    assert full.usage_metadata == expected.usage_metadata
    # the cut stream and one resume, which asked for the rest when the server honours offsets
    queries = _stream_queries(foxapi_emulator, task.id)
    assert len(queries) == 2
    assert queries[1] == (f"offset={cut}" if cut else "")
    assert emu.counters.submits == 2  # the reference and this call: the cut never re-submits


@tool
def get_weather(city: str) -> str:
    """Return the weather of a city."""
    return f"It is sunny in {city}."


@tool
def get_time(city: str) -> str:
    """Return the local time of a city."""
    return f"It is noon in {city}."


TOOL_PROMPT = "get_weather and get_time for city='Rome'"


@pytest.mark.parametrize("honour_offset", [True, False], ids=["offset", "replay-from-0"])
@pytest.mark.parametrize("where", CUTS)
def test_tool_call_stream_cut_after_chunk_k_aggregates_to_the_uncut_calls(
    foxapi_emulator: RunningEmulator, where: str, honour_offset: bool
) -> None:
    emu = foxapi_emulator.emulator
    emu.config.honour_offset = honour_offset
    bound = make(foxapi_emulator).bind_tools([get_weather, get_time], tool_choice="any")
    expected = bound.invoke(TOOL_PROMPT)
    (reference,) = emu.tasks.values()
    cut = _cut_after(where, reference.total_chunks)
    emu.faults.cut_stream(after_chunks=cut)
    chunks = [c for c in bound.stream(TOOL_PROMPT) if isinstance(c, AIMessageChunk)]
    full = aggregate(chunks)
    (task,) = (t for t in emu.tasks.values() if t is not reference)
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [
        (c["name"], c["args"]) for c in expected.tool_calls
    ]
    assert [(c["name"], c["args"]) for c in full.tool_calls] == [
        ("get_weather", {"city": "Rome"}),
        ("get_time", {"city": "Rome"}),
    ]
    wire_ids = [c["id"] for c in task.completion["choices"][0]["message"]["tool_calls"]]
    assert [c["id"] for c in full.tool_calls] == wire_ids
    assert full.invalid_tool_calls == []
    # each call's id and name arrive once (a replayed fragment would duplicate them)
    named = [p for c in chunks for p in c.tool_call_chunks if p["name"]]
    assert [p["name"] for p in named] == ["get_weather", "get_time"]
    assert full.response_metadata["finish_reason"] == "tool_calls"
    assert len(_stream_queries(foxapi_emulator, task.id)) == 2
    assert emu.counters.submits == 2


# --- 5. malformed chunks, error events, failed tasks --------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_malformed_chunk_is_a_stream_error_naming_the_task(
    foxapi_emulator: RunningEmulator, method: str
) -> None:
    foxapi_emulator.emulator.faults.malformed_chunk(at=2)
    with pytest.raises(FoxAPIStreamError) as info:
        run(make(foxapi_emulator, KIMI), method)
    task_id = only_task(foxapi_emulator).id
    assert isinstance(info.value, ModelAPIError) and isinstance(info.value, foxapi_core.StreamError)
    assert info.value.task_id == task_id
    assert info.value.offset == 2
    assert task_id in str(info.value)
    assert "not a valid chat.completion.chunk" in str(info.value)
    assert foxapi_emulator.emulator.counters.submits == 1


@pytest.mark.parametrize("method", METHODS)
def test_error_event_is_a_stream_error_naming_the_task(
    foxapi_emulator: RunningEmulator, method: str
) -> None:
    # the task still runs when the error comes (an error on a completed task returns its answer)
    foxapi_emulator.emulator.config.chunk_delay = 0.05
    foxapi_emulator.emulator.faults.stream_error(at=1, message="upstream exploded")
    with pytest.raises(FoxAPIStreamError) as info:
        run(make(foxapi_emulator), method)
    task_id = only_task(foxapi_emulator).id
    assert isinstance(info.value, ModelAPIError)
    assert info.value.task_id == task_id
    assert task_id in str(info.value)
    assert "upstream exploded" in str(info.value)
    assert foxapi_emulator.emulator.counters.submits == 1


@pytest.mark.parametrize(
    ("method", "transport"),
    [(m, t) for m in METHODS for t in ("stream", "poll") if (m, t) not in STREAM_ONLY],
)
def test_failed_task_is_a_task_failed_error_with_code_and_task(
    foxapi_emulator: RunningEmulator, method: str, transport: str
) -> None:
    foxapi_emulator.emulator.faults.fail_task(code="content_filter", message="refused")
    with pytest.raises(FoxAPITaskFailedError) as info:
        run(make(foxapi_emulator, transport=transport), method)
    task_id = only_task(foxapi_emulator).id
    assert isinstance(info.value, ModelAPIError)
    assert isinstance(info.value, foxapi_core.TaskFailedError)
    assert info.value.code == "content_filter"
    assert info.value.task_id == task_id
    assert task_id in str(info.value)
    assert "refused" in str(info.value)
    assert foxapi_emulator.emulator.counters.submits == 1


# --- 6. stalls ----------------------------------------------------------------------------------

IDLE = 0.5  # ChatFoxAPI.timeout: the read timeout and the stream-idle timeout


class _TokenTimes(BaseCallbackHandler):
    """When each token reached the user (``on_llm_new_token``), for ``invoke`` with
    ``streaming=True``."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def on_llm_new_token(self, token: Any, **kwargs: Any) -> None:
        self.times.append(time.time())


def _assert_resumed_at_2(emulator: RunningEmulator) -> None:
    queries = [r.query for r in emulator.emulator.counters.log if r.path.endswith("/stream")]
    assert queries == ["", "offset=2"]


@pytest.mark.parametrize("method", ["stream", "astream"])
def test_stall_after_headers_is_detected_within_the_idle_timeout_and_resumed(
    foxapi_emulator: RunningEmulator, method: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 13: a stall no longer ends the call (the task goes on, and is billed); it is
    detected within the idle timeout and the stream reopened at the offset reached. The bound
    is on the detection (the client's log line), not on the next chunk, whose new connection
    adds latency on a loaded machine."""
    caplog.set_level(logging.INFO, "foxapi")
    foxapi_emulator.emulator.faults.stall_stream(after_chunks=2, seconds=10)
    llm = make(foxapi_emulator, timeout=IDLE)
    seen: list[float] = []
    chunks: list[AIMessageChunk] = []

    def consume() -> None:
        if method == "stream":
            for chunk in llm.stream(PROMPT):
                seen.append(time.time())
                chunks.append(chunk)
            return

        async def go() -> None:
            async for chunk in llm.astream(PROMPT):
                seen.append(time.time())
                chunks.append(chunk)

        asyncio.run(go())

    consume()
    (stalled,) = [r for r in caplog.records if "the stream stalled" in r.getMessage()]
    # measured from the user's side, after LangChain's own per-chunk work: a little under IDLE
    assert IDLE * 0.95 <= stalled.created - seen[1] <= IDLE * 1.1
    assert seen[2] > stalled.created
    assert aggregate(chunks).content == answer_of(only_task(foxapi_emulator))
    _assert_resumed_at_2(foxapi_emulator)


@pytest.mark.parametrize("streaming", [False, True], ids=["invoke", "invoke-streaming"])
def test_stall_during_invoke_is_resumed_within_the_idle_timeout(
    foxapi_emulator: RunningEmulator, streaming: bool, caplog: pytest.LogCaptureFixture
) -> None:
    llm = make(foxapi_emulator, timeout=IDLE, streaming=streaming)
    llm.invoke("warm up")  # the client exists: the clock below measures the call, not its setup
    foxapi_emulator.emulator.tasks.clear()
    foxapi_emulator.emulator.counters.reset()
    foxapi_emulator.emulator.faults.stall_stream(after_chunks=2, seconds=10)
    caplog.set_level(logging.INFO, "foxapi")
    tokens = _TokenTimes()
    started = time.time()
    message = llm.invoke(PROMPT, config={"callbacks": [tokens]})
    assert message.content == answer_of(only_task(foxapi_emulator))
    # the detection (the client's log line), not the new connection's latency after it
    (stalled,) = [r for r in caplog.records if "the stream stalled" in r.getMessage()]
    if streaming:
        assert IDLE * 0.95 <= stalled.created - tokens.times[1] <= IDLE * 1.1
    else:
        # from the call's start: submit and the first chunks on loopback take milliseconds
        assert IDLE <= stalled.created - started <= IDLE * 1.2
    _assert_resumed_at_2(foxapi_emulator)


# --- 7. cancellation ----------------------------------------------------------------------------


def _pool_state(client: AsyncFoxAPIClient) -> tuple[int, int]:
    """(requests waiting for or holding a connection, connections not idle) over all pools."""
    requests = busy = 0
    for pool_client, *_ in client._pools.values():
        shards: list[Any] = pool_client._transport.shards  # type: ignore[attr-defined]
        for shard in shards:  # the async pools are sharded (foxapi_core._pool)
            pool = shard._pool
            requests += len(pool._requests)
            busy += sum(1 for c in pool.connections if not (c.is_idle() or c.is_closed()))
    return requests, busy


async def test_cancelling_an_astream_consumer_returns_at_once_and_sends_nothing_more(
    foxapi_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = foxapi_emulator.emulator
    caplog.set_level(logging.INFO, logger="foxapi")
    emu.config.chunk_delay = 30.0  # the first chunk comes at once, the next in 30 s
    llm = make(foxapi_emulator, KIMI)
    reached = asyncio.Event()

    async def consume() -> None:
        async for _ in llm.astream(PROMPT):
            reached.set()

    consumer = asyncio.ensure_future(consume())
    await asyncio.wait_for(reached.wait(), 10)  # a guard against a hang, not a pause
    await asyncio.sleep(0)  # one turn: the consumer goes back to waiting for the next chunk
    requests = emu.counters.requests
    started = time.monotonic()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    assert time.monotonic() - started < 0.1
    assert consumer.cancelled()
    client = llm._async_client
    assert client is not None
    assert _pool_state(client) == (0, 0)
    await llm.aclose()
    assert emu.counters.requests == requests
    assert emu.counters.submits == 1
    task_id = only_task(foxapi_emulator).id
    # the user can resume: the task id is in a log record (awaiting a cancelled asyncio task
    # raises a fresh CancelledError, so a note on the original one cannot reach the awaiter)
    assert any(task_id in r.getMessage() for r in caplog.records if r.name == "foxapi")


# --- 9. event loops and threads ----------------------------------------------------------------


@contextlib.contextmanager
def _unraisable() -> Iterator[list[str]]:
    """Exceptions Python could only print (finalizers), e.g. "Event loop is closed"."""
    seen: list[str] = []
    previous = sys.unraisablehook
    sys.unraisablehook = lambda u: seen.append(f"{u.exc_type.__name__}: {u.exc_value}")
    try:
        yield seen
    finally:
        gc.collect()
        sys.unraisablehook = previous


class _Errors(BaseCallbackHandler):
    """LLM errors LangChain reports to callbacks (they could be swallowed elsewhere)."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []

    def on_llm_error(
        self, error: BaseException, *, run_id: UUID, parent_run_id: UUID | None = None, **kw: Any
    ) -> None:
        self.errors.append(error)


def test_one_chat_model_across_100_asyncio_runs_and_8_threads(
    foxapi_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    emu = foxapi_emulator.emulator
    llm = make(foxapi_emulator)
    seen = _Errors()
    config: Any = {"callbacks": [seen]}

    async def ainvoke(n: str) -> str:
        return str((await llm.ainvoke(n, config=config)).content)

    async def astream(n: str) -> str:
        return "".join([c.text async for c in llm.astream(n, config=config)])

    calls: list[Callable[[str], str]] = [
        lambda n: asyncio.run(ainvoke(n)),
        lambda n: asyncio.run(astream(n)),
        lambda n: str(llm.invoke(n, config=config).content),
    ]
    answers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(t: int) -> None:
        try:
            for i in range(6):
                prompt = f"thread {t} call {i}"
                answer = calls[i % 3](prompt)
                with lock:
                    answers.append(answer)
                assert answer == f"Emulated answer from {GPT}. You said: {prompt}"
        except BaseException as exc:  # reported below
            errors.append(exc)

    # Garbage left by earlier tests (e.g. an event loop a test framework never closed) would be
    # collected, and its ResourceWarning caught, below: collect it first, so only this test's
    # own calls are judged.
    gc.collect()
    with warnings.catch_warnings(record=True) as caught, _unraisable() as unraisable:
        warnings.simplefilter("always")
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
        for thread in threads:
            thread.start()
        for i in range(100):  # meanwhile, 100 asyncio.run() calls from this thread
            prompt = f"main run {i}"
            answer = asyncio.run((ainvoke, astream)[i % 2](prompt))
            assert answer == f"Emulated answer from {GPT}. You said: {prompt}"
        for thread in threads:
            thread.join()
        llm.close()
        asyncio.run(llm.aclose())
        gc.collect()
    assert errors == []
    assert seen.errors == []
    assert unraisable == []
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert "Event loop is closed" not in caplog.text
    calls_made = 100 + 8 * 6
    assert len(answers) == 8 * 6
    assert emu.counters.submits == emu.counters.submit_attempts == calls_made


# --- issue 13: exactly-once under a server that honours ?offset with repeated chunks -----------


@pytest.mark.parametrize("method", METHODS)
def test_haha_done_through_chat_foxapi_invoke(
    foxapi_emulator: RunningEmulator, method: str
) -> None:
    """ "ha" x4 + " done", usage in the stream, cut after 2, offset honoured: the old engine took
    the honoured resume for a replay and ChatFoxAPI returned "haha done" with no warning."""
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = ["ha", "ha", "ha", "ha", " done"]
    emu.quirks.usage_in_stream = True
    emu.faults.cut_stream(after_chunks=2)
    message = run(make(foxapi_emulator), method)
    assert message.content == "hahahaha done"


# --- every named hostile-server scenario (foxapi_core.emulator.SCENARIOS), every method --------

SCENARIO_CASES = [
    pytest.param(scenario, method, transport, id=f"{scenario}-{method}-{transport}")
    for scenario in SCENARIOS.values()
    for method in METHODS
    for transport in ("stream", "poll", "sync")
    if transport in scenario.transports
    and (method in ("invoke", "ainvoke") or transport == "stream")  # streams always stream
]


@pytest.mark.parametrize(("scenario", "method", "transport"), SCENARIO_CASES)
def test_every_scenario_gives_its_exact_answer_through_chat_foxapi(
    foxapi_emulator: RunningEmulator, scenario: Scenario, method: str, transport: str
) -> None:
    scenario.apply(foxapi_emulator.emulator)
    message = run(make(foxapi_emulator, transport=transport), method)
    assert message.content == scenario.answer
    assert foxapi_emulator.emulator.counters.submits == 1
