"""LlamaIndex reader with ``journal=``: a crashed folder ingestion resumes where it stopped."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

import pytest
from llama_index.core import SimpleDirectoryReader

from foxapi_core import RowState, SqliteJournal
from foxapi_core.emulator import RunningEmulator
from llama_index_foxapi.readers import FoxAPIAudioReader


class Crash(BaseException):
    """Stands for the process dying (not an Exception: SimpleDirectoryReader cannot swallow it)."""


class CrashingJournal(SqliteJournal):
    """Dies when the ``after``+1-th file is about to be submitted."""

    def __init__(self, path: Path, after: int) -> None:
        super().__init__(path)
        self.after, self.submits = after, 0

    def move(self, custom_id: str, state: RowState, **kwargs: Any) -> None:
        if state is RowState.SUBMITTING:
            if self.submits >= self.after:
                raise Crash
            self.submits += 1
        super().move(custom_id, state, **kwargs)


def _wav(tone: int) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(tone.to_bytes(2, "little") * 800)
    return buf.getvalue()


def test_reader_resume_20_files_crash_after_12_rerun_submits_8(
    emu: RunningEmulator, tmp_path: Path
) -> None:
    conn = {"api_key": emu.api_key, "base_url": emu.base_url}
    folder = tmp_path / "calls"
    folder.mkdir()
    for i in range(20):
        (folder / f"call{i:02d}.wav").write_bytes(_wav(i + 1))
    journal = tmp_path / "ingest.journal"

    def directory(reader: FoxAPIAudioReader) -> SimpleDirectoryReader:
        return SimpleDirectoryReader(str(folder), file_extractor={".wav": reader})

    crashing = CrashingJournal(journal, after=12)
    with pytest.raises(Crash):
        directory(FoxAPIAudioReader(journal=crashing, **conn)).load_data()
    crashing.close()
    assert emu.emulator.counters.submits == 12
    assert SqliteJournal(journal).counts()["done"] == 12

    reader = FoxAPIAudioReader(journal=journal, **conn)
    docs = directory(reader).load_data()
    assert emu.emulator.counters.submits == 20
    assert len(docs) == 20
    # every document knows its own task (the journal's, for the 12 done before the crash)
    assert len({reader.task_ids[d.id_] for d in docs}) == 20
    assert all(d.text.startswith("Transcription: ") for d in docs)
