"""``foxapi transcribe``'s run: files through :class:`FoxAPIAudio`, reported as each one ends.

Files run ``--concurrency`` at a time; each file's text is printed (or written) as soon as that
file is done, so a slow first file holds nothing back: the output is in completion order. A
failure of one file is reported once and the others go on, except a failure that is not about
the file (a refused key, no credit, no permission, a configuration problem): the same request
would fail for every file, so the run stops, and says how many files were not tried.

Progress goes to stderr: a tqdm bar only on a terminal (and with the ``progress`` extra), plain
lines otherwise (``transcribing X ...`` when a file starts, ``[k/N] X ...`` when it ends), so a
log or a pipe never receives bar frames.
"""

from __future__ import annotations

import importlib
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from ._audio import FoxAPIAudio, _join
from ._audio_source import AudioResult
from ._errors import (
    AuthenticationError,
    ConfigurationError,
    FoxAPIError,
    InsufficientQuotaError,
    PermissionDeniedError,
)

__all__ = ["STOPPING_ERRORS", "output_names", "transcribe_files"]

#: Failures that are about the account or the configuration, not the file: stop the run.
STOPPING_ERRORS: tuple[type[FoxAPIError], ...] = (
    AuthenticationError,
    ConfigurationError,
    InsufficientQuotaError,
    PermissionDeniedError,
)


def output_names(files: Sequence[str]) -> list[str]:
    """``<stem>.txt`` per input; a repeated stem gets ``-2``, ``-3``... in input order."""
    names: list[str] = []
    seen: set[str] = set()
    for file in files:
        stem = Path(file).stem or "audio"
        name, n = f"{stem}.txt", 1
        while name in seen:
            n += 1
            name = f"{stem}-{n}.txt"
        seen.add(name)
        names.append(name)
    return names


class _Report:
    """Progress and notes on stderr: a tqdm bar on a terminal, plain lines anywhere else."""

    def __init__(self, total: int, progress: bool) -> None:
        self.total = total
        self.progress = progress
        self.done = 0
        self._lock = threading.Lock()  # workers announce starts while the main thread reports
        self.bar: Any = None
        if progress and total > 1 and sys.stderr.isatty():
            try:
                tqdm = importlib.import_module("tqdm").tqdm
            except ImportError:
                pass  # no progress extra: plain lines
            else:
                self.bar = tqdm(total=total, desc="transcribing", unit="file", file=sys.stderr)

    def line(self, message: str) -> None:
        """A note that is always shown (an error, a file written)."""
        with self._lock:
            if self.bar is not None:
                self.bar.write(message, file=sys.stderr)  # above the bar, not through it
            else:
                print(message, file=sys.stderr, flush=True)

    def started(self, file: str) -> None:
        if self.progress and self.bar is None:
            self.line(f"transcribing {file} ...")

    def segment(self, file: str, done: int, total: int) -> None:
        """One segment of a split (long) file ended: progress inside that file."""
        if self.bar is not None:
            with self._lock:
                self.bar.set_postfix_str(f"{file}: segment {done}/{total}")
        elif self.progress:
            self.line(f"{file}: segment {done}/{total} done")

    def finished(self, file: str, outcome: str, *, always: bool = False) -> None:
        """One file ended; ``always`` for a note shown even with ``--no-progress``."""
        self.done += 1
        if self.bar is not None:
            self.bar.update(1)
            if always:
                self.line(f"{file} {outcome}")
        elif self.progress:
            self.line(f"[{self.done}/{self.total}] {file} {outcome}")
        elif always:
            self.line(f"{file} {outcome}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def transcribe_files(
    audio: FoxAPIAudio,
    files: Sequence[str],
    *,
    out_dir: Path | None,
    concurrency: int,
    progress: bool,
    exit_code: Callable[[FoxAPIError], int],
    error_code: int,
    describe: Callable[[BaseException], str] = str,
) -> int:
    """Run every file, report each as it ends; return the exit code.

    The code is that of the first failure to end (``error_code`` for an error that is not a
    :class:`FoxAPIError`), or of the stopping failure when the run stopped; 0 otherwise.
    ``describe`` renders an error for the error line.
    """
    names = output_names(files)
    report = _Report(len(files), progress)
    stop = threading.Event()
    codes: list[int] = []
    stopped_by: FoxAPIError | None = None
    not_tried = 0

    def work(index: int) -> list[AudioResult] | None:
        if stop.is_set():
            return None  # the run stopped before this file started: never sent
        report.started(files[index])

        def on_segment(_result: AudioResult, done: int, total: int) -> None:
            report.segment(files[index], done, total)

        results = list(audio.iter_results([files[index]], on_segment=on_segment))
        if any(isinstance(r.error, STOPPING_ERRORS) for r in results):
            stop.set()  # here, not in the main thread: no worker starts another file after it
        return results

    def finish(index: int, results: list[AudioResult]) -> None:
        nonlocal stopped_by
        file = files[index]
        failed = next((r.error for r in results if r.error is not None), None)
        if failed is not None:
            if isinstance(failed, STOPPING_ERRORS):
                if stopped_by is None:  # the same cause for every file: say it once
                    stopped_by = failed
                    for pending in futures:
                        pending.cancel()
                    report.line(f"error: {file}: {describe(failed)}")
                report.finished(file, "failed")
                return
            report.line(f"error: {file}: {describe(failed)}")
            codes.append(exit_code(failed) if isinstance(failed, FoxAPIError) else error_code)
            report.finished(file, "failed")
            return
        text = _join(results)
        if out_dir is None:
            print(f"==> {file} <==\n{text}" if len(files) > 1 else text, flush=True)
            report.finished(file, "done")
        else:
            target = out_dir / names[index]
            target.write_text(text + "\n", encoding="utf-8")
            report.finished(file, f"-> {target}", always=True)

    pool = ThreadPoolExecutor(concurrency, thread_name_prefix="foxapi-transcribe")
    futures: dict[Future[list[AudioResult] | None], int] = {}
    try:
        for i in range(len(files)):
            futures[pool.submit(work, i)] = i
        for future in as_completed(futures):
            results = None if future.cancelled() else future.result()
            if results is None:
                not_tried += 1
                continue
            finish(futures[future], results)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        report.close()
    if stopped_by is not None:
        print(
            f"error: stopped: {type(stopped_by).__name__} is not about one file, so the other "
            f"files would fail the same way; {not_tried} of {len(files)} files were not tried. "
            "Fix it and run the command again.",
            file=sys.stderr,
        )
        return exit_code(stopped_by)
    return codes[0] if codes else 0
