"""Reliability matrix rows as a LlamaIndex user sees them through ``FoxAPI`` (issue 6).

Items 1, 3, 4, 5, 7 and 9 of the fault-injection matrix, against the emulator on a loopback
socket: faults are queued on ``emu.emulator.faults`` and the emulator's counters prove what was
(not) sent. Every wait is on an event or a task, never a sleep.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from conftest import MakeLLM
from llama_index.core.base.llms.types import ChatMessage, ChatResponse

from foxapi_core import SubmitOutcomeUnknownError, TaskFailedError
from foxapi_core.emulator import SCENARIOS, RunningEmulator, Scenario

MESSAGES = [ChatMessage(role="user", content="Name a river in France")]
STREAM_PATH = "/v1/llm/generations/{}/stream"


def _answer(model: str) -> str:
    return f"Emulated answer from {model}"


def _task_id(emu: RunningEmulator) -> str:
    [task_id] = list(emu.emulator.tasks)
    return task_id


# --- 1. a retried 503 on a poll or a stream request is invisible -----------------------------


@pytest.mark.parametrize("stage", ["poll", "stream"])
@pytest.mark.parametrize("api", ["sync", "async"])
async def test_retried_503_is_invisible(
    make_llm: MakeLLM, emu: RunningEmulator, stage: str, api: str
) -> None:
    transport = "poll" if stage == "poll" else "stream"
    llm = make_llm("kimi-k2.6", transport=transport, poll_initial_delay=0)
    clean = llm.chat(MESSAGES)  # the reference, before any fault
    emu.emulator.reset()
    emu.emulator.faults.fail(stage, 503, retry_after_ms=1)  # type: ignore[arg-type]
    response = llm.chat(MESSAGES) if api == "sync" else await llm.achat(MESSAGES)
    assert response.message == clean.message  # same content and reasoning: no trace of the 503
    counters = emu.emulator.counters
    assert counters.submits == counters.submit_attempts == 1
    attempts = counters.polls if stage == "poll" else counters.stream_requests
    assert attempts == 2  # the failed request and its one retry
    assert not emu.emulator.faults.pending()


# --- 3. submits: what is and is not re-sent ----------------------------------------------------


@pytest.mark.parametrize("fault", ["drop", "500", "502", "504"])
@pytest.mark.parametrize("api", ["chat", "achat", "stream_chat", "astream_chat"])
async def test_unanswered_submit_is_not_resent(
    make_llm: MakeLLM, emu: RunningEmulator, fault: str, api: str
) -> None:
    faults = emu.emulator.faults
    if fault == "drop":
        faults.drop_after_submit()
    else:
        faults.fail("submit", int(fault))
    llm = make_llm("gemini-3.1-pro-preview")
    with pytest.raises(SubmitOutcomeUnknownError) as info:
        if api == "chat":
            llm.chat(MESSAGES)
        elif api == "achat":
            await llm.achat(MESSAGES)
        elif api == "stream_chat":
            list(llm.stream_chat(MESSAGES))
        else:
            [r async for r in await llm.astream_chat(MESSAGES)]
    assert "not re-sent" in str(info.value)  # SubmitOutcomeUnknownError: the outcome is unknown
    assert "task list" in str(info.value)  # tells the user what to check
    counters = emu.emulator.counters
    assert counters.submit_attempts == 1  # never re-sent
    assert counters.submits == (1 if fault == "drop" else 0)
    assert counters.polls == counters.stream_requests == 0


@pytest.mark.parametrize("status", [429, 503])
async def test_refused_submit_is_retried(
    make_llm: MakeLLM, emu: RunningEmulator, status: int
) -> None:
    emu.emulator.faults.fail("submit", status, retry_after_ms=1)
    response = await make_llm("claude-sonnet-4-6").achat(MESSAGES)
    assert _answer("claude-sonnet-4-6") in (response.message.content or "")
    assert emu.emulator.counters.submit_attempts == 2
    assert emu.emulator.counters.submits == 1


# --- 4. a stream cut after chunk k resumes with every delta exactly once ----------------------


def _deltas(responses: list[ChatResponse]) -> tuple[list[str], list[str]]:
    text = [r.delta or "" for r in responses]
    thinking = [str(r.additional_kwargs.get("thinking_delta") or "") for r in responses]
    return text, thinking


@pytest.mark.parametrize("honour_offset", [True, False], ids=["offset", "replay-from-0"])
@pytest.mark.parametrize("model", ["kimi-k2.6", "gemini-3.1-pro-preview"])
def test_cut_stream_resumes_identically(
    make_llm: MakeLLM, emu: RunningEmulator, model: str, honour_offset: bool
) -> None:
    emulator = emu.emulator
    emulator.config.honour_offset = honour_offset
    llm = make_llm(model)
    uncut = list(llm.stream_chat(MESSAGES))
    total = emulator.tasks[_task_id(emu)].total_chunks
    assert total >= 4
    ref_text, ref_thinking = _deltas(uncut)
    if model == "kimi-k2.6":
        assert "".join(ref_thinking)  # reasoning is part of what must survive the cut
    for k in sorted({0, 1, total // 2, total - 1}):
        emulator.reset()
        emulator.faults.cut_stream(after_chunks=k)
        responses = list(llm.stream_chat(MESSAGES))
        text, thinking = _deltas(responses)
        assert text == ref_text, f"cut after {k}"
        assert thinking == ref_thinking, f"cut after {k}"
        assert responses[-1].message == uncut[-1].message
        task_id = _task_id(emu)
        streams = emulator.counters.for_path(STREAM_PATH.format(task_id))
        assert len(streams) == 2, f"cut after {k}: {streams}"
        assert streams[1].query == (f"offset={k}" if k else "")
        assert emulator.counters.submits == 1


async def test_cut_astream_resumes_identically(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    llm = make_llm("kimi-k2.6")
    uncut = [r async for r in await llm.astream_chat(MESSAGES)]
    emu.emulator.reset()
    emu.emulator.config.honour_offset = False
    emu.emulator.faults.cut_stream(after_chunks=2)
    cut = [r async for r in await llm.astream_chat(MESSAGES)]
    assert _deltas(cut) == _deltas(uncut)
    assert cut[-1].message == uncut[-1].message
    assert emu.emulator.counters.stream_requests == 2


# --- 5. a failed task names its task id ---------------------------------------------------------


@pytest.mark.parametrize("api", ["chat", "achat", "stream_chat", "astream_chat"])
async def test_failed_task_error_has_task_id(
    make_llm: MakeLLM, emu: RunningEmulator, api: str
) -> None:
    emu.emulator.faults.fail_task(code="upstream_error", message="The upstream model failed.")
    llm = make_llm("kimi-k2.6")
    seen: list[ChatResponse] = []
    with pytest.raises(TaskFailedError) as info:
        if api == "chat":
            llm.chat(MESSAGES)
        elif api == "achat":
            await llm.achat(MESSAGES)
        elif api == "stream_chat":
            seen.extend(llm.stream_chat(MESSAGES))
        else:
            async for response in await llm.astream_chat(MESSAGES):
                seen.append(response)
    task_id = _task_id(emu)
    assert info.value.task_id == task_id
    assert task_id in str(info.value)
    assert info.value.code == "upstream_error"
    assert "The upstream model failed." in str(info.value)
    assert emu.emulator.counters.submits == 1
    if api.endswith("stream_chat"):
        assert seen, "the chunks produced before the failure were delivered"


# --- 7. cancelling an astream_chat consumer ----------------------------------------------------


async def test_cancelled_astream_chat_returns_at_once(
    make_llm: MakeLLM, emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.emulator.faults.stall_stream(after_chunks=1, seconds=3)  # nothing more arrives for 3 s
    llm = make_llm("kimi-k2.6")
    first = asyncio.Event()
    received: list[ChatResponse] = []

    async def consume() -> None:
        async for response in await llm.astream_chat(MESSAGES):
            received.append(response)
            first.set()

    caplog.set_level(logging.INFO, logger="foxapi")
    consumer = asyncio.create_task(consume())
    await first.wait()  # the stream is open and stalled after its first chunk
    before = emu.emulator.counters.requests
    started = time.perf_counter()
    consumer.cancel()
    with pytest.raises(asyncio.CancelledError):
        await consumer
    elapsed = time.perf_counter() - started
    assert elapsed < 0.1, f"cancellation took {elapsed * 1000:.0f} ms"
    assert len(received) == 1
    task_id = _task_id(emu)
    assert any(task_id in record.getMessage() for record in caplog.records), caplog.text
    # No further request for the cancelled task: the next call's requests are all the log holds.
    await llm.achat(MESSAGES)
    log = emu.emulator.counters.log[before:]
    assert log[0].method == "POST" and len(emu.emulator.tasks) == 2, log
    assert all(task_id not in r.path for r in log), log


# --- 9. one FoxAPI across 100 asyncio.run() calls and 8 threads ---------------------------------


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Messages of exceptions raised in finalizers (e.g. a transport closed on a dead loop)."""
    seen: list[str] = []

    def hook(info: Any) -> None:
        seen.append(f"{info.exc_type.__name__}: {info.exc_value}")

    monkeypatch.setattr(sys, "unraisablehook", hook)
    yield seen
    gc.collect()


def test_one_llm_across_event_loops_and_threads(
    make_llm: MakeLLM,
    emu: RunningEmulator,
    caplog: pytest.LogCaptureFixture,
    unraisable: list[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    llm = make_llm("gemini-3.1-pro-preview")
    answer = _answer("gemini-3.1-pro-preview")

    async def once(i: int) -> str:
        if i % 2:
            return (await llm.achat(MESSAGES)).message.content or ""
        return "".join([r.delta or "" async for r in await llm.astream_chat(MESSAGES)])

    texts = [asyncio.run(once(i)) for i in range(100)]

    def worker(n: int) -> list[str]:
        out = [llm.chat(MESSAGES).message.content or ""]
        out += [asyncio.run(once(n)), asyncio.run(once(n + 1))]
        return out

    with ThreadPoolExecutor(max_workers=8) as pool:
        for result in pool.map(worker, range(8)):
            texts.extend(result)
    assert len(texts) == 124
    assert all(answer in text for text in texts)
    assert emu.emulator.counters.submits == emu.emulator.counters.submit_attempts == 124
    gc.collect()
    problems = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert not any("Event loop is closed" in m for m in caplog.messages), problems
    assert not any("Event loop is closed" in m for m in unraisable), unraisable
    assert not problems, problems
    assert threading.active_count() < 50


# --- issue 13: exactly-once under a server that honours ?offset with repeated chunks -----------


@pytest.mark.parametrize("api", ["complete", "acomplete", "stream_complete"])
async def test_haha_done_through_llama_index_complete(
    make_llm: MakeLLM, emu: RunningEmulator, api: str
) -> None:
    """ "ha" x4 + " done", usage in the stream, cut after 2, offset honoured: the old engine took
    the honoured resume for a replay and complete() returned "haha done" with no warning."""
    emu.emulator.quirks.answer_chunks = ["ha", "ha", "ha", "ha", " done"]
    emu.emulator.quirks.usage_in_stream = True
    emu.emulator.faults.cut_stream(after_chunks=2)
    llm = make_llm("gemini-3.1-pro-preview")
    if api == "complete":
        text = llm.complete("laugh").text
    elif api == "acomplete":
        text = (await llm.acomplete("laugh")).text
    else:
        text = "".join(r.delta or "" for r in llm.stream_complete("laugh"))
    assert text == "hahahaha done"


# --- every named hostile-server scenario (foxapi_core.emulator.SCENARIOS), every method --------

LI_METHODS = ["chat", "achat", "stream_chat", "astream_chat", "complete", "stream_complete"]
SCENARIO_CASES = [
    pytest.param(scenario, method, transport, id=f"{scenario}-{method}-{transport}")
    for scenario in SCENARIOS.values()
    for method in LI_METHODS
    for transport in ("stream", "poll", "sync")
    if transport in scenario.transports
    and ("stream" not in method or transport == "stream")  # streams always stream
]


async def _call(llm: Any, method: str) -> str:
    if method in ("chat", "stream_chat"):
        if method == "chat":
            return str(llm.chat(MESSAGES).message.content)
        return "".join(r.delta or "" for r in llm.stream_chat(MESSAGES))
    if method == "achat":
        return str((await llm.achat(MESSAGES)).message.content)
    if method == "astream_chat":
        return "".join([r.delta or "" async for r in await llm.astream_chat(MESSAGES)])
    if method == "complete":
        return str(llm.complete("laugh").text)
    return "".join(r.delta or "" for r in llm.stream_complete("laugh"))


@pytest.mark.parametrize(("scenario", "method", "transport"), SCENARIO_CASES)
async def test_every_scenario_gives_its_exact_answer_through_foxapi(
    make_llm: MakeLLM, emu: RunningEmulator, scenario: Scenario, method: str, transport: str
) -> None:
    scenario.apply(emu.emulator)
    llm = make_llm(transport=transport, poll_initial_delay=0.01, poll_max_interval=0.05)
    assert await _call(llm, method) == scenario.answer
    assert emu.emulator.counters.submits == 1
