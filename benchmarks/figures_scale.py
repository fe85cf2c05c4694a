"""Figures of issue 18 (performance at scale): 1,000 concurrent calls against ChatOpenAI (11) and
ChatFoxAPI's cost per chunk from 10 to 10,000 chunks against its floor (12).

Both run on the bytes server (``_bytes_server.py``); figure 11's sites hold every answering
request 50 ms (the sync ChatCompletion, the SSE stream, OpenAI's chat completion; the submit and
the task GET answer at once), one site per client so that each one's connections are counted
apart.
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import itertools
import statistics
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from benchmarks._harness import API_KEY, FigureResult, Stats

if TYPE_CHECKING:
    from benchmarks.figures import Context

__all__ = ["SCALE_FIGURES", "SCALE_SITES"]

MODEL = "gpt-5.5"
HOLD = 0.050
SHORT_WORDS = 20
SCALE_SITES: dict[str, dict[str, Any]] = {
    "h50fox": {"hold": HOLD},
    "h50foxsync": {"hold": HOLD},
    "h50openai": {"hold": HOLD},
}


def _missing(*modules: str) -> str | None:
    absent = [m for m in modules if importlib.util.find_spec(m) is None]
    return f"{', '.join(absent)} not installed" if absent else None


def _prompt(words: int) -> str:
    return f"[[words:{words}]] Tell me about foxes."


# --- 11: 1,000 concurrent ainvoke -----------------------------------------------------------


def figure_11(ctx: Context) -> list[FigureResult]:
    """``n`` concurrent ``ainvoke`` (answers held 50 ms): throughput against ChatOpenAI, and the
    client CPU per call in flight against a single call's, for both of our transports."""
    n = ctx.budget.scale_concurrency
    title = f"{n:,} concurrent ainvoke (answer held 50 ms)"
    missing = _missing("langchain_foxapi", "langchain_openai")
    if missing:
        return [FigureResult("11", title, "calls/s", "", skipped=missing)]
    from langchain_openai import ChatOpenAI

    from langchain_foxapi import ChatFoxAPI

    server = ctx.server
    prompt = _prompt(SHORT_WORDS)
    models: dict[str, Any] = {
        "default": ChatFoxAPI(model=MODEL, api_key=API_KEY, base_url=server.base_url("h50fox")),
        "sync": ChatFoxAPI(
            model=MODEL, api_key=API_KEY, base_url=server.base_url("h50foxsync"), transport="sync"
        ),
        "openai": ChatOpenAI(model=MODEL, api_key=API_KEY, base_url=server.openai_url("h50openai")),
    }
    site_of = {"default": "h50fox", "sync": "h50foxsync", "openai": "h50openai"}
    throughput: dict[str, list[float]] = {k: [] for k in models}
    cpu_burst: dict[str, list[float]] = {k: [] for k in models}
    cpu_single: dict[str, list[float]] = {k: [] for k in models}
    peaks: dict[str, list[int]] = {k: [] for k in models}

    async def burst(name: str) -> tuple[float, float]:
        llm = models[name]
        start, start_cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(llm.ainvoke(prompt) for _ in range(n)))
        return n / (time.perf_counter() - start), (time.process_time() - start_cpu) / n

    async def single(name: str) -> float:
        llm = models[name]
        spent = []
        for _ in range(ctx.budget.scale_single_calls):
            start_cpu = time.process_time()
            await llm.ainvoke(prompt)
            spent.append(time.process_time() - start_cpu)
        return statistics.median(spent)

    async def main() -> None:
        for name in models:  # imports, first pools
            await burst(name)
        for i in range(ctx.budget.scale_rounds):
            order = list(models) if i % 2 == 0 else list(models)[::-1]
            for name in order:
                gc.collect()
                await burst(name)  # warm pool: an unmeasured burst right before (figure 6)
                await asyncio.to_thread(server.reset)
                calls_per_s, cpu = await burst(name)
                stats = await asyncio.to_thread(server.stats)
                throughput[name].append(calls_per_s)
                cpu_burst[name].append(cpu)
                peaks[name].append(stats["sites"].get(site_of[name], {}).get("peak", 0))
                cpu_single[name].append(await single(name))
        for name in ("default", "sync"):
            await models[name].aclose()

    asyncio.run(main())
    ref = Stats.of(throughput["openai"])
    rows = []
    for figure, name, goal in (("11a", "default", 0.9), ("11b", "sync", 1.0)):
        o = Stats.of(throughput[name])
        label = "default transport" if name == "default" else 'transport="sync"'
        ratios = [a / b for a, b in zip(throughput[name], throughput["openai"], strict=True)]
        rows.append(
            FigureResult(
                figure=figure,
                title=f"{title}: throughput, {label}",
                unit="calls/s",
                target=f"≥ {goal}× ChatOpenAI",
                ours=o,
                reference=ref,
                reference_label="ChatOpenAI.ainvoke",
                ratio=o.median / ref.median,
                met=o.median / ref.median >= goal,
                runs=ratios,
                details={
                    "peak_connections": peaks[name],
                    "peak_connections_reference": peaks["openai"],
                    "throughput_runs": throughput[name],
                    "throughput_runs_reference": throughput["openai"],
                },
            )
        )
    for figure, name in (("11c", "default"), ("11d", "sync")):
        many = Stats.of(cpu_burst[name]).scaled(1000.0)
        one = Stats.of(cpu_single[name]).scaled(1000.0)
        label = "default transport" if name == "default" else 'transport="sync"'
        ratios = [a / b for a, b in zip(cpu_burst[name], cpu_single[name], strict=True)]
        rows.append(
            FigureResult(
                figure=figure,
                title=f"{title}: client CPU per call, {label}",
                unit="ms",
                target="≤ 1.5× a single call's",
                ours=many,
                reference=one,
                reference_label="one call at a time",
                ratio=many.median / one.median,
                met=many.median / one.median <= 1.5,
                runs=ratios,
                details={
                    "chatopenai_cpu_ms_in_flight": Stats.of(cpu_burst["openai"])
                    .scaled(1000.0)
                    .__dict__,
                    "chatopenai_cpu_ms_single": Stats.of(cpu_single["openai"])
                    .scaled(1000.0)
                    .__dict__,
                },
            )
        )
    return rows


# --- 12: ChatFoxAPI's cost per chunk from 10 to 10,000 chunks ---------------------------------


def _cpu_per_chunk(run: Callable[[], int], *, gc_on: bool = True) -> float:
    gc.collect()
    if not gc_on:
        gc.disable()
    try:
        start = time.process_time()
        chunks = run()
        return (time.process_time() - start) / max(chunks, 1) * 1e6
    finally:
        gc.enable()


def figure_12(ctx: Context) -> list[FigureResult]:
    """``ChatFoxAPI.stream`` CPU per chunk at 10-10,000 chunks vs its floor (raw httpx inside the
    smallest ``BaseChatModel``: langchain-core's own per-chunk cost), and the marginal cost per
    chunk between sizes (flat = the same marginal cost at every size)."""
    title = "ChatFoxAPI.stream CPU per chunk"
    missing = _missing("langchain_foxapi")
    if missing:
        return [FigureResult("12", title, "µs/chunk", "", skipped=missing)]
    from benchmarks._floor_langchain import FloorChatModel
    from langchain_foxapi import ChatFoxAPI

    base = ctx.server.base_url("plain")
    ours = ChatFoxAPI(model=MODEL, api_key=API_KEY, base_url=base)
    floor = FloorChatModel(model=MODEL, api_key=API_KEY, base_url=base)
    sizes = ctx.budget.chunk_sizes
    rounds = ctx.budget.chunk_rounds
    per_chunk: dict[tuple[str, int], list[float]] = {}
    per_chunk_nogc: dict[tuple[str, int], list[float]] = {}

    def runner(llm: Any, words: int) -> Callable[[], int]:
        # Small answers are streamed several times per measurement (~2,000 chunks in all), so
        # that each measurement is long enough to time; the cost per chunk is the same.
        prompt = _prompt(words)
        repeat = max(1, 2000 // (words + 1))
        return lambda: sum(1 for _ in range(repeat) for _ in llm.stream(prompt))

    for words in sizes:
        for llm in (ours, floor):
            _cpu_per_chunk(runner(llm, words))  # warm-up
        for i in range(rounds):
            pair = [("ours", ours), ("floor", floor)]
            for side, llm in pair if i % 2 == 0 else pair[::-1]:
                per_chunk.setdefault((side, words), []).append(_cpu_per_chunk(runner(llm, words)))
                per_chunk_nogc.setdefault((side, words), []).append(
                    _cpu_per_chunk(runner(llm, words), gc_on=False)
                )
    ours.close()
    floor.close()

    def marginal(
        table: dict[tuple[str, int], list[float]], side: str, a: int, b: int
    ) -> list[float]:
        # Per round: (total CPU at b - total CPU at a) / (b - a); chunks = words + 1 (the
        # finish-reason chunk), total = per chunk x chunks.
        return [
            (cb * (b + 1) - ca * (a + 1)) / (b - a)
            for ca, cb in zip(table[(side, a)], table[(side, b)], strict=True)
        ]

    rows = []
    steps = list(itertools.pairwise(sizes))
    medians: dict[str, list[float]] = {"ours": [], "floor": []}
    for index, (a, b) in enumerate(steps):
        mine, theirs = marginal(per_chunk, "ours", a, b), marginal(per_chunk, "floor", a, b)
        o, r = Stats.of(mine), Stats.of(theirs)
        medians["ours"].append(o.median)
        medians["floor"].append(r.median)
        rows.append(
            FigureResult(
                figure=f"12{'abcdefgh'[index]}",
                title=f"{title}: marginal cost, {a + 1:,} → {b + 1:,} chunks",
                unit="µs/chunk",
                target="≤ 1.3× the floor",
                ours=o,
                reference=r,
                reference_label="floor: raw httpx in a minimal BaseChatModel",
                ratio=o.median / r.median,
                met=o.median / r.median <= 1.3,
                runs=[x / y for x, y in zip(mine, theirs, strict=True)],
                details={
                    "per_chunk_us_at_a": {
                        side: statistics.median(per_chunk[(side, a)]) for side in medians
                    },
                    "per_chunk_us_at_b": {
                        side: statistics.median(per_chunk[(side, b)]) for side in medians
                    },
                    "marginal_gc_disabled": {
                        side: statistics.median(marginal(per_chunk_nogc, side, a, b))
                        for side in medians
                    },
                },
            )
        )
    if len(steps) >= 2:
        # Flat: the marginal cost of the last step over that of the first.
        growth = medians["ours"][-1] / medians["ours"][0]
        floor_growth = medians["floor"][-1] / medians["floor"][0]
        nogc = {side: marginal(per_chunk_nogc, side, *steps[-1]) for side in medians}
        first_nogc = {side: marginal(per_chunk_nogc, side, *steps[0]) for side in medians}
        rows.append(
            FigureResult(
                figure="12m",
                title=f"{title}: marginal cost growth, {steps[-1][0] + 1:,} → "
                f"{steps[-1][1] + 1:,} vs {steps[0][0] + 1:,} → {steps[0][1] + 1:,} chunks",
                unit="×",
                target="≤ 1.15 (flat), or ≤ the floor's own growth",
                ours=Stats(growth, growth, 1),
                reference=Stats(floor_growth, floor_growth, 1),
                reference_label="the floor's growth",
                ratio=growth / floor_growth,
                met=growth <= 1.15 or growth <= floor_growth * 1.05,
                details={
                    "marginal_us_per_chunk_ours": medians["ours"],
                    "marginal_us_per_chunk_floor": medians["floor"],
                    "growth_gc_disabled": {
                        side: statistics.median(nogc[side]) / statistics.median(first_nogc[side])
                        for side in medians
                    },
                },
            )
        )
    return rows


_Figure = Callable[["Context"], list[FigureResult]]
SCALE_FIGURES: dict[str, _Figure] = {"11": figure_11, "12": figure_12}
