"""Fixtures for the LangChain adapter tests, all offline.

- ``emulator``: the session's FoxAPI emulator on a loopback socket (``foxapi_core.testing``),
  reset before each test; its address is also published in ``lc_support.EMULATOR`` for the
  standard suites, whose ``chat_model_params`` is a property and cannot take fixtures.
- ``local_media``: langchain-tests downloads its image, audio and PDF fixtures with
  ``httpx.get``; this serves local stand-ins from ``tests/langchain/data`` and refuses any other
  URL, so no test reaches the internet.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from lc_support import EMULATOR, foxapi_body_matcher, local_get
from vcr import VCR

from foxapi_core.emulator import RunningEmulator


@pytest.fixture
def local_media(monkeypatch: pytest.MonkeyPatch) -> None:
    """Serve langchain-tests' media downloads from local files (never the network)."""
    monkeypatch.setattr(httpx, "get", local_get)
    # langchain-tests warns when it would fetch wikimedia's audio without a user agent; nothing is
    # fetched here, but say who would be asking.
    monkeypatch.setenv("LANGCHAIN_TESTS_USER_AGENT", "foxapi-integrations-tests (offline)")


@pytest.fixture
def emulator(foxapi_emulator: RunningEmulator) -> Iterator[RunningEmulator]:
    """The emulator, reset for this test, published in :data:`EMULATOR`."""
    EMULATOR.base_url = foxapi_emulator.base_url
    EMULATOR.api_key = foxapi_emulator.api_key
    yield foxapi_emulator


def pytest_recording_configure(config: pytest.Config, vcr: VCR) -> None:
    """Cassette matching: method, URI and the JSON body up to random tool-call ids."""
    vcr.register_matcher("foxapi_body", foxapi_body_matcher)
