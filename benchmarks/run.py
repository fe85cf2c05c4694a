"""Run the side-by-side benchmark suite and print one table (issue 7).

Usage::

    python benchmarks/run.py                 # every figure, full budget (a few minutes)
    python benchmarks/run.py --quick         # every figure, a few samples each (< 1 min)
    python benchmarks/run.py --only 1 3 B14a # some figures

The servers run in separate processes on loopback (the pre-rendered-bytes server for every
client figure, the emulator only for figure 7 and the batch figures); each pair (ours,
reference) is measured interleaved in the same run. The table is printed and written, with
every sample statistic and the machine, to ``benchmarks/results/latest.json`` (``--json``
to change it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._harness import (
    FigureResult,
    format_table,
    machine,
    start_bytes_server,
    start_emulator,
)
from benchmarks.figures import BYTES_SITES, FIGURES, SITES, Budget, Context

__all__ = ["main", "run"]

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "latest.json"


def run(figures: list[str], budget: Budget, *, echo: bool = True) -> list[FigureResult]:
    """Start the bytes server (and the emulator, when a figure asks for it), measure
    ``figures`` in order, return the rows."""
    results: list[FigureResult] = []
    with start_bytes_server(BYTES_SITES) as server, contextlib.ExitStack() as stack:
        ctx = Context(server, budget, lambda: stack.enter_context(start_emulator(SITES)))
        for name in figures:
            started = time.perf_counter()
            try:
                rows = FIGURES[name](ctx)
            except Exception as exc:  # one broken figure must not hide the others
                rows = [FigureResult(name, f"figure {name}", "", "", skipped=f"error: {exc!r}")]
            results.extend(rows)
            if echo:
                took = time.perf_counter() - started
                print(f"  figure {name}: {took:.1f} s", file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    """Command line entry point; returns the exit status (0, also when targets are missed)."""
    parser = argparse.ArgumentParser(description="FoxAPI side-by-side benchmarks (issue 7).")
    parser.add_argument("--quick", action="store_true", help="few samples: proves the suite runs")
    parser.add_argument("--only", nargs="+", choices=list(FIGURES), help="figures to run")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write JSON")
    args = parser.parse_args(argv)
    budget = Budget.quick() if args.quick else Budget()
    figures = args.only or list(FIGURES)
    started = time.perf_counter()
    results = run(figures, budget)
    took = time.perf_counter() - started
    table = format_table(results)
    print(table)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "mode": "quick" if args.quick else "full",
        "seconds": round(took, 1),
        "machine": machine(),
        "results": [r.to_json() for r in results],
        "table": table,
    }
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"\n{len(results)} rows in {took:.1f} s; JSON: {args.json}", file=sys.stderr)
    errors = [r for r in results if r.skipped and r.skipped.startswith("error")]
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
