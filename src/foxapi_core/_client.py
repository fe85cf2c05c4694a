"""``FoxAPIClient`` and ``AsyncFoxAPIClient``: thin httpx drivers of the flows in ``_flows`` and
``_generation``.

The two classes share everything but the few lines that do I/O (``_drive``): the flows decide, the
drivers only send, read, sleep and hand items over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import SecretStr

from ._catalog import DEFAULT_CATALOG, Catalog
from ._checks import CORE_SURFACE, Surface
from ._config import ClientConfig, Timeouts
from ._errors import ClientClosedError
from ._flows import (
    SUBMIT_PATH,
    CloseStream,
    Emit,
    Flow,
    FlowContext,
    LiveModels,
    ReadStream,
    Reply,
    Send,
    Sleep,
    TransportFailure,
    check_call_options,
    get_task_flow,
    list_models_flow,
    submit_flow,
    wait_flow,
)
from ._generation import generate_flow, stream_flow
from ._json_body import StreamedJSON, encode_json
from ._policies import PollPolicy, RetryPolicy
from ._pool import ShardedTransport
from ._wire import ChatCompletion, ChunkEvent, GenerationRequest, Task, Transport

__all__ = ["AsyncFoxAPIClient", "AsyncStreamingGeneration", "FoxAPIClient", "StreamingGeneration"]

logger = logging.getLogger("foxapi")

T = TypeVar("T")
RequestLike = GenerationRequest | Mapping[str, Any]

_USER_AGENT = "foxapi-integrations/0.1"
_MAX_CONNECTIONS = 100
# Connect-phase failures: the request never reached the server, so even a submit may be re-sent.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


_Keeper = AsyncGenerator[None, None]
_LoopPool = tuple[httpx.AsyncClient, _Keeper, asyncio.Semaphore]


async def _acquire(gate: asyncio.Semaphore, timeout: float) -> None:
    try:
        await asyncio.wait_for(gate.acquire(), timeout)
    except asyncio.TimeoutError:
        raise httpx.PoolTimeout(f"no free connection within {timeout:g} s") from None


def _close_soon(loop: asyncio.AbstractEventLoop, keeper: _Keeper) -> None:
    loop.create_task(keeper.aclose())


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
        timeouts = self.config.timeouts
        if cmd.kind == "stream":
            timeout = timeouts.for_stream()
        elif cmd.kind == "sync":
            timeout = timeouts.for_sync()
        else:
            timeout = timeouts.for_request()
        if cmd.timeout is not None:  # what is left of the deadline, decided by the flow
            limit = cmd.timeout
            timeout = httpx.Timeout(
                **{k: limit if v is None else min(v, limit) for k, v in timeout.as_dict().items()}
            )
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


class StreamingGeneration:
    """An iterator of ``ChunkEvent``\\ s; once exhausted, ``completion`` holds the final
    ChatCompletion (with usage, and reasoning for thinking models) and ``task_id`` the task.

    Example:
        >>> stream = client.stream_generate(MessagesRequest(model="gpt-5.5", messages=msgs))
        >>> for event in stream:
        ...     print(event.chunk.delta.content or "", end="")
        >>> stream.completion.usage
    """

    def __init__(self, items: Iterator[Any], ctx: FlowContext) -> None:
        self._items = items
        self._ctx = ctx
        self.completion: ChatCompletion | None = None

    @property
    def task_id(self) -> str | None:
        """The task's id, once submitted."""
        return self._ctx.task_id

    def __iter__(self) -> Iterator[ChunkEvent]:
        for item in self._items:
            if type(item) is _Result:
                self.completion = item.value
            else:
                yield item

    def close(self) -> None:
        """Stop streaming and release the connection."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> StreamingGeneration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncStreamingGeneration:
    """The async twin of ``StreamingGeneration``: ``async for event in stream``."""

    def __init__(self, items: AsyncIterator[Any], ctx: FlowContext) -> None:
        self._items = items
        self._ctx = ctx
        self.completion: ChatCompletion | None = None

    @property
    def task_id(self) -> str | None:
        """The task's id, once submitted."""
        return self._ctx.task_id

    async def __aiter__(self) -> AsyncIterator[ChunkEvent]:
        async for item in self._items:
            if type(item) is _Result:
                self.completion = item.value
            else:
                yield item

    async def aclose(self) -> None:
        """Stop streaming and release the connection."""
        aclose = getattr(self._items, "aclose", None)
        if aclose is not None:
            await aclose()

    async def __aenter__(self) -> AsyncStreamingGeneration:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class FoxAPIClient(_ClientBase):
    """Synchronous FoxAPI client.

    Args:
        api_key: the key; defaults to ``FOXAPI_API_KEY``. Needed only when a call is made.
        base_url: defaults to ``FOXAPI_BASE_URL``, else ``https://api.foxapi.cc``.
        timeouts: connect / read / stream-idle / overall deadline (``Timeouts``).
        retry: the ``RetryPolicy``; ``max_retries`` overrides its count.
        poll: the ``PollPolicy`` of ``wait()`` and ``transport="poll"``.
        allow_insecure_http: allow ``http://`` to a non-loopback host.
        validate: check requests against the model catalog before sending (a model missing
            from it is first looked up in the service's live model list, cached per client).
        catalog: the model catalog (defaults to the documented models).
        surface: how refusals name the switch that turns checks off (adapters pass theirs).
        live_catalog_ttl: seconds the live model list stays cached.
        http_client: an ``httpx.Client`` to use (not closed by ``close()``).

    Example:
        >>> with FoxAPIClient() as client:
        ...     answer = client.generate(TextRequest(model="gemini-2.5-pro", prompt="Hi"))
        ...     print(answer.text)
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        http_client: httpx.Client | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(api_key, base_url, **settings)
        self._own_http = http_client is None
        self._http = http_client or httpx.Client(**self._http_settings())
        if self._own_http:
            # A client dropped without close() (e.g. inside a framework model object that has
            # no close hook) still releases its sockets when it is garbage-collected.
            weakref.finalize(self, self._http.close)

    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    # -- the driver --------------------------------------------------------------------------

    def _drive(self, flow: Flow[Any], ctx: FlowContext) -> Iterator[Any]:
        http = self._http
        response: httpx.Response | None = None
        chunks: Iterator[bytes] | None = None
        reply: Any = None
        try:
            while True:
                try:
                    cmd = flow.send(reply)
                except StopIteration as stop:
                    yield _Result(stop.value)
                    return
                reply = None
                if type(cmd) is ReadStream:
                    try:
                        reply = next(chunks, b"")  # type: ignore[arg-type]
                    except httpx.TransportError as exc:
                        reply = _failure(exc)
                elif type(cmd) is Emit:
                    yield cmd.item
                elif type(cmd) is Send:
                    if response is not None:
                        response.close()
                        response = chunks = None
                    if self._closed:
                        raise ClientClosedError("The client was closed; nothing more was sent.")
                    try:
                        response = http.send(self._build(http, cmd), stream=True)
                        if cmd.kind == "stream" and response.is_success:
                            chunks = response.iter_bytes()
                            reply = Reply(response.status_code, response.headers)
                        else:
                            reply = Reply(response.status_code, response.headers, response.read())
                            response.close()
                            response = None
                    except httpx.TransportError as exc:
                        reply = _failure(exc)
                elif type(cmd) is Sleep:
                    self._sleep(cmd.seconds)
                elif type(cmd) is CloseStream and response is not None:
                    response.close()
                    response = chunks = None
        except BaseException as exc:
            _note_interruption(exc, ctx)
            raise
        finally:
            if response is not None:
                response.close()
            flow.close()

    def _run(self, flow: Flow[T], ctx: FlowContext) -> T:
        # Run the driver to its end rather than returning at the result: a driver abandoned at
        # its last yield would be closed later with GeneratorExit and log a bogus interruption.
        result: Any = None
        for item in self._drive(flow, ctx):
            if type(item) is _Result:
                result = item
        assert result is not None, "flow ended without a result"
        return result.value  # type: ignore[no-any-return]

    # -- operations --------------------------------------------------------------------------

    def submit(self, request: RequestLike, *, stream: bool = True) -> Task:
        """Validate and submit a generation; return the task at once (status ``pending``).

        Args:
            request: a wire request model or a plain body dict.
            stream: submit with ``stream=true`` (the default), so that the answer can be read,
                and resumed after a crash, with ``stream(task.id, offset=N)``; a task submitted
                with ``stream=False`` can only be polled (``wait(task.id)``).

        Raises:
            RequestValidationError: the request breaks a model rule (nothing was sent).
            SubmitOutcomeUnknownError: the submit may have created a task, with no answer.
        """
        ctx = self._context()
        body = _body(request)
        if stream:
            body["stream"] = True
        return self._run(submit_flow(ctx, body, ctx.deadline(None)), ctx)

    def get_task(self, task_id: str, *, sync_upstream: bool = False) -> Task:
        """The task's current state (``GET /v1/tasks/{task_id}``)."""
        ctx = self._context()
        flow = get_task_flow(ctx, task_id, ctx.deadline(None), sync_upstream=sync_upstream)
        return self._run(flow, ctx)

    def wait(
        self,
        task_id: str,
        *,
        deadline: float | None = None,
        on_progress: Callable[[Task], None] | None = None,
    ) -> Task:
        """Poll until the task completes and return it (``results[0]`` is the answer).

        Args:
            deadline: seconds to wait at most (default ``timeouts.deadline``).
            on_progress: called with the task after every poll.

        Raises:
            TaskFailedError: the task failed.
            TaskTimeoutError: the deadline passed; the task may still finish.
        """
        ctx = self._context()
        flow = wait_flow(ctx, task_id, ctx.deadline(deadline), on_progress=on_progress)
        return self._run(flow, ctx)

    def stream(
        self, task_id: str, *, offset: int = 0, deadline: float | None = None
    ) -> StreamingGeneration:
        """Stream an existing task's chunks from ``offset`` (e.g. to resume after a crash)."""
        ctx = self._context()
        check_call_options(offset=offset)
        flow = stream_flow(ctx, task_id, ctx.deadline(deadline), offset=offset)
        return StreamingGeneration(self._drive(flow, ctx), ctx)

    def generate(
        self,
        request: RequestLike,
        *,
        transport: Transport = "stream",
        deadline: float | None = None,
        on_progress: Callable[[Task], None] | None = None,
    ) -> ChatCompletion:
        """Submit a generation and return its ChatCompletion.

        Args:
            transport: ``"stream"`` (default; resumable, carries reasoning), ``"poll"`` or
                ``"sync"`` (one blocking request; cheapest, not resumable).
            deadline: overall seconds (default ``timeouts.deadline``).
            on_progress: with ``transport="poll"``, called with the task after every poll.
        """
        ctx = self._context()
        check_call_options(transport=transport)
        flow = generate_flow(
            ctx, _body(request), transport, ctx.deadline(deadline), on_progress=on_progress
        )
        return self._run(flow, ctx)

    def stream_generate(
        self, request: RequestLike, *, deadline: float | None = None
    ) -> StreamingGeneration:
        """Submit a generation and stream its chunks as they come (resuming after cuts)."""
        ctx = self._context()
        flow = generate_flow(ctx, _body(request), "stream", ctx.deadline(deadline), emit=True)
        return StreamingGeneration(self._drive(flow, ctx), ctx)

    def list_models(self) -> Catalog:
        """Refresh the catalog from ``GET /v1/configs/llm_generations_models`` and return it."""
        ctx = self._context()
        self.catalog = self._run(list_models_flow(ctx, ctx.deadline(None)), ctx)
        return self.catalog

    def close(self) -> None:
        """Close the connection pool (idempotent)."""
        self._closed = True
        if self._own_http:
            self._http.close()

    def __enter__(self) -> FoxAPIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFoxAPIClient(_ClientBase):
    """Asynchronous FoxAPI client; the same operations as ``FoxAPIClient``, awaited.

    One object may be used from several event loops (each ``asyncio.run()``, each thread): it
    keeps one connection pool per loop and never touches a pool from another loop.

    Example:
        >>> async with AsyncFoxAPIClient() as client:
        ...     answer = await client.generate(TextRequest(model="gemini-2.5-pro", prompt="Hi"))
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        http_client: httpx.AsyncClient | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(api_key, base_url, **settings)
        self._user_http = http_client
        # One pool per event loop, each with a "keeper": an async generator started in that loop,
        # which the loop's shutdown (asyncio.run calls loop.shutdown_asyncgens()) finalizes while
        # the loop still runs, closing the pool there. Without it, every finished asyncio.run()
        # would leave a pool with open sockets behind, pinned by references to its dead loop.
        # The gate (a semaphore of the pool's size) keeps httpcore's own queue empty: httpcore
        # matches every queued request against every connection each time one is released, so
        # with hundreds of concurrent calls its queue costs quadratic time and the calls end in
        # PoolTimeout (found by tests/core/test_load.py).
        self._pools: dict[asyncio.AbstractEventLoop, _LoopPool] = {}
        self._lock = threading.Lock()

    _sleep: Callable[[float], Awaitable[None]] = staticmethod(asyncio.sleep)

    async def _keeper(self, loop: asyncio.AbstractEventLoop, pool: httpx.AsyncClient) -> _Keeper:
        try:
            yield
        finally:
            with self._lock:
                if self._pools.get(loop, (None,))[0] is pool:
                    del self._pools[loop]
            # Driven by hand for a loop that was closed without shutting down its async
            # generators (see _forget_closed_loops): nothing can be awaited there any more.
            if not loop.is_closed():
                await pool.aclose()

    def _forget_closed_loops(self) -> None:
        with self._lock:
            closed = [entry[1] for loop, entry in self._pools.items() if loop.is_closed()]
        for keeper in closed:
            # Runs the keeper's finally without an event loop (it awaits nothing for a closed
            # loop), so that it is not finalized later by a loop that can no longer run it.
            with contextlib.suppress(StopIteration, RuntimeError):
                keeper.aclose().send(None)

    async def _http(self) -> tuple[httpx.AsyncClient, asyncio.Semaphore | None]:
        if self._user_http is not None:
            return self._user_http, None  # its limits are the user's business
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._pools.get(loop)
        if entry is not None:
            return entry[0], entry[2]
        self._forget_closed_loops()
        # Sharded: httpcore's pool costs O(connections²) per request (see _pool).
        pool = httpx.AsyncClient(
            transport=ShardedTransport(_MAX_CONNECTIONS), **self._http_settings()
        )
        keeper = self._keeper(loop, pool)
        # The first step registers the keeper with the running loop; it does not suspend, so no
        # other task of this loop can create a second pool in between.
        await keeper.asend(None)
        gate = asyncio.Semaphore(_MAX_CONNECTIONS)
        with self._lock:
            self._pools[loop] = (pool, keeper, gate)
        return pool, gate

    async def _drive(self, flow: Flow[Any], ctx: FlowContext) -> AsyncIterator[Any]:
        http, gate = await self._http()
        response: httpx.Response | None = None
        chunks: AsyncIterator[bytes] | None = None
        holding = False  # a slot of the gate, held while a response is open
        reply: Any = None
        try:
            while True:
                try:
                    cmd = flow.send(reply)
                except StopIteration as stop:
                    yield _Result(stop.value)
                    return
                reply = None
                if type(cmd) is ReadStream:
                    try:
                        reply = await anext(chunks, b"")  # type: ignore[arg-type]
                    except httpx.TransportError as exc:
                        reply = _failure(exc)
                elif type(cmd) is Emit:
                    yield cmd.item
                elif type(cmd) is Send:
                    if response is not None:
                        await response.aclose()
                        response = chunks = None
                    if holding:
                        gate.release()  # type: ignore[union-attr]
                        holding = False
                    if self._closed:
                        raise ClientClosedError("The client was closed; nothing more was sent.")
                    try:
                        if gate is not None:
                            pool_timeout = self.config.timeouts.connect
                            if cmd.timeout is not None:
                                pool_timeout = min(pool_timeout, cmd.timeout)
                            await _acquire(gate, pool_timeout)
                            holding = True
                        response = await http.send(self._build(http, cmd), stream=True)
                        if cmd.kind == "stream" and response.is_success:
                            chunks = response.aiter_bytes()
                            reply = Reply(response.status_code, response.headers)
                        else:
                            body = await response.aread()
                            reply = Reply(response.status_code, response.headers, body)
                            await response.aclose()
                            response = None
                    except httpx.TransportError as exc:
                        reply = _failure(exc)
                    if response is None and holding:
                        gate.release()  # type: ignore[union-attr]
                        holding = False
                elif type(cmd) is Sleep:
                    await self._sleep(cmd.seconds)
                elif type(cmd) is CloseStream and response is not None:
                    await response.aclose()
                    response = chunks = None
                    if holding:
                        gate.release()  # type: ignore[union-attr]
                        holding = False
        except BaseException as exc:
            _note_interruption(exc, ctx)
            raise
        finally:
            if response is not None:
                await asyncio.shield(response.aclose())
            if holding:
                gate.release()  # type: ignore[union-attr]
            flow.close()

    async def _run(self, flow: Flow[T], ctx: FlowContext) -> T:
        # As in FoxAPIClient._run: an async generator left at its last yield would be finalized
        # later, possibly after its event loop closed.
        result: Any = None
        async for item in self._drive(flow, ctx):
            if type(item) is _Result:
                result = item
        assert result is not None, "flow ended without a result"
        return result.value  # type: ignore[no-any-return]

    async def submit(self, request: RequestLike, *, stream: bool = True) -> Task:
        """Validate and submit a generation; return the task at once. See FoxAPIClient.submit."""
        ctx = self._context()
        body = _body(request)
        if stream:
            body["stream"] = True
        return await self._run(submit_flow(ctx, body, ctx.deadline(None)), ctx)

    async def get_task(self, task_id: str, *, sync_upstream: bool = False) -> Task:
        """The task's current state (``GET /v1/tasks/{task_id}``)."""
        ctx = self._context()
        flow = get_task_flow(ctx, task_id, ctx.deadline(None), sync_upstream=sync_upstream)
        return await self._run(flow, ctx)

    async def wait(
        self,
        task_id: str,
        *,
        deadline: float | None = None,
        on_progress: Callable[[Task], None] | None = None,
    ) -> Task:
        """Poll until the task completes and return it. See FoxAPIClient.wait."""
        ctx = self._context()
        flow = wait_flow(ctx, task_id, ctx.deadline(deadline), on_progress=on_progress)
        return await self._run(flow, ctx)

    def stream(
        self, task_id: str, *, offset: int = 0, deadline: float | None = None
    ) -> AsyncStreamingGeneration:
        """Stream an existing task's chunks from ``offset``: ``async for event in ...``."""
        ctx = self._context()
        check_call_options(offset=offset)
        flow = stream_flow(ctx, task_id, ctx.deadline(deadline), offset=offset)
        return AsyncStreamingGeneration(self._drive(flow, ctx), ctx)

    async def generate(
        self,
        request: RequestLike,
        *,
        transport: Transport = "stream",
        deadline: float | None = None,
        on_progress: Callable[[Task], None] | None = None,
    ) -> ChatCompletion:
        """Submit a generation and return its ChatCompletion. See FoxAPIClient.generate."""
        ctx = self._context()
        check_call_options(transport=transport)
        flow = generate_flow(
            ctx, _body(request), transport, ctx.deadline(deadline), on_progress=on_progress
        )
        return await self._run(flow, ctx)

    def stream_generate(
        self, request: RequestLike, *, deadline: float | None = None
    ) -> AsyncStreamingGeneration:
        """Submit a generation and stream its chunks: ``async for event in ...``."""
        ctx = self._context()
        flow = generate_flow(ctx, _body(request), "stream", ctx.deadline(deadline), emit=True)
        return AsyncStreamingGeneration(self._drive(flow, ctx), ctx)

    async def list_models(self) -> Catalog:
        """Refresh the catalog from the service and return it."""
        ctx = self._context()
        self.catalog = await self._run(list_models_flow(ctx, ctx.deadline(None)), ctx)
        return self.catalog

    async def aclose(self) -> None:
        """Close the connection pools (idempotent): this loop's at once, those of other running
        loops in their own loop, those of closed loops as far as still possible."""
        self._closed = True
        with self._lock:
            entries = list(self._pools.items())
        current = asyncio.get_running_loop()
        for loop, (_, keeper, _) in entries:
            if loop is current:
                await keeper.aclose()  # closes the pool
            elif loop.is_closed():
                with contextlib.suppress(StopIteration, RuntimeError):
                    keeper.aclose().send(None)
            else:
                # Another thread's live loop: a pool must only be touched from its own loop.
                with contextlib.suppress(RuntimeError):  # that loop closed meanwhile
                    loop.call_soon_threadsafe(_close_soon, loop, keeper)
        with self._lock:
            self._pools.clear()

    async def __aenter__(self) -> AsyncFoxAPIClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
