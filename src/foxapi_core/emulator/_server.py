"""Running the emulator on a real socket: in a background thread (tests) or in the foreground.

The thread runner binds the listening socket itself (port 0 = a free port, known before the
server starts), runs ``uvicorn.Server.serve(sockets=[sock])`` in the thread's own event loop
(uvicorn installs signal handlers only in the main thread) and waits for startup on an event, so
a test pays a few milliseconds, not uvicorn's 0.1 s tick, to start and stop a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import uvicorn

from ._emulator import Emulator
from ._state import EmulatorConfig

__all__ = ["RunningEmulator", "serve", "serve_in_thread"]

_STARTUP_TIMEOUT = 10.0
_logger = logging.getLogger("uvicorn.error")


class _ThreadServer(uvicorn.Server):
    """uvicorn server that signals startup and wakes up at once when asked to exit."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening, then tell the waiting thread."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        await super().startup(sockets=sockets)
        self.ready.set()

    async def main_loop(self) -> None:
        """Like uvicorn's loop (date header refresh each second) but woken by :meth:`exit`."""
        assert self._wake is not None
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864000
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Abort open connections (e.g. stalled streams) so they do not delay shutdown."""
        for connection in list(self.server_state.connections):
            transport = getattr(connection, "transport", None)
            if isinstance(transport, asyncio.WriteTransport):
                transport.abort()
        await super().shutdown(sockets=sockets)

    def exit(self) -> None:
        """Ask the server to stop; callable from any thread."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(wake.set)


@dataclass
class RunningEmulator:
    """A live emulator on a loopback socket, as yielded by :func:`serve_in_thread`.

    Attributes:
        base_url: ``http://host:port`` to give to clients.
        api_key: The key the emulator accepts.
        emulator: The emulator (config, counters, faults, tasks).
        port: The bound port.
    """

    base_url: str
    api_key: str = field(repr=False)
    emulator: Emulator
    port: int
    _server: _ThreadServer = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def headers(self) -> dict[str, str]:
        """The ``Authorization`` header for the emulator's key."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def stop(self) -> None:
        """Stop the server and wait for its thread (idempotent)."""
        self._server.exit()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10.0)


def _bind(host: str, port: int) -> socket.socket:
    family, kind, proto, _, address = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def _uvicorn_config(
    emulator: Emulator, *, host: str = "127.0.0.1", port: int = 0, log_level: str = "warning"
) -> uvicorn.Config:
    return uvicorn.Config(
        emulator.app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        # FoxAPI speaks plain HTTP: without this uvicorn imports its websockets protocol when the
        # websockets package happens to be installed (and uvicorn 0.30 warns on websockets 14+).
        ws="none",
        # Small, so an open SSE stream never keeps a stopping server alive for long.
        timeout_graceful_shutdown=1,
    )


@contextlib.contextmanager
def serve_in_thread(
    emulator: Emulator | None = None, *, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningEmulator]:
    """Run an emulator on ``host:port`` in a daemon thread for the duration of a ``with`` block.

    Args:
        emulator: The emulator to serve; a new default one if ``None``.
        host: Interface to bind; loopback by default.
        port: Port; 0 picks a free one.

    Yields:
        The running emulator; ``base_url`` is ready to use.

    Raises:
        RuntimeError: If the server does not start within 10 s.
        OSError: If the address cannot be bound.

    Example::

        with serve_in_thread() as server:
            httpx.get(f"{server.base_url}/v1/configs/llm_generations_models",
                      headers=server.headers)
    """
    emu = emulator if emulator is not None else Emulator()
    sock = _bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    server = _ThreadServer(_uvicorn_config(emu))
    errors: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to the starting thread
            errors.append(exc)
        finally:
            server.ready.set()

    thread = threading.Thread(target=run, name=f"foxapi-emulator-{bound_port}", daemon=True)
    thread.start()
    try:
        if not server.ready.wait(_STARTUP_TIMEOUT) or errors or not server.started:
            server.exit()
            raise RuntimeError(f"the emulator did not start on {host}:{bound_port}") from (
                errors[0] if errors else None
            )
        url_host = f"[{bound_host}]" if ":" in bound_host else bound_host
        running = RunningEmulator(
            base_url=f"http://{url_host}:{bound_port}",
            api_key=emu.config.api_key,
            emulator=emu,
            port=bound_port,
            _server=server,
            _thread=thread,
        )
        yield running
    finally:
        server.exit()
        thread.join(timeout=10.0)
        sock.close()


def serve(host: str = "127.0.0.1", port: int = 8765, config: EmulatorConfig | None = None) -> None:
    """Run an emulator in the foreground until interrupted (``foxapi emulator --port N``).

    Args:
        host: Interface to bind; loopback by default.
        port: Port to listen on.
        config: Emulator configuration; defaults if ``None``.
    """
    emulator = Emulator(config)
    # Creating the uvicorn config sets up its loggers, so the banner below is shown.
    server = uvicorn.Server(_uvicorn_config(emulator, host=host, port=port, log_level="info"))
    url_host = f"[{host}]" if ":" in host else host
    # Only the well-known default key is printed; a configured one is never logged (bar 4.11).
    default_key = emulator.config.api_key == EmulatorConfig().api_key
    _logger.info(
        "FoxAPI emulator on http://%s:%d - API key: %s",
        url_host,
        port,
        emulator.config.api_key if default_key else "(as configured)",
    )
    server.run()
