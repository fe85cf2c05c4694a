"""The cookie workaround (``foxapi_core._cookies``): httpx's jar is skipped for responses that
set no cookie, and cookies still work exactly as in httpx when one is set."""

from __future__ import annotations

import asyncio
from http.cookiejar import CookieJar

import httpx
import pytest

from foxapi_core import AsyncFoxAPIClient, FoxAPIClient
from foxapi_core._cookies import SetCookieOnly, skip_cookieless_extraction


def _server(seen: list[str | None]) -> httpx.MockTransport:
    """``/set`` sets a cookie, anything else sets none; every request's Cookie header is kept."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("cookie"))
        if request.url.path == "/set":
            return httpx.Response(200, headers={"Set-Cookie": "lb=node-7; Path=/"})
        return httpx.Response(200, json={})

    return httpx.MockTransport(handle)


def _count_jar_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls: list[int] = []
    original = CookieJar.extract_cookies

    def counting(self: CookieJar, response: object, request: object) -> None:
        calls.append(1)
        original(self, response, request)  # type: ignore[arg-type]

    monkeypatch.setattr(CookieJar, "extract_cookies", counting)
    return calls


def test_a_response_without_set_cookie_never_reaches_the_jar(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls = _count_jar_calls(monkeypatch)
    seen: list[str | None] = []
    with httpx.Client(transport=_server(seen), base_url="http://t") as http:
        skip_cookieless_extraction(http)
        for _ in range(3):
            http.get("/plain")
    assert calls == []
    # the same client without the workaround: httpx offers every response to the jar
    with httpx.Client(transport=_server(seen), base_url="http://t") as http:
        for _ in range(3):
            http.get("/plain")
    assert len(calls) == 3


def test_a_set_cookie_is_still_kept_and_sent_back(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_jar_calls(monkeypatch)
    seen: list[str | None] = []
    with httpx.Client(transport=_server(seen), base_url="http://t") as http:
        http.cookies.set("before", "1", domain="t.local")
        skip_cookieless_extraction(http)
        assert isinstance(http.cookies, SetCookieOnly)
        assert http.cookies.get("before") == "1"  # the cookies it already had are kept
        http.get("/set")
        http.get("/plain")
    assert len(calls) == 1
    assert "lb=" not in (seen[0] or "")
    assert "lb=node-7" in (seen[1] or "")


def test_the_async_client_behaves_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _count_jar_calls(monkeypatch)
    seen: list[str | None] = []

    async def run() -> None:
        async with httpx.AsyncClient(transport=_server(seen), base_url="http://t") as http:
            skip_cookieless_extraction(http)
            await http.get("/plain")
            await http.get("/set")
            await http.get("/plain")

    asyncio.run(run())
    assert len(calls) == 1
    assert seen == [None, None, "lb=node-7"]


def test_our_own_clients_get_it_and_a_callers_client_is_left_alone() -> None:
    """Fails if an httpx release moves the jar: the workaround would then silently stop."""
    with FoxAPIClient(api_key="sk-test", base_url="http://127.0.0.1:9") as client:
        assert type(client._http._cookies) is SetCookieOnly
    with (
        httpx.Client() as mine,
        FoxAPIClient(api_key="sk-test", base_url="http://127.0.0.1:9", http_client=mine),
    ):
        assert type(mine._cookies) is httpx.Cookies

    async def pool_jar() -> type:
        async with AsyncFoxAPIClient(api_key="sk-test", base_url="http://127.0.0.1:9") as client:
            pool, _ = await client._http()
            return type(pool._cookies)

    assert asyncio.run(pool_jar()) is SetCookieOnly
