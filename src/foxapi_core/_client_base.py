"""What the sync and async clients share: configuration, the flow context, building an httpx
request from a flow's :class:`~._flows.Send`, and the helpers both drivers use.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from ._catalog import DEFAULT_CATALOG, Catalog
from ._checks import CORE_SURFACE, Surface
from ._config import ClientConfig, Timeouts
from ._errors import ClientClosedError
from ._flows import (
    SUBMIT_PATH,
    FlowContext,
    LiveModels,
    Send,
    TransportFailure,
)
from ._json_body import StreamedJSON, encode_json
from ._policies import PollPolicy, RetryPolicy
from ._wire import GenerationRequest

__all__ = ["RequestLike"]


logger = logging.getLogger("foxapi")

T = TypeVar("T")
RequestLike = GenerationRequest | Mapping[str, Any]

_USER_AGENT = "foxapi-integrations/0.1"
_MAX_CONNECTIONS = 100
# Connect-phase failures: the request never reached the server, so even a submit may be re-sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _StreamedBody(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A request body with inline media, encoded while httpx writes it (sync or async)."""

    def __init__(self, body: StreamedJSON) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._body)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        # Reading a local file piece by piece blocks the loop for well under a millisecond per
        # piece (page cache); a thread hop per piece would cost more than it saves.
        for piece in self._body:
            yield piece


class _Result:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _failure(exc: httpx.TransportError) -> TransportFailure:
    return TransportFailure(
        exc, sent=not isinstance(exc, _NOT_SENT), timeout=isinstance(exc, httpx.TimeoutException)
    )


def _body(request: RequestLike) -> dict[str, Any]:
    if isinstance(request, Mapping):
        return dict(request)
    return request.to_body()


def _note_interruption(exc: BaseException, ctx: FlowContext) -> None:
    """Tell the user how to resume when Ctrl-C or a cancellation stops a task mid-way."""
    if ctx.task_id and isinstance(exc, (KeyboardInterrupt, asyncio.CancelledError, GeneratorExit)):
        hint = (
            f"FoxAPI task {ctx.task_id} was interrupted after {ctx.delivered} streamed chunks; "
            f"resume with client.wait({ctx.task_id!r}) or "
            f"client.stream({ctx.task_id!r}, offset={ctx.delivered})."
        )
        if isinstance(exc, GeneratorExit):  # the caller stopped iterating: not a problem
            logger.info(hint)
        else:
            add_note = getattr(exc, "add_note", None)  # Python 3.11+
            if add_note is not None:
                add_note(hint)
            logger.warning(hint)


class _ClientBase:
    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        poll: PollPolicy | None = None,
        max_retries: int | None = None,
        allow_insecure_http: bool = False,
        validate: bool = True,
        catalog: Catalog | None = None,
        surface: Surface | None = None,
        live_catalog_ttl: float = 600.0,
    ) -> None:
        retry = retry or RetryPolicy()
        if max_retries is not None:
            retry = retry.model_copy(update={"max_retries": max_retries})
        self.config = ClientConfig.resolve(
            api_key=api_key,
            base_url=base_url,
            timeouts=timeouts or Timeouts(),
            retry=retry,
            poll=poll or PollPolicy(),
            allow_insecure_http=allow_insecure_http,
            validate_requests=validate,
        )
        self.catalog = catalog or DEFAULT_CATALOG
        self.surface = surface or CORE_SURFACE
        # Looked up when a model is missing from the catalog (protocol doc 10); per client.
        self._live = LiveModels(ttl=live_catalog_ttl)
        # The retry jitter's source, one per client: a Random() per call seeds itself from
        # os.urandom, a syscall on every call that never retries.
        self._rng = random.Random()
        self._submit_url: tuple[str, httpx.URL] | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r}, api_key=**********)"

    # The clock the flows read; tests replace it (with ``_sleep``) to run long schedules at once.
    _clock: Callable[[], float] = staticmethod(time.monotonic)

    def _context(self) -> FlowContext:
        if self._closed:
            raise ClientClosedError(f"This {type(self).__name__} is closed; create a new one.")
        return FlowContext(
            self.config,
            self.catalog,
            clock=self._clock,
            rng=self._rng,
            surface=self.surface,
            live=self._live,
        )

    def _deadline(self, ctx: FlowContext, deadline: float | None) -> float:
        return ctx.deadline(deadline)

    def _build(self, http: httpx.Client | httpx.AsyncClient, cmd: Send) -> httpx.Request:
        # capped at what is left of the deadline (cmd.timeout, decided by the flow)
        timeout = self.config.timeouts.for_kind(cmd.kind, cmd.timeout)
        headers = {
            "Authorization": f"Bearer {self.config.require_key()}",
            "User-Agent": _USER_AGENT,
            "Accept": "text/event-stream" if cmd.kind == "stream" else "application/json",
        }
        content = None if cmd.body is None else encode_json(cmd.body)
        if content is not None:
            headers["Content-Type"] = "application/json"
        if isinstance(content, StreamedJSON):
            headers["Content-Length"] = str(content.length)
        request = http.build_request(
            cmd.method,
            self._url(cmd.path),
            params=cmd.params,
            content=content if isinstance(content, bytes) else None,
            headers=headers,
            timeout=timeout,
        )
        if isinstance(content, StreamedJSON):
            # Same URL, merged headers and timeout; only the body becomes a stream (``stream=``
            # keeps httpx from reading it in, and works for both the sync and async clients).
            return httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                stream=_StreamedBody(content),
                extensions=request.extensions,
            )
        return request

    def _url(self, path: str) -> httpx.URL | str:
        # httpx parses and checks a URL string character by character (~11 µs); the submit
        # URL, the same on every call, is parsed once. Per-task paths are used once or twice.
        base = self.config.base_url
        if path != SUBMIT_PATH:
            return base + path
        cached = self._submit_url
        if cached is None or cached[0] != base:  # keyed by the base URL: config may be replaced
            cached = self._submit_url = (base, httpx.URL(base + path))
        return cached[1]

    def _http_settings(self) -> dict[str, Any]:
        return {
            "timeout": self.config.timeouts.for_request(),
            "follow_redirects": False,
            # Every pooled connection may stay alive: with httpx's default of 20, a burst of
            # concurrent calls closes and reopens the rest on every round (benchmark figure 6).
            "limits": httpx.Limits(
                max_connections=_MAX_CONNECTIONS, max_keepalive_connections=_MAX_CONNECTIONS
            ),
        }
