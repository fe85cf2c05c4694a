"""``foxapi batch run`` and ``foxapi batch status``: the durable batch runner from the shell.

Exit codes of ``batch run``: 0 every row done; 1 error; 2 usage; 3 configuration or
authentication; 4 invalid input line; 6 some rows failed (their errors are in the output);
7 some rows are outcome-unknown (caught mid-submit by a crash) or still pending (rerun).
``batch status`` exits 0, or 7 when rows are unknown or pending, 1 when the journal is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from typing import Any

from ._batch import arun_batch, read_jsonl
from ._batch_journal import SqliteJournal, default_journal_path
from ._client import AsyncFoxAPIClient

__all__ = ["EXIT_FAILED_ROWS", "EXIT_UNFINISHED", "register"]

EXIT_FAILED_ROWS = 6
EXIT_UNFINISHED = 7


def _run(args: argparse.Namespace) -> int:
    async def go() -> Any:
        async with AsyncFoxAPIClient() as client:
            return await arun_batch(
                read_jsonl(args.input),
                client=client,
                journal=args.journal or default_journal_path(args.out),
                output=args.out,
                order=args.order,
                concurrency=args.concurrency,
                resubmit_unknown=args.resubmit_unknown,
                progress=args.progress,
            )

    summary = asyncio.run(go())
    print(
        json.dumps(
            {
                "done": summary.done,
                "failed": summary.failed,
                "pending": summary.pending,
                "outcome_unknown": summary.unknown,
                "submitted_now": summary.submitted_now,
            }
        ),
        file=sys.stderr,
    )
    if not summary.complete:
        return EXIT_UNFINISHED
    return EXIT_FAILED_ROWS if summary.failed else 0


def _status(args: argparse.Namespace) -> int:
    if not os.path.exists(args.journal):
        print(f"error: no journal at {args.journal}", file=sys.stderr)
        return 1
    journal = SqliteJournal(args.journal)
    try:
        counts = journal.counts()
        unknown = [e.custom_id for e in journal.entries() if e.state.value == "submitting"]
    finally:
        journal.close()
    print(json.dumps({"counts": counts, "outcome_unknown": unknown}))
    return EXIT_UNFINISHED if unknown or counts["submitted"] or counts["planned"] else 0


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def register(commands: Any) -> None:
    """Add the ``batch`` command (``run``, ``status``) to the ``foxapi`` subparsers."""
    batch = commands.add_parser(
        "batch",
        help="run a JSONL batch durably (a crash and rerun never submits a row twice)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = batch.add_subparsers(dest="batch_command", required=True, metavar="SUBCOMMAND")
    run = sub.add_parser("run", help="run or resume a batch file")
    run.add_argument("input", metavar="IN.jsonl", help='lines {"custom_id", "body"} or OpenAI')
    run.add_argument("--out", "-o", required=True, metavar="OUT.jsonl", help="the output file")
    run.add_argument("--journal", default=None, metavar="PATH", help="default: OUT.jsonl.journal")
    run.add_argument("--concurrency", "-c", type=_positive, default=16, metavar="N")
    run.add_argument("--order", choices=("input", "completion"), default="input")
    run.add_argument(
        "--resubmit-unknown", action="store_true", help="resend rows caught mid-submit"
    )
    run.add_argument("--no-progress", dest="progress", action="store_false")
    run.set_defaults(run=_run)
    status = sub.add_parser("status", help="counts of a journal's rows by state")
    status.add_argument("journal", metavar="PATH")
    status.set_defaults(run=_status)
