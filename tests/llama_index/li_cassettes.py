"""Cassette support for the LlamaIndex tests (``cassettes/llama_index``), used by test_cassettes.

Replay (the default) answers every request from a vcrpy cassette: the LLM talks to
``https://api.foxapi.cc`` with a dummy key, a request with no recorded answer or a missing cassette
fails, and the test module blocks the network. ``FOXAPI_RECORD=1`` re-records against the emulator
(whose key is set to :data:`CANARY_KEY` for the test, URLs rewritten to the canonical host);
``FOXAPI_RECORD=1 FOXAPI_API_KEY=sk-...`` records against the real service.

In replay there is no emulator, so :class:`ReplayedEmulator` rebuilds what the reused test bodies
read from it (``counters`` and ``tasks[...].request``) from the interactions the test played.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vcr import VCR  # type: ignore[import-untyped]
from vcr.cassette import Cassette  # type: ignore[import-untyped]
from vcr.request import Request  # type: ignore[import-untyped]

from foxapi_core.testing import vcr_secret_filters

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes" / "llama_index"
CANONICAL = "https://api.foxapi.cc"
RECORD = os.environ.get("FOXAPI_RECORD") == "1"
REAL_SERVICE = RECORD and bool(os.environ.get("FOXAPI_API_KEY"))
REPLAY_KEY = "sk-cassette-replay"
#: The emulator's key while recording: a test greps every cassette for it.
CANARY_KEY = "sk-canary-llamaindex-5e0c2f9a71d4"

SUBMIT_PATH = "/v1/llm/generations"
POLL_PREFIX = "/v1/tasks/"


def normalized_body(body: bytes | str | None) -> Any:
    """A JSON request body with tool-call ids replaced by their order of appearance.

    The ids the client sends back come from recorded answers, so they match already; renaming them
    keeps a re-recording (fresh random ids) from depending on them anyway.
    """
    if body is None:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if not isinstance(data, dict):
        return data
    ids: dict[str, str] = {}
    for message in data.get("messages") or ():
        if not isinstance(message, dict):
            continue
        for call in message.get("tool_calls") or ():
            if isinstance(call, dict) and isinstance(call.get("id"), str):
                call["id"] = ids.setdefault(call["id"], f"tool-call-{len(ids)}")
        if isinstance(message.get("tool_call_id"), str):
            key = message["tool_call_id"]
            message["tool_call_id"] = ids.setdefault(key, f"tool-call-{len(ids)}")
    return data


def body_matcher(r1: Request, r2: Request) -> None:
    """vcrpy matcher: JSON bodies equal up to tool-call ids."""
    assert normalized_body(r1.body) == normalized_body(r2.body)


def cassette_path(module: str, test_name: str) -> Path:
    """``cassettes/llama_index/<module of the test body>.<test name>.yaml``."""
    return CASSETTES / f"{module}.{test_name}.yaml"


def _canonical(base_url: str) -> Any:
    def rewrite(request: Request) -> Request:
        if request.uri.startswith(base_url):
            request.uri = CANONICAL + request.uri[len(base_url) :]
        return request

    return rewrite


def _vcr(record_base_url: str | None) -> VCR:
    # The recording key is hidden wherever a server might echo it, not only in the header.
    secrets = vcr_secret_filters(os.environ.get("FOXAPI_API_KEY"), CANARY_KEY)
    scrub = secrets["before_record_request"]
    canonical = _canonical(record_base_url) if record_base_url else (lambda r: r)
    vcr = VCR(
        record_mode="all" if RECORD else "none",
        match_on=["method", "scheme", "host", "port", "path", "query", "foxapi_body"],
        filter_headers=[("authorization", "PLACEHOLDER"), "cookie", "host"],
        decode_compressed_response=True,
        before_record_request=lambda r: scrub(canonical(r)),
        before_record_response=secrets["before_record_response"],
    )
    vcr.register_matcher("foxapi_body", body_matcher)
    return vcr


@contextmanager
def use_cassette(path: Path, record_base_url: str | None) -> Iterator[Cassette]:
    """Replay ``path`` (which must exist), or record into it when :data:`RECORD` is set."""
    if not RECORD and not path.is_file():
        raise AssertionError(f"missing cassette {path.name}; record it with FOXAPI_RECORD=1")
    with _vcr(record_base_url).use_cassette(str(path)) as cassette:
        yield cassette


# --- what the reused test bodies read from the emulator, rebuilt from played interactions -------


@dataclass
class ReplayedCounters:
    """The emulator's request counters for the played part of a cassette."""

    submits: int = 0
    submit_attempts: int = 0
    polls: int = 0
    stream_requests: int = 0
    requests: int = 0
    log: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class ReplayedTask:
    """A task as the emulator stores it; only ``request`` (the submitted body) is rebuilt."""

    id: str
    request: dict[str, Any]


class ReplayedEmulator:
    """Read-only stand-in for ``Emulator`` (``counters``, ``tasks``) during a replay."""

    def __init__(self, cassette: Cassette) -> None:
        self._cassette = cassette

    def _played(self) -> list[tuple[Request, Any]]:
        counts = self._cassette.play_counts
        return [pair for index, pair in enumerate(self._cassette.data) if counts[index]]

    @property
    def counters(self) -> ReplayedCounters:
        counters = ReplayedCounters()
        for request, response in self._played():
            counters.requests += 1
            counters.log.append((request.method, request.path, str(request.query)))
            if request.method == "POST" and request.path == SUBMIT_PATH:
                counters.submit_attempts += 1
                counters.submits += int(response["status"]["code"] < 300)
            elif request.method == "GET" and request.path.startswith(POLL_PREFIX):
                counters.polls += 1
            elif request.method == "GET" and request.path.endswith("/stream"):
                counters.stream_requests += 1
        return counters

    @property
    def tasks(self) -> dict[str, ReplayedTask]:
        tasks: dict[str, ReplayedTask] = {}
        for request, response in self._played():
            if request.method != "POST" or request.path != SUBMIT_PATH:
                continue
            if response["status"]["code"] >= 300:
                continue
            task_id = str(json.loads(response["body"]["string"])["id"])
            tasks[task_id] = ReplayedTask(task_id, json.loads(request.body))
        return tasks


@dataclass
class ReplayedRunning:
    """Stand-in for ``RunningEmulator`` during a replay: the canonical host and a dummy key."""

    emulator: ReplayedEmulator
    base_url: str = CANONICAL
    api_key: str = field(default=REPLAY_KEY, repr=False)
