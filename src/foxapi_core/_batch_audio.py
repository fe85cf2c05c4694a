"""The journal of an audio ingestion: each job (a file, or a segment) keyed by its deterministic
document id, so a rerun after a crash returns finished transcripts from the journal, resumes
submitted tasks by id, and submits only what never left (the audio side of ``journal=``).

The decisions are here, once; :class:`~._audio.FoxAPIAudio` only does the I/O between them.
"""

from __future__ import annotations

import itertools
import os
import threading
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal

from ._batch_journal import Journal, SqliteJournal
from ._batch_rows import Action, RowState, action_on_resume
from ._errors import FoxAPIError, SubmitOutcomeUnknownError, TaskFailedError
from ._wire import ChatCompletion

__all__ = ["AudioJournal", "JournalStep", "JournaledFlow", "Need", "advance"]


@dataclass(frozen=True)
class Need:
    """What the flow needs from its driver: ``"submit"`` (answer with the task id) or
    ``"stream"`` (stream ``task_id`` to its end; answer with the completion)."""

    what: Literal["submit", "stream"]
    task_id: str = ""


#: Yields :class:`Need`\ s, is sent their answers (or thrown their errors), returns
#: ``(completion, task_id)``.
JournaledFlow = Generator[Need, Any, tuple[ChatCompletion, str | None]]


def advance(
    flow: JournaledFlow, answer: Any = None, *, failure: FoxAPIError | None = None
) -> Need | tuple[ChatCompletion, str | None]:
    """Run ``flow`` to its next need (sending ``answer`` or throwing ``failure``), or to its
    result; the flow's own errors propagate."""
    try:
        return flow.throw(failure) if failure is not None else flow.send(answer)
    except StopIteration as stop:
        result: tuple[ChatCompletion, str | None] = stop.value
        return result


@dataclass(frozen=True)
class JournalStep:
    """What to do for one job: ``action`` and, when known, its ``task_id`` or ``completion``."""

    action: Action
    task_id: str | None = None
    completion: ChatCompletion | None = None


class AudioJournal:
    """A :class:`Journal` (or a SQLite path) seen through the steps of one audio job."""

    def __init__(self, journal: Journal | str | os.PathLike[str]) -> None:
        self.journal: Journal = journal if isinstance(journal, Journal) else SqliteJournal(journal)
        self._seq = itertools.count()
        self._lock = threading.Lock()

    def begin(self, key: str) -> JournalStep:
        """Plan the job (if new) and say what to do; raises for a known failure or an unknown
        submit outcome, which are never resubmitted silently."""
        with self._lock:
            entry = self.journal.plan(key, next(self._seq))
        action = action_on_resume(entry.state)
        if action is Action.UNKNOWN:
            raise SubmitOutcomeUnknownError(
                "An earlier run stopped during this file's submit; a task may exist, so it "
                "is not sent again. Remove its journal row to resubmit.",
            )
        if entry.state is RowState.FAILED:
            error = entry.error or {}
            raise TaskFailedError(
                str(error.get("message", "failed in an earlier run")), task_id=entry.task_id
            )
        if entry.state is RowState.DONE:
            return JournalStep(action, entry.task_id, ChatCompletion.model_validate(entry.result))
        if action is Action.SUBMIT:
            self.journal.move(key, RowState.SUBMITTING)  # on disk before the POST
        return JournalStep(action, entry.task_id)

    def flow(self, key: str) -> JournaledFlow:
        """One job from its journal row to its answer, each step committed before the next.

        The sync and async loaders drive the same flow (``send``/``throw``), doing only the I/O.
        """
        step = self.begin(key)
        if step.completion is not None:
            return step.completion, step.task_id
        task_id = step.task_id
        if task_id is None:
            try:
                task_id = yield Need("submit")
            except FoxAPIError as exc:
                self.rejected(key, exc)
                raise
            assert task_id is not None
            self.submitted(key, task_id)
        try:
            completion: ChatCompletion = yield Need("stream", task_id)
        except TaskFailedError as exc:
            self.task_failed(key, exc)
            raise
        self.finished(key, completion)
        return completion, task_id

    def submitted(self, key: str, task_id: str) -> None:
        """The submit answered with a task id."""
        self.journal.move(key, RowState.SUBMITTED, task_id=task_id)

    def rejected(self, key: str, exc: FoxAPIError) -> None:
        """The submit was refused before a task existed (an unknown outcome stays unknown)."""
        if not isinstance(exc, SubmitOutcomeUnknownError):
            self.journal.move(key, RowState.FAILED, error=_error(exc))

    def finished(self, key: str, completion: ChatCompletion) -> None:
        """The task's answer is in."""
        self.journal.move(key, RowState.DONE, result=completion.model_dump(mode="json"))

    def task_failed(self, key: str, exc: TaskFailedError) -> None:
        """The task ended ``failed``."""
        self.journal.move(key, RowState.FAILED, error=_error(exc))


def _error(exc: FoxAPIError) -> dict[str, Any]:
    return {"type": type(exc).__name__, "message": str(exc)}
