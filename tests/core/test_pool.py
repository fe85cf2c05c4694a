"""The async client's sharded connection pool (``foxapi_core._pool``, issue 18).

httpcore's pool costs O(connections²) per request, so the async client splits its 100
connections in shards of ten. What must hold: a request goes to the least busy shard, its slot is
given back exactly once whether the response is read, fails or is cancelled, sequential calls stay
on one connection, and no shard ever holds more connections than its share.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from foxapi_core import AsyncFoxAPIClient, TextRequest
from foxapi_core._pool import SHARD_CONNECTIONS, ShardedTransport
from foxapi_core.emulator import RunningEmulator


class _Body(httpx.AsyncByteStream):
    async def __aiter__(self) -> Any:
        yield b"ok"

    async def aclose(self) -> None:
        pass


class _FakeShard(httpx.AsyncBaseTransport):
    """Answers when ``gate`` opens; ``fail`` makes it raise instead."""

    def __init__(self, gate: asyncio.Event, fail: bool = False) -> None:
        self.gate, self.fail, self.sent = gate, fail, 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        await self.gate.wait()
        if self.fail:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, stream=_Body(), request=request)


def _transport(total: int, gate: asyncio.Event, **fake: bool) -> ShardedTransport:
    transport = ShardedTransport(total)
    transport.shards = [_FakeShard(gate, **fake) for _ in transport.shards]  # type: ignore[misc]
    return transport


def _request() -> httpx.Request:
    return httpx.Request("GET", "http://127.0.0.1:9/x")


def test_the_total_is_split_in_shards_of_ten_that_each_keep_every_connection_alive() -> None:
    transport = ShardedTransport(100)
    assert len(transport.shards) == 10
    for shard in transport.shards:
        pool: Any = shard._pool  # type: ignore[attr-defined]
        assert pool._max_connections == pool._max_keepalive_connections == SHARD_CONNECTIONS
    assert len({id(s._pool._ssl_context) for s in transport.shards}) == 1  # type: ignore[attr-defined]


def test_a_burst_spreads_evenly_and_every_slot_comes_back() -> None:
    async def main() -> None:
        gate = asyncio.Event()
        transport = _transport(30, gate)
        pending = [
            asyncio.ensure_future(transport.handle_async_request(_request())) for _ in range(25)
        ]
        await asyncio.sleep(0)
        assert sorted(transport._busy) == [8, 8, 9]
        gate.set()
        responses = await asyncio.gather(*pending)
        assert sum(transport._busy) == 25  # held while the bodies are open
        for response in responses:
            await response.aclose()
            await response.aclose()  # a second close gives nothing back twice
        assert transport._busy == [0, 0, 0]

    asyncio.run(main())


def test_sequential_requests_stay_on_the_first_shard() -> None:
    async def main() -> None:
        gate = asyncio.Event()
        gate.set()
        transport = _transport(100, gate)
        for _ in range(5):
            response = await transport.handle_async_request(_request())
            await response.aclose()
        assert [s.sent for s in transport.shards] == [5] + [0] * 9  # type: ignore[attr-defined]

    asyncio.run(main())


def test_a_failed_or_cancelled_request_gives_its_slot_back() -> None:
    async def main() -> None:
        gate = asyncio.Event()
        failing = _transport(20, gate, fail=True)
        gate.set()
        with pytest.raises(httpx.ConnectError):
            await failing.handle_async_request(_request())
        assert failing._busy == [0, 0]

        waiting = _transport(20, asyncio.Event())
        task = asyncio.ensure_future(waiting.handle_async_request(_request()))
        await asyncio.sleep(0)
        assert sum(waiting._busy) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert waiting._busy == [0, 0]

    asyncio.run(main())


def test_concurrent_generates_never_put_more_than_ten_connections_in_a_shard(
    foxapi_emulator: RunningEmulator,
) -> None:
    client = AsyncFoxAPIClient(api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url)
    body = TextRequest(model="gemini-2.5-pro", prompt="[[words:30]] foxes")
    peaks: list[int] = []

    async def main() -> None:
        done = asyncio.Event()

        async def watch() -> None:  # sampling, not synchronisation
            while not done.is_set():
                for pool, *_ in client._pools.values():
                    shards = pool._transport.shards  # type: ignore[attr-defined]
                    peaks.extend(len(s._pool.connections) for s in shards)
                await asyncio.sleep(0.002)

        watcher = asyncio.ensure_future(watch())
        results = await asyncio.gather(*(client.generate(body) for _ in range(150)))
        done.set()
        await watcher
        assert len({r.text for r in results}) == 1
        ((pool, *_),) = client._pools.values()
        transport: Any = pool._transport
        assert transport._busy == [0] * len(transport.shards)
        await client.aclose()

    asyncio.run(main())
    assert peaks and max(peaks) <= SHARD_CONNECTIONS
