"""The langchain-tests integration suites replayed from vcrpy cassettes (``cassettes/langchain``).

Replay (the default) needs no server and no network: requests go to ``https://api.foxapi.cc``
and are answered from the cassettes; a request with no recorded answer, or a missing cassette,
fails (``record_mode="none"``, network blocked) instead of reaching the network.

Re-recording (documented switch ``FOXAPI_RECORD=1``):

- ``FOXAPI_RECORD=1 pytest tests/langchain/test_standard_cassettes.py`` records against the
  emulator on a loopback socket (request URLs are rewritten to ``https://api.foxapi.cc``);
- ``FOXAPI_RECORD=1 FOXAPI_API_KEY=sk-... pytest tests/langchain/test_standard_cassettes.py``
  records against the real service.

``Authorization`` headers are replaced by ``PLACEHOLDER`` before anything is written, and
``test_cassettes_hold_no_secret`` checks every cassette for keys.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import test_standard as base
from langchain_tests.conftest import base_vcr_config
from lc_support import EMULATOR
from vcr.request import Request

from foxapi_core.testing import vcr_secret_filters

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "langchain"
CANONICAL = "https://api.foxapi.cc"
RECORD = os.environ.get("FOXAPI_RECORD") == "1"
REAL_SERVICE = RECORD and bool(os.environ.get("FOXAPI_API_KEY"))
REPLAY_KEY = "sk-cassette-replay"

_fixtures = ["local_media"] + (["emulator"] if RECORD and not REAL_SERVICE else [])
pytestmark = [pytest.mark.vcr, pytest.mark.usefixtures(*_fixtures)]
if not RECORD:
    pytestmark.append(pytest.mark.block_network)  # replay never opens a socket


def _canonical_request(request: Request) -> Request:
    """Recorded against the emulator: store its requests as if sent to the real host."""
    if request.uri.startswith(EMULATOR.base_url):
        request.uri = CANONICAL + request.uri[len(EMULATOR.base_url) :]
    return request


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """langchain-tests' base config: auth headers redacted; replay-only unless recording."""
    config = base_vcr_config()
    config["record_mode"] = "all" if RECORD else "none"
    config["cassette_library_dir"] = str(CASSETTES)
    config["match_on"] = ["method", "uri", "foxapi_body"]
    config["filter_headers"] = [*config["filter_headers"], ("cookie", "PLACEHOLDER")]
    # The recording key is hidden wherever a server might echo it, not only in the header.
    secrets = vcr_secret_filters(os.environ.get("FOXAPI_API_KEY"), EMULATOR.api_key)
    scrub = secrets["before_record_request"]
    config["before_record_response"] = secrets["before_record_response"]
    if RECORD and not REAL_SERVICE:
        config["before_record_request"] = lambda r: scrub(_canonical_request(r))
    else:
        config["before_record_request"] = scrub
    return config


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    """All cassettes of this module live in ``cassettes/langchain``."""
    return str(CASSETTES)


class _Cassettes:
    """Mixin: the model talks to the canonical host (replay) or to what is being recorded."""

    model_id: str
    extra_params: dict[str, Any]

    @property
    def chat_model_params(self) -> dict[str, Any]:
        if REAL_SERVICE:
            where: dict[str, Any] = {}  # FOXAPI_API_KEY and the default base URL
        elif RECORD:
            where = {"base_url": EMULATOR.base_url, "api_key": EMULATOR.api_key}
        else:
            where = {"base_url": CANONICAL, "api_key": REPLAY_KEY}
        return {"model": self.model_id, **where, **self.extra_params}

    @property
    def enable_vcr_tests(self) -> bool:
        return True


class TestGeminiCassettes(_Cassettes, base.TestGeminiIntegration):
    """gemini-3.1-pro-preview from cassettes."""


class TestClaudeCassettes(_Cassettes, base.TestClaudeIntegration):
    """claude-sonnet-4-6 from cassettes."""


class TestGPTCassettes(_Cassettes, base.TestGPTIntegration):
    """gpt-5.5 from cassettes."""


class TestKimiCassettes(_Cassettes, base.TestKimiIntegration):
    """kimi-k2.6 from cassettes."""


def test_cassettes_hold_no_secret() -> None:
    """No cassette carries an Authorization value or a key."""
    files = sorted(CASSETTES.glob("*.yaml"))
    assert files, f"no cassettes in {CASSETTES}; record them with FOXAPI_RECORD=1"
    secrets = {"Bearer ", "sk-emulator", os.environ.get("FOXAPI_API_KEY") or "Bearer "}
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, f"{path.name} contains {secret[:6]}..."
