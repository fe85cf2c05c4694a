"""The batch journal: a row's state, task id and result, kept durably across crashes.

:class:`Journal` is the small interface the runner needs, so a server database (Postgres on a
cluster) can replace :class:`SqliteJournal`, the default (standard library, WAL mode, one file
beside the output). Every state change is committed before the runner acts on it: ``submitting``
is on disk before the POST leaves, so a crash mid-POST is seen on resume.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from ._batch_rows import RowState, check_transition

__all__ = ["Journal", "JournalEntry", "SqliteJournal", "default_journal_path"]


@dataclass(frozen=True)
class JournalEntry:
    """What the journal holds for one row."""

    custom_id: str
    seq: int
    state: RowState
    task_id: str | None = None
    result: Any = None
    error: Any = None


@runtime_checkable
class Journal(Protocol):
    """The storage a batch run needs; implement it to share a journal across machines."""

    def plan(self, custom_id: str, seq: int) -> JournalEntry:
        """Record the row as planned unless known; return its entry (new or existing)."""
        ...

    def move(
        self,
        custom_id: str,
        state: RowState,
        *,
        task_id: str | None = None,
        result: Any = None,
        error: Any = None,
    ) -> None:
        """Durably move the row to ``state`` (an illegal transition raises ``ValueError``)."""
        ...

    def get(self, custom_id: str) -> JournalEntry | None:
        """The row's entry, or None if never planned."""
        ...

    def entries(self, order: Literal["input", "completion"] = "input") -> Iterator[JournalEntry]:
        """Every entry, streamed, in input order or in the order rows finished."""
        ...

    def counts(self) -> dict[str, int]:
        """The number of rows in each state."""
        ...

    def close(self) -> None:
        """Release the storage."""
        ...


def default_journal_path(output: str | os.PathLike[str]) -> str:
    """The default journal of an output file: beside it, ``OUT.jsonl.journal``."""
    return os.fspath(output) + ".journal"


_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    custom_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    state TEXT NOT NULL,
    task_id TEXT,
    result TEXT,
    error TEXT,
    finished INTEGER
);
CREATE INDEX IF NOT EXISTS rows_seq ON rows (seq);
"""


class SqliteJournal:
    """A :class:`Journal` in one SQLite file (WAL: readers such as ``foxapi batch status`` never
    block the writer). Safe to share between threads of one process.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (what resume needs);
        # only a power loss may drop the last commits. FULL would fsync on every state change.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.executescript(_SCHEMA)

    def __repr__(self) -> str:
        return f"SqliteJournal({self.path!r})"

    @staticmethod
    def _entry(row: tuple[Any, ...]) -> JournalEntry:
        custom_id, seq, state, task_id, result, error = row
        return JournalEntry(
            custom_id,
            seq,
            RowState(state),
            task_id,
            None if result is None else json.loads(result),
            None if error is None else json.loads(error),
        )

    def plan(self, custom_id: str, seq: int) -> JournalEntry:
        """See :meth:`Journal.plan`."""
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO rows (custom_id, seq, state) VALUES (?, ?, ?)",
                (custom_id, seq, RowState.PLANNED.value),
            )
        entry = self.get(custom_id)
        assert entry is not None
        return entry

    def move(
        self,
        custom_id: str,
        state: RowState,
        *,
        task_id: str | None = None,
        result: Any = None,
        error: Any = None,
    ) -> None:
        """See :meth:`Journal.move`."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                (old,) = self._db.execute(
                    "SELECT state FROM rows WHERE custom_id = ?", (custom_id,)
                ).fetchone()
                check_transition(RowState(old), state)
                finished = state in (RowState.DONE, RowState.FAILED)
                self._db.execute(
                    "UPDATE rows SET state = ?, task_id = COALESCE(?, task_id), result = ?,"
                    " error = ?, finished = CASE WHEN ? THEN"
                    " (SELECT COALESCE(MAX(finished), 0) + 1 FROM rows) ELSE NULL END"
                    " WHERE custom_id = ?",
                    (
                        state.value,
                        task_id,
                        None if result is None else json.dumps(result),
                        None if error is None else json.dumps(error),
                        finished,
                        custom_id,
                    ),
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def get(self, custom_id: str) -> JournalEntry | None:
        """See :meth:`Journal.get`."""
        with self._lock:
            row = self._db.execute(
                "SELECT custom_id, seq, state, task_id, result, error FROM rows"
                " WHERE custom_id = ?",
                (custom_id,),
            ).fetchone()
        return None if row is None else self._entry(row)

    def entries(self, order: Literal["input", "completion"] = "input") -> Iterator[JournalEntry]:
        """See :meth:`Journal.entries` (a separate connection, so rows stream from a cursor)."""
        key = "seq" if order == "input" else "finished IS NULL, finished, seq"
        reader = sqlite3.connect(self.path)
        try:
            cursor = reader.execute(
                f"SELECT custom_id, seq, state, task_id, result, error FROM rows ORDER BY {key}"
            )
            for row in cursor:
                yield self._entry(row)
        finally:
            reader.close()

    def counts(self) -> dict[str, int]:
        """See :meth:`Journal.counts`."""
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM rows GROUP BY state").fetchall()
        counts = {state.value: 0 for state in RowState}
        counts.update({state: n for state, n in rows})
        return counts

    def close(self) -> None:
        """See :meth:`Journal.close`."""
        with self._lock:
            self._db.close()
