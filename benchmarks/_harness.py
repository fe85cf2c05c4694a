"""Measurement plumbing: the emulator process, interleaved pairs, statistics and the table."""

from __future__ import annotations

import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "API_KEY",
    "EmulatorProcess",
    "FigureResult",
    "Stats",
    "format_table",
    "interleave",
    "machine",
    "runs_of",
    "start_bytes_server",
    "start_emulator",
]

API_KEY = "sk-emulator"
SERVER_SCRIPT = Path(__file__).with_name("_server.py")
BYTES_SERVER_SCRIPT = Path(__file__).with_name("_bytes_server.py")
_STARTUP_TIMEOUT = 30.0


@dataclass(frozen=True)
class Stats:
    """Median, 95th percentile and size of one sample set (seconds or the figure's unit)."""

    median: float
    p95: float
    n: int

    @classmethod
    def of(cls, values: list[float]) -> Stats:
        """Statistics of ``values`` (p95 by the nearest-rank method)."""
        ordered = sorted(values)
        rank = max(1, math.ceil(0.95 * len(ordered)))
        return cls(statistics.median(ordered), ordered[rank - 1], len(ordered))

    def scaled(self, factor: float) -> Stats:
        """The same statistics in another unit."""
        return Stats(self.median * factor, self.p95 * factor, self.n)


@dataclass
class FigureResult:
    """One row of the table (and of the JSON).

    ``ratio`` is ours / reference (medians); ``met`` is None when the figure could not be
    measured (``skipped`` says why).
    """

    figure: str
    title: str
    unit: str
    target: str
    ours: Stats | None = None
    reference: Stats | None = None
    ratio: float | None = None
    met: bool | None = None
    reference_label: str = ""
    skipped: str | None = None
    details: dict[str, Any] = field(default_factory=dict)
    #: The headline (``ratio``, else ``ours``' median) in each of three runs: the pairs split in
    #: three consecutive thirds, or three separate measurements (:func:`runs_of`).
    runs: list[float] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


@dataclass
class EmulatorProcess:
    """A running server process (the emulator or the bytes server) and how to reach its sites."""

    process: subprocess.Popen[str]
    port: int

    def base_url(self, site: str) -> str:
        """The FoxAPI base URL of ``site``."""
        return f"http://127.0.0.1:{self.port}/{site}"

    def openai_url(self, site: str) -> str:
        """The OpenAI-compatible base URL (``.../v1``) of ``site``."""
        return f"{self.base_url(site)}/v1"

    def stats(self) -> dict[str, Any]:
        """TCP connection counters since the last :meth:`reset`, not counting the connection
        this query opens itself (``opened``, ``open``); per site under ``sites``."""
        reply = httpx.get(f"http://127.0.0.1:{self.port}/_bench/stats", timeout=10)
        stats = dict(reply.json())
        stats["opened"] -= 1
        stats["open"] -= 1
        return stats

    def reset(self) -> dict[str, Any]:
        """Reset the connection counters and forget all tasks."""
        reply = httpx.post(f"http://127.0.0.1:{self.port}/_bench/reset", timeout=10)
        return dict(reply.json())


@contextmanager
def start_emulator(sites: dict[str, dict[str, Any]]) -> Iterator[EmulatorProcess]:
    """Start the emulator process serving ``sites``; stop it on exit.

    Args:
        sites: ``{name: {"config": EmulatorConfig fields, "delay": seconds per request}}``.
    """
    with _start(SERVER_SCRIPT, sites) as process:
        yield process


@contextmanager
def start_bytes_server(sites: dict[str, dict[str, Any]]) -> Iterator[EmulatorProcess]:
    """Start the pre-rendered-bytes server (``_bytes_server.py``) serving ``sites``.

    Args:
        sites: ``{name: {"hold": s, "hold_all": bool, "words": n, "usage_in_stream": bool}}``.
    """
    with _start(BYTES_SERVER_SCRIPT, sites) as process:
        yield process


@contextmanager
def _start(script: Path, sites: dict[str, dict[str, Any]]) -> Iterator[EmulatorProcess]:
    process = subprocess.Popen(
        [sys.executable, str(script), "--sites", json.dumps(sites)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + _STARTUP_TIMEOUT
        line = ""
        while time.monotonic() < deadline and not line.startswith("PORT "):
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                break
        if not line.startswith("PORT "):
            raise RuntimeError(f"the benchmark server {script.name} did not start")
        yield EmulatorProcess(process, int(line.split()[1]))
    finally:
        if process.stdin is not None:
            process.stdin.close()  # the server stops when its stdin closes
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def interleave(
    ours: Callable[[], float],
    reference: Callable[[], float],
    *,
    rounds: int,
    warmup: int = 2,
) -> tuple[list[float], list[float]]:
    """Measure ``ours`` and ``reference`` side by side: warm-up, then ``rounds`` pairs.

    Each callable runs one measurement and returns its value (it times itself, so that it can
    report CPU time or a per-chunk cost). Pairs alternate their order (ours first, then
    reference first) so that neither side always runs after the other's garbage; a full garbage
    collection before each pair keeps one side's leftovers from being collected on the other's
    clock.
    """
    for _ in range(warmup):
        ours()
        reference()
    mine: list[float] = []
    theirs: list[float] = []
    for i in range(rounds):
        gc.collect()
        if i % 2 == 0:
            mine.append(ours())
            theirs.append(reference())
        else:
            theirs.append(reference())
            mine.append(ours())
    return mine, theirs


def runs_of(mine: list[float], theirs: list[float] | None = None, parts: int = 3) -> list[float]:
    """The headline of each of ``parts`` consecutive runs of interleaved samples: the ratio of
    medians (ours / reference) per run, or ours' median per run without a reference."""
    if len(mine) < parts:
        return []
    size = len(mine) // parts
    out = []
    for i in range(parts):
        part = mine[i * size : (i + 1) * size]
        if theirs is None:
            out.append(statistics.median(part))
        else:
            ref = statistics.median(theirs[i * size : (i + 1) * size])
            out.append(statistics.median(part) / ref if ref else math.nan)
    return out


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 0
    return {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": cores,
    }


def _fmt(value: float, unit: str) -> str:
    if unit in ("ms", "µs/chunk", "s"):
        return f"{value:.3g}" if value < 10 else f"{value:.1f}"
    if unit == "MB":
        return f"{value:.1f}"
    return f"{value:.3g}"


def _cell(stats: Stats | None, unit: str) -> str:
    if stats is None:
        return "-"
    if stats.n <= 1:
        return f"{_fmt(stats.median, unit)} {unit}"
    return f"{_fmt(stats.median, unit)} (p95 {_fmt(stats.p95, unit)}) {unit}"


def format_table(results: list[FigureResult]) -> str:
    """The results as one Markdown table: figure, ours, reference, ratio, target, met?"""
    header = ["#", "figure", "ours", "reference", "ratio (3 runs)", "target", "met?"]
    rows = [header, ["---"] * len(header)]
    for r in results:
        if r.skipped:
            rows.append([r.figure, r.title, "-", "-", "-", r.target, f"skipped: {r.skipped}"])
            continue
        ref = _cell(r.reference, r.unit)
        if r.reference_label:
            ref = f"{ref} ({r.reference_label})" if r.reference else r.reference_label
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        if r.runs:
            spread = f"{min(r.runs):.3g}–{max(r.runs):.3g}"
            if r.ratio is not None:
                ratio = f"{ratio} ({spread})"
            else:
                ref = f"{ref}; 3 runs: {spread} {r.unit}"
        met = {True: "yes", False: "NO", None: "-"}[r.met]
        rows.append([r.figure, r.title, _cell(r.ours, r.unit), ref, ratio, r.target, met])
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)
