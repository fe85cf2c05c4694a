"""``AsyncFoxAPIClient``: the asyncio driver of the same flows as :class:`~._client.FoxAPIClient`,
with one connection pool per event loop (closed in its own loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
from pydantic import SecretStr

from ._catalog import Catalog
from ._client_base import (
    _MAX_CONNECTIONS,
    RequestLike,
    T,
    _body,
    _ClientBase,
    _failure,
    _note_interruption,
    _Result,
)
from ._cookies import skip_cookieless_extraction
from ._errors import ClientClosedError
from ._flows import (
    CloseStream,
    Emit,
    Flow,
    FlowContext,
    ReadStream,
    Reply,
    Send,
    Sleep,
    check_call_options,
    get_task_flow,
    list_models_flow,
    submit_flow,
    wait_flow,
)
from ._generation import generate_flow, stream_flow
from ._pool import ShardedTransport
from ._wire import ChatCompletion, ChunkEvent, Task, Transport

__all__ = ["AsyncFoxAPIClient", "AsyncStreamingGeneration"]

logger = logging.getLogger("foxapi")

_Keeper = AsyncGenerator[None, None]
_LoopPool = tuple[httpx.AsyncClient, _Keeper, asyncio.Semaphore]


async def _acquire(gate: asyncio.Semaphore, timeout: float) -> None:
    try:
        await asyncio.wait_for(gate.acquire(), timeout)
    except asyncio.TimeoutError:
        raise httpx.PoolTimeout(f"no free connection within {timeout:g} s") from None


def _close_soon(loop: asyncio.AbstractEventLoop, keeper: _Keeper) -> None:
    loop.create_task(keeper.aclose())


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
        skip_cookieless_extraction(pool)
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
