"""pytest fixtures for testing code that uses FoxAPI, offline, against the emulator.

Registered automatically as a pytest plugin when foxapi-integrations is installed (it imports
nothing heavy until a fixture is used, and needs the ``emulator`` extra only then).

Fixtures:
    foxapi_emulator_server: one emulator per test session on a free loopback port.
    foxapi_emulator: the same server, reset (tasks, counters, faults) before each test.
    foxapi_env: ``FOXAPI_API_KEY`` and ``FOXAPI_BASE_URL`` pointed at the emulator for one test.

Example:
    >>> def test_answer(foxapi_emulator):
    ...     client = FoxAPIClient(api_key=foxapi_emulator.api_key,
    ...                           base_url=foxapi_emulator.base_url)
    ...     assert client.generate(TextRequest(model="gemini-2.5-pro", prompt="hi")).text
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .emulator import RunningEmulator

__all__ = ["foxapi_emulator", "foxapi_emulator_server", "foxapi_env"]


@pytest.fixture(scope="session")
def foxapi_emulator_server() -> Iterator[RunningEmulator]:
    """A FoxAPI emulator on a free loopback port, shared by the whole test session."""
    from .emulator import serve_in_thread

    with serve_in_thread() as running:
        yield running


@pytest.fixture
def foxapi_emulator(foxapi_emulator_server: RunningEmulator) -> Iterator[RunningEmulator]:
    """The session's emulator, with tasks, counters, faults and settings reset for this test.

    A test may change ``foxapi_emulator.emulator.config`` and ``.clock`` freely: both are
    restored afterwards.
    """
    emulator = foxapi_emulator_server.emulator
    initial = dataclasses.replace(emulator.config)
    clock = emulator.clock
    emulator.reset()
    try:
        yield foxapi_emulator_server
    finally:
        # A test may also travel in time (emulator.clock); a frozen clock left behind would
        # keep every later task of the session pending forever.
        emulator.clock = clock
        emulator.config = initial
        emulator.reset()


@pytest.fixture
def foxapi_env(
    foxapi_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> RunningEmulator:
    """Point ``FOXAPI_API_KEY`` / ``FOXAPI_BASE_URL`` at the emulator for one test."""
    monkeypatch.setenv("FOXAPI_API_KEY", foxapi_emulator.api_key)
    monkeypatch.setenv("FOXAPI_BASE_URL", foxapi_emulator.base_url)
    return foxapi_emulator
