"""LangChain audio loader with ``journal=``: a crashed ingestion resumes without re-transcribing."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import pytest

from foxapi_core import JournalEntry, RowState, SqliteJournal
from foxapi_core.emulator import RunningEmulator
from langchain_foxapi.document_loaders import FoxAPIAudioLoader


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing records it as a file error."""


class CrashingJournal:
    """A journal that dies when the ``after``+1-th file is about to be submitted: the files
    before it are done, that one and the rest never left (a crash between two files)."""

    def __init__(self, inner: SqliteJournal, after: int) -> None:
        self.inner, self.after, self.submits = inner, after, 0

    def plan(self, custom_id: str, seq: int) -> JournalEntry:
        return self.inner.plan(custom_id, seq)

    def move(self, custom_id: str, state: RowState, **kwargs: Any) -> None:
        if state is RowState.SUBMITTING:
            if self.submits >= self.after:
                raise Crash
            self.submits += 1
        self.inner.move(custom_id, state, **kwargs)

    def get(self, custom_id: str) -> JournalEntry | None:
        return self.inner.get(custom_id)

    def entries(self, order: Any = "input") -> Any:
        return self.inner.entries(order)

    def counts(self) -> dict[str, int]:
        return self.inner.counts()

    def close(self) -> None:
        self.inner.close()


def _wav(tone: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(tone.to_bytes(2, "little") * 800)
    return buf.getvalue()


@pytest.mark.parametrize("rerun_async", [False, True], ids=["sync-rerun", "async-rerun"])
async def test_loader_resume_20_files_crash_after_12_rerun_submits_8(
    foxapi_emulator: RunningEmulator, tmp_path: Path, rerun_async: bool
) -> None:
    conn = {"api_key": foxapi_emulator.api_key, "base_url": foxapi_emulator.base_url}
    files = []
    for i in range(20):
        path = tmp_path / f"call{i:02d}.wav"
        path.write_bytes(_wav(i + 1))
        files.append(path)
    journal_path = tmp_path / "ingest.journal"
    crashing = CrashingJournal(SqliteJournal(journal_path), after=12)
    first = FoxAPIAudioLoader(files, journal=crashing, max_concurrency=1, **conn)
    seen = []
    with pytest.raises(Crash):
        for doc in first.lazy_load():
            seen.append(doc)
    crashing.close()
    counters = foxapi_emulator.emulator.counters
    assert counters.submits == 12
    assert len(seen) == 12

    rerun = FoxAPIAudioLoader(files, journal=journal_path, max_concurrency=3, **conn)
    docs = await rerun.aload() if rerun_async else rerun.load()
    assert counters.submits == 20  # the rerun submitted the 8 missing files only
    assert [d.metadata["source"] for d in docs] == [str(f) for f in files]
    assert [d.page_content for d in docs[:12]] == [d.page_content for d in seen]
    assert all(d.page_content.startswith("Transcription: ") for d in docs)
    # every document knows its own task (the journal's, for the 12 done before the crash)
    assert len({rerun.task_ids[str(d.id)] for d in docs}) == 20
