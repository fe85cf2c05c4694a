"""Profile the emulator's own cost per request, for the requests of figures 4 and 8.

Usage::

    python benchmarks/profile_emulator.py              # in-process timings + cProfile
    python benchmarks/profile_emulator.py --socket     # also: server CPU over real uvicorn
    python benchmarks/profile_emulator.py --top 40     # longer profiles

The benchmark's emulator shares the client's 2 cores, so every microsecond it spends per request
shows up in the wall-clock figures. Three scenarios, with the exact bodies and headers the
benchmark's clients send:

- ``sync``: ``POST /v1/llm/generations`` with ``sync: true`` (figure 4, ``ChatFoxAPI``);
- ``stream``: ``POST`` with ``stream: true``, ``GET .../{id}/stream``, ``GET /v1/tasks/{id}``
  (figure 8, the default transport);
- ``chat``: ``POST /v1/chat/completions`` (figure 4's reference, ``ChatOpenAI``).

*In-process* drives the ASGI app with a bare ASGI harness (no HTTP parsing, no httpx), so the
numbers are the app's own: Starlette routing, the emulator's gate and handlers, catalog checks and
answer building. *Socket* starts ``benchmarks/_server.py`` like the benchmark does, sends the
same requests with a raw ``httpx.Client`` and reads the server process's CPU time from
``/proc``: that adds uvicorn's h11 parsing and the asyncio transport.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks._harness import API_KEY, start_emulator
from benchmarks.figures import MODEL, SHORT_WORDS, _body
from foxapi_core._checks import check_body
from foxapi_core.emulator import Emulator, EmulatorConfig, chunks, completion, respond
from foxapi_core.emulator._answer_wire import encode, encoded_chunks

__all__ = ["main"]

SUBMIT = "/v1/llm/generations"
_FOX_HEADERS = [
    (b"host", b"127.0.0.1"),
    (b"accept-encoding", b"gzip, deflate, zstd"),
    (b"connection", b"keep-alive"),
    (b"authorization", f"Bearer {API_KEY}".encode()),
    (b"user-agent", b"foxapi-integrations/0.1"),
    (b"accept", b"application/json"),
]
_JSON = [(b"content-type", b"application/json")]
# What the OpenAI SDK sends besides the basics (figure 4's reference).
_OPENAI_HEADERS = [
    *_FOX_HEADERS[:5],
    (b"user-agent", b"OpenAI/Python 2.54.0"),
    *[(f"x-stainless-{k}".encode(), b"x") for k in ("lang", "os", "arch", "runtime", "async")],
]

Scenario = Callable[[], Awaitable[None]]


class _Driver:
    """Calls the ASGI app the way uvicorn does, minus the socket: one scope per request."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def request(
        self,
        method: str,
        path: str,
        body: bytes = b"",
        headers: list[tuple[bytes, bytes]] = _FOX_HEADERS,
    ) -> tuple[int, bytes]:
        if body:
            headers = [*headers, *_JSON, (b"content-length", str(len(body)).encode())]
        path, _, query = path.partition("?")
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        status = 0
        out: list[bytes] = []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.Event().wait()  # like uvicorn: no disconnect while the client waits
            raise AssertionError("unreachable")

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(out)


def _scenarios(driver: _Driver) -> dict[str, Scenario]:
    body = _body(SHORT_WORDS)
    sync_body = json.dumps({**body, "sync": True}, separators=(",", ":")).encode()
    stream_body = json.dumps({**body, "stream": True}, separators=(",", ":")).encode()
    chat_body = json.dumps({**body, "stream": False}, separators=(",", ":")).encode()

    async def sync() -> None:
        status, _ = await driver.request("POST", SUBMIT, sync_body)
        assert status == 200, status

    async def stream() -> None:
        status, raw = await driver.request("POST", SUBMIT, stream_body)
        assert status == 200, status
        task_id = json.loads(raw)["id"]
        stream_headers = [*_FOX_HEADERS[:5], (b"accept", b"text/event-stream")]
        status, raw = await driver.request(
            "GET", f"{SUBMIT}/{task_id}/stream", headers=stream_headers
        )
        assert status == 200 and b"event: done" in raw[-40:], raw[-80:]
        status, _ = await driver.request("GET", f"/v1/tasks/{task_id}")
        assert status == 200, status

    async def chat() -> None:
        status, _ = await driver.request(
            "POST", "/v1/chat/completions", chat_body, headers=_OPENAI_HEADERS
        )
        assert status == 200, status

    return {"sync": sync, "stream": stream, "chat": chat}


def _time_in_process(emulator: Emulator, scenario: Scenario, n: int, repeat: int) -> float:
    """Median over ``repeat`` runs of the µs per scenario (``n`` scenarios per run)."""

    async def run() -> float:
        for _ in range(20):
            await scenario()
        samples = []
        for _ in range(repeat):
            emulator.reset()
            start = time.perf_counter()
            for _ in range(n):
                await scenario()
            samples.append((time.perf_counter() - start) / n * 1e6)
        return statistics.median(samples)

    return asyncio.run(run())


def _profile(emulator: Emulator, scenario: Scenario, n: int, top: int) -> str:
    async def run() -> None:
        for _ in range(n):
            await scenario()

    profiler = cProfile.Profile()
    emulator.reset()
    profiler.enable()
    asyncio.run(run())
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _stages(n: int) -> dict[str, float]:
    """µs per call of the pieces a submit is made of, outside the app."""
    body = {**_body(SHORT_WORDS), "sync": True}
    answer = respond(body, answer_words=None)

    def per_call(fn: Callable[[], object]) -> float:
        best = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(n):
                fn()
            best = min(best, (time.perf_counter() - start) / n * 1e6)
        return best

    return {
        "json.loads(body)": per_call(lambda: json.loads(json.dumps(body))),
        "check_body (catalog)": per_call(lambda: check_body(body)),
        "respond": per_call(lambda: respond(body)),
        "chunks": per_call(lambda: chunks(answer, chunk_size=1)),
        "chunks + encode each": per_call(lambda: [encode(c) for c in chunks(answer, chunk_size=1)]),
        "encoded_chunks (same bytes)": per_call(lambda: encoded_chunks(answer, chunk_size=1)),
        "completion": per_call(lambda: completion(answer)),
        "encode(completion)": per_call(lambda: encode(completion(answer))),
    }


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _socket(n: int) -> dict[str, dict[str, float]]:
    """Server-process CPU ms and client wall ms per scenario over real uvicorn."""
    body = _body(SHORT_WORDS)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    results: dict[str, dict[str, float]] = {}
    sites = {"plain": {"config": {"chunk_size": 1}}}
    with start_emulator(sites) as server, httpx.Client(headers=headers) as http:
        base = server.base_url("plain")

        def sync() -> None:
            http.post(base + SUBMIT, json={**body, "sync": True}).raise_for_status()

        def stream() -> None:
            task_id = http.post(base + SUBMIT, json={**body, "stream": True}).json()["id"]
            with http.stream("GET", f"{base}{SUBMIT}/{task_id}/stream") as reply:
                for _ in reply.iter_bytes():
                    pass
            http.get(f"{base}/v1/tasks/{task_id}").raise_for_status()

        def chat() -> None:
            url = server.openai_url("plain") + "/chat/completions"
            http.post(url, json={**body, "stream": False}).raise_for_status()

        for name, fn in (("sync", sync), ("stream", stream), ("chat", chat)):
            for _ in range(20):
                fn()
            server.reset()
            cpu0, wall0 = _cpu_seconds(server.process.pid), time.perf_counter()
            for _ in range(n):
                fn()
            cpu1, wall1 = _cpu_seconds(server.process.pid), time.perf_counter()
            results[name] = {
                "server_cpu_ms": (cpu1 - cpu0) / n * 1000,
                "wall_ms": (wall1 - wall0) / n * 1000,
            }
    return results


def main(argv: list[str] | None = None) -> int:
    """Print per-request costs and profiles."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="scenarios per timing run")
    parser.add_argument("--top", type=int, default=25, help="rows per profile")
    parser.add_argument("--socket", action="store_true", help="also measure over uvicorn")
    parser.add_argument("--no-profile", action="store_true", help="timings only")
    args = parser.parse_args(argv)

    emulator = Emulator(EmulatorConfig(chunk_size=1))
    scenarios = _scenarios(_Driver(emulator.app))
    print(f"model {MODEL}, {SHORT_WORDS}-word answer, chunk_size 1 (the benchmark's 'plain' site)")
    print("\nin-process ASGI, µs per scenario (median of 7 runs):")
    for name, scenario in scenarios.items():
        print(f"  {name:8} {_time_in_process(emulator, scenario, args.n, 7):8.1f}")
    print("\nstages outside the app, µs per call (best of 5):")
    for name, value in _stages(args.n).items():
        print(f"  {name:28} {value:8.1f}")
    if args.socket:
        print("\nover uvicorn (benchmarks/_server.py), per scenario:")
        for name, row in _socket(args.n).items():
            cpu, wall = row["server_cpu_ms"], row["wall_ms"]
            print(f"  {name:8} server CPU {cpu:.3f} ms, wall {wall:.3f} ms")
    if not args.no_profile:
        for name, scenario in scenarios.items():
            print(f"\n===== cProfile: {name} x {args.n} =====")
            print(_profile(emulator, scenario, args.n, args.top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
