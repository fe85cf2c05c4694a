"""The pytest plugin's fixtures isolate tests that share the session's emulator.

The two tests below run in file order: the first leaves a frozen clock and odd settings behind,
the second must not see them (a frozen clock once kept every later task pending forever).
"""

from __future__ import annotations

import time

from foxapi_core.emulator import RunningEmulator


def test_a_test_may_freeze_time_and_change_settings(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.clock = lambda: 0.0
    foxapi_emulator.emulator.config.processing_delay = 99.0
    foxapi_emulator.emulator.faults.cut_stream(after_chunks=1)


def test_the_next_test_gets_a_fresh_emulator(foxapi_emulator: RunningEmulator) -> None:
    emulator = foxapi_emulator.emulator
    assert emulator.clock is time.monotonic
    assert emulator.config.processing_delay == 0.0
    assert len(emulator.faults) == 0
    assert emulator.counters.requests == 0
