"""pytest fixtures for testing code that uses FoxAPI, offline, against the emulator.

Registered automatically as a pytest plugin when foxapi-integrations is installed (it imports
nothing heavy until a fixture is used, and needs the ``emulator`` extra only then).

Fixtures:
    foxapi_emulator_server: one emulator per test session on a free loopback port.
    foxapi_emulator: the same server, reset (tasks, counters, faults) before each test.
    foxapi_env: ``FOXAPI_API_KEY`` and ``FOXAPI_BASE_URL`` pointed at the emulator for one test.

Cassettes (vcrpy, pytest-recording): :func:`vcr_secret_filters` keeps the key out of every
recorded request and answer, including an answer that echoes it.

Example:
    >>> def test_answer(foxapi_emulator):
    ...     client = FoxAPIClient(api_key=foxapi_emulator.api_key,
    ...                           base_url=foxapi_emulator.base_url)
    ...     assert client.generate(TextRequest(model="gemini-2.5-pro", prompt="hi")).text
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .emulator import RunningEmulator

__all__ = [
    "REDACTED",
    "foxapi_emulator",
    "foxapi_emulator_server",
    "foxapi_env",
    "vcr_secret_filters",
]

#: What a secret is replaced with in a cassette.
REDACTED = "[redacted]"


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


def _redact(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, bytes):
        for secret in secrets:
            value = value.replace(secret.encode(), REDACTED.encode())
    elif isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, REDACTED)
    elif isinstance(value, list):
        value = [_redact(v, secrets) for v in value]
    elif isinstance(value, dict):
        value = {k: _redact(v, secrets) for k, v in value.items()}
    return value


def vcr_secret_filters(*secrets: str | None) -> dict[str, Any]:
    """vcrpy settings that keep ``secrets`` (your API key) out of every cassette.

    ``filter_headers`` only covers the ``Authorization`` header of requests. A gateway that
    echoes the header in an error body, a proxy that reflects it in a response header, or a key
    pasted into a prompt would still be written to disk; the hooks returned here replace each
    secret in every recorded URL, request body, response header and response body.

    Args:
        secrets: The values to hide; ``None`` and empty values are ignored, so
            ``vcr_secret_filters(os.environ.get("FOXAPI_API_KEY"))`` is safe when unset.

    Returns:
        Keyword arguments for ``vcr.VCR(...)``, or the dict a pytest-recording ``vcr_config``
        fixture returns. Merge your own ``filter_headers`` into the list if you have more.

    Example::

        @pytest.fixture(scope="module")
        def vcr_config():
            return vcr_secret_filters(os.environ.get("FOXAPI_API_KEY"))
    """
    kept = tuple(s for s in secrets if s)

    def request(recorded: Any) -> Any:
        recorded.uri = _redact(recorded.uri, kept)
        if recorded.body:
            recorded.body = _redact(recorded.body, kept)
        for name in list(recorded.headers):
            recorded.headers[name] = _redact(recorded.headers[name], kept)
        return recorded

    def response(recorded: dict[str, Any]) -> dict[str, Any]:
        return dict(_redact(recorded, kept))

    hooks: dict[str, Callable[[Any], Any]] = {
        "before_record_request": request,
        "before_record_response": response,
    }
    return {"filter_headers": [("authorization", REDACTED)], **hooks}
