"""The async connection pool: httpx's own transport, split in shards of a few connections.

httpcore 1.0.9 (what httpx 0.28 uses) re-examines its whole pool twice per request, on entry and
when the response closes (``AsyncConnectionPool._assign_requests_to_connections``): every
connection's state, a ``poll()`` + ``getpeername()`` probe of every idle socket, and, for each
idle connection, a list of all connections (O(connections²) per pass; upstream
encode/httpcore#1035 and encode/httpx#3215, unmerged). With 100 pooled connections and 1,000
calls in flight, py-spy put 65 % of the client's CPU there (benchmark figure 11), and the calls
that waited for the loop let idle connections pass their 5-s keep-alive, so the pool kept closing
and reopening them.

:class:`ShardedTransport` keeps the same total of connections, in shards of
:data:`SHARD_CONNECTIONS` (one ``httpx.AsyncHTTPTransport`` each, sharing one SSL context): each
pass then looks at ten connections. A request goes to the least busy shard, so sequential calls
reuse one connection (shard 0) and a burst spreads evenly; the client's gate (a semaphore of the
total) guarantees that the chosen shard has a free connection, so no shard queues.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx

__all__ = ["SHARD_CONNECTIONS", "ShardedTransport"]

SHARD_CONNECTIONS = 10


class _Released(httpx.AsyncByteStream):
    """A response body that gives its shard's slot back when closed (once)."""

    def __init__(self, stream: httpx.AsyncByteStream, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        release, self._release = self._release, None
        try:
            await self._stream.aclose()
        finally:
            if release is not None:
                release()


class ShardedTransport(httpx.AsyncBaseTransport):
    """``max_connections`` connections as shards of :data:`SHARD_CONNECTIONS` httpx transports.

    Each shard keeps all its connections alive (``max_keepalive_connections`` = its size, as the
    single pool did), so a burst does not close and reopen them.
    """

    def __init__(self, max_connections: int) -> None:
        count = max(1, -(-max_connections // SHARD_CONNECTIONS))
        size = -(-max_connections // count)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        # What httpx.AsyncClient builds for its default transport (verify=True, trust_env=True),
        # once: loading the CA bundle per shard would cost ~10 ms each.
        context = httpx.create_ssl_context()
        self.shards = [
            httpx.AsyncHTTPTransport(verify=context, limits=limits) for _ in range(count)
        ]
        self._busy = [0] * count

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the least busy shard; its slot is held until the body closes."""
        busy = self._busy
        index = busy.index(min(busy))
        busy[index] += 1

        def release() -> None:
            busy[index] -= 1

        try:
            response = await self.shards[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _Released(response.stream, release)
        return response

    async def aclose(self) -> None:
        """Close every shard's connections."""
        for shard in self.shards:
            await shard.aclose()
