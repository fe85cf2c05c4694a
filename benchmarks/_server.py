"""The benchmark's emulator process: several FoxAPI emulators behind one loopback port.

Run by the harness as a separate process (``python benchmarks/_server.py --sites JSON``), so the
server's work never lands in the measured client process. Each *site* is an
:class:`~foxapi_core.emulator.Emulator` with its own :class:`EmulatorConfig`, mounted under
``/<site>`` (a client's base URL is ``http://127.0.0.1:<port>/<site>``, an OpenAI client's
``.../<site>/v1``), optionally behind :class:`DelayMiddleware`, which holds every request for a
fixed time before the emulator sees it (a simulated network round trip; the emulator itself is
not changed). uvicorn is configured as ``foxapi_core.emulator.serve`` configures it.

Control routes (no key needed):

- ``GET /_bench/stats``: TCP connections ``open`` now, ``peak`` open at once and ``opened`` in all,
  since the last reset, server-wide and per site (``sites``);
- ``POST /_bench/reset``: reset those counters and forget every site's tasks.

Once listening, the process prints ``PORT <n>`` on stdout; it stops when stdin closes (the parent
exited) or on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
import threading
from typing import Any

import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from foxapi_core.emulator import Emulator, EmulatorConfig

__all__ = ["ConnectionCounter", "DelayMiddleware", "Dispatcher", "main"]


class ConnectionCounter(set[Any]):
    """uvicorn's set of open connections, counting what goes through it, in all and per site.

    uvicorn's protocols ``add`` themselves on ``connection_made`` and ``discard`` themselves on
    ``connection_lost`` (``uvicorn.server.ServerState.connections``), so replacing that set before
    startup counts every TCP connection exactly. A connection belongs to the site of its first
    request (each benchmark client talks to one site), so two clients measured in turn are
    counted apart: the server-wide figure also holds the other client's idle keep-alive pool.
    """

    def __init__(self) -> None:
        super().__init__()
        self.peak = 0
        self.opened = 0
        self._site_of: dict[Any, str] = {}
        self.site_open: dict[str, int] = {}
        self.site_peak: dict[str, int] = {}
        self.site_opened: dict[str, int] = {}

    def add(self, item: Any) -> None:
        """A connection was opened."""
        super().add(item)
        self.opened += 1
        self.peak = max(self.peak, len(self))

    def discard(self, item: Any) -> None:
        """A connection was closed."""
        super().discard(item)
        site = self._site_of.pop(getattr(item, "client", None), None)
        if site is not None:
            self.site_open[site] -= 1

    def attribute(self, client: Any, site: str) -> None:
        """The connection from ``client`` (peer address) made a request to ``site``."""
        if client is None or client in self._site_of:
            return
        self._site_of[client] = site
        self.site_open[site] = self.site_open.get(site, 0) + 1
        self.site_opened[site] = self.site_opened.get(site, 0) + 1
        self.site_peak[site] = max(self.site_peak.get(site, 0), self.site_open[site])

    def reset(self) -> None:
        """Start counting afresh from the connections open now."""
        self.peak = len(self)
        self.opened = 0
        self.site_peak = dict(self.site_open)
        self.site_opened = {}

    def stats(self) -> dict[str, Any]:
        """What ``/_bench/stats`` answers."""
        sites = {
            site: {
                "open": self.site_open.get(site, 0),
                "peak": self.site_peak.get(site, 0),
                "opened": self.site_opened.get(site, 0),
            }
            for site in sorted({*self.site_open, *self.site_peak, *self.site_opened})
        }
        return {"open": len(self), "peak": self.peak, "opened": self.opened, "sites": sites}


class DelayMiddleware:
    """Hold each HTTP request ``seconds`` before the app sees it: one simulated round trip."""

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Delay, then serve."""
        if scope["type"] == "http" and self.seconds > 0:
            await asyncio.sleep(self.seconds)
        await self.app(scope, receive, send)


class Dispatcher:
    """Route ``/<site>/rest`` to that site's app with ``path`` = ``/rest``; serve ``/_bench``."""

    def __init__(
        self, sites: dict[str, tuple[Emulator, ASGIApp]], counter: ConnectionCounter
    ) -> None:
        self.sites = sites
        self.counter = counter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch one request."""
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        name, _, rest = path.lstrip("/").partition("/")
        if name == "_bench":
            await self._control(rest, send)
            return
        site = self.sites.get(name)
        if site is None:
            await _respond(send, 404, {"error": {"message": f"no site {name!r}"}})
            return
        client = scope.get("client")
        self.counter.attribute(tuple(client) if client else None, name)
        inner = dict(scope)
        inner["path"] = "/" + rest
        inner["raw_path"] = inner["path"].encode()
        await site[1](inner, receive, send)

    async def _control(self, action: str, send: Send) -> None:
        counter = self.counter
        if action == "reset":
            counter.reset()
            for emulator, _ in self.sites.values():
                emulator.reset()
        await _respond(send, 200, counter.stats())


async def _respond(send: Send, status: int, payload: dict[str, Any]) -> None:
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def build(spec: dict[str, dict[str, Any]]) -> tuple[Dispatcher, ConnectionCounter]:
    """The dispatcher for ``spec``: ``{site: {"config": {...EmulatorConfig}, "delay": s}}``."""
    counter = ConnectionCounter()
    sites: dict[str, tuple[Emulator, ASGIApp]] = {}
    for name, site in spec.items():
        emulator = Emulator(EmulatorConfig(**site.get("config", {})))
        app: ASGIApp = emulator.app
        delay = float(site.get("delay", 0.0))
        if delay > 0:
            app = DelayMiddleware(app, delay)
        sites[name] = (emulator, app)
    return Dispatcher(sites, counter), counter


def _watch_stdin(server: uvicorn.Server) -> None:
    """Stop when the parent goes away (its end of our stdin closes)."""
    sys.stdin.read()
    server.should_exit = True


def main(argv: list[str] | None = None) -> None:
    """Serve the sites of ``--sites`` on a free loopback port until stdin closes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", required=True, help="JSON: {site: {config, delay}}")
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    app, counter = build(json.loads(args.sites))
    # proto=IPPROTO_TCP matters: asyncio sets TCP_NODELAY only on sockets that say they are
    # TCP (base_events._set_nodelay); with proto 0, Nagle + delayed ACK add 40 ms per response.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, 0))
    sock.listen(1024)
    sock.setblocking(False)
    # The same settings as foxapi_core.emulator's own servers (_server._uvicorn_config).
    config = uvicorn.Config(
        app,
        log_level="warning",
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=1,
        backlog=1024,
    )
    server = uvicorn.Server(config)
    server.server_state.connections = counter  # type: ignore[assignment]

    async def serve() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        # uvicorn exposes no awaitable for "started", hence the short polling sleep.
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        print(f"PORT {sock.getsockname()[1]}", flush=True)
        await task

    threading.Thread(target=_watch_stdin, args=(server,), daemon=True).start()
    asyncio.run(serve())


if __name__ == "__main__":
    main()
