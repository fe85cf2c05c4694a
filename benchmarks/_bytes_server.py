"""The benchmark's answer server: pre-rendered bytes for both protocols, on raw asyncio.

Run by the harness as a separate process (``python benchmarks/_bytes_server.py --sites JSON``),
so its work never lands in the measured client. Its cost per request is a header scan, a
``Content-Length`` and one regex on the body, then a cached ``bytes`` object written at once:
the same few microseconds for FoxAPI's three endpoints and OpenAI's ``/v1/chat/completions``, so
neither side of a pair pays for a server the other does not (the emulator's Starlette + uvicorn
cost ~0.3 ms per request and its own per-chunk encoding; ``_server.py`` keeps it for the figures
where the emulator is the point).

Each *site* is mounted under ``/<site>`` with its own settings (``--sites`` JSON):

- ``hold``: seconds each answering request waits before its answer (a timer, no CPU): the sync
  ChatCompletion, the SSE stream, and OpenAI's chat completion; ``hold_all``: hold every request
  (the submit and the task GET too), a simulated round trip per request;
- ``words``: chunks per answer when the prompt has no ``[[words:N]]`` (one word per chunk, then
  one chunk with the finish reason; the emulator's ``chunk_size=1`` answer);
- ``usage_in_stream``: FoxAPI's stream ends with a usage chunk (the protocol leaves it open,
  reference section 10), so the default transport needs no task GET after ``done``.

Routes under a site: ``POST /v1/llm/generations`` (``sync``, ``stream`` and both; the task id
encodes the chunk count, so nothing is stored per task), ``GET /v1/llm/generations/{id}/stream``
(``?offset=N`` honoured), ``GET /v1/tasks/{id}`` (completed, with usage), ``POST
/v1/chat/completions`` (plain, or ``stream`` with ``stream_options.include_usage``). Control
routes: ``GET /_bench/stats`` (TCP connections ``open``, ``peak``, ``opened`` since the last
reset, server-wide and per site: a connection belongs to the site of its first request) and
``POST /_bench/reset``.

Once listening the process prints ``PORT <n>``; it stops when stdin closes or on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import socket
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["Site", "main", "render"]

MODEL = "gpt-5.5"
_WORDS = re.compile(rb"\[\[words:(\d+)\]\]")
_MODEL = re.compile(rb'"model"\s*:\s*"([A-Za-z0-9_.:-]{1,64})"')
_TRUE = {key: re.compile(rb'"' + key + rb'"\s*:\s*true') for key in (b"sync", b"stream")}
_USAGE = re.compile(rb'"include_usage"\s*:\s*true')
_TASK = re.compile(r"task-llm-(\d+)-w(\d+)-m([A-Za-z0-9_.-]+?)(-u)?")
_CREATED = 1_776_874_481
_VOCAB = ("fox", "den", "kit", "vixen", "tail", "burrow", "dusk", "meadow")


@dataclass(frozen=True)
class Site:
    """One site's settings (see the module docstring)."""

    hold: float = 0.0
    hold_all: bool = False
    words: int = 20
    usage_in_stream: bool = False


def _words(n: int) -> list[str]:
    return [_VOCAB[i % len(_VOCAB)] + ("" if i == n - 1 else " ") for i in range(n)]


def _usage(n: int) -> dict[str, int]:
    return {"prompt_tokens": 12, "completion_tokens": n, "total_tokens": 12 + n}


def _completion(model: str, n: int) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": _CREATED,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "".join(_words(n))},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(n),
    }


def _chunks(model: str, n: int, usage: bool) -> list[bytes]:
    head = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": _CREATED}
    out = []
    for i, word in enumerate(_words(n)):
        delta = {"role": "assistant", "content": word} if i == 0 else {"content": word}
        choice = {"index": 0, "delta": delta, "finish_reason": None}
        out.append({**head, "model": model, "choices": [choice]})
    out.append(
        {**head, "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    )
    if usage:
        out.append({**head, "model": model, "choices": [], "usage": _usage(n)})
    return [json.dumps(c, separators=(",", ":")).encode() for c in out]


def _response(status: int, content_type: bytes, body: bytes) -> bytes:
    reason = {200: b"OK", 400: b"Bad Request", 404: b"Not Found", 411: b"Length Required"}
    return (
        b"HTTP/1.1 %d %s\r\ncontent-type: %s\r\ncontent-length: %d\r\n\r\n"
        % (status, reason.get(status, b"Error"), content_type, len(body))
        + body
    )


def _json(status: int, payload: Any) -> bytes:
    return _response(status, b"application/json", json.dumps(payload).encode())


@lru_cache(maxsize=256)
def render(kind: str, model: str, n: int, usage: bool = False, offset: int = 0) -> bytes:
    """The whole HTTP response (status line, headers, body) of one kind of answer, cached."""
    if kind == "completion":
        return _json(200, _completion(model, n))
    if kind == "task":
        return _json(
            200,
            {
                "id": f"task-llm-{_CREATED}-w{n}-m{model}{'-u' if usage else ''}",
                "object": "llm.generation.task",
                "type": "llm",
                "model": model,
                "status": "completed",
                "progress": 100,
                "created": _CREATED,
                "stream": None,
                "results": [_completion(model, n)],
                "error": None,
                "usage": {"credits_reserved": 1, "user_group": "default"},
            },
        )
    chunks = _chunks(model, n, usage)
    if kind == "fox_sse":  # FoxAPI's named events, from chunk ``offset``
        events = [b"event: chunk\ndata: %s\n\n" % c for c in chunks[offset:]]
        events.append(b'event: done\ndata: {"total_chunks": %d}\n\n' % len(chunks))
        return _response(200, b"text/event-stream", b"".join(events))
    if kind == "openai_sse":
        events = [b"data: %s\n\n" % c for c in chunks]
        events.append(b"data: [DONE]\n\n")
        return _response(200, b"text/event-stream", b"".join(events))
    raise ValueError(kind)


def _submitted(model: str, n: int, stream: bool, usage: bool) -> bytes:
    task_id = f"task-llm-{_CREATED}-w{n}-m{model}{'-u' if usage else ''}"
    return _json(
        200,
        {
            "id": task_id,
            "object": "llm.generation.task",
            "type": "llm",
            "model": model,
            "status": "pending",
            "progress": 0,
            "created": _CREATED,
            "stream": {"url": f"/v1/llm/generations/{task_id}/stream"} if stream else None,
            "results": None,
            "error": None,
        },
    )


_submitted_cached = lru_cache(maxsize=256)(_submitted)


class Counter:
    """TCP connections: open now, peak and opened since the last reset; in all and per site."""

    def __init__(self) -> None:
        self.open = 0
        self.peak = 0
        self.opened = 0
        self.site_open: dict[str, int] = {}
        self.site_peak: dict[str, int] = {}
        self.site_opened: dict[str, int] = {}

    def connected(self) -> None:
        """A connection was accepted."""
        self.open += 1
        self.opened += 1
        self.peak = max(self.peak, self.open)

    def attribute(self, site: str) -> None:
        """A connection's first request went to ``site``."""
        self.site_open[site] = self.site_open.get(site, 0) + 1
        self.site_opened[site] = self.site_opened.get(site, 0) + 1
        self.site_peak[site] = max(self.site_peak.get(site, 0), self.site_open[site])

    def closed(self, site: str | None) -> None:
        """A connection closed."""
        self.open -= 1
        if site is not None:
            self.site_open[site] -= 1

    def reset(self) -> None:
        """Count afresh from the connections open now."""
        self.peak = self.open
        self.opened = 0
        self.site_peak = dict(self.site_open)
        self.site_opened = {}

    def stats(self) -> dict[str, Any]:
        """What ``/_bench/stats`` answers."""
        names = sorted({*self.site_open, *self.site_peak, *self.site_opened})
        sites = {
            s: {
                "open": self.site_open.get(s, 0),
                "peak": self.site_peak.get(s, 0),
                "opened": self.site_opened.get(s, 0),
            }
            for s in names
        }
        return {"open": self.open, "peak": self.peak, "opened": self.opened, "sites": sites}


def answer(
    sites: dict[str, Site], counter: Counter, method: bytes, target: bytes, body: bytes
) -> tuple[bytes, float, str | None]:
    """The response to one request, how long to hold it, and the site it went to."""
    path, _, query = target.decode("latin-1").partition("?")
    name, _, rest = path.lstrip("/").partition("/")
    rest = "/" + rest
    if name == "_bench":
        if rest == "/reset":
            counter.reset()
        return _json(200, counter.stats()), 0.0, None
    site = sites.get(name)
    if site is None:
        return _json(404, {"error": {"message": f"no site {name!r}"}}), 0.0, None
    hold = site.hold
    if method == b"POST" and rest in ("/v1/llm/generations", "/v1/chat/completions"):
        words = _WORDS.search(body)
        n = int(words.group(1)) if words else site.words
        found = _MODEL.search(body)
        model = found.group(1).decode() if found else MODEL
        stream = _TRUE[b"stream"].search(body) is not None
        if rest == "/v1/chat/completions":
            if stream:
                return render("openai_sse", model, n, _USAGE.search(body) is not None), hold, name
            return render("completion", model, n), hold, name
        if _TRUE[b"sync"].search(body) is not None:
            if stream:  # a thinking model's sync stream: named events on the POST
                return render("fox_sse", model, n, True), hold, name
            return render("completion", model, n), hold, name
        reply = _submitted_cached(model, n, stream, site.usage_in_stream)
        return reply, hold if site.hold_all else 0.0, name
    if method == b"GET" and rest.startswith(("/v1/llm/generations/", "/v1/tasks/")):
        task_id = rest.rsplit("/stream", 1)[0].rsplit("/", 1)[-1]
        match = _TASK.fullmatch(task_id)
        if match is None:
            return _json(404, {"error": {"message": "no such task", "type": "not_found"}}), 0, name
        n, model, usage = int(match.group(2)), match.group(3), match.group(4) is not None
        if rest.endswith("/stream"):
            offset = 0
            for part in query.split("&"):
                key, _, value = part.partition("=")
                if key == "offset" and value.isdigit():
                    offset = int(value)
            return render("fox_sse", model, n, usage, offset), hold, name
        return render("task", model, n, usage), hold if site.hold_all else 0.0, name
    return _json(404, {"error": {"message": f"no route {rest}", "type": "not_found"}}), 0.0, name


class HTTPProtocol(asyncio.Protocol):
    """HTTP/1.1 keep-alive: requests in, pre-rendered responses out (no pipelining)."""

    def __init__(self, sites: dict[str, Site], counter: Counter) -> None:
        self.sites = sites
        self.counter = counter
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.site: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Accepted: no Nagle (the trap in docs/performance.md), counted."""
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.counter.connected()

    def connection_lost(self, exc: Exception | None) -> None:
        """Closed by either side."""
        self.counter.closed(self.site)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        """Parse as many complete requests as arrived."""
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end]).split(b"\r\n")
            length = 0
            close = False
            for line in head[1:]:
                key, _, value = line.partition(b":")
                key = key.strip().lower()
                if key == b"content-length":
                    length = int(value)
                elif key == b"connection" and value.strip().lower() == b"close":
                    close = True
                elif key == b"transfer-encoding":
                    self._write(_json(411, {"error": {"message": "chunked body"}}), True)
                    return
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            method, target, _ = head[0].split(b" ", 2)
            reply, hold, site = answer(self.sites, self.counter, method, target, body)
            if site is not None and self.site is None:
                self.site = site
                self.counter.attribute(site)
            if hold > 0:
                # httpx and the openai SDK never pipeline (one request per connection at a
                # time), so a held answer cannot overtake another on the same connection.
                asyncio.get_running_loop().call_later(hold, self._write, reply, close)
            else:
                self._write(reply, close)

    def _write(self, reply: bytes, close: bool) -> None:
        if self.transport is None:
            return
        self.transport.write(reply)
        if close:
            self.transport.close()


def _watch_stdin(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    sys.stdin.read()
    loop.call_soon_threadsafe(stop.set)


def main(argv: list[str] | None = None) -> None:
    """Serve the sites of ``--sites`` on a free loopback port until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", required=True, help="JSON: {site: {hold, words, ...}}")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    sites = {name: Site(**spec) for name, spec in json.loads(args.sites).items()}
    counter = Counter()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        # proto=IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say they are TCP
        # (base_events._set_nodelay); connection_made sets it again, explicitly.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((args.host, 0))
        sock.listen(4096)
        sock.setblocking(False)
        server = await loop.create_server(
            lambda: HTTPProtocol(sites, counter), sock=sock, backlog=4096
        )
        stop = asyncio.Event()
        threading.Thread(target=_watch_stdin, args=(loop, stop), daemon=True).start()
        print(f"PORT {sock.getsockname()[1]}", flush=True)
        async with server:
            await stop.wait()

    asyncio.run(serve())


if __name__ == "__main__":
    main()
