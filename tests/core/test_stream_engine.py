"""The stream engine under the readings of the protocol that issue 13 lists, driven in-process by
the scripted server model (tests/core/stream_model.py): exactly-once delivery or a typed error."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from stream_model import (
    JSON,
    MODEL,
    TASK_ID,
    Clock,
    Run,
    ServerModel,
    completion_obj,
    drive,
    make_ctx,
)

from foxapi_core import FoxAPIError, StreamError, TaskFailedError
from foxapi_core._flows import Reply, Send, wait_flow
from foxapi_core._generation import generate_flow, stream_flow

BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
HAHA = ["ha", "ha", "ha", "ha", " done"]


def generate(server: ServerModel, *, emit: bool = True, transport: Any = "stream") -> Run:
    clock = Clock()
    server.clock = clock
    flow = generate_flow(make_ctx(clock), BODY, transport, clock.now + 900, emit=emit)
    return drive(flow, server, clock)


def streamed(run: Run) -> list[Any]:
    return [json.loads(e.data) for e in run.emitted]


def assert_exactly_once(run: Run, server: ServerModel) -> None:
    assert run.error is None, run.error
    assert streamed(run) == [json.loads(c) for c in server.chunks]
    assert [e.index for e in run.emitted] == list(range(len(server.chunks)))
    assert run.result.text == server.text


# --- 1. honoured offsets, replays, repeats --------------------------------------------------------


@pytest.mark.parametrize("usage_in_stream", [False, True])
def test_honoured_offset_with_repeated_chunks_is_not_taken_for_a_replay(
    usage_in_stream: bool,
) -> None:
    """Issue 13's first example: "ha" x4 + " done", cut after 2, offset honoured. The old code
    took the repeats for a replay and returned "haha done"."""
    server = ServerModel(HAHA, cuts=[2], usage_in_stream=usage_in_stream)
    run = generate(server)
    assert_exactly_once(run, server)
    assert run.result.text == "hahahaha done"
    assert server.offsets == [0, 2]


def test_repeated_chunks_without_total_are_decided_by_the_task_text() -> None:
    server = ServerModel(HAHA, cuts=[2], total="absent")
    run = generate(server)
    assert_exactly_once(run, server)


def test_replay_of_repeated_chunks_is_recognised_by_the_count() -> None:
    server = ServerModel(HAHA, cuts=[2], honour_offset=False)
    assert_exactly_once(generate(server), server)


def test_empty_keepalive_chunks_at_the_start_and_two_cuts() -> None:
    server = ServerModel(["", "", "", "", "Hello", " world"], cuts=[2, 3])
    assert_exactly_once(generate(server), server)


@pytest.mark.parametrize("honour_offset", [True, False])
def test_reserialised_chunks_are_compared_as_json(honour_offset: bool) -> None:
    """A replay from 0 in other bytes (same JSON) was yielded twice."""
    server = ServerModel(
        ["a", "b", "c", "d"], cuts=[2], honour_offset=honour_offset, reserialise=True
    )
    assert_exactly_once(generate(server), server)


def test_unnamed_data_that_is_not_a_chunk_is_ignored_and_not_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = ServerModel(["a", "b", "c", "d"], cuts=[2], keepalives=True)
    with caplog.at_level(logging.INFO, logger="foxapi"):
        run = generate(server)
    assert_exactly_once(run, server)
    assert server.offsets == [0, 2]  # the keep-alives did not move the offset
    assert sum("not chunks" in r.getMessage() for r in caplog.records) == 1  # logged once


@pytest.mark.parametrize("cuts", [[0, 0, 1], [1, 1, 1, 1], [3, 0, 2], [5]])
@pytest.mark.parametrize("honour_offset", [True, False])
def test_cuts_anywhere_any_number_of_times(cuts: list[int], honour_offset: bool) -> None:
    server = ServerModel(["a", "a", "b", "a", "a"], cuts=cuts, honour_offset=honour_offset)
    assert_exactly_once(generate(server), server)


# --- 1. done.total_chunks is checked --------------------------------------------------------------


def test_done_counting_more_chunks_than_arrived_restreams_from_the_gap() -> None:
    class Skipping(ServerModel):
        """Loses chunk 2 on the first connection (done still counts all of them)."""

        def _body(self, offset: int, connection: int) -> bytes:
            raw = super()._body(offset, connection)
            if connection == 0:
                lost = f"event: chunk\ndata: {self.chunks[2]}\n\n".encode()
                raw = raw.replace(lost, b"", 1)
            return raw

    server = Skipping(["a", "b", "c", "d"])
    run = generate(server)
    # the gap was re-read from offset 3; the streamed text then differs from the result
    assert server.offsets == [0, 3]
    assert isinstance(run.error, StreamError)
    assert run.error.completion.text == "abcd"  # type: ignore[attr-defined]


def test_skipped_chunk_without_emitting_returns_the_task_result() -> None:
    class Skipping(ServerModel):
        def _body(self, offset: int, connection: int) -> bytes:
            raw = super()._body(offset, connection)
            lost = f"event: chunk\ndata: {self.chunks[1]}\n\n".encode()
            return raw.replace(lost, b"", 1)

    server = Skipping(["a", "b", "c"], usage_in_stream=True)
    run = generate(server, emit=False)
    assert run.error is None
    assert run.result.text == "abc"


@pytest.mark.parametrize("delta", [1, -1, 7])
def test_wrong_total_never_gives_a_wrong_answer(delta: int) -> None:
    server = ServerModel(["a", "b", "c"], total="wrong", total_delta=delta, usage_in_stream=True)
    run = generate(server)
    assert run.error is None
    assert run.result.text == "abc"
    assert "".join(e.chunk.delta.content or "" for e in run.emitted) == "abc"


def test_wrong_count_that_reads_as_honoured_does_not_double_a_replay() -> None:
    """Found by the property test on a socket: a replaying server whose wrong ``total_chunks``
    equals offset + received; the count alone would have yielded "haha"."""
    server = ServerModel(["ha"], honour_offset=False, cuts=[1], total="wrong", total_delta=1)
    run = generate(server)
    assert_exactly_once(run, server)


def test_doubled_chunk_is_a_typed_error_carrying_the_result() -> None:
    class Doubling(ServerModel):
        def _body(self, offset: int, connection: int) -> bytes:
            raw = super()._body(offset, connection)
            twice = f"event: chunk\ndata: {self.chunks[1]}\n\n".encode()
            return raw.replace(twice, twice * 2, 1)

    server = Doubling(["a", "b", "c"], usage_in_stream=True)
    run = generate(server)
    assert isinstance(run.error, StreamError)
    assert run.error.completion.text == "abc"  # type: ignore[attr-defined]


def test_user_offset_with_repeats_and_honoured_offset() -> None:
    server = ServerModel(HAHA)
    clock = Clock()
    run = drive(stream_flow(make_ctx(clock), TASK_ID, clock.now + 60, offset=2), server, clock)
    assert run.error is None
    assert [e.index for e in run.emitted] == [2, 3, 4]
    assert [e.data for e in run.emitted] == server.chunks[2:]


# --- 2. no answer thrown away ---------------------------------------------------------------------


def test_error_event_on_a_completed_task_returns_the_answer() -> None:
    server = ServerModel(["a", "b"], error_at_end=True)
    run = generate(server)
    assert run.error is None
    assert run.result.text == "ab"
    assert "".join(e.chunk.delta.content or "" for e in run.emitted) == "ab"


def test_streamed_answer_then_null_results_returns_the_streamed_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = ServerModel(["a", "b"], null_results=True)
    with caplog.at_level(logging.WARNING, logger="foxapi"):
        run = generate(server)
    assert_exactly_once(run, server)
    assert run.result.usage is None
    assert any("no usage" in r.getMessage() for r in caplog.records)


def test_incomplete_stream_then_null_results_is_a_typed_error() -> None:
    server = ServerModel(["a", "b"], cuts=[1, 0, 0, 0, 0], null_results=True)
    run = generate(server)
    assert isinstance(run.error, TaskFailedError)
    assert run.error.code == "empty_results"


def _sync_server(answer: dict[str, Any]) -> Any:
    def server(cmd: Any) -> Any:
        if isinstance(cmd, Send) and cmd.method == "POST":
            return Reply(200, JSON, json.dumps(answer).encode())
        if isinstance(cmd, Send):
            task = {"id": TASK_ID, "status": "completed", "results": [completion_obj("late")]}
            return Reply(200, JSON, json.dumps(task).encode())
        return None

    return server


def test_sync_answered_with_a_task_follows_the_task() -> None:
    task = {"id": TASK_ID, "object": "llm.generation.task", "status": "pending"}
    clock = Clock()
    flow = generate_flow(make_ctx(clock), BODY, "sync", clock.now + 60)
    run = drive(flow, _sync_server(task), clock)
    assert run.error is None
    assert run.result.text == "late"
    assert run.sent[-1].path == f"/v1/tasks/{TASK_ID}"


def test_sync_answer_with_no_choices_is_a_typed_error() -> None:
    clock = Clock()
    empty = {**completion_obj(""), "choices": []}
    flow = generate_flow(make_ctx(clock), BODY, "sync", clock.now + 60)
    run = drive(flow, _sync_server(empty), clock)
    assert isinstance(run.error, TaskFailedError)
    assert run.error.code == "empty_choices"


def test_completed_result_with_no_choices_is_a_typed_error() -> None:
    clock = Clock()
    result = {**completion_obj(""), "choices": []}
    task = {"id": TASK_ID, "status": "completed", "results": [result]}
    flow = wait_flow(make_ctx(clock), TASK_ID, clock.now + 60)
    run = drive(flow, lambda c: Reply(200, JSON, json.dumps(task).encode()), clock)
    assert isinstance(run.error, TaskFailedError)
    assert run.error.code == "empty_choices"


# --- 4. unknown statuses --------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["COMPLETED", "succeeded", "done"])
def test_unknown_status_with_results_is_done(status: str) -> None:
    clock = Clock()
    task = {"id": TASK_ID, "status": status, "results": [completion_obj("ok")]}
    flow = wait_flow(make_ctx(clock), TASK_ID, clock.now + 900)
    run = drive(flow, lambda c: Reply(200, JSON, json.dumps(task).encode()), clock)
    assert run.error is None
    assert run.result.results[0].text == "ok"
    assert len(run.sent) == 1


def test_unknown_status_without_results_fails_early_naming_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    task = {"id": TASK_ID, "status": "succeeded", "results": None}
    flow = wait_flow(make_ctx(clock), TASK_ID, clock.now + 900)
    with caplog.at_level(logging.WARNING, logger="foxapi"):
        run = drive(flow, lambda c: Reply(200, JSON, json.dumps(task).encode()), clock)
    assert isinstance(run.error, TaskFailedError)
    assert run.error.code == "unknown_status"
    assert "'succeeded'" in str(run.error)
    assert clock.now - 1000 < 120  # far before the 900 s deadline
    assert sum("undocumented status" in r.getMessage() for r in caplog.records) == 1


# --- 3. stalls and 5xx within the deadline --------------------------------------------------------


def test_mid_stream_stall_resumes() -> None:
    server = ServerModel(["a", "b", "c"], cuts=[1], stall_on={0})
    run = generate(server)
    assert_exactly_once(run, server)
    assert server.offsets == [0, 1]


def test_many_cuts_are_bounded_by_the_deadline_not_a_count() -> None:
    # one chunk per connection, ten times: more than max_retries cuts, each one progressing
    server = ServerModel(list("abcdefghij"), cuts=[1] * 10)
    assert_exactly_once(generate(server), server)


def test_stream_answering_5xx_repeatedly_falls_back_to_polling() -> None:
    server = ServerModel(["a", "b"], stream_5xx=50)
    run = generate(server)
    assert run.error is None
    assert run.result.text == "ab"
    assert [e.chunk.delta.content for e in run.emitted] == ["ab"]


def test_stalling_every_time_falls_back_to_polling() -> None:
    server = ServerModel(["a", "b", "c"], cuts=[1] + [0] * 20, stall_on=set(range(21)))
    run = generate(server)
    assert run.error is None
    assert run.result.text == "abc"
    assert "".join(e.chunk.delta.content or "" for e in run.emitted) == "abc"


def test_errors_are_typed() -> None:
    server = ServerModel(["a"], cuts=[0] * 20, null_results=True)
    run = generate(server)
    assert isinstance(run.error, FoxAPIError)


# --- 8a. stream(task_id, offset=N) on a task without a stream -------------------------------------


def test_stream_from_an_offset_of_a_task_without_stream_names_wait() -> None:
    clock = Clock()

    def server(cmd: Any) -> Any:
        if isinstance(cmd, Send) and cmd.kind == "stream":
            body = json.dumps({"error": {"message": "not a stream task", "type": "x"}}).encode()
            return Reply(400, JSON, body)
        task = {"id": TASK_ID, "status": "completed", "results": [completion_obj("whole")]}
        return Reply(200, JSON, json.dumps(task).encode())

    run = drive(stream_flow(make_ctx(clock), TASK_ID, clock.now + 60, offset=3), server, clock)
    assert isinstance(run.error, StreamError)
    assert "client.wait(task_id)" in str(run.error)
    assert run.emitted == []  # not the whole answer again


def test_a_count_already_contradicted_does_not_decide_a_resume() -> None:
    """Found by the long hypothesis profile: done says 2 for a 1-chunk answer, the gap re-stream
    is a replay of that chunk, and the task has no result: the count must not turn the replay
    into "haha"; without proof the call fails typed."""
    server = ServerModel(["ha"], honour_offset=False, total="wrong", total_delta=1)
    server.null_results = True
    run = generate(server)
    assert isinstance(run.error, TaskFailedError)
    assert [e.chunk.delta.content for e in run.emitted] == ["ha"]
