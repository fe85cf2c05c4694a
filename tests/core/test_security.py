"""Secret hygiene, redirects, schemes, TLS and URL injection (issue 6, bar 4.11-4.13)."""

from __future__ import annotations

import asyncio
import http.server
import logging
import pickle
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from foxapi_core import (
    APIStatusError,
    AsyncFoxAPIClient,
    ConfigurationError,
    FoxAPIClient,
    FoxAPIError,
    RequestValidationError,
    TextRequest,
    Timeouts,
)
from foxapi_core._config import ClientConfig, is_loopback_host
from foxapi_core.emulator import RunningEmulator

CANARY = "sk-canary-5f1d0c3e9a7b4e21"
TEXT = TextRequest(model="gemini-2.5-pro", prompt="Name three rivers")


def _leaks(*texts: object) -> list[str]:
    return [str(t) for t in texts if CANARY in str(t)]


# --- the canary key never shows -----------------------------------------------------------------


def test_canary_key_is_in_no_repr_or_str_of_public_objects() -> None:
    sync = FoxAPIClient(api_key=CANARY, base_url="http://127.0.0.1:9")
    async_ = AsyncFoxAPIClient(api_key=CANARY, base_url="http://127.0.0.1:9")
    config = ClientConfig.resolve(api_key=CANARY)
    objects: list[Any] = [sync, async_, sync.config, async_.config, config, config.api_key]
    try:
        assert _leaks(*objects, *(repr(o) for o in objects), config.model_dump()) == []
        assert CANARY not in config.model_dump_json()
    finally:
        sync.close()


def test_canary_key_is_in_no_error_and_no_debug_log(
    foxapi_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Successful calls, a refused key, and faults, with every logger (foxapi, httpx, httpcore)
    at DEBUG: the key appears nowhere, also not in pickled errors."""
    caplog.set_level(logging.DEBUG)
    emu = foxapi_emulator.emulator
    emu.config.api_key = CANARY  # the emulator accepts the canary: successful calls too
    errors: list[BaseException] = []
    with FoxAPIClient(api_key=CANARY, base_url=foxapi_emulator.base_url) as client:
        for transport in ("stream", "poll", "sync"):
            assert client.generate(TEXT, transport=transport).text  # type: ignore[arg-type]
        emu.faults.fail("poll", 500, times=10)
        emu.faults.cut_stream(after_chunks=1)
        for op in (
            lambda: client.generate(TEXT, transport="poll", deadline=2),
            lambda: client.get_task("task-llm-1-unknown"),
            lambda: client.get_task("../etc/passwd"),
        ):
            with pytest.raises(FoxAPIError) as info:
                op()
            errors.append(info.value)
    emu.config.api_key = "sk-someone-else"  # now the canary is refused (401)
    with FoxAPIClient(api_key=CANARY, base_url=foxapi_emulator.base_url) as client:
        with pytest.raises(FoxAPIError) as info:
            client.generate(TEXT)
        errors.append(info.value)

    async def async_calls() -> None:
        async with AsyncFoxAPIClient(api_key=CANARY, base_url=foxapi_emulator.base_url) as ac:
            with pytest.raises(FoxAPIError) as info:
                await ac.generate(TEXT)
            errors.append(info.value)

    asyncio.run(async_calls())
    assert len(errors) == 5
    for error in errors:
        chain = [error, error.__cause__, error.__context__]
        assert _leaks(*chain, *(repr(e) for e in chain), pickle.loads(pickle.dumps(error))) == []
        assert CANARY not in repr(vars(error))
    assert {r.name.split(".")[0] for r in caplog.records} >= {"httpx", "httpcore"}
    assert _leaks(*(r.getMessage() for r in caplog.records), caplog.text) == []


# --- redirects ----------------------------------------------------------------------------------


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A tiny server: ``redirect_to`` set → answers 307 there; else records the headers."""

    redirect_to: str | None = None
    seen: list[dict[str, str]]

    def _answer(self) -> None:
        self.seen.append(dict(self.headers.items()))
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)
        if self.redirect_to:
            self.send_response(307)
            self.send_header("Location", self.redirect_to + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        body = b'{"id": "task-llm-1-stolen", "status": "pending"}'
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def _serve(redirect_to: str | None) -> tuple[http.server.ThreadingHTTPServer, list[dict[str, str]]]:
    seen: list[dict[str, str]] = []
    handler = type("Handler", (_Recorder,), {"redirect_to": redirect_to, "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


@pytest.fixture
def redirecting() -> Iterator[tuple[str, list[dict[str, str]], list[dict[str, str]]]]:
    """(base URL of a server that redirects to another origin, its requests, the other's)."""
    other, other_seen = _serve(None)
    port = other.server_address[1]
    # Another origin: another host (127.0.0.2 is loopback on Linux, but localhost works too)
    front, front_seen = _serve(f"http://localhost:{port}")
    try:
        yield f"http://127.0.0.1:{front.server_address[1]}", front_seen, other_seen
    finally:
        for server in (front, other):
            server.shutdown()
            server.server_close()


@pytest.mark.parametrize("operation", ["submit", "get_task"])
def test_cross_origin_redirect_is_not_followed_and_gives_a_clear_error(
    redirecting: tuple[str, list[dict[str, str]], list[dict[str, str]]], operation: str
) -> None:
    base_url, front_seen, other_seen = redirecting
    with (
        FoxAPIClient(api_key=CANARY, base_url=base_url) as client,
        pytest.raises(APIStatusError) as info,
    ):
        if operation == "submit":
            client.submit(TEXT)
        else:
            client.get_task("task-llm-1-abc")
    assert info.value.status == 307
    assert "redirect" in str(info.value) and "localhost" in str(info.value)
    assert len(front_seen) == 1  # not retried either
    assert other_seen == []  # the other origin never saw a request, let alone the key


async def test_cross_origin_redirect_is_not_followed_async(
    redirecting: tuple[str, list[dict[str, str]], list[dict[str, str]]],
) -> None:
    base_url, _, other_seen = redirecting
    async with AsyncFoxAPIClient(api_key=CANARY, base_url=base_url) as client:
        with pytest.raises(APIStatusError) as info:
            await client.generate(TEXT)
    assert info.value.status == 307
    assert other_seen == []


# --- schemes, loopback and TLS ------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "localhost.evil.com",
        "127.0.0.1.nip.io",
        "localhost.",
        "evil.com",
        "127.0.0.1.evil.com",
        "0x7f.evil.com",
        "[::1].evil.com",
    ],
)
def test_lookalike_hosts_are_not_loopback(host: str) -> None:
    assert not is_loopback_host(host)
    with pytest.raises(ConfigurationError):
        FoxAPIClient(api_key=CANARY, base_url=f"http://{host}:8000")


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1@evil.com",  # userinfo: the host is evil.com
        "http://localhost:80@evil.com:8000",
        "http://evil.com#@127.0.0.1",
    ],
)
def test_userinfo_and_fragment_tricks_do_not_pass_as_loopback(url: str) -> None:
    with pytest.raises(ConfigurationError):
        FoxAPIClient(api_key=CANARY, base_url=url)


@pytest.mark.parametrize(
    "url", ["http://evil.com\\@127.0.0.1", "http://[::1].evil.com:8000", "http://127.0.0.1:80x"]
)
def test_the_loopback_check_sees_the_host_that_httpx_would_connect_to(url: str) -> None:
    """Parser differentials: accepted only if httpx, which sends the request, agrees that the
    host is loopback (urllib reads "[::1].evil.com" as ::1; httpx refuses it)."""
    try:
        host = httpx.URL(url).host
    except httpx.InvalidURL:
        host = None
    if host is not None and is_loopback_host(host):
        FoxAPIClient(api_key=CANARY, base_url=url).close()
    else:
        with pytest.raises(ConfigurationError):
            FoxAPIClient(api_key=CANARY, base_url=url)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "[::1]"])
def test_real_loopback_hosts_may_use_http(host: str) -> None:
    FoxAPIClient(api_key=CANARY, base_url=f"http://{host}:8000").close()


def _assert_verifying(context: ssl.SSLContext) -> None:
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname


def test_tls_verification_is_on_by_default() -> None:
    with FoxAPIClient(api_key=CANARY) as client:
        assert client.config.base_url.startswith("https://")
        _assert_verifying(client._http._transport._pool._ssl_context)  # type: ignore[attr-defined]

    async def pool_context() -> ssl.SSLContext:
        async with AsyncFoxAPIClient(api_key=CANARY) as client:
            pool, _ = await client._http()
            shards = pool._transport.shards  # type: ignore[attr-defined]
            contexts = {id(s._pool._ssl_context) for s in shards}
            assert len(contexts) == 1  # one context, shared by the shards
            context: ssl.SSLContext = shards[0]._pool._ssl_context
            return context

    _assert_verifying(asyncio.run(pool_context()))


# --- no injection through task ids --------------------------------------------------------------

BAD_IDS = [
    "../configs/llm_generations_models",
    "task/../../x",
    "task?sync_upstream=true",
    "task#frag",
    "task%2F..",
    "",
    " task",
    "task\n",
    "task\r\nX-Injected: 1",
    "task id",
    "-task",
    ".",
    "..",
    "x" * 200,
]


@pytest.mark.parametrize("task_id", BAD_IDS)
def test_task_ids_are_validated_before_they_enter_a_path(
    foxapi_emulator: RunningEmulator, task_id: str
) -> None:
    with FoxAPIClient(api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url) as c:
        for operation in (c.get_task, c.wait, lambda t: list(c.stream(t))):
            with pytest.raises(RequestValidationError) as info:
                operation(task_id)
            assert info.value.field == "task_id"
    assert foxapi_emulator.emulator.counters.requests == 0


def test_user_text_cannot_change_the_request_url(foxapi_emulator: RunningEmulator) -> None:
    hostile = "?offset=5&x=1#/../../v1/tasks/../configs\r\nX-Injected: 1"
    with FoxAPIClient(api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url) as c:
        assert c.generate(TextRequest(model="gemini-2.5-pro", prompt=hostile)).text
    log = foxapi_emulator.emulator.counters.log
    assert [r.path for r in log if r.method == "POST"] == ["/v1/llm/generations"]
    assert all(r.query in ("", "offset=0") or r.query.startswith("offset=") for r in log)


def test_secret_str_key_is_accepted_and_still_hidden() -> None:
    with FoxAPIClient(api_key=SecretStr(CANARY), base_url="http://127.0.0.1:9") as client:
        assert CANARY not in repr(client) and CANARY not in repr(client.config)


def test_timeouts_object_carries_no_secret() -> None:
    assert CANARY not in repr(Timeouts())


# --- cassettes ----------------------------------------------------------------------------------


class _Echo(http.server.BaseHTTPRequestHandler):
    """A gateway that reflects the Authorization header in a response header and an error body."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        body = f'{{"error": {{"message": "bad {self.headers["Authorization"]}"}}}}'.encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Echo", self.headers["Authorization"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


def test_a_key_echoed_by_the_server_never_reaches_a_cassette(tmp_path: Any) -> None:
    """``vcr_secret_filters`` (what this project's cassette tests use, and offers to users)
    scrubs the key from the recorded answer's body and headers, not only the request header;
    the error the client raised while recording is scrubbed too."""
    import vcr  # type: ignore[import-untyped]

    from foxapi_core.testing import REDACTED, vcr_secret_filters

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    cassette = tmp_path / "echo.yaml"
    try:
        recorder = vcr.VCR(record_mode="all", **vcr_secret_filters(CANARY, None))
        with (
            recorder.use_cassette(str(cassette)),
            FoxAPIClient(api_key=CANARY, base_url=url) as client,
            pytest.raises(APIStatusError) as info,
        ):
            client.generate(TEXT)
    finally:
        server.shutdown()
        server.server_close()
    text = cassette.read_text()
    assert "x-echo" in text.lower() and "bad Bearer" in text  # the echo was recorded...
    assert CANARY not in text  # ...without the key
    assert text.count(REDACTED) >= 3  # request header, response header, response body
    assert _leaks(info.value, repr(info.value), info.value.body) == []
