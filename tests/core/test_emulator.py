"""Tests of ``foxapi_core.emulator`` against loopback only.

In-process tests use ``httpx.ASGITransport`` (async, buffered bodies); anything that needs real
streaming (pacing, cuts, stalls, heartbeats, dropped connections) runs over a socket with
``serve_in_thread`` and a sync ``httpx.Client``.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

import foxapi_core.emulator as emulator_module
from foxapi_core.emulator import (
    ConnectionDropped,
    Emulator,
    EmulatorConfig,
    RunningEmulator,
    chunks,
    respond,
    serve_in_thread,
)

Body = dict[str, Any]
KEY = "sk-emulator"
AUTH = {"Authorization": f"Bearer {KEY}"}
MAGIC_TOOL = {
    "type": "function",
    "function": {
        "name": "magic_function",
        "description": "Applies a magic function to an input.",
        "parameters": {
            "type": "object",
            "properties": {"input": {"type": "integer"}},
            "required": ["input"],
        },
    },
}
WAV = "data:audio/wav;base64," + base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEfmt " * 4).decode()
WAV_OTHER = (
    "data:audio/wav;base64," + base64.b64encode(b"RIFF\x24\x00\x00\x00WAVEdata" * 4).decode()
)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def chat_body(text: str = "Say hello to the fox.", model: str = "gpt-5.5", **extra: Any) -> Body:
    return {"model": model, "messages": user(text), **extra}


def parse_sse(text: str) -> list[tuple[str, str]]:
    """(event, data) pairs of a body in this emulator's framing; comments as ("comment", ...)."""
    events: list[tuple[str, str]] = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith(":"):
                events.append(("comment", line[1:].strip()))
            elif line.startswith("event: "):
                name = line[len("event: ") :]
            elif line.startswith("data: "):
                data.append(line[len("data: ") :])
        if data:
            events.append((name, "\n".join(data)))
    return events


def chunk_payloads(events: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [json.loads(data) for name, data in events if name == "chunk"]


def content_of(payloads: list[dict[str, Any]], key: str = "content") -> str:
    return "".join(p["choices"][0]["delta"].get(key) or "" for p in payloads if p["choices"])


def wait_terminal(client: httpx.Client, task_id: str, limit: float = 5.0) -> dict[str, Any]:
    """Poll until the task is completed or failed (bounded)."""
    deadline = time.monotonic() + limit
    while True:
        task: Body = client.get(f"/v1/tasks/{task_id}").json()
        if task["status"] in ("completed", "failed") or time.monotonic() > deadline:
            return task
        time.sleep(0.01)


class FakeClock:
    """A clock the test moves by hand, to walk a task timeline without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------


@pytest.fixture
def emulator() -> Emulator:
    return Emulator()


@pytest.fixture
async def aclient(emulator: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        transport=emulator.transport(), base_url="http://emulator", headers=AUTH
    ) as client:
        yield client


@pytest.fixture
def server(emulator: Emulator) -> Iterator[RunningEmulator]:
    with serve_in_thread(emulator) as running:
        yield running


@pytest.fixture
def client(server: RunningEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=10) as c:
        yield c


# --------------------------------------------------------------------------------------------
# Package surface
# --------------------------------------------------------------------------------------------


def test_exported_names_match_all() -> None:
    exported = emulator_module.__all__  # its order is ruff's (RUF022), checked by ruff
    assert len(set(exported)) == len(exported)
    public = {n for n in dir(emulator_module) if not n.startswith("_")}
    assert set(exported) <= public
    for name in exported:
        assert getattr(emulator_module, name) is not None


def test_overrides_and_repr_hide_key() -> None:
    emu = Emulator(EmulatorConfig(chunk_size=5), api_key="sk-canary-123", chunk_delay=0.5)
    assert emu.config.chunk_size == 5
    assert emu.config.chunk_delay == 0.5
    assert emu.config.api_key == "sk-canary-123"
    assert "sk-canary-123" not in repr(emu)
    assert "sk-canary-123" not in repr(emu.config)


# --------------------------------------------------------------------------------------------
# Auth, request ids, routing
# --------------------------------------------------------------------------------------------


async def test_auth_missing_and_wrong_key(aclient: httpx.AsyncClient, emulator: Emulator) -> None:
    no_key = await aclient.post(
        "/v1/llm/generations", json=chat_body(), headers={"Authorization": ""}
    )
    wrong = await aclient.get("/v1/tasks/x", headers={"Authorization": "Bearer sk-wrong-canary"})
    for response in (no_key, wrong):
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"
        assert response.headers["x-request-id"].startswith("req-")
    assert "sk-wrong-canary" not in wrong.text
    assert emulator.counters.submits == 0
    assert emulator.counters.submit_attempts == 1
    lower = await aclient.get(
        "/v1/configs/llm_generations_models", headers={"Authorization": f"bearer {KEY}"}
    )
    assert lower.status_code == 200


async def test_request_ids_and_unknown_route(aclient: httpx.AsyncClient) -> None:
    first = await aclient.get("/v1/configs/llm_generations_models")
    missing = await aclient.get("/v1/nothing")
    assert first.headers["x-request-id"] == "req-1"
    assert missing.headers["x-request-id"] == "req-2"
    assert missing.status_code == 404
    assert missing.json()["error"]["type"] == "not_found"


async def test_bad_json_and_content_type(aclient: httpx.AsyncClient) -> None:
    bad = await aclient.post(
        "/v1/llm/generations", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["type"] == "invalid_request_error"
    text = await aclient.post(
        "/v1/llm/generations", content=b"{}", headers={"content-type": "text/plain"}
    )
    assert text.status_code == 400
    array = await aclient.post("/v1/llm/generations", json=[1, 2])
    assert array.status_code == 400


# --------------------------------------------------------------------------------------------
# Submit and poll, every form
# --------------------------------------------------------------------------------------------

FORMS = [
    pytest.param(chat_body("Tell me about foxes."), "task-llm-", "foxes", id="messages"),
    pytest.param(
        {"model": "claude-opus-4-7", "prompt": "Tell me about owls.", "max_tokens": 200},
        "task-llmrouter-",
        "owls",
        id="text",
    ),
    pytest.param(
        {
            "model": "gemini-2.5-pro",
            "prompt": "Describe these.",
            "image_urls": ["https://example.com/a.png", "https://example.com/b.png"],
        },
        "task-llmrouter-",
        "I see 2 images",
        id="vision",
    ),
    pytest.param(
        {"model": "gemini-2.5-pro", "audio_url": WAV},
        "task-llm-",
        "Transcription:",
        id="audio",
    ),
    pytest.param(
        {
            "model": "gemini-2.5-pro",
            "prompt": "Summarise the clip.",
            "video_urls": ["https://example.com/clip.mp4"],
        },
        "task-llmrouter-",
        "I watched 1 video",
        id="video",
    ),
]


@pytest.mark.parametrize(("body", "prefix", "expected"), FORMS)
async def test_submit_then_poll_every_form(
    aclient: httpx.AsyncClient, emulator: Emulator, body: Body, prefix: str, expected: str
) -> None:
    submitted = await aclient.post("/v1/llm/generations", json=body)
    assert submitted.status_code == 200
    task = submitted.json()
    assert list(task) == [
        "id",
        "object",
        "type",
        "model",
        "status",
        "progress",
        "created",
        "stream",
        "results",
        "error",
        "usage",
    ]
    assert task["id"].startswith(prefix)
    stamp, rand = task["id"][len(prefix) :].split("-")
    assert (
        stamp == str(task["created"])
        and len(rand) == 8
        and rand.isalnum()
        and rand.islower() | rand.isdigit()
    )
    assert task["object"] == "llm.generation.task" and task["type"] == "llm"
    assert task["model"] == body["model"]
    assert (task["status"], task["progress"]) == ("pending", 0)
    assert task["stream"] is None and task["results"] is None and task["error"] is None
    assert task["usage"]["user_group"] == "default" and task["usage"]["credits_reserved"] >= 1

    polled = (await aclient.get(f"/v1/tasks/{task['id']}")).json()
    assert (polled["status"], polled["progress"]) == ("completed", 100)
    result = polled["results"][0]
    assert result["object"] == "chat.completion"
    assert result["id"].startswith("chatcmpl-")
    assert result["model"] == body["model"]
    choice = result["choices"][0]
    assert choice["message"]["role"] == "assistant"
    assert choice["finish_reason"] == "stop"
    assert expected in choice["message"]["content"]
    usage = result["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    assert emulator.counters.submits == 1
    assert emulator.tasks[task["id"]].request == body


async def test_audio_transcription_depends_on_the_audio(aclient: httpx.AsyncClient) -> None:
    texts = []
    for url in (WAV, WAV_OTHER, WAV):
        task = (
            await aclient.post(
                "/v1/llm/generations", json={"model": "gemini-2.5-pro", "audio_url": url}
            )
        ).json()
        polled = (await aclient.get(f"/v1/tasks/{task['id']}")).json()
        texts.append(polled["results"][0]["choices"][0]["message"]["content"])
    assert texts[0] == texts[2] != texts[1]


async def test_messages_blocks_are_mentioned(aclient: httpx.AsyncClient) -> None:
    content = [
        {"type": "text", "text": "What is in these?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
        {"type": "audio_url", "audio_url": {"url": WAV}},
        {"type": "file_url", "file_url": {"url": "https://example.com/doc.pdf"}},
    ]
    body = {"model": "gemini-3-pro-preview", "messages": [{"role": "user", "content": content}]}
    task = (await aclient.post("/v1/llm/generations", json=body)).json()
    text = (await aclient.get(f"/v1/tasks/{task['id']}")).json()["results"][0]["choices"][0][
        "message"
    ]["content"]
    assert "I see 1 image" in text
    assert "I read 1 file" in text
    assert "Transcript of the audio (" in text and "bytes)" in text


async def test_lifecycle_follows_the_clock(aclient: httpx.AsyncClient, emulator: Emulator) -> None:
    clock = FakeClock()
    emulator.clock = clock
    emulator.config.processing_delay = 1.0
    emulator.config.chunk_delay = 0.1
    task = (await aclient.post("/v1/llm/generations", json=chat_body())).json()
    last_chunk_at = 1001.0 + 0.1 * (emulator.tasks[task["id"]].total_chunks - 1)
    seen = []
    for now in (1000.0, 1000.6, last_chunk_at - 0.01, last_chunk_at):
        clock.now = now
        polled = (await aclient.get(f"/v1/tasks/{task['id']}")).json()
        seen.append((polled["status"], polled["progress"], polled["results"] is None))
    assert seen == [
        ("pending", 0, True),
        ("processing", 50, True),
        ("processing", 50, True),
        ("completed", 100, False),
    ]


async def test_sync_waits_for_the_task(aclient: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.config.processing_delay = 0.1
    started = time.monotonic()
    response = await aclient.post("/v1/llm/generations", json={**chat_body(), "sync": True})
    assert time.monotonic() - started >= 0.09
    assert response.json()["object"] == "chat.completion"


# --------------------------------------------------------------------------------------------
# Validation (422)
# --------------------------------------------------------------------------------------------

INVALID = [
    pytest.param(
        {"model": "gpt-5.5", "messages": user("x"), "prompt": "y"},
        "invalid_request_error",
        id="mixed-forms",
    ),
    pytest.param(
        {"model": "gpt-9", "messages": user("x")}, "model_not_supported", id="unknown-model"
    ),
    pytest.param(
        {"model": "claude-opus-4-7", "messages": user("x")}, "invalid_param", id="claude-max-tokens"
    ),
    pytest.param(
        {
            "model": "gpt-5.5",
            "messages": [
                {
                    "role": "user",
                    "content": [{"type": "audio_url", "audio_url": {"url": "https://e.com/a.mp3"}}],
                }
            ],
        },
        "model_not_support_capability",
        id="gpt-audio-block",
    ),
]


@pytest.mark.parametrize(("body", "code"), INVALID)
async def test_validation_422(
    aclient: httpx.AsyncClient, emulator: Emulator, body: Body, code: str
) -> None:
    response = await aclient.post("/v1/llm/generations", json=body)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["code"] == code
    assert error["param"]
    assert error["message"]
    assert emulator.counters.submits == 0
    assert emulator.tasks == {}


async def test_claude_422_names_max_tokens(aclient: httpx.AsyncClient) -> None:
    response = await aclient.post(
        "/v1/llm/generations", json={"model": "claude-opus-4-7", "messages": user("x")}
    )
    assert response.json()["error"]["param"] == "max_tokens"


async def test_validate_false_accepts_anything(
    aclient: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.config.validate = False
    response = await aclient.post(
        "/v1/llm/generations", json={"model": "gpt-9", "messages": user("x")}
    )
    assert response.status_code == 200


_FOREIGN_TOOL_TURN: Body = {
    "role": "assistant",
    "content": "",
    "tool_calls": [
        {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    ],
}
_TOOL_HISTORY: list[Body] = [
    {"role": "user", "content": "weather?"},
    _FOREIGN_TOOL_TURN,
    {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
]


async def test_kimi_tool_call_turn_without_reasoning_is_a_400(
    aclient: httpx.AsyncClient, emulator: Emulator
) -> None:
    body = {"model": "kimi-k2.6", "messages": _TOOL_HISTORY}
    response = await aclient.post("/v1/llm/generations", json=body)
    assert response.status_code == 400
    assert "reasoning_content is missing in assistant tool call message" in response.text
    # Other models take the same history; kimi takes it with reasoning; the rule can be off.
    for ok in (
        {"model": "gpt-5.5", "messages": _TOOL_HISTORY},
        {
            "model": "kimi-k2.6",
            "messages": [
                _TOOL_HISTORY[0],
                {**_FOREIGN_TOOL_TURN, "reasoning_content": "call f"},
                _TOOL_HISTORY[2],
            ],
        },
    ):
        assert (await aclient.post("/v1/llm/generations", json=ok)).status_code == 200
    emulator.config.thinking_tool_call_rule = False
    assert (await aclient.post("/v1/llm/generations", json=body)).status_code == 200


# --------------------------------------------------------------------------------------------
# Stream endpoint
# --------------------------------------------------------------------------------------------


def submit_stream(client: httpx.Client, body: Body | None = None) -> Body:
    response = client.post("/v1/llm/generations", json={**(body or chat_body()), "stream": True})
    assert response.status_code == 200
    task: Body = response.json()
    assert task["stream"] == {"url": f"/v1/llm/generations/{task['id']}/stream"}
    return task


def read_stream(client: httpx.Client, url: str, **params: Any) -> tuple[httpx.Response, str]:
    with client.stream("GET", url, params=params) as response:
        text = "".join(response.iter_text())
    return response, text


def test_stream_named_events_and_done(client: httpx.Client, emulator: Emulator) -> None:
    task = submit_stream(client)
    response, text = read_stream(client, task["stream"]["url"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(text)
    names = [name for name, _ in events]
    assert names[-1] == "done" and set(names[:-1]) == {"chunk"}
    payloads = chunk_payloads(events)
    assert json.loads(events[-1][1]) == {"total_chunks": len(payloads)}
    assert len(payloads) >= 4  # at least 3 content chunks + the finish chunk
    first, last = payloads[0], payloads[-1]
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"][0]["delta"]["role"] == "assistant"
    assert last["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert all("usage" not in p for p in payloads)  # doc section 10: no usage in the stream
    final = wait_terminal(client, task["id"])
    assert content_of(payloads) == final["results"][0]["choices"][0]["message"]["content"]
    assert final["stream"] == task["stream"]
    assert emulator.counters.stream_requests == 1


def test_stream_offset_and_byte_identical_replay(client: httpx.Client) -> None:
    task = submit_stream(client)
    _, full = read_stream(client, task["stream"]["url"])
    _, again = read_stream(client, task["stream"]["url"])
    _, tail = read_stream(client, task["stream"]["url"], offset=2)
    assert full == again
    full_chunks = [d for n, d in parse_sse(full) if n == "chunk"]
    tail_events = parse_sse(tail)
    assert [d for n, d in tail_events if n == "chunk"] == full_chunks[2:]
    assert tail_events[-1] == (
        "done",
        json.dumps({"total_chunks": len(full_chunks)}, separators=(",", ":")),
    )
    _, beyond = read_stream(client, task["stream"]["url"], offset=10_000)
    assert [n for n, _ in parse_sse(beyond)] == ["done"]


def test_stream_replays_from_zero_when_offset_ignored(
    client: httpx.Client, emulator: Emulator
) -> None:
    emulator.config.honour_offset = False
    task = submit_stream(client)
    _, full = read_stream(client, task["stream"]["url"])
    _, offset = read_stream(client, task["stream"]["url"], offset=3)
    assert offset == full


def test_stream_bad_offset_400(client: httpx.Client) -> None:
    task = submit_stream(client)
    response = client.get(task["stream"]["url"], params={"offset": "-1"})
    assert response.status_code == 400


def test_stream_ttl_expiry_404(client: httpx.Client, emulator: Emulator) -> None:
    clock = FakeClock()
    emulator.clock = clock
    emulator.config.stream_ttl = 5.0
    task = submit_stream(client)
    clock.now += 4.0
    assert client.get(task["stream"]["url"]).status_code == 200
    clock.now += 2.0
    expired = client.get(task["stream"]["url"])
    assert expired.status_code == 404
    assert expired.json()["error"]["type"] == "not_found"
    # The result is still available by polling (doc section 4).
    assert client.get(f"/v1/tasks/{task['id']}").json()["status"] == "completed"
    emulator.config.stream_ttl = 0.0
    assert client.get(submit_stream(client)["stream"]["url"]).status_code == 404


def test_stream_of_non_stream_task_400_and_unknown_404(client: httpx.Client) -> None:
    task = client.post("/v1/llm/generations", json=chat_body()).json()
    response = client.get(f"/v1/llm/generations/{task['id']}/stream")
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"
    unknown = client.get("/v1/llm/generations/task-llm-0-zzzzzzzz/stream")
    assert unknown.status_code == 404 and unknown.json()["error"]["type"] == "not_found"
    poll = client.get("/v1/tasks/task-llm-0-zzzzzzzz")
    assert poll.status_code == 404 and poll.json()["error"]["type"] == "not_found"


def test_stream_waits_for_chunks_with_heartbeats(client: httpx.Client, emulator: Emulator) -> None:
    emulator.config.processing_delay = 0.3
    emulator.config.heartbeat_interval = 0.05
    task = submit_stream(client, chat_body(model="kimi-k2.6"))
    _, text = read_stream(client, task["stream"]["url"])
    events = parse_sse(text)
    first_chunk = next(i for i, (name, _) in enumerate(events) if name == "chunk")
    pings = [e for e in events[:first_chunk] if e == ("comment", "ping")]
    assert len(pings) >= 2
    assert events[-1][0] == "done"


def test_stream_follows_a_producing_task(client: httpx.Client, emulator: Emulator) -> None:
    emulator.config.chunk_delay = 0.05  # the answer takes ~0.25 s to produce
    task = submit_stream(client)
    assert client.get(f"/v1/tasks/{task['id']}").json()["status"] == "processing"
    _, text = read_stream(client, task["stream"]["url"])
    assert parse_sse(text)[-1][0] == "done"
    assert wait_terminal(client, task["id"])["status"] == "completed"


# --------------------------------------------------------------------------------------------
# Thinking model, sync modes
# --------------------------------------------------------------------------------------------


async def test_kimi_reasoning_only_in_stream(aclient: httpx.AsyncClient) -> None:
    body = {**chat_body("Why is the sky blue?", model="kimi-k2.6"), "stream": True}
    task = (await aclient.post("/v1/llm/generations", json=body)).json()
    payloads = chunk_payloads(parse_sse((await aclient.get(task["stream"]["url"])).text))
    deltas = [p["choices"][0]["delta"] for p in payloads]
    reasoning_idx = [i for i, d in enumerate(deltas) if "reasoning_content" in d]
    content_idx = [i for i, d in enumerate(deltas) if "content" in d]
    assert len(reasoning_idx) >= 3 and content_idx
    assert max(reasoning_idx) < min(content_idx)
    assert all("content" not in deltas[i] for i in reasoning_idx)
    reasoning = content_of(payloads, "reasoning_content")
    assert reasoning.startswith("Thinking about: Why is the sky blue")
    result = (await aclient.get(f"/v1/tasks/{task['id']}")).json()["results"][0]
    message = result["choices"][0]["message"]
    assert "reasoning_content" not in message
    assert message["content"] == content_of(payloads)
    assert "Thinking" not in message["content"]
    assert result["usage"]["completion_tokens_details"]["reasoning_tokens"] == len(
        reasoning.split()
    )


async def test_sync_returns_plain_chat_completion(
    aclient: httpx.AsyncClient, emulator: Emulator
) -> None:
    response = await aclient.post("/v1/llm/generations", json={**chat_body(), "sync": True})
    body = response.json()
    assert body["object"] == "chat.completion"
    assert "Say hello" in body["choices"][0]["message"]["content"]
    assert emulator.counters.submits == 1


async def test_sync_stream_is_sse_on_the_post(aclient: httpx.AsyncClient) -> None:
    response = await aclient.post(
        "/v1/llm/generations", json={**chat_body(), "sync": True, "stream": True}
    )
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    assert events[-1][0] == "done"
    assert "Say hello" in content_of(chunk_payloads(events))


async def test_sync_failed_task_is_an_error(aclient: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.faults.fail_task(code="boom", message="upstream broke")
    response = await aclient.post("/v1/llm/generations", json={**chat_body(), "sync": True})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "boom"


# --------------------------------------------------------------------------------------------
# Responder: tools, structured output, stop, max_tokens, long answers
# --------------------------------------------------------------------------------------------


async def completed_message(client: httpx.AsyncClient, body: Body) -> Body:
    task = (await client.post("/v1/llm/generations", json=body)).json()
    assert "id" in task, task
    result = (await client.get(f"/v1/tasks/{task['id']}")).json()["results"][0]
    return {
        "finish_reason": result["choices"][0]["finish_reason"],
        **result["choices"][0]["message"],
    }


async def test_tool_call_magic_function(aclient: httpx.AsyncClient) -> None:
    body = chat_body("What is the value of magic_function(3)? Use the tool.", tools=[MAGIC_TOOL])
    message = await completed_message(aclient, body)
    assert message["finish_reason"] == "tool_calls"
    assert message["content"] is None
    (call,) = message["tool_calls"]
    assert call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == "magic_function"
    assert json.loads(call["function"]["arguments"]) == {"input": 3}


async def test_tool_call_streams_as_fragments(aclient: httpx.AsyncClient) -> None:
    body = chat_body("What is magic_function(7)?", tools=[MAGIC_TOOL], stream=True)
    task = (await aclient.post("/v1/llm/generations", json=body)).json()
    payloads = chunk_payloads(parse_sse((await aclient.get(task["stream"]["url"])).text))
    fragments = [f for p in payloads for f in p["choices"][0]["delta"].get("tool_calls", [])]
    assert fragments[0]["id"].startswith("call_")
    assert fragments[0]["function"] == {"name": "magic_function", "arguments": ""}
    assert all(set(f) == {"index", "function"} for f in fragments[1:])
    arguments = "".join(f["function"]["arguments"] for f in fragments)
    assert json.loads(arguments) == {"input": 7}
    assert payloads[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_tool_result_ends_the_agent_loop(aclient: httpx.AsyncClient) -> None:
    messages = [
        *user("What is the value of magic_function(3)? Use the tool."),
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "magic_function", "arguments": '{"input": 3}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "5"},
    ]
    body = {"model": "gpt-5.5", "messages": messages, "tools": [MAGIC_TOOL]}
    message = await completed_message(aclient, body)
    assert message["finish_reason"] == "stop"
    assert "tool_calls" not in message
    assert "The tool returned: 5" in message["content"]


async def test_tool_choice_variants(aclient: httpx.AsyncClient) -> None:
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
                "required": ["city"],
            },
        },
    }
    no_args = {"type": "function", "function": {"name": "ping_server", "parameters": {}}}
    unicode_tool = {
        "type": "function",
        "function": {
            "name": "天气",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
        },
    }
    tools = [MAGIC_TOOL, weather, no_args, unicode_tool]

    none = await completed_message(
        aclient, chat_body("Use magic_function(2)", tools=tools, tool_choice="none")
    )
    assert none["finish_reason"] == "stop" and none["content"]

    forced = await completed_message(
        aclient,
        chat_body(
            "Anything.",
            tools=tools,
            tool_choice={"type": "function", "function": {"name": "ping_server"}},
        ),
    )
    assert [(c["function"]["name"], c["function"]["arguments"]) for c in forced["tool_calls"]] == [
        ("ping_server", "{}")
    ]

    unnamed = await completed_message(
        aclient, chat_body("Do something.", tools=tools, tool_choice="required")
    )
    assert [c["function"]["name"] for c in unnamed["tool_calls"]] == ["magic_function"]

    both = await completed_message(
        aclient,
        chat_body("Call magic_function(4) and get_weather for city=Paris unit.", tools=tools),
    )
    calls = {
        c["function"]["name"]: json.loads(c["function"]["arguments"]) for c in both["tool_calls"]
    }
    assert calls == {"magic_function": {"input": 4}, "get_weather": {"city": "Paris", "unit": "c"}}
    assert len({c["id"] for c in both["tool_calls"]}) == 2

    single = await completed_message(
        aclient,
        chat_body(
            "Call magic_function(4) and get_weather.", tools=tools, parallel_tool_calls=False
        ),
    )
    assert len(single["tool_calls"]) == 1

    uni = await completed_message(aclient, chat_body("请用 天气 工具", tools=tools))
    assert uni["tool_calls"][0]["function"]["name"] == "天气"


async def test_response_format_json_schema(aclient: httpx.AsyncClient) -> None:
    schema = {
        "title": "Joke",
        "type": "object",
        "properties": {
            "setup": {"type": "string", "description": "The setup"},
            "punchline": {"type": "string"},
            "rating": {"anyOf": [{"type": "integer"}, {"type": "null"}], "default": None},
            "meta": {"$ref": "#/$defs/Meta"},
        },
        "required": ["setup", "punchline", "meta"],
        "$defs": {
            "Meta": {
                "type": "object",
                "properties": {
                    "tags": {"type": "array", "items": {"type": "string"}},
                    "score": {"type": "number", "minimum": 0, "maximum": 10},
                    "ok": {"type": "boolean"},
                },
                "required": ["tags", "score", "ok"],
            }
        },
    }
    body = chat_body(
        "Tell me a joke about cats.",
        response_format={"type": "json_schema", "json_schema": {"name": "Joke", "schema": schema}},
    )
    message = await completed_message(aclient, body)
    joke = json.loads(message["content"])
    assert set(joke) == {"setup", "punchline", "meta"}
    assert isinstance(joke["setup"], str) and isinstance(joke["punchline"], str)
    assert isinstance(joke["meta"]["tags"], list) and isinstance(joke["meta"]["tags"][0], str)
    assert 0 <= joke["meta"]["score"] <= 10 and joke["meta"]["ok"] is True

    mode = await completed_message(
        aclient, chat_body("Reply in JSON.", response_format={"type": "json_object"})
    )
    assert isinstance(json.loads(mode["content"]), dict)


async def test_stop_and_max_tokens(aclient: httpx.AsyncClient) -> None:
    plain = await completed_message(aclient, chat_body("one two three four five"))
    assert "You said:" in plain["content"]
    stopped = await completed_message(aclient, chat_body("one two three four five", stop=["said"]))
    assert stopped["content"] == plain["content"].split("said")[0]
    assert stopped["finish_reason"] == "stop"
    capped = await completed_message(aclient, chat_body("one two three four five", max_tokens=16))
    assert capped["finish_reason"] == "stop"
    capped = await completed_message(aclient, chat_body("[[words:100]]", max_tokens=16))
    assert len(capped["content"].split()) == 16
    assert capped["finish_reason"] == "length"


async def test_answer_length_knobs(aclient: httpx.AsyncClient, emulator: Emulator) -> None:
    long = await completed_message(aclient, chat_body("Go. [[words:2000]]"))
    assert len(long["content"].split()) == 2000
    asked = await completed_message(aclient, chat_body("Respond with 40 words about foxes."))
    assert len(asked["content"].split()) == 40
    emulator.config.answer_words = 25
    default = await completed_message(aclient, chat_body("Anything."))
    assert len(default["content"].split()) == 25


def test_responder_is_deterministic() -> None:
    body = chat_body("Compare 3 and 4.", model="kimi-k2.6")
    first, second = respond(body, thinking=True), respond(body, thinking=True)
    assert first == second
    pieces = chunks(first, chunk_size=2)
    assert pieces[0]["choices"][0]["delta"]["role"] == "assistant"
    assert "".join(p["choices"][0]["delta"].get("content", "") for p in pieces) == first.content
    assert first.usage.reasoning_tokens == len(first.reasoning.split())


# --------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------


async def test_fault_status_with_retry_headers(
    aclient: httpx.AsyncClient, emulator: Emulator
) -> None:
    emulator.faults.fail("submit", 429, retry_after=1.5)
    emulator.faults.fail("submit", 503, retry_after_ms=250, retry_after=2)
    first = await aclient.post("/v1/llm/generations", json=chat_body())
    second = await aclient.post("/v1/llm/generations", json=chat_body())
    third = await aclient.post("/v1/llm/generations", json=chat_body())
    assert first.status_code == 429
    assert first.headers["retry-after"] == "1.5"
    assert first.json() == {
        "error": {"message": first.json()["error"]["message"], "type": "rate_limit_error"}
    }
    assert second.status_code == 503
    assert second.headers["retry-after-ms"] == "250" and second.headers["retry-after"] == "2"
    assert third.status_code == 200
    assert emulator.counters.submit_attempts == 3
    assert emulator.counters.submits == 1
    assert len(emulator.tasks) == 1


async def test_fault_times_and_custom_body(aclient: httpx.AsyncClient, emulator: Emulator) -> None:
    task = (await aclient.post("/v1/llm/generations", json=chat_body())).json()
    emulator.faults.fail(
        "poll", 500, times=2, body={"error": {"message": "x", "type": "server_error"}}
    )
    statuses = [(await aclient.get(f"/v1/tasks/{task['id']}")).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert emulator.counters.polls == 3
    emulator.faults.fail("chat", 402)
    chat = await aclient.post("/v1/chat/completions", json=chat_body())
    assert chat.status_code == 402 and chat.json()["error"]["type"] == "insufficient_quota"
    emulator.faults.fail("stream", 503)
    stream_task = (await aclient.post("/v1/llm/generations", json=chat_body(stream=True))).json()
    assert (await aclient.get(stream_task["stream"]["url"])).status_code == 503
    assert len(emulator.faults) == 0


def test_fault_argument_checks(emulator: Emulator) -> None:
    with pytest.raises(ValueError):
        emulator.faults.fail("submit", 42)
    with pytest.raises(ValueError):
        emulator.faults.fail("nowhere", 500)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        emulator.faults.cut_stream(after_chunks=-1)
    emulator.faults.null_results(times=3)
    emulator.faults.cut_stream(1)
    assert len(emulator.faults) == 4
    emulator.faults.clear()
    assert emulator.faults.pending() == []


def test_drop_after_submit_over_socket(client: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.drop_after_submit()
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        client.post("/v1/llm/generations", json=chat_body())
    assert emulator.counters.submits == 1
    assert len(emulator.tasks) == 1
    # The server keeps working for the next request.
    assert client.post("/v1/llm/generations", json=chat_body()).status_code == 200
    assert emulator.counters.submits == 2


async def test_drop_after_submit_in_process(aclient: httpx.AsyncClient, emulator: Emulator) -> None:
    emulator.faults.drop_after_submit()
    with pytest.raises(ConnectionDropped) as info:
        await aclient.post("/v1/llm/generations", json=chat_body())
    assert info.value.task_id in emulator.tasks
    assert emulator.counters.submits == 1


def test_delay_submit_response(server: RunningEmulator, emulator: Emulator) -> None:
    emulator.faults.delay_submit_response(1.0)
    with (
        httpx.Client(base_url=server.base_url, headers=server.headers, timeout=0.2) as c,
        pytest.raises(httpx.ReadTimeout),
    ):
        c.post("/v1/llm/generations", json=chat_body())
    assert emulator.counters.submits == 1


def test_cut_stream_then_resume(client: httpx.Client, emulator: Emulator) -> None:
    task = submit_stream(client)
    _, reference = read_stream(client, task["stream"]["url"])
    emulator.faults.cut_stream(after_chunks=2)
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        client.stream("GET", task["stream"]["url"]) as response,
    ):
        received.extend(response.iter_lines())
    got = [n for n, _ in parse_sse("\n".join(received) + "\n\n") if n != "comment"]
    assert got == ["chunk", "chunk"]
    _, rest = read_stream(client, task["stream"]["url"], offset=2)
    head = [d for n, d in parse_sse("\n".join(received) + "\n\n") if n == "chunk"]
    resumed = head + [d for n, d in parse_sse(rest) if n == "chunk"]
    assert resumed == [d for n, d in parse_sse(reference) if n == "chunk"]


def test_cut_stream_at_zero_and_after_last(client: httpx.Client, emulator: Emulator) -> None:
    task = submit_stream(client)
    total = len(emulator.tasks[task["id"]].chunk_data)
    for after in (0, total):
        emulator.faults.cut_stream(after_chunks=after)
        lines: list[str] = []
        with (
            pytest.raises(httpx.RemoteProtocolError),
            client.stream("GET", task["stream"]["url"]) as response,
        ):
            lines.extend(response.iter_lines())
        events = parse_sse("\n".join(lines) + "\n\n")
        assert len([n for n, _ in events if n == "chunk"]) == after
        assert "done" not in [n for n, _ in events]


async def test_cut_stream_in_process_ends_without_done(
    aclient: httpx.AsyncClient, emulator: Emulator
) -> None:
    task = (await aclient.post("/v1/llm/generations", json=chat_body(stream=True))).json()
    emulator.faults.cut_stream(after_chunks=1)
    events = parse_sse((await aclient.get(task["stream"]["url"])).text)
    assert [n for n, _ in events] == ["chunk"]


def test_stall_stream(server: RunningEmulator, emulator: Emulator) -> None:
    emulator.config.heartbeat_interval = 0.01  # a stall sends no heartbeats either
    emulator.faults.stall_stream(after_chunks=1, seconds=1.0)
    with httpx.Client(base_url=server.base_url, headers=server.headers, timeout=10) as c:
        task = submit_stream(c)
        lines: list[str] = []
        started = time.monotonic()
        timeout = httpx.Timeout(10, read=0.2)
        with (
            pytest.raises(httpx.ReadTimeout),
            c.stream("GET", task["stream"]["url"], timeout=timeout) as r,
        ):
            lines.extend(r.iter_lines())
        assert time.monotonic() - started < 0.9
    assert [n for n, _ in parse_sse("\n".join(lines) + "\n\n")] == ["chunk"]


def test_stall_stream_then_continues(client: httpx.Client, emulator: Emulator) -> None:
    task = submit_stream(client)
    emulator.faults.stall_stream(after_chunks=2, seconds=0.05)
    _, text = read_stream(client, task["stream"]["url"])
    assert parse_sse(text)[-1][0] == "done"


def test_malformed_chunk(client: httpx.Client, emulator: Emulator) -> None:
    task = submit_stream(client)
    emulator.faults.malformed_chunk(at=1)
    _, text = read_stream(client, task["stream"]["url"])
    chunks_data = [d for n, d in parse_sse(text) if n == "chunk"]
    json.loads(chunks_data[0])
    with pytest.raises(json.JSONDecodeError):
        json.loads(chunks_data[1])
    json.loads(chunks_data[2])
    assert parse_sse(text)[-1][0] == "done"
    _, clean = read_stream(client, task["stream"]["url"])
    for data in (d for n, d in parse_sse(clean) if n == "chunk"):
        json.loads(data)


def test_stream_error_event(client: httpx.Client, emulator: Emulator) -> None:
    task = submit_stream(client)
    emulator.faults.stream_error(at=2, message="relay lost upstream")
    _, text = read_stream(client, task["stream"]["url"])
    events = parse_sse(text)
    assert [n for n, _ in events] == ["chunk", "chunk", "error"]
    assert json.loads(events[-1][1]) == {"message": "relay lost upstream"}


def test_fail_task(client: httpx.Client, emulator: Emulator) -> None:
    emulator.faults.fail_task(code="upstream_error", message="model crashed")
    task = submit_stream(client)
    final = wait_terminal(client, task["id"])
    assert final["status"] == "failed" and final["progress"] == 100
    assert final["results"] is None
    assert final["error"] == {
        "code": "upstream_error",
        "message": "model crashed",
        "type": "task_error",
    }
    _, text = read_stream(client, task["stream"]["url"])
    events = parse_sse(text)
    assert events[-1] == ("error", json.dumps({"message": "model crashed"}, separators=(",", ":")))
    record = emulator.tasks[task["id"]]
    assert len([n for n, _ in events if n == "chunk"]) == record.total_chunks // 2
    # Only the next task fails.
    assert wait_terminal(client, submit_stream(client)["id"])["status"] == "completed"


def test_null_results(client: httpx.Client, emulator: Emulator) -> None:
    clock = FakeClock()
    emulator.clock = clock
    emulator.config.processing_delay = 1.0
    emulator.faults.null_results(times=1)
    task = client.post("/v1/llm/generations", json=chat_body()).json()
    pending = client.get(f"/v1/tasks/{task['id']}", params={"sync_upstream": "true"}).json()
    assert pending["status"] == "pending"  # not consumed by a poll that is not completed
    clock.now += 2.0
    raced = client.get(f"/v1/tasks/{task['id']}", params={"sync_upstream": "true"}).json()
    assert (raced["status"], raced["results"]) == ("completed", None)
    again = client.get(f"/v1/tasks/{task['id']}").json()
    assert again["results"][0]["object"] == "chat.completion"


# --------------------------------------------------------------------------------------------
# Counters, configs, reset
# --------------------------------------------------------------------------------------------


async def test_counters_and_log(aclient: httpx.AsyncClient, emulator: Emulator) -> None:
    task = (await aclient.post("/v1/llm/generations", json=chat_body(stream=True))).json()
    await aclient.get(f"/v1/tasks/{task['id']}", params={"sync_upstream": "true"})
    await aclient.get(task["stream"]["url"], params={"offset": 1})
    await aclient.post("/v1/chat/completions", json=chat_body())
    counters = emulator.counters
    assert (counters.submits, counters.submit_attempts, counters.polls) == (1, 1, 1)
    assert (counters.stream_requests, counters.chat_completions, counters.requests) == (1, 1, 4)
    assert counters.log[1] == ("GET", f"/v1/tasks/{task['id']}", "sync_upstream=true")
    assert counters.for_path(task["stream"]["url"]) == [("GET", task["stream"]["url"], "offset=1")]
    emulator.reset()
    assert emulator.counters.requests == 0 and emulator.tasks == {} and not emulator.counters.log


async def test_configs_endpoint(aclient: httpx.AsyncClient) -> None:
    body = (await aclient.get("/v1/configs/llm_generations_models")).json()
    assert body["object"] == "list"
    models = {m["id"]: m["capabilities"] for m in body["data"]}
    assert all(m["object"] == "model" for m in body["data"])
    assert "gemini-2.5-pro" not in models  # prompt forms only (doc section 10)
    assert models["gpt-5.5"] == ["text", "vision"]
    assert models["gemini-3-pro-preview"] == ["text", "vision", "video", "audio", "file"]
    assert len(models) == 8


# --------------------------------------------------------------------------------------------
# OpenAI-compatible /v1/chat/completions
# --------------------------------------------------------------------------------------------


async def test_chat_completions_json(aclient: httpx.AsyncClient) -> None:
    response = await aclient.post("/v1/chat/completions", json=chat_body(model="kimi-k2.6"))
    body = response.json()
    assert body["object"] == "chat.completion"
    message = body["choices"][0]["message"]
    assert "Say hello" in message["content"]
    assert message["reasoning_content"].startswith("Thinking about")
    missing = await aclient.post("/v1/chat/completions", json={"model": "gpt-5.5"})
    assert missing.status_code == 422


def test_chat_completions_sse_with_usage(client: httpx.Client) -> None:
    body = chat_body("Go. [[words:2000]]", stream=True, stream_options={"include_usage": True})
    started = time.monotonic()
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        lines = [line for line in response.iter_lines() if line]
    elapsed = time.monotonic() - started
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    payloads = [json.loads(line[6:]) for line in lines[:-1]]
    usage_chunk = payloads[-1]
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"]["completion_tokens"] == 2000
    text = "".join(p["choices"][0]["delta"].get("content", "") for p in payloads[:-1])
    assert len(text.split()) == 2000
    assert payloads[-2]["choices"][0]["finish_reason"] == "stop"
    assert elapsed < 5  # generous: precomputed frames, batched writes

    plain = chat_body(stream=True)
    with client.stream("POST", "/v1/chat/completions", json=plain) as response:
        lines = [line for line in response.iter_lines() if line]
    assert all("usage" not in json.loads(line[6:]) for line in lines[:-1])


def test_chat_completions_paced(client: httpx.Client, emulator: Emulator) -> None:
    emulator.config.chunk_delay = 0.005
    with client.stream("POST", "/v1/chat/completions", json=chat_body(stream=True)) as response:
        lines = [line for line in response.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"


# --------------------------------------------------------------------------------------------
# The thread runner
# --------------------------------------------------------------------------------------------


def test_serve_in_thread_starts_fast_and_stops() -> None:
    started = time.monotonic()
    with serve_in_thread() as running:
        startup = time.monotonic() - started
        assert running.base_url == f"http://127.0.0.1:{running.port}"
        assert running.api_key == KEY
        response = httpx.get(
            f"{running.base_url}/v1/configs/llm_generations_models", headers=running.headers
        )
        assert response.status_code == 200
        running.stop()
        running.stop()  # idempotent
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{running.base_url}/v1/configs/llm_generations_models", timeout=1)
    assert startup < 2.0  # typically a few ms
    assert "sk-emulator" not in repr(running)


def test_stop_with_an_open_stream(emulator: Emulator) -> None:
    emulator.faults.stall_stream(after_chunks=0, seconds=30)
    with (
        serve_in_thread(emulator) as running,
        httpx.Client(base_url=running.base_url, headers=running.headers) as c,
    ):
        task = submit_stream(c)
        with c.stream("GET", task["stream"]["url"]) as response:
            assert response.status_code == 200
            started = time.monotonic()
            running.stop()
            assert time.monotonic() - started < 5


def test_audio_answer_tells_format_duration_and_hash() -> None:
    import io
    import wave as wave_module

    from foxapi_core._media import data_uri_from_bytes
    from foxapi_core.emulator import respond

    buffer = io.BytesIO()
    with wave_module.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(b"\0\0" * 12000)
    one = respond(
        {
            "model": "gemini-2.5-pro",
            "audio_url": data_uri_from_bytes(buffer.getvalue(), "audio/wav"),
        }
    )
    other = respond({"model": "gemini-2.5-pro", "audio_url": "https://e.test/call.mp3"})
    assert one.content.startswith("Transcription: (wav, 1.500 s, sha256:")
    assert other.content.startswith("Transcription: (mp3, from URL, sha256:")
    assert one.content.split(")")[1] != other.content.split(")")[1]


async def test_a_body_cut_short_creates_nothing_and_raises_nothing() -> None:
    # The client went away mid-body (its InlineMedia file changed while it was sent): the app
    # must answer quietly, not crash the ASGI task into the user's test log, and create no task.
    emu = Emulator()
    messages: list[Any] = [
        {
            "type": "http.request",
            "body": b'{"model":"gemini-2.5-pro","audio_url":"data:',
            "more_body": True,
        },
        {"type": "http.disconnect"},
    ]
    sent: list[Any] = []

    async def receive() -> Any:
        return messages.pop(0)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/llm/generations",
        "raw_path": b"/v1/llm/generations",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"authorization", f"Bearer {emu.config.api_key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"100000"),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    await emu.app(scope, receive, send)
    assert sent[0]["status"] == 400
    assert emu.counters.submit_attempts == 1 and emu.counters.submits == 0 and not emu.tasks
