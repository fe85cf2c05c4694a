"""The :class:`Emulator` object: configuration, tasks, counters, faults and the ASGI app."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx

from .._catalog import DEFAULT_CATALOG, Catalog
from ._app import EmulatorApp, build_app
from ._faults import Faults
from ._quirks import Quirks
from ._state import Counters, EmulatorConfig, TaskRecord

__all__ = ["Emulator"]


class Emulator:
    """The emulator: holds config, tasks, counters and the fault queue; ``.app`` is the ASGI app.

    One object serves three ways: in-process through :meth:`transport` (``httpx.ASGITransport``,
    which buffers whole bodies, so it cannot show pacing, cuts or resumes), on a loopback socket
    with :func:`~foxapi_core.emulator.serve_in_thread`, and standalone with
    :func:`~foxapi_core.emulator.serve`. Counters and faults may be used from the test thread
    while the server runs in another thread.

    Args:
        config: Behaviour knobs; a default :class:`EmulatorConfig` if ``None``.
        **overrides: Fields of :class:`EmulatorConfig` to override, e.g. ``chunk_delay=0.01``.

    Example::

        emulator = Emulator(processing_delay=0.2)
        emulator.faults.fail("submit", 429, retry_after=1)
        async with httpx.AsyncClient(transport=emulator.transport(),
                                     base_url="http://emulator") as client:
            ...
    """

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        base = config if config is not None else EmulatorConfig()
        self.config: EmulatorConfig = dataclasses.replace(base, **overrides) if overrides else base
        self.counters = Counters()
        self.faults = Faults()
        #: Standing server behaviours (answer chunks, re-serialised replays, keep-alives,
        #: total_chunks, status words...): see :class:`~foxapi_core.emulator.Quirks`.
        self.quirks = Quirks()
        self.tasks: dict[str, TaskRecord] = {}
        #: Monotonic clock driving every task timeline; replace to travel in time in tests.
        self.clock: Callable[[], float] = time.monotonic
        self.lock = threading.Lock()
        self.app: EmulatorApp = build_app(self)

    @property
    def catalog(self) -> Catalog:
        """The catalog in use (``config.catalog`` or the library default)."""
        return self.config.catalog if self.config.catalog is not None else DEFAULT_CATALOG

    @property
    def api_key(self) -> str:
        """The Bearer token the emulator accepts."""
        return self.config.api_key

    def reset(self) -> None:
        """Forget every task, zero the counters and drop queued faults."""
        with self.lock:
            self.tasks.clear()
        self.counters.reset()
        self.faults.clear()
        self.quirks = Quirks()

    def transport(self) -> httpx.ASGITransport:
        """An in-process transport to the app (buffers whole bodies: not for stream timing)."""
        return httpx.ASGITransport(app=self.app)

    def __repr__(self) -> str:
        return f"Emulator(tasks={len(self.tasks)}, config={self.config!r})"
