"""A scripted, pure-Python model of a FoxAPI server's stream and task endpoints, for driving the
I/O-free generation flows (no sockets): every reading of the protocol that issue 13 lists, as
switches. Used by test_stream_engine.py and test_generation_properties.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import SecretStr

from foxapi_core import DEFAULT_CATALOG
from foxapi_core._config import ClientConfig
from foxapi_core._flows import (
    CloseStream,
    Emit,
    FlowContext,
    ReadStream,
    Reply,
    Send,
    Sleep,
    TransportFailure,
)
from foxapi_core._policies import PollPolicy, RetryPolicy

JSON = {"content-type": "application/json"}
SSE = {"content-type": "text/event-stream"}
TASK_ID = "task-llm-1-abcdefgh"
MODEL = "gemini-3.1-pro-preview"
IDLE = 30.0


@dataclass
class Clock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Run:
    result: Any = None
    error: BaseException | None = None
    sent: list[Send] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    emitted: list[Any] = field(default_factory=list)


def make_ctx(clock: Clock | None = None, **retry: Any) -> FlowContext:
    config = ClientConfig(
        api_key=SecretStr("sk-test"),
        base_url="http://127.0.0.1:1",
        retry=RetryPolicy(**retry),
        poll=PollPolicy(),
    )
    return FlowContext(config, DEFAULT_CATALOG, clock=clock or Clock())


def drive(flow: Any, server: Callable[[Any], Any], clock: Clock) -> Run:
    """Execute a flow against ``server(cmd)``; sleeps advance the fake clock."""
    run = Run()
    reply: Any = None
    for _ in range(100_000):
        try:
            cmd = flow.send(reply)
        except StopIteration as stop:
            run.result = stop.value
            return run
        except Exception as exc:
            run.error = exc
            return run
        reply = None
        if isinstance(cmd, Sleep):
            assert cmd.seconds >= 0
            run.sleeps.append(cmd.seconds)
            clock.now += cmd.seconds
        elif isinstance(cmd, Emit):
            run.emitted.append(cmd.item)
        elif isinstance(cmd, Send):
            run.sent.append(cmd)
            reply = server(cmd)
        elif isinstance(cmd, (ReadStream, CloseStream)):
            reply = server(cmd)
    raise AssertionError("the flow did not end")


def chunk_obj(content: str, *, last: bool = False) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "model": MODEL,
        "choices": [
            {"index": 0, "delta": {"content": content}, "finish_reason": "stop" if last else None}
        ],
    }


def chunks_of(contents: list[str]) -> list[str]:
    """Compact serialisations of one chunk per content, the last with ``finish_reason``."""
    return [
        json.dumps(chunk_obj(c, last=i == len(contents) - 1), separators=(",", ":"))
        for i, c in enumerate(contents)
    ]


def reserialise(data: str) -> str:
    """The same JSON in other bytes (spaces, sorted keys)."""
    return json.dumps(json.loads(data), sort_keys=True, separators=(", ", ": "))


def completion_obj(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": MODEL,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
    }


@dataclass
class ServerModel:
    """One task's answer (``contents``, one chunk each) and how the server behaves.

    Attributes:
        honour_offset: resume at ``?offset`` (else replay from chunk 0).
        reserialise: a replayed or resumed connection sends the same JSON in other bytes.
        cuts: connection ``i`` (of those answered 200) ends after ``cuts[i]`` chunks.
        stall_on: those cut connections stall (read timeout) instead of closing.
        keepalives: unnamed ``data:`` that are not chunks, ``id:`` fields and comments between
            chunks.
        total: ``done``'s ``total_chunks``: right, absent or wrong (``total_delta`` off).
        stream_5xx: this many stream requests answered 503 first.
        error_at_end: the last connection ends with ``event: error`` (the task is completed).
        null_results: every poll answers ``completed`` with ``results: null``.
        usage_in_stream: the last chunk carries usage.
        read_size: bytes per read.
    """

    contents: list[str]
    honour_offset: bool = True
    reserialise: bool = False
    cuts: list[int] = field(default_factory=list)
    stall_on: set[int] = field(default_factory=set)
    keepalives: bool = False
    total: Literal["right", "absent", "wrong"] = "right"
    total_delta: int = 1
    stream_5xx: int = 0
    error_at_end: bool = False
    null_results: bool = False
    usage_in_stream: bool = False
    read_size: int = 11
    clock: Clock | None = None
    chunks: list[str] = field(init=False)
    offsets: list[int] = field(default_factory=list)
    stream_requests: int = 0
    _pending: list[bytes] = field(default_factory=list)
    _stall: bool = False

    def __post_init__(self) -> None:
        self.chunks = chunks_of(self.contents)
        if self.usage_in_stream and self.chunks:
            last = json.loads(self.chunks[-1])
            last["usage"] = completion_obj("")["usage"]
            self.chunks[-1] = json.dumps(last, separators=(",", ":"))

    @property
    def text(self) -> str:
        return "".join(self.contents)

    def _body(self, offset: int, connection: int) -> bytes:
        start = offset if self.honour_offset else 0
        chunks = self.chunks[start:]
        if self.reserialise and offset:
            chunks = [reserialise(c) for c in chunks]
        cut = self.cuts[connection] if connection < len(self.cuts) else None
        parts = [b": ping\n\n"]
        for i, data in enumerate(chunks[:cut] if cut is not None else chunks):
            if self.keepalives:
                parts.append(b'data: {"object":"keepalive","status":"processing"}\n\n')
                parts.append(f"id: {start + i}\n".encode())
            parts.append(f"event: chunk\ndata: {data}\n\n".encode())
        self._stall = cut is not None and connection in self.stall_on
        if cut is None:
            if self.error_at_end:
                parts.append(b'event: error\ndata: {"message": "relay hiccup"}\n\n')
            elif self.total == "absent":
                parts.append(b"event: done\ndata: {}\n\n")
            else:
                n = len(self.chunks) + (self.total_delta if self.total == "wrong" else 0)
                parts.append(f'event: done\ndata: {{"total_chunks": {n}}}\n\n'.encode())
        raw = b"".join(parts)
        return raw

    def __call__(self, cmd: Any) -> Any:
        if isinstance(cmd, Send):
            if cmd.kind == "stream":
                self.stream_requests += 1
                if self.stream_requests <= self.stream_5xx:
                    body = json.dumps({"error": {"message": "busy", "type": "x"}}).encode()
                    return Reply(503, JSON, body)
                offset = int((cmd.params or {}).get("offset", 0))
                raw = self._body(offset, len(self.offsets))
                self.offsets.append(offset)
                size = self.read_size
                self._pending = [raw[i : i + size] for i in range(0, len(raw), size)]
                return Reply(200, SSE)
            if cmd.method == "POST":
                task = {"id": TASK_ID, "status": "pending", "stream": {"url": f"/s/{TASK_ID}"}}
                return Reply(200, JSON, json.dumps(task).encode())
            results = None if self.null_results else [completion_obj(self.text)]
            task = {"id": TASK_ID, "status": "completed", "results": results}
            return Reply(200, JSON, json.dumps(task).encode())
        if isinstance(cmd, ReadStream):
            if self._pending:
                return self._pending.pop(0)
            if self._stall:
                if self.clock is not None:
                    self.clock.now += IDLE
                return TransportFailure(TimeoutError("idle"), sent=True, timeout=True)
            return b""
        return None
