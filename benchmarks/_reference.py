"""Hand-written raw httpx clients: the floor each figure compares against.

They do exactly the requests our client does (same bodies, same endpoints), with nothing but
httpx and ``json.loads``: no validation, no retries, no resume, no typed models. The SSE parsing
is the leanest that is correct for the emulator's framing (``event: <name>\\ndata: <json>\\n\\n``
and OpenAI's ``data: <json>\\n\\n``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = [
    "RawResult",
    "araw_stream_generate",
    "iter_raw_stream",
    "raw_stream_generate",
    "raw_sync_generate",
]

SUBMIT = "/v1/llm/generations"


@dataclass
class RawResult:
    """What a raw sequence got: the text, chunk count, usage, and when the first text came."""

    text: str = ""
    chunks: int = 0
    usage: dict[str, Any] | None = None
    first_token_at: float | None = None
    parts: list[str] = field(default_factory=list)


def _headers(key: str, accept: str = "application/json") -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Accept": accept}


def raw_sync_generate(http: httpx.Client, base: str, key: str, body: dict[str, Any]) -> Any:
    """``POST /v1/llm/generations`` with ``sync: true``; the parsed ChatCompletion dict."""
    reply = http.post(base + SUBMIT, json={**body, "sync": True}, headers=_headers(key))
    reply.raise_for_status()
    return json.loads(reply.content)


def _take_events(buffer: bytes, result: RawResult) -> tuple[bytes, bool]:
    """Consume the complete events in ``buffer``; return the rest and whether ``done`` came."""
    *events, rest = buffer.split(b"\n\n")
    done = False
    for event in events:
        name, _, data = event.partition(b"\n")
        if name == b"event: chunk":
            chunk = json.loads(data[6:])
            result.chunks += 1
            choices = chunk["choices"]
            if choices:
                content = choices[0]["delta"].get("content")
                if content:
                    if result.first_token_at is None:
                        result.first_token_at = time.perf_counter()
                    result.parts.append(content)
            usage = chunk.get("usage")
            if usage:
                result.usage = usage
        elif name == b"event: done":
            done = True
    return rest, done


def iter_raw_stream(
    http: httpx.Client, base: str, key: str, body: dict[str, Any], result: RawResult
) -> Iterator[str]:
    """The default transport by hand, yielding each piece of content as it is parsed; usage in
    ``result`` at the end (from the stream's last chunk, else from the task)."""
    reply = http.post(base + SUBMIT, json={**body, "stream": True}, headers=_headers(key))
    reply.raise_for_status()
    task_id = json.loads(reply.content)["id"]
    url = f"{base}{SUBMIT}/{task_id}/stream"
    with http.stream("GET", url, headers=_headers(key, "text/event-stream")) as stream:
        stream.raise_for_status()
        buffer = b""
        for piece in stream.iter_bytes():  # to EOF, as in _consume
            *events, buffer = (buffer + piece).split(b"\n\n")
            for event in events:
                name, _, data = event.partition(b"\n")
                if name != b"event: chunk":
                    continue
                chunk = json.loads(data[6:])
                result.chunks += 1
                if chunk.get("usage"):
                    result.usage = chunk["usage"]
                if chunk["choices"]:
                    content = chunk["choices"][0]["delta"].get("content")
                    if content:
                        yield content
    if result.usage is None:
        reply = http.get(f"{base}/v1/tasks/{task_id}", headers=_headers(key))
        reply.raise_for_status()
        result.usage = json.loads(reply.content)["results"][0].get("usage")


def _consume(pieces: Iterable[bytes], result: RawResult) -> None:
    # Read to the end of the body (the server ends it right after ``done``): only a response
    # read to EOF goes back to httpx's pool; one closed early costs a new TCP connection.
    buffer = b""
    for piece in pieces:
        buffer, _ = _take_events(buffer + piece, result)


def raw_stream_generate(
    http: httpx.Client,
    base: str,
    key: str,
    body: dict[str, Any],
    before_request: Callable[[], object] = lambda: None,
) -> RawResult:
    """The default transport by hand: submit with ``stream``, read the SSE, read the task
    unless the stream carried usage (``before_request`` runs before each request)."""
    before_request()
    reply = http.post(base + SUBMIT, json={**body, "stream": True}, headers=_headers(key))
    reply.raise_for_status()
    task_id = json.loads(reply.content)["id"]
    result = RawResult()
    url = f"{base}{SUBMIT}/{task_id}/stream"
    before_request()
    with http.stream("GET", url, headers=_headers(key, "text/event-stream")) as stream:
        stream.raise_for_status()
        _consume(stream.iter_bytes(), result)
    if result.usage is None:  # not in the stream: the task has it
        before_request()
        reply = http.get(f"{base}/v1/tasks/{task_id}", headers=_headers(key))
        reply.raise_for_status()
        result.usage = json.loads(reply.content)["results"][0].get("usage")
    result.text = "".join(result.parts)
    return result


async def araw_stream_generate(
    http: httpx.AsyncClient, base: str, key: str, body: dict[str, Any]
) -> RawResult:
    """The async twin of :func:`raw_stream_generate`."""
    reply = await http.post(base + SUBMIT, json={**body, "stream": True}, headers=_headers(key))
    reply.raise_for_status()
    task_id = json.loads(reply.content)["id"]
    result = RawResult()
    url = f"{base}{SUBMIT}/{task_id}/stream"
    async with http.stream("GET", url, headers=_headers(key, "text/event-stream")) as stream:
        stream.raise_for_status()
        buffer = b""
        async for piece in stream.aiter_bytes():  # to EOF, as in _consume
            buffer, _ = _take_events(buffer + piece, result)
    if result.usage is None:
        reply = await http.get(f"{base}/v1/tasks/{task_id}", headers=_headers(key))
        reply.raise_for_status()
        result.usage = json.loads(reply.content)["results"][0].get("usage")
    result.text = "".join(result.parts)
    return result
