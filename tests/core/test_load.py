"""Load with faults (issue 6): 500 concurrent async ``generate`` calls through one client, with
10 % of the requests hit by each kind of fault. Nothing is lost, nothing is submitted twice, the
pool bounds the connections, and nothing is left behind.

Faults are a FIFO queue in the emulator consumed by whichever request comes next, so which call
meets which fault is up to the scheduler; the assertions hold for every interleaving.
"""

from __future__ import annotations

import asyncio
import gc
import time
import warnings
from typing import Any

import pytest

from foxapi_core import (
    AsyncFoxAPIClient,
    ChatCompletion,
    PollPolicy,
    RetryPolicy,
    StreamError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    TextRequest,
)
from foxapi_core.emulator import RunningEmulator, respond

CALLS = 500
SHARE = CALLS // 10  # 10 % of the calls for each kind of fault
POOL_LIMIT = 100  # httpx.Limits(max_connections=...) of the client


def _queue_faults(emu: Any) -> None:
    faults = emu.faults
    for _ in range(SHARE):  # interleaved, so that every stage sees every kind early and late
        faults.fail("submit", 429, retry_after_ms=5)
        faults.fail("submit", 503)
        faults.drop_after_submit()
        faults.fail("poll", 500)
        faults.fail("poll", 503, times=3)  # a run of 5xx: bounded by the deadline, not a count
        faults.null_results()
        faults.fail("stream", 502)
        faults.fail("stream", 500, times=3)
        faults.cut_stream(after_chunks=1)
        faults.stall_stream(after_chunks=1, seconds=0.05)  # shorter than the idle timeout
        faults.stream_error(at=1, message="load-test upstream error")
        faults.fail_task(code="load_test_failure")


# Issue 13: answers whose chunks repeat ("ha" x6), so that every resume after a cut is ambiguous
# by content, with re-serialised resumes and non-chunk data: keep-alives between chunks.
REPEATED = ["", "ha", "ha", "ha", "ha", "ha", "ha", " done"]


@pytest.mark.parametrize("answers", ["generated", "repeated-chunks", "odd-server"])
def test_500_concurrent_generates_with_faults_lose_nothing(
    foxapi_emulator: RunningEmulator, answers: str
) -> None:
    emu = foxapi_emulator.emulator
    emu.config.chunk_size = 2
    _queue_faults(emu)
    bodies = [
        TextRequest(model="gemini-2.5-pro", prompt=f"Call {i}: name rivers") for i in range(CALLS)
    ]
    if answers == "repeated-chunks":
        emu.quirks.answer_chunks = REPEATED
        emu.quirks.reserialise = True
        emu.quirks.keepalive_data = True
        reference = ["".join(REPEATED)] * CALLS
    elif answers == "odd-server":
        # Statuses the docs do not name, streams that end with an error event although the
        # task completed, no total_chunks in done, usage in the stream: still every answer.
        emu.quirks.answer_chunks = REPEATED
        emu.quirks.status_alias = "COMPLETED"
        emu.quirks.error_after_completion = True
        emu.quirks.total_chunks = "absent"
        emu.quirks.usage_in_stream = True
        reference = ["".join(REPEATED)] * CALLS
    else:
        reference = [
            respond(b.to_body(), answer_words=emu.config.answer_words).content for b in bodies
        ]
    client = AsyncFoxAPIClient(
        api_key=foxapi_emulator.api_key,
        base_url=foxapi_emulator.base_url,
        # Retries are generous because a retry of one call may meet the next queued fault.
        retry=RetryPolicy(initial_backoff=0.01, max_backoff=0.05, max_retries=6),
        poll=PollPolicy(initial_delay=0.01, min_interval=0.01, max_interval=0.05),
    )
    peak = 0

    async def main() -> tuple[list[Any], set[asyncio.Task[Any]]]:
        nonlocal peak
        done = asyncio.Event()

        async def watch_pool() -> None:
            # Sampling, not synchronisation: the highest number of open connections seen.
            nonlocal peak
            while not done.is_set():
                for pool, *_ in client._pools.values():
                    shards = pool._transport.shards  # type: ignore[attr-defined]
                    peak = max(peak, sum(len(s._pool.connections) for s in shards))
                await asyncio.sleep(0.005)

        watcher = asyncio.ensure_future(watch_pool())
        results = await asyncio.gather(
            *(client.generate(body) for body in bodies), return_exceptions=True
        )
        done.set()
        await watcher
        ((pool, *_),) = client._pools.values()
        shards: list[Any] = pool._transport.shards  # type: ignore[attr-defined]
        assert all(s._pool._requests == [] for s in shards)  # nothing checked out
        await client.aclose()
        assert pool.is_closed and all(s._pool.connections == [] for s in shards)
        current = asyncio.current_task()
        return results, {t for t in asyncio.all_tasks() if t is not current}

    gc.collect()  # earlier tests' garbage must not be counted as this run's leaks
    started = time.monotonic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        results, leftover_tasks = asyncio.run(main())
        gc.collect()
    elapsed = time.monotonic() - started

    ok = [(i, r) for i, r in enumerate(results) if isinstance(r, ChatCompletion)]
    errors = [r for r in results if not isinstance(r, ChatCompletion)]
    unexpected = [
        r
        for r in errors
        if not isinstance(r, (SubmitOutcomeUnknownError, StreamError, TaskFailedError))
    ]
    assert unexpected == []
    # every answer that came back is the emulator's reference answer for that very request
    assert [r.text for _, r in ok] == [reference[i] for i, _ in ok]
    by_completion_id = {t.completion["id"]: t for t in emu.tasks.values()}
    for i, completion in ok:
        assert by_completion_id[completion.id].request["prompt"] == bodies[i].prompt
    # zero duplicate submits: one task per call, whatever the faults
    assert emu.counters.submits == len(emu.tasks) == CALLS
    # exactly the dropped submits are reported as unknown outcomes, and all faults were used
    assert sum(isinstance(r, SubmitOutcomeUnknownError) for r in errors) == SHARE
    assert emu.faults.pending() == []
    failed_tasks = {t.id for t in emu.tasks.values() if t.failure is not None}
    assert len(failed_tasks) == SHARE
    for error in errors:
        if isinstance(error, TaskFailedError):
            assert error.task_id in failed_tasks and error.code == "load_test_failure"
        elif isinstance(error, StreamError):
            assert error.task_id in emu.tasks
    assert len(ok) >= CALLS - 4 * SHARE  # at most the four fatal kinds fail a call
    assert 0 < peak <= POOL_LIMIT
    assert leftover_tasks == set()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert elapsed < 90
