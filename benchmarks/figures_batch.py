"""Figures of the durable batch runner (issue 17): throughput against the ideal schedule, memory
against the number of rows, and Ray Data against ``foxapi batch`` on the same rows."""

from __future__ import annotations

import asyncio
import importlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks._harness import API_KEY, FigureResult, Stats
from foxapi_core import AsyncFoxAPIClient, BatchRow, arun_batch

if TYPE_CHECKING:
    from benchmarks.figures import Context

__all__ = ["BATCH_FIGURES", "BATCH_SITES", "TASK_SECONDS"]

TASK_SECONDS = 0.5
BATCH_SITES: dict[str, dict[str, Any]] = {
    "batch500": {"config": {"processing_delay": TASK_SECONDS, "chunk_size": 50}},
}
MODEL = "kimi-k2.6"


def _rows(n: int, start: int = 0) -> Iterator[BatchRow]:
    for i in range(start, start + n):
        body = {"model": MODEL, "messages": [{"role": "user", "content": f"[[words:3]] row {i}"}]}
        yield BatchRow(f"r{i}", body)


def _run(ctx: Context, site: str, rows: int, concurrency: int, out: Path) -> float:
    async def go() -> float:
        base_url = ctx.emulator.base_url(site)
        async with AsyncFoxAPIClient(api_key=API_KEY, base_url=base_url) as client:
            started = time.perf_counter()
            await arun_batch(_rows(rows), client=client, output=out, concurrency=concurrency)
            return time.perf_counter() - started

    return asyncio.run(go())


def throughput(ctx: Context) -> list[FigureResult]:
    """Rows of 0.5 s tasks at concurrency C: elapsed vs rows x task / C; TCP connections."""
    rows, conc = ctx.budget.batch_rows, ctx.budget.batch_concurrency
    with tempfile.TemporaryDirectory() as tmp:
        ctx.emulator.reset()
        took = _run(ctx, "batch500", rows, conc, Path(tmp) / "out.jsonl")
        opened = ctx.emulator.stats()["opened"]
    ideal = rows * TASK_SECONDS / conc
    return [
        FigureResult(
            figure="B17a",
            title=f"foxapi batch: {rows} rows of {TASK_SECONDS} s tasks at concurrency {conc}",
            unit="s",
            target="≤ 1.3× ideal; ≤ 1 connection per slot",
            ours=Stats(took, took, 1),
            ratio=took / ideal,
            met=took <= 1.3 * ideal and opened <= conc,
            details={"ideal_s": ideal, "connections_opened": opened},
        )
    ]


_RSS_CHILD = """
import asyncio, resource, sys
from pathlib import Path
from benchmarks.figures_batch import _rows
from foxapi_core import AsyncFoxAPIClient, arun_batch

async def go(base_url, rows, out):
    async with AsyncFoxAPIClient(api_key="sk-emulator", base_url=base_url) as client:
        summary = await arun_batch(_rows(rows), client=client, output=out, concurrency=32)
    assert summary.done == rows, summary

base_url, rows, out = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
asyncio.run(go(base_url, rows, out))
assert sum(1 for _ in out.open()) == rows
try:
    # VmHWM: this process image's own peak. ru_maxrss survives execve on Linux, so a child
    # started from a large parent (the benchmark runner, after Ray) reports the parent's peak.
    status = Path("/proc/self/status").read_text()
    print(int(next(l for l in status.splitlines() if l.startswith("VmHWM:")).split()[1]) * 1024)
except (OSError, StopIteration):
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)  # Linux: KiB
"""


def _peak_rss(ctx: Context, rows: int) -> int:
    """Peak resident memory (bytes) of a fresh interpreter that runs ``rows`` rows: the whole
    process as the OS sees it (tracemalloc would miss SQLite's and httpx's C allocations and
    slow the run tenfold)."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            sys.executable,
            "-c",
            _RSS_CHILD,
            ctx.emulator.base_url("plain"),
            str(rows),
            str(Path(tmp) / "out.jsonl"),
        ]
        root = str(Path(__file__).resolve().parent.parent)
        env = {**os.environ, "PYTHONPATH": root + os.pathsep + os.environ.get("PYTHONPATH", "")}
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
        return int(done.stdout.split()[-1])


def memory(ctx: Context) -> list[FigureResult]:
    """Peak RSS of a large run over a 1,000-row run (short answers), each in its own process."""
    large = ctx.budget.batch_memory_rows
    small = min(1000, large // 4)
    ctx.emulator.reset()
    base = _peak_rss(ctx, small)
    ctx.emulator.reset()  # the emulator keeps its tasks: do not let it grow past need
    big = _peak_rss(ctx, large)
    ctx.emulator.reset()
    growth = (big - base) / 1e6
    return [
        FigureResult(
            figure="B17b",
            title=f"foxapi batch: peak RSS growth, {large:,} rows over {small:,}",
            unit="MB",
            target="< 50 MB",
            ours=Stats(growth, growth, 1),
            met=growth < 50,
            details={"peak_rss_small_mb": base / 1e6, "peak_rss_large_mb": big / 1e6},
        )
    ]


def ray_versus_batch(ctx: Context) -> list[FigureResult]:
    """Ray Data (local cluster, 2 CPUs) vs ``foxapi batch`` on the same rows and tasks."""
    try:
        ray = importlib.import_module("ray")
    except ImportError:
        return [FigureResult("B17c", "Ray Data vs foxapi batch", "s", "", skipped="no ray")]
    from foxapi_core.integrations.ray_data import FoxAPIMapper

    rows, conc = ctx.budget.ray_rows, 16
    with tempfile.TemporaryDirectory() as tmp:
        batch_s = _run(ctx, "batch500", rows, conc, Path(tmp) / "out.jsonl")
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        try:
            ds = ray.data.from_items([{"id": f"r{i}", "prompt": f"row {i}"} for i in range(rows)])
            started = time.perf_counter()
            ds.map_batches(
                FoxAPIMapper,
                fn_constructor_kwargs={
                    "model": MODEL,
                    "journal": str(Path(tmp) / "ray.journal"),
                    "api_key": API_KEY,
                    "base_url": ctx.emulator.base_url("batch500"),
                    "max_in_flight": conc // 2,
                },
                compute=ray.data.ActorPoolStrategy(size=2),
                batch_size=max(1, rows // 4),
                num_cpus=1,
            ).materialize()
            ray_s = time.perf_counter() - started
        finally:
            ray.shutdown()
    return [
        FigureResult(
            figure="B17c",
            title=f"Ray Data (2 actors x {conc // 2} in flight) vs foxapi batch ({conc}), "
            f"{rows} rows of {TASK_SECONDS} s",
            unit="s",
            target="measured (overhead of Ray)",
            ours=Stats(ray_s, ray_s, 1),
            reference=Stats(batch_s, batch_s, 1),
            ratio=ray_s / batch_s,
            reference_label="foxapi batch",
            details={"ray_rows_per_s": rows / ray_s, "batch_rows_per_s": rows / batch_s},
        )
    ]


BATCH_FIGURES = {"B17a": throughput, "B17b": memory, "B17c": ray_versus_batch}
