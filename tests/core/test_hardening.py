"""Hostile or broken server answers and bad inputs (issue 13, items 3, 5, 6, 7): each is refused
with a project error before anything else is sent, sync and async."""

from __future__ import annotations

import asyncio
import http.server
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from foxapi_core import (
    AsyncFoxAPIClient,
    FoxAPIClient,
    FoxAPIError,
    ProtocolError,
    RequestValidationError,
    SubmitOutcomeUnknownError,
    TextRequest,
)
from foxapi_core.emulator import RunningEmulator

TEXT = TextRequest(model="gemini-2.5-pro", prompt="Name three rivers")
KEY = "sk-hardening-7c1e"


# --- a server that answers what the test says, and records every request ----------------------


class _Scripted(http.server.BaseHTTPRequestHandler):
    answers: dict[str, tuple[int, bytes]]
    seen: list[tuple[str, str]]

    def _answer(self) -> None:
        self.seen.append((self.command, self.path))
        self.rfile.read(int(self.headers.get("content-length") or 0))
        status, body = self.answers.get(self.command, (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


Serve = Callable[..., tuple[str, list[tuple[str, str]]]]


@pytest.fixture
def scripted() -> Iterator[Serve]:
    servers: list[http.server.ThreadingHTTPServer] = []

    def serve(**answers: tuple[int, bytes]) -> tuple[str, list[tuple[str, str]]]:
        seen: list[tuple[str, str]] = []
        handler = type("H", (_Scripted,), {"answers": answers, "seen": seen})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}", seen

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def _both(
    base_url: str,
    sync_call: Callable[[FoxAPIClient], object],
    async_call: Callable[[AsyncFoxAPIClient], Awaitable[object]],
) -> list[BaseException]:
    """Run the call on both clients; return the two errors raised."""
    errors: list[BaseException] = []
    with FoxAPIClient(api_key=KEY, base_url=base_url) as client:
        try:
            sync_call(client)
        except Exception as exc:
            errors.append(exc)

    async def run() -> None:
        async with AsyncFoxAPIClient(api_key=KEY, base_url=base_url) as client:
            try:
                await async_call(client)
            except Exception as exc:
                errors.append(exc)

    asyncio.run(run())
    assert len(errors) == 2, "both clients must raise"
    return errors


# --- item 5: server values that go into a URL ------------------------------------------------

HOSTILE_IDS = [
    "../../../v1/account/credits",
    "task%2f..%2fcredits",
    "task?x=1",
    "task#frag",
    "task id",
    "task\n",
    "tâsk",
    "t" * 200,
]


@pytest.mark.parametrize("raw", HOSTILE_IDS)
@pytest.mark.parametrize("transport", ["stream", "poll"])
def test_hostile_task_id_in_a_submit_answer_is_refused_and_nothing_else_is_sent(
    scripted: Serve, raw: str, transport: str
) -> None:
    import json

    body = json.dumps({"id": raw, "object": "llm.generation.task", "status": "pending"}).encode()
    url, seen = scripted(POST=(200, body), GET=(200, b'{"data": []}'))
    errors = _both(
        url,
        lambda c: c.generate(TEXT, transport=transport),  # type: ignore[arg-type]
        lambda c: c.generate(TEXT, transport=transport),  # type: ignore[arg-type]
    )
    for error in errors:
        assert isinstance(error, ProtocolError)
        assert error.raw_value == raw  # type: ignore[attr-defined]
    assert seen == [("POST", "/v1/llm/generations")] * 2  # no GET to any path


def test_a_task_answer_about_another_task_is_refused(scripted: Serve) -> None:
    body = b'{"id": "task-llm-2-other", "object": "llm.generation.task", "status": "pending"}'
    url, _ = scripted(GET=(200, body))
    errors = _both(
        url, lambda c: c.get_task("task-llm-1-mine"), lambda c: c.get_task("task-llm-1-mine")
    )
    for error in errors:
        assert isinstance(error, ProtocolError)
        assert error.raw_value == "task-llm-2-other"  # type: ignore[attr-defined]
        assert error.task_id == "task-llm-1-mine"


# --- item 7: broken answers raise project errors ---------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "task-llm-1-abc", "object": "llm.gen',  # truncated
        b"<html><body>502 Bad Gateway</body></html>",
        b'{"object": "llm.generation.task", "status": "pending"}',  # no id
    ],
)
def test_a_2xx_submit_without_a_readable_task_is_outcome_unknown(
    scripted: Serve, body: bytes
) -> None:
    url, seen = scripted(POST=(200, body))
    for error in _both(url, lambda c: c.submit(TEXT), lambda c: c.submit(TEXT)):
        assert isinstance(error, SubmitOutcomeUnknownError)
        assert error.status == 200
    assert seen == [("POST", "/v1/llm/generations")] * 2  # never re-sent


def test_list_models_on_null_data_raises_a_project_error(scripted: Serve) -> None:
    url, _ = scripted(GET=(200, b'{"data": null}'))
    for error in _both(url, lambda c: c.list_models(), lambda c: c.list_models()):
        assert isinstance(error, FoxAPIError)


def test_deeply_nested_models_answer_raises_a_project_error_not_recursion_error(
    scripted: Serve,
) -> None:
    url, _ = scripted(GET=(200, b'{"data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))
    for error in _both(url, lambda c: c.list_models(), lambda c: c.list_models()):
        assert isinstance(error, FoxAPIError)


# --- item 7: bad call options refused before anything is sent --------------------------------


@pytest.mark.parametrize(
    ("field", "sync_call", "async_call"),
    [
        (
            "deadline",
            lambda c: c.generate(TEXT, deadline=0),
            lambda c: c.generate(TEXT, deadline=0),
        ),
        (
            "deadline",
            lambda c: c.wait("task-llm-1-x", deadline=-1),
            lambda c: c.wait("task-llm-1-x", deadline=-1),
        ),
        (
            "offset",
            lambda c: list(c.stream("task-llm-1-x", offset=-5)),
            lambda c: c.stream("task-llm-1-x", offset=-5).__anext__(),
        ),
        (
            "transport",
            lambda c: c.generate(TEXT, transport="pigeon"),
            lambda c: c.generate(TEXT, transport="pigeon"),
        ),
    ],
)
def test_bad_call_options_are_refused_before_anything_is_sent(
    scripted: Serve, field: str, sync_call: Any, async_call: Any
) -> None:
    url, seen = scripted()
    for error in _both(url, sync_call, async_call):
        assert isinstance(error, RequestValidationError)
        assert error.field == field
        assert error.fix  # type: ignore[attr-defined]
    assert seen == []


# --- item 6: API keys ------------------------------------------------------------------------


def test_key_with_surrounding_whitespace_is_stripped_and_works(
    foxapi_emulator: RunningEmulator,
) -> None:
    padded = f"  {foxapi_emulator.api_key}\n"
    with FoxAPIClient(api_key=padded, base_url=foxapi_emulator.base_url) as client:
        assert client.generate(TEXT, transport="sync").text

    async def run() -> str:
        async with AsyncFoxAPIClient(api_key=padded, base_url=foxapi_emulator.base_url) as ac:
            return (await ac.generate(TEXT, transport="sync")).text

    assert asyncio.run(run())


def test_a_key_echoed_by_a_gateway_is_scrubbed_from_the_error_and_its_body(
    scripted: Serve,
) -> None:
    echo = f'{{"error": {{"message": "bad header Authorization: Bearer {KEY}"}}}}'.encode()
    url, _ = scripted(POST=(400, echo))
    for error in _both(url, lambda c: c.submit(TEXT), lambda c: c.submit(TEXT)):
        assert isinstance(error, FoxAPIError)
        assert "[redacted]" in str(error)
        for text in (str(error), repr(error), repr(vars(error))):
            assert KEY not in text
