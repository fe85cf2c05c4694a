"""The durable batch runner: row states, input lines, the journal, and crash-and-rerun."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from foxapi_core._batch_journal import SqliteJournal
from foxapi_core._batch_rows import (
    Action,
    RowState,
    action_on_resume,
    check_transition,
    parse_line,
)
from foxapi_core._errors import RequestValidationError
from foxapi_core.emulator import Emulator, EmulatorConfig, serve_in_thread

ROWS = 24


def _body(i: int) -> dict[str, object]:
    return {"model": "kimi-k2.6", "messages": [{"role": "user", "content": f"row {i}"}]}


def test_resume_policy_never_resubmits_a_known_or_unknown_task() -> None:
    assert action_on_resume(RowState.PLANNED) is Action.SUBMIT
    assert action_on_resume(RowState.SUBMITTED) is Action.RESUME
    assert action_on_resume(RowState.SUBMITTING) is Action.UNKNOWN
    assert action_on_resume(RowState.SUBMITTING, resubmit_unknown=True) is Action.SUBMIT
    assert action_on_resume(RowState.DONE) is Action.SKIP
    with pytest.raises(ValueError, match="done -> submitting"):
        check_transition(RowState.DONE, RowState.SUBMITTING)


def test_openai_batch_line_becomes_a_wire_body() -> None:
    line = {
        "custom_id": "a",
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {
            "model": "kimi-k2.6",
            "messages": [{"role": "user", "content": "hi"}],
            "temperature": 0.5,
        },
    }
    row = parse_line(json.dumps(line), 1)
    assert row.body["model"] == "kimi-k2.6"
    assert row.body["messages"][0]["content"] == "hi"
    assert row.body["temperature"] == 0.5


def test_bad_line_names_the_field() -> None:
    with pytest.raises(RequestValidationError) as info:
        parse_line('{"body": {}}', 7)
    assert info.value.field == "custom_id" and "line 7" in str(info.value)


def test_journal_orders_and_refuses_illegal_moves(tmp_path: Path) -> None:
    journal = SqliteJournal(tmp_path / "j")
    for i in range(3):
        journal.plan(f"r{i}", i)
    for cid in ("r2", "r0"):
        journal.move(cid, RowState.SUBMITTING)
        journal.move(cid, RowState.SUBMITTED, task_id=f"t-{cid}")
        journal.move(cid, RowState.DONE, result={"x": cid})
    assert [e.custom_id for e in journal.entries("input")] == ["r0", "r1", "r2"]
    assert [e.custom_id for e in journal.entries("completion")] == ["r2", "r0", "r1"]
    with pytest.raises(ValueError):
        journal.move("r0", RowState.SUBMITTING)
    assert journal.plan("r0", 99).state is RowState.DONE  # a rerun keeps what is known
    journal.close()


def _states(journal: Path) -> Counter[str]:
    if not journal.exists():
        return Counter()
    with sqlite3.connect(journal, timeout=30) as db:
        try:
            return Counter(s for (s,) in db.execute("SELECT state FROM rows"))
        except sqlite3.OperationalError:  # the table is not created yet
            return Counter()


def _run(paths: dict[str, Path], env: dict[str, str], *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "foxapi_core.cli",
            "batch",
            "run",
            str(paths["in"]),
            "--out",
            str(paths["out"]),
            "--concurrency",
            "4",
            "--no-progress",
            *extra,
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _kill_when(proc: subprocess.Popen[bytes], journal: Path, ready: object) -> int | None:
    """SIGKILL ``proc`` as soon as the journal satisfies ``ready`` (progress, not a timer)."""
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if ready(_states(journal)):  # type: ignore[operator]
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)  # polling cadence of the observer, not a race-hiding wait
    return proc.wait(timeout=60)


def test_sigkill_at_random_points_then_rerun_answers_each_row_once(tmp_path: Path) -> None:
    rng = random.Random(17)
    config = EmulatorConfig(processing_delay=0.05, chunk_delay=0.01)
    with serve_in_thread(Emulator(config)) as server:
        paths = {"in": tmp_path / "in.jsonl", "out": tmp_path / "out.jsonl"}
        journal = Path(str(paths["out"]) + ".journal")
        paths["in"].write_text(
            "".join(
                json.dumps({"custom_id": f"r{i}", "body": _body(i)}) + "\n" for i in range(ROWS)
            )
        )
        env = {**os.environ, "FOXAPI_API_KEY": server.api_key, "FOXAPI_BASE_URL": server.base_url}
        # Kill 1: a submit held open by the server, so a row is caught mid-POST.
        server.emulator.faults.delay_submit_response(30)
        proc = _run(paths, env)
        code = _kill_when(proc, journal, lambda s: s["submitting"] >= 1 and s["done"] >= 1)
        assert code == -signal.SIGKILL
        # Kills 2-4: at random amounts of progress (done rows) in the journal.
        for _ in range(3):
            target = rng.randrange(1, ROWS)
            proc = _run(paths, env)
            code = _kill_when(proc, journal, lambda s, t=target: s["done"] >= t)
            assert code == -signal.SIGKILL, target
        final = _run(paths, env)
        _, err = final.communicate(timeout=120)
        assert final.returncode == 7, err  # unfinished: the outcome-unknown row
        summary = json.loads(err.decode().strip().splitlines()[-1])

    lines = [json.loads(line) for line in paths["out"].read_text().splitlines()]
    assert [line["custom_id"] for line in lines] == [f"r{i}" for i in range(ROWS)]
    unknown = {line["custom_id"] for line in lines if "error" in line}
    assert unknown == set(summary["outcome_unknown"]) and len(unknown) >= 1
    assert all(line["error"]["type"] == "SubmitOutcomeUnknown" for line in lines if "error" in line)
    # Exactly one task per row on the server: answered rows by their task id, unknown rows
    # at most once (the held POST created one), and never a second submit for any row.
    tasks = server.emulator.tasks
    per_row = Counter(t.request["messages"][0]["content"] for t in tasks.values())
    assert max(per_row.values()) == 1
    assert server.emulator.counters.submits == len(tasks) <= ROWS
    for line in lines:
        if "response" in line:
            assert line["task_id"] in tasks
            assert line["response"]["choices"][0]["message"]["content"].endswith(
                f"You said: {line['custom_id'].replace('r', 'row ')}"
            )
            assert line["response"]["choices"][0]["message"]["reasoning_content"]
    assert sum("response" in line for line in lines) == ROWS - len(unknown)


def test_cli_status_and_bad_input_exit_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from foxapi_core.cli import main

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"custom_id": "a", "body": {}}\n{"body": {}}\n')
    assert main(["batch", "run", str(bad), "--out", str(tmp_path / "o.jsonl")]) == 4
    assert "custom_id" in capsys.readouterr().err
    assert main(["batch", "status", str(tmp_path / "missing.journal")]) == 1
    journal = SqliteJournal(tmp_path / "j")
    journal.plan("a", 0)
    journal.move("a", RowState.SUBMITTING)
    journal.close()
    assert main(["batch", "status", str(tmp_path / "j")]) == 7
    status = json.loads(capsys.readouterr().out)
    assert status["outcome_unknown"] == ["a"] and status["counts"]["submitting"] == 1


async def test_openai_lines_and_completion_order(tmp_path: Path) -> None:
    from foxapi_core import AsyncFoxAPIClient, arun_batch

    lines = [
        {
            "custom_id": f"o{i}",
            "method": "POST",
            "url": "/v1/chat/completions",
            "body": {"model": "gpt-5.5", "messages": [{"role": "user", "content": f"q{i}"}]},
        }
        for i in range(6)
    ]
    with serve_in_thread() as server:
        async with AsyncFoxAPIClient(api_key=server.api_key, base_url=server.base_url) as client:
            out = tmp_path / "out.jsonl"
            summary = await arun_batch(
                lines, client=client, output=out, order="completion", concurrency=3
            )
            assert summary.done == 6 and summary.complete
            by_completion = [json.loads(line)["custom_id"] for line in out.read_text().splitlines()]
            again = await arun_batch(lines, client=client, output=out, concurrency=3)
            assert again.submitted_now == 0
        assert server.emulator.counters.submits == 6
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["custom_id"] for r in records] == [f"o{i}" for i in range(6)]  # input order now
    assert all(
        r["response"]["choices"][0]["message"]["content"].endswith(f"q{i}")
        for i, r in enumerate(records)
    )
    journal = SqliteJournal(str(out) + ".journal")
    finished = [e.custom_id for e in journal.entries("completion")]
    journal.close()
    assert finished == by_completion and sorted(finished) == [f"o{i}" for i in range(6)]


# --- the audio journal's flow, driven by hand (what FoxAPIAudio's sync and async drivers do) ---


def _completion(text: str) -> object:
    from foxapi_core import ChatCompletion

    return ChatCompletion.model_validate(
        {
            "id": "c",
            "object": "chat.completion",
            "created": 0,
            "model": "m",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
        }
    )


def test_audio_journal_flow_commits_each_step_before_the_next(tmp_path: Path) -> None:
    from foxapi_core._batch_audio import AudioJournal, Need, advance

    path = tmp_path / "audio.journal"
    journal = AudioJournal(path)
    flow = journal.flow("doc-1")
    assert advance(flow) == Need("submit")
    assert journal.journal.get("doc-1").state is RowState.SUBMITTING  # on disk before the POST
    assert advance(flow, "task-llm-1-abcdefgh") == Need("stream", "task-llm-1-abcdefgh")
    assert journal.journal.get("doc-1").task_id == "task-llm-1-abcdefgh"
    completion, task_id = advance(flow, _completion("hello"))  # type: ignore[misc]
    assert (completion.text, task_id) == ("hello", "task-llm-1-abcdefgh")
    # a rerun returns the answer from the journal: no need at all
    again = AudioJournal(path).flow("doc-1")
    assert advance(again)[0].text == "hello"  # type: ignore[index]


def test_audio_journal_flow_resumes_by_task_id_and_records_failures(tmp_path: Path) -> None:
    from foxapi_core import BadRequestError, TaskFailedError
    from foxapi_core._batch_audio import AudioJournal, Need, advance

    journal = AudioJournal(tmp_path / "audio.journal")
    first = journal.flow("doc-1")
    advance(first)
    advance(first, "task-llm-1-abcdefgh")  # crash here: submitted, not streamed
    resumed = AudioJournal(tmp_path / "audio.journal").flow("doc-1")
    assert advance(resumed) == Need("stream", "task-llm-1-abcdefgh")  # no second submit
    with pytest.raises(TaskFailedError):
        advance(resumed, failure=TaskFailedError("boom", task_id="task-llm-1-abcdefgh"))
    assert journal.journal.get("doc-1").state is RowState.FAILED
    refused = journal.flow("doc-2")
    advance(refused)
    with pytest.raises(BadRequestError):
        advance(refused, failure=BadRequestError("no", status=400))
    assert journal.journal.get("doc-2").state is RowState.FAILED
