"""Fixtures for the LlamaIndex adapter tests: a ``FoxAPI`` factory bound to the emulator.

The emulator runs on a loopback socket (the ``foxapi_emulator`` fixture of ``foxapi_core.testing``)
and is reset before each test, so its counters belong to the test that reads them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from foxapi_core.emulator import RunningEmulator
from llama_index_foxapi import FoxAPI

#: The three model families every method is tested with; claude-* requires max_tokens.
MODELS: dict[str, dict[str, Any]] = {
    "gemini-3.1-pro-preview": {},
    "claude-sonnet-4-6": {"max_tokens": 256},
    "kimi-k2.6": {},
}

MakeLLM = Callable[..., FoxAPI]


@pytest.fixture
def emu(foxapi_emulator: RunningEmulator) -> RunningEmulator:
    """The emulator, reset for this test."""
    return foxapi_emulator


@pytest.fixture
def make_llm(emu: RunningEmulator) -> MakeLLM:
    """Build a ``FoxAPI`` pointed at the emulator: ``make_llm("kimi-k2.6", temperature=0)``."""

    def make(model: str = "gemini-3.1-pro-preview", **kwargs: Any) -> FoxAPI:
        settings = {**MODELS.get(model, {}), **kwargs}
        return FoxAPI(model=model, api_key=emu.api_key, base_url=emu.base_url, **settings)

    return make
