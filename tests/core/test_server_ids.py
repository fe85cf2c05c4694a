"""What the server sends that goes into a URL, or that names a task, is checked before use.

A hostile or broken gateway is played by an ``httpx.MockTransport`` handler (no socket): it
records every request, so each test proves that nothing left for another path.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from foxapi_core import (
    AsyncFoxAPIClient,
    FoxAPIClient,
    ProtocolError,
    SubmitOutcomeUnknownError,
    TextRequest,
)

BASE = "http://127.0.0.1:9"
GOOD_ID = "task-llmrouter-1776874481-rj6bs3yb"
REQUEST = TextRequest(model="gemini-2.5-pro", prompt="hi")


def _task(task_id: Any, **fields: Any) -> dict[str, Any]:
    return {"id": task_id, "object": "llm.generation.task", "type": "llm",
            "model": "gemini-2.5-pro", "status": "pending", "progress": 0, "created": 1,
            "stream": None, "results": None, "error": None, **fields}  # fmt: skip


def _completion(text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 1,
            "model": "gemini-2.5-pro", "usage": {"prompt_tokens": 1, "completion_tokens": 1,
            "total_tokens": 2}, "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": text}}]}  # fmt: skip


Handler = Callable[[httpx.Request], httpx.Response]


def _server(submit: httpx.Response, poll: Handler | None = None) -> tuple[Handler, list[str]]:
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.raw_path.decode()}")
        if request.method == "POST":
            return submit
        if poll is not None and request.url.path.startswith("/v1/tasks/"):
            return poll(request)
        return httpx.Response(404, json={"error": {"message": "no", "type": "not_found"}})

    return handle, seen


def _sync(handler: Handler) -> FoxAPIClient:
    http = httpx.Client(transport=httpx.MockTransport(handler), base_url=BASE)
    return FoxAPIClient(api_key="sk-test", base_url=BASE, http_client=http)


def _async(handler: Handler) -> AsyncFoxAPIClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url=BASE)
    return AsyncFoxAPIClient(api_key="sk-test", base_url=BASE, http_client=http)


BAD_IDS = [
    "../../../v1/account/credits",
    "task-1/../../v1/account/credits",
    "task%2f..%2fcredits",
    "task-1?x=1",
    "task-1#frag",
    "task 1",
    "task-é",
    "t" * 300,
    "",
    None,
    42,
]


@pytest.mark.parametrize("bad", BAD_IDS, ids=repr)
@pytest.mark.parametrize("transport", ["poll", "stream"])
def test_unsafe_task_id_from_submit_is_refused_and_never_requested(
    bad: Any, transport: str
) -> None:
    handler, seen = _server(httpx.Response(200, json=_task(bad)))
    expected = (ProtocolError, SubmitOutcomeUnknownError)
    with _sync(handler) as client, pytest.raises(expected) as info:
        client.generate(REQUEST, transport=transport)  # type: ignore[arg-type]
    assert seen == ["POST /v1/llm/generations"]  # nothing followed the id
    if isinstance(bad, str):  # a string that is no safe id: the raw value is kept
        assert isinstance(info.value, ProtocolError) and info.value.raw_value == bad


async def test_unsafe_task_id_from_submit_is_refused_async() -> None:
    handler, seen = _server(httpx.Response(200, json=_task("../../../v1/account/credits")))
    async with _async(handler) as client:
        with pytest.raises(ProtocolError) as info:
            await client.generate(REQUEST, transport="poll")
    assert info.value.raw_value == "../../../v1/account/credits"
    assert seen == ["POST /v1/llm/generations"]


@pytest.mark.parametrize(
    "body",
    [b'{"id": "task-llm-1-abcdefgh", "object": "llm.gen', b"<html><body>OK</body></html>",
     b'{"object": "llm.generation.task", "status": "pending"}', b""],
    ids=["truncated", "html", "no-id", "empty"],
)  # fmt: skip
def test_unusable_2xx_submit_answer_is_outcome_unknown(body: bytes) -> None:
    handler, seen = _server(httpx.Response(200, content=body))
    with _sync(handler) as client, pytest.raises(SubmitOutcomeUnknownError) as info:
        client.generate(REQUEST, transport="poll")
    assert "task list" in str(info.value)
    assert seen == ["POST /v1/llm/generations"]  # and never re-sent


def test_poll_answer_about_another_task_is_refused() -> None:
    other = _task("task-llmrouter-1776874481-zzzzzzzz", status="completed",
                  results=[_completion("someone else's answer")])  # fmt: skip
    handler, seen = _server(
        httpx.Response(200, json=_task(GOOD_ID)), poll=lambda _: httpx.Response(200, json=other)
    )
    with _sync(handler) as client, pytest.raises(ProtocolError) as info:
        client.generate(REQUEST, transport="poll")
    assert info.value.raw_value == "task-llmrouter-1776874481-zzzzzzzz"
    assert info.value.task_id == GOOD_ID
    assert seen[1] == f"GET /v1/tasks/{GOOD_ID}"


async def test_poll_answer_about_another_task_is_refused_async() -> None:
    other = _task("task-other-1", status="completed", results=[_completion("not ours")])
    handler, _ = _server(
        httpx.Response(200, json=_task(GOOD_ID)), poll=lambda _: httpx.Response(200, json=other)
    )
    async with _async(handler) as client:
        with pytest.raises(ProtocolError):
            await client.get_task(GOOD_ID)


@pytest.mark.parametrize(
    "url", ["/v1/account/credits", "https://evil.example/steal", "/v1/llm/generations/x/stream"]
)
def test_stream_url_other_than_the_documented_path_is_not_followed(url: str) -> None:
    done = _task(GOOD_ID, status="completed", results=[_completion("hello")])
    handler, seen = _server(
        httpx.Response(200, json=_task(GOOD_ID, stream={"url": url})),
        poll=lambda _: httpx.Response(200, json=done),
    )
    with _sync(handler) as client:
        assert client.generate(REQUEST, transport="stream").text == "hello"
    paths = [line.split(" ", 1)[1].split("?")[0] for line in seen]
    assert f"/v1/llm/generations/{GOOD_ID}/stream" in paths
    assert all(p in ("/v1/llm/generations", f"/v1/llm/generations/{GOOD_ID}/stream",
                     f"/v1/tasks/{GOOD_ID}") for p in paths), paths  # fmt: skip
    assert json.dumps(seen).count("credits") == 0
