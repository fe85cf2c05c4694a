"""The durable batch runner: many requests over one async client, journaled so that a rerun after
a crash never submits (and bills) a row twice.

Rows flow from the input through a bounded queue to ``concurrency`` workers that share one
connection pool; each state change is committed to the :class:`~._batch_journal.Journal` before
the runner acts on it (see :mod:`._batch_rows` for the table). The output file is written from the
journal at the end of a run, streamed from a cursor, to a temporary file renamed over the output:
it always holds each row exactly once, and memory does not grow with the number of rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ._batch_journal import Journal, SqliteJournal, default_journal_path
from ._batch_rows import Action, BatchRow, RowState, action_on_resume, output_record, parse_line
from ._client import AsyncFoxAPIClient
from ._errors import FoxAPIError, SubmitOutcomeUnknownError, TaskFailedError

__all__ = ["BatchSummary", "arun_batch", "error_record", "read_jsonl", "write_output"]

Order = Literal["input", "completion"]


@dataclass
class BatchSummary:
    """What a run ended with (counts over the whole journal, plus this run's submits)."""

    done: int = 0
    failed: int = 0
    unknown: list[str] = field(default_factory=list)
    pending: int = 0
    submitted_now: int = 0

    @property
    def complete(self) -> bool:
        """True when every row is done or failed (nothing to resume, nothing unknown)."""
        return not self.unknown and not self.pending


def read_jsonl(path: str | os.PathLike[str]) -> Iterator[BatchRow]:
    """Stream the rows of a JSONL batch file (blank lines skipped)."""
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if line.strip():
                yield parse_line(line, number)


def error_record(exc: FoxAPIError) -> dict[str, Any]:
    """A typed, JSON-able error for the journal and the output (never the API key)."""
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "code": getattr(exc, "code", None),
        "task_id": getattr(exc, "task_id", None),
    }


_UNKNOWN = {
    "type": "SubmitOutcomeUnknown",
    "message": "the process stopped during the submit: a task may exist; not resubmitted "
    "(rerun with resubmit_unknown / --resubmit-unknown to send it again)",
}
_PENDING = {
    "type": "Pending",
    "message": "the task was submitted but its answer is not in yet: rerun to fetch it",
}


def write_output(journal: Journal, output: str | os.PathLike[str], order: Order = "input") -> None:
    """Write one JSONL line per journal row to ``output``, atomically (temp file + rename)."""
    tmp = os.fspath(output) + ".tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        for entry in journal.entries(order):
            error = entry.error
            if entry.state is RowState.SUBMITTING:
                error = _UNKNOWN
            elif entry.state in (RowState.PLANNED, RowState.SUBMITTED):
                error = _PENDING
            record = output_record(entry.custom_id, entry.task_id, entry.result, error)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, output)


class _Progress:
    """done / failed / in-flight counts on a tqdm bar when tqdm is installed, else nothing."""

    def __init__(self, enabled: bool) -> None:
        self.bar: Any = None
        if enabled:
            with contextlib.suppress(ImportError):
                tqdm = importlib.import_module("tqdm.auto").tqdm
                self.bar = tqdm(unit="row", desc="batch")
        self.done = self.failed = self.in_flight = 0

    def update(self, finished: bool = False) -> None:
        if self.bar is not None:
            self.bar.set_postfix(done=self.done, failed=self.failed, in_flight=self.in_flight)
            if finished:
                self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


async def _work(
    client: AsyncFoxAPIClient,
    journal: Journal,
    row: BatchRow,
    action: Action,
    summary: BatchSummary,
) -> None:
    """Take one row to the end of its life, committing each step before acting on it."""
    entry = journal.get(row.custom_id)
    task_id = entry.task_id if entry is not None else None
    if action is Action.SUBMIT:
        if entry is not None and entry.state is RowState.SUBMITTING:
            journal.move(row.custom_id, RowState.PLANNED)  # explicit resubmit_unknown
        journal.move(row.custom_id, RowState.SUBMITTING)
        try:
            task = await client.submit(row.body, stream=True)
        except SubmitOutcomeUnknownError:
            summary.unknown.append(row.custom_id)  # stays 'submitting': never resent blindly
            return
        except FoxAPIError as exc:  # rejected before a task existed
            journal.move(row.custom_id, RowState.FAILED, error=error_record(exc))
            summary.failed += 1
            return
        summary.submitted_now += 1
        task_id = task.id
        journal.move(row.custom_id, RowState.SUBMITTED, task_id=task_id)
    assert task_id is not None
    try:
        generation = client.stream(task_id)
        async for _ in generation:
            pass
        completion = generation.completion
        assert completion is not None
    except TaskFailedError as exc:
        journal.move(row.custom_id, RowState.FAILED, error=error_record(exc))
        summary.failed += 1
        return
    except FoxAPIError:
        summary.pending += 1  # the task id is kept: a rerun streams or polls it again
        return
    journal.move(row.custom_id, RowState.DONE, result=completion.model_dump(mode="json"))
    summary.done += 1


async def arun_batch(
    rows: Iterable[BatchRow | Mapping[str, Any]],
    *,
    client: AsyncFoxAPIClient,
    journal: Journal | str | os.PathLike[str] | None = None,
    output: str | os.PathLike[str] | None = None,
    order: Order = "input",
    concurrency: int = 16,
    resubmit_unknown: bool = False,
    progress: bool = False,
) -> BatchSummary:
    """Run a batch: submit what is new, resume what has a task id, skip what is finished.

    Args:
        rows: ``BatchRow``\\ s, or input-line dicts (``{"custom_id", "body"}`` or OpenAI Batch
            lines); consumed lazily, so a generator of millions of rows is fine.
        client: The async client whose one connection pool every request shares.
        journal: A :class:`Journal`, or a path for a :class:`SqliteJournal`; default: beside
            ``output`` (``OUT.journal``).
        output: A JSONL file written at the end with one line per row (``custom_id``,
            ``task_id``, ``response`` or ``error``).
        order: ``"input"`` or ``"completion"`` order of the output lines.
        concurrency: Rows in flight at once.
        resubmit_unknown: Resend rows caught mid-submit by a crash (may create a second task).
        progress: Show a tqdm bar (if installed) with done / failed / in-flight counts.

    Returns:
        The summary; ``summary.unknown`` lists the rows whose submit outcome is unknown.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    if journal is None:
        if output is None:
            raise ValueError("give a journal or an output file (the journal goes beside it)")
        journal = default_journal_path(output)
    owned = not isinstance(journal, Journal)
    store: Journal = SqliteJournal(journal) if not isinstance(journal, Journal) else journal
    summary = BatchSummary()
    bar = _Progress(progress)
    queue: asyncio.Queue[tuple[BatchRow, Action] | None] = asyncio.Queue(concurrency * 2)

    async def worker() -> None:
        while (item := await queue.get()) is not None:
            bar.in_flight += 1
            bar.update()
            try:
                await _work(client, store, item[0], item[1], summary)
            finally:
                bar.in_flight -= 1
                bar.done, bar.failed = summary.done, summary.failed
                bar.update(finished=True)

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    try:
        for seq, raw in enumerate(rows):
            row = raw if isinstance(raw, BatchRow) else parse_line(raw, seq + 1)
            entry = store.plan(row.custom_id, seq)
            action = action_on_resume(entry.state, resubmit_unknown=resubmit_unknown)
            if action is Action.UNKNOWN:
                summary.unknown.append(row.custom_id)
            elif action is Action.SKIP:
                bar.update(finished=True)
            else:
                await queue.put((row, action))
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    finally:
        for task in workers:
            task.cancel()
        bar.close()
    counts = store.counts()
    summary.done, summary.failed = counts["done"], counts["failed"]
    summary.pending = counts["submitted"] + counts["planned"]
    if output is not None:
        write_output(store, output, order)
    if owned:
        store.close()
    return summary
