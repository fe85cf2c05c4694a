"""The benchmark suite runs: its emulator process starts, a tiny figure measures, the table prints.

The figures themselves are run by ``python benchmarks/run.py`` (``--quick`` in CI); this only
proves the plumbing works, in a few seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> object:
    """The ``benchmarks`` package, importable from the repository root."""
    pytest.importorskip("uvicorn")
    monkeypatch.syspath_prepend(str(ROOT))
    for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        monkeypatch.delitem(sys.modules, name)
    import benchmarks.figures

    return benchmarks


def test_one_tiny_figure_runs(bench: object) -> None:
    from benchmarks._harness import format_table
    from benchmarks.figures import Budget
    from benchmarks.run import run

    budget = Budget(call_rounds=3, sequential_calls=5, warmup=1)
    results = run(["1", "B14b"], budget, echo=False)
    assert [r.figure for r in results] == ["1", "B14b"]
    assert all(r.skipped is None and r.ours is not None for r in results)
    assert results[0].reference is not None and results[0].ratio is not None
    assert "| 1 | FoxAPIClient.generate" in format_table(results)


def test_poll_count_is_simulated(bench: object) -> None:
    from benchmarks.figures import simulate_poll

    polls, added = simulate_poll(60.0)
    assert 1 <= polls <= 30 and added >= 0
