"""Issue 13's examples on a real loopback socket, through the emulator's quirk switches
(``emulator.quirks``), sync and async: exactly-once streams and no answer thrown away."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from foxapi_core import (
    AsyncFoxAPIClient,
    ChatCompletion,
    FoxAPIClient,
    FoxAPIError,
    PollPolicy,
    StreamError,
    TaskFailedError,
)
from foxapi_core.emulator import SCENARIOS, Emulator, RunningEmulator, Scenario, serve_in_thread

BODY = {"model": "gemini-3.1-pro-preview", "messages": [{"role": "user", "content": "laugh"}]}
HAHA = ["ha", "ha", "ha", "ha", " done"]


def stream_generate(
    emu: RunningEmulator, kind: str, **kwargs: Any
) -> tuple[list[Any], ChatCompletion]:
    """``client.stream_generate(BODY)`` consumed fully, with the sync or the async client."""
    if kind == "sync":
        with FoxAPIClient(api_key=emu.api_key, base_url=emu.base_url, **kwargs) as client:
            stream = client.stream_generate(BODY)
            events = list(stream)
            return events, stream.completion

    async def go() -> tuple[list[Any], ChatCompletion]:
        async with AsyncFoxAPIClient(
            api_key=emu.api_key, base_url=emu.base_url, **kwargs
        ) as client:
            stream = client.stream_generate(BODY)
            events = [event async for event in stream]
            return events, stream.completion

    return asyncio.run(go())


FAST_POLLS = PollPolicy(initial_delay=0.01, min_interval=0.01, max_interval=0.05)


def generate(
    emu: RunningEmulator, kind: str, poll: PollPolicy | None = None, **kwargs: Any
) -> ChatCompletion:
    settings: dict[str, Any] = {"poll": poll} if poll else {}
    if kind == "sync":
        with FoxAPIClient(api_key=emu.api_key, base_url=emu.base_url, **settings) as client:
            return client.generate(BODY, **kwargs)

    async def go() -> ChatCompletion:
        async with AsyncFoxAPIClient(
            api_key=emu.api_key, base_url=emu.base_url, **settings
        ) as client:
            return await client.generate(BODY, **kwargs)

    return asyncio.run(go())


def contents(events: list[Any]) -> list[str]:
    return [e.chunk.delta.content for e in events]


KINDS = pytest.mark.parametrize("kind", ["sync", "async"])


@KINDS
@pytest.mark.parametrize("total", ["right", "absent"])
def test_haha_done_with_honoured_offset(
    foxapi_emulator: RunningEmulator, kind: str, total: Any
) -> None:
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = HAHA
    emu.quirks.usage_in_stream = True
    emu.quirks.total_chunks = total
    emu.faults.cut_stream(after_chunks=2)
    events, completion = stream_generate(foxapi_emulator, kind)
    assert contents(events) == HAHA
    assert completion.text == "hahahaha done"
    assert completion.usage is not None
    assert generate(foxapi_emulator, kind).text == "hahahaha done"  # cut consumed: control


@KINDS
def test_haha_done_generate_with_a_cut(foxapi_emulator: RunningEmulator, kind: str) -> None:
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = HAHA
    emu.quirks.usage_in_stream = True
    emu.faults.cut_stream(after_chunks=2)
    assert generate(foxapi_emulator, kind).text == "hahahaha done"


@KINDS
def test_reserialised_replay_is_not_yielded_twice(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.config.honour_offset = False
    emu.quirks.reserialise = True
    emu.quirks.answer_chunks = ["a", "b", "c", "d"]
    emu.faults.cut_stream(after_chunks=2)
    events, completion = stream_generate(foxapi_emulator, kind)
    assert contents(events) == ["a", "b", "c", "d"]
    assert completion.text == "abcd"


@KINDS
def test_empty_keepalive_chunks_and_non_chunk_data(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = ["", "", "", "", "Hello", " world"]
    emu.quirks.keepalive_data = True
    emu.faults.cut_stream(after_chunks=2, times=2)
    events, completion = stream_generate(foxapi_emulator, kind)
    assert [e.index for e in events] == list(range(6))
    assert completion.text == "Hello world"
    queries = [r.query for r in emu.counters.log if r.path.endswith("/stream")]
    # the keep-alives were not counted; the second connection's chunks ("", "") could be a replay
    # of chunks 0-1, so they were held, and the third (same offset) confirmed and finished them
    assert queries == ["", "offset=2", "offset=2"]


@KINDS
def test_error_event_after_completion_returns_the_answer(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = ["a", "b"]
    emu.quirks.error_after_completion = True
    events, completion = stream_generate(foxapi_emulator, kind)
    assert completion.text == "ab"
    assert "".join(contents(events)) == "ab"


@KINDS
def test_full_stream_then_null_results_returns_the_streamed_answer(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = ["a", "b"]
    emu.faults.null_results(times=100)
    events, completion = stream_generate(
        foxapi_emulator, kind, poll=PollPolicy(initial_delay=0, min_interval=0.01)
    )
    assert completion.text == "ab"
    assert completion.usage is None  # flagged: the usage could not be had
    assert contents(events) == ["a", "b"]


@KINDS
@pytest.mark.parametrize("status", ["COMPLETED", "succeeded"])
def test_unknown_completed_status_with_results_is_done(
    foxapi_emulator: RunningEmulator, kind: str, status: str
) -> None:
    foxapi_emulator.emulator.quirks.status_alias = status
    completion = generate(foxapi_emulator, kind, transport="poll", deadline=30)
    assert completion.text


@KINDS
def test_stream_answering_5xx_falls_back_to_polling(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = ["a", "b"]
    emu.faults.fail("stream", 503, times=10, retry_after_ms=1)
    events, completion = stream_generate(foxapi_emulator, kind)
    assert completion.text == "ab"
    assert "".join(contents(events)) == "ab"


# --- issue 13's remaining examples, each on a socket through a quirk switch ---------------------


@KINDS
def test_a_last_chunk_left_out_of_the_stream_is_fetched_from_the_gap(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    """done's count shows the gap; the client re-reads from it: every chunk once, in order."""
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = ["a", "b", "c", "d"]
    emu.quirks.skip_chunk = 3
    events, completion = stream_generate(foxapi_emulator, kind)
    assert completion.text == "abcd"
    assert contents(events) == ["a", "b", "c", "d"]
    assert [r.query for r in emu.counters.log if r.path.endswith("/stream")] == ["", "offset=3"]


@KINDS
def test_a_middle_chunk_left_out_is_never_a_wrong_answer(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    """Which chunk is missing cannot be known from the count: streamed events cannot be taken
    back, so a typed error carrying the task's true result; without events, the result."""
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = ["a", "b", "c", "d"]
    emu.quirks.skip_chunk = 1
    with pytest.raises(StreamError) as info:
        stream_generate(foxapi_emulator, kind)
    assert info.value.completion.text == "abcd"  # type: ignore[attr-defined]
    assert "lost or changed" in str(info.value)
    assert generate(foxapi_emulator, kind).text == "abcd"


@KINDS
def test_a_doubled_chunk_is_never_a_wrong_answer(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    """Streamed events cannot be taken back: a typed error carrying the task's true result;
    without events (generate) the result itself."""
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = ["a", "b", "c"]
    emu.quirks.double_chunk = 1
    emu.quirks.usage_in_stream = True
    with pytest.raises(StreamError) as info:
        stream_generate(foxapi_emulator, kind)
    assert info.value.completion.text == "abc"  # type: ignore[attr-defined]
    assert generate(foxapi_emulator, kind).text == "abc"


@KINDS
def test_a_wrong_total_chunks_never_gives_a_wrong_answer(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.quirks.answer_chunks = ["a", "b", "c"]
    emu.quirks.total_chunks = "wrong"
    events, completion = stream_generate(foxapi_emulator, kind)
    assert completion.text == "abc" == "".join(contents(events))


@KINDS
@pytest.mark.parametrize("transport", ["poll", "sync", "stream"])
def test_a_result_without_choices_is_a_typed_error_never_an_empty_answer(
    foxapi_emulator: RunningEmulator, kind: str, transport: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.quirks.empty_choices = True
    if transport == "stream":
        emu.faults.cut_stream(after_chunks=0, times=100)  # only the task can answer
    with pytest.raises(TaskFailedError) as info:
        generate(foxapi_emulator, kind, transport=transport, deadline=20)
    assert info.value.code == "empty_choices"
    assert "no choices" in str(info.value)


@KINDS
def test_a_sync_submit_answered_with_a_task_follows_the_task(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.quirks.sync_as_task = True
    emu.quirks.answer_chunks = ["a", "b"]
    assert generate(foxapi_emulator, kind, transport="sync").text == "ab"
    assert emu.counters.submits == 1


@KINDS
def test_an_unknown_pending_status_fails_early_naming_it(
    foxapi_emulator: RunningEmulator, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A status word the docs do not name, without results: one warning, then a typed error
    long before the deadline (here 600 s), naming the status. No sleeping: the polls are fast."""
    emu = foxapi_emulator.emulator
    emu.config.processing_delay = 3600
    emu.quirks.pending_status = "QUEUED_FOR_GPU"
    with caplog.at_level(logging.WARNING, "foxapi"), pytest.raises(TaskFailedError) as info:
        generate(foxapi_emulator, kind, transport="poll", deadline=600, poll=FAST_POLLS)
    assert info.value.code == "unknown_status"
    assert "QUEUED_FOR_GPU" in str(info.value)
    assert sum("QUEUED_FOR_GPU" in r.getMessage() for r in caplog.records) == 1
    assert emu.counters.polls <= 10


# --- the named scenarios (foxapi_core.emulator.SCENARIOS), every transport -------------------


SCENARIO_CASES = [
    pytest.param(scenario, transport, id=f"{scenario}-{transport}")
    for scenario in SCENARIOS.values()
    for transport in ("stream", "poll", "sync", "stream_generate")
    if transport.split("_")[0] in scenario.transports
]


@KINDS
@pytest.mark.parametrize(("scenario", "transport"), SCENARIO_CASES)
def test_every_scenario_gives_its_exact_answer(
    foxapi_emulator: RunningEmulator, kind: str, transport: str, scenario: Scenario
) -> None:
    scenario.apply(foxapi_emulator.emulator)
    if transport == "stream_generate":
        events, completion = stream_generate(foxapi_emulator, kind, poll=FAST_POLLS)
        assert "".join(c or "" for c in contents(events)) == scenario.answer
    else:
        completion = generate(foxapi_emulator, kind, transport=transport, poll=FAST_POLLS)
    assert completion.text == scenario.answer
    assert foxapi_emulator.emulator.counters.submits == 1


# --- the model-based property, a few examples on a real socket ----------------------------------


@st.composite
def quirk_sets(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "answer": draw(st.lists(st.sampled_from(["ha", "", "x"]), min_size=1, max_size=6)),
        "honour": draw(st.booleans()),
        "reserialise": draw(st.booleans()),
        "keepalive": draw(st.booleans()),
        "total": draw(st.sampled_from(["right", "absent", "wrong"])),
        "cuts": draw(st.lists(st.integers(0, 6), max_size=3)),
        "kind": draw(st.sampled_from(["sync", "async"])),
    }


@settings(
    max_examples=12,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(quirk_sets())
def test_quirky_servers_on_a_socket_give_the_answer_once_or_a_typed_error(
    case: dict[str, Any],
) -> None:
    emulator = Emulator(honour_offset=case["honour"])
    quirks = emulator.quirks
    quirks.answer_chunks = case["answer"]
    quirks.reserialise = case["reserialise"]
    quirks.keepalive_data = case["keepalive"]
    quirks.total_chunks = case["total"]
    for cut in case["cuts"]:
        emulator.faults.cut_stream(after_chunks=cut)
    text = "".join(case["answer"])
    with serve_in_thread(emulator) as running:
        try:
            events, completion = stream_generate(running, case["kind"])
            error = None
        except FoxAPIError as exc:
            events, completion, error = [], None, exc
        (task,) = emulator.tasks.values()
        expected = [json.loads(d) for d in task.chunk_data]
    if error is not None:
        return  # typed; the in-process property checks what was handed over before it
    assert completion is not None and completion.text == text
    assert "".join(c or "" for c in contents(events)) == text
    assert [e.index for e in events] == list(range(len(events)))
    got = [json.loads(e.data) for e in events]
    n = len(got)
    synthetic = bool(got) and (n > len(expected) or got[-1] != expected[n - 1])
    body = got[:-1] if synthetic else got
    assert body == expected[: len(body)]  # exactly once, in order, as parsed JSON


@KINDS
def test_submit_then_stream_from_an_offset_resumes(
    foxapi_emulator: RunningEmulator, kind: str
) -> None:
    """README's crash-resume recipe: submit() now submits with stream=True by default, so
    stream(task_id, offset=N) reads the rest instead of failing or repeating the answer."""
    foxapi_emulator.emulator.quirks.answer_chunks = ["a", "b", "c"]
    emu = foxapi_emulator
    if kind == "sync":
        with FoxAPIClient(api_key=emu.api_key, base_url=emu.base_url) as client:
            task = client.submit(BODY)
            events = list(client.stream(task.id, offset=1))
    else:

        async def go() -> list[Any]:
            async with AsyncFoxAPIClient(api_key=emu.api_key, base_url=emu.base_url) as client:
                task = await client.submit(BODY)
                return [e async for e in client.stream(task.id, offset=1)]

        events = asyncio.run(go())
    assert contents(events) == ["b", "c"]
    assert [e.index for e in events] == [1, 2]


def test_a_misspelt_quirk_is_refused_not_silently_ignored() -> None:
    """A user's robustness test that sets ``quirks.skip_chunks`` would otherwise test nothing."""
    quirks = Emulator().quirks
    with pytest.raises(AttributeError):
        quirks.skip_chunks = 1  # type: ignore[attr-defined]
