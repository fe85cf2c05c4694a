"""SSE bodies: the task protocol's named events and the OpenAI-compatible ``data:`` stream.

Task protocol framing (doc section 4, wire details from the vendor client)::

    event: chunk
    data: {chat.completion.chunk}

    event: done
    data: {"total_chunks": N}

    event: error
    data: {"message": "..."}

Chunk bytes are prepared once per task (:class:`~._state.TaskRecord`); the generators here only
pick, batch and pace them. A finished task's stream with no fault does not come here: the app
sends its whole body at once. Everything waits with ``asyncio.sleep`` until a computed instant, so a
waiting stream never blocks the event loop and needs no shared asyncio objects (the emulator is
used from several event loops and threads).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from ._faults import Fault

if TYPE_CHECKING:
    # Annotation only: _state frames its chunks with chunk_event from here.
    from ._state import TaskRecord

__all__ = [
    "MALFORMED_DATA",
    "PING",
    "chat_events",
    "chunk_event",
    "done_event",
    "error_event",
    "sleep_until",
    "task_events",
]

PING = b": ping\n\n"
DONE_SENTINEL = b"data: [DONE]\n\n"
# What a malformed_chunk fault sends as the chunk's data: JSON cut in the middle.
MALFORMED_DATA = b'{"id":"chatcmpl-malformed","object":"chat.completion.chunk","choices":[{"de'
# Bytes gathered into one ASGI message when chunks are already available: one send per chunk
# costs far more than the client's parsing (integration bar 4.14 benchmarks 2,000-chunk answers).
BATCH_BYTES = 64 * 1024

Clock = Callable[[], float]


def chunk_event(data: bytes) -> bytes:
    """``event: chunk`` framing of one serialized chunk."""
    return b"event: chunk\ndata: " + data + b"\n\n"


def done_event(total_chunks: int) -> bytes:
    """``event: done`` with ``{"total_chunks": N}``."""
    return b'event: done\ndata: {"total_chunks":' + str(total_chunks).encode() + b"}\n\n"


def error_event(message: str) -> bytes:
    """``event: error`` with ``{"message": ...}``."""
    data = json.dumps({"message": message}, ensure_ascii=False, separators=(",", ":"))
    return b"event: error\ndata: " + data.encode("utf-8") + b"\n\n"


async def sleep_until(target: float, clock: Clock) -> None:
    """Sleep until the monotonic instant ``target`` (no-op if it has passed)."""
    delay = target - clock()
    if delay > 0:
        await asyncio.sleep(delay)


async def _wait(target: float, clock: Clock, heartbeat: float | None) -> AsyncIterator[bytes]:
    """Wait until ``target``, yielding a ``: ping`` comment every ``heartbeat`` seconds."""
    while True:
        delay = target - clock()
        if delay <= 0:
            return
        if heartbeat is None or heartbeat <= 0 or delay <= heartbeat:
            await asyncio.sleep(delay)
            continue
        await asyncio.sleep(heartbeat)
        yield PING


async def task_events(
    task: TaskRecord,
    *,
    start: int,
    fault: Fault | None,
    clock: Clock,
    heartbeat: float | None,
    on_cut: Callable[[], Awaitable[object]],
    events: Sequence[bytes] | None = None,
    end: bytes | None = None,
) -> AsyncIterator[bytes]:
    """The named-event SSE body of ``task`` from chunk ``start``.

    Chunks are sent as they become available; the body ends with ``done`` (or ``error`` for a
    failed task). ``fault`` (a ``stream`` fault) may cut, stall, corrupt or end the body early;
    ``on_cut`` is awaited to drop the connection for a cut. ``events`` and ``end`` replace the
    task's chunk events and its end event (quirks, :mod:`._quirks`).
    """
    kind = fault.kind if fault is not None else None
    cut_after = fault.after_chunks if fault is not None and kind == "cut" else None
    stall_after = fault.after_chunks if fault is not None and kind == "stall" else None
    malformed_at = fault.at if fault is not None and kind == "malformed" else -1
    error_at = fault.at if fault is not None and kind == "stream_error" else -1
    if events is None:
        events = task.chunk_events
    index, sent = max(0, start), 0
    batch: list[bytes] = []
    size = 0
    while True:
        if cut_after is not None and sent >= cut_after:
            if batch:
                yield b"".join(batch)
            await on_cut()
            return
        if stall_after is not None and sent >= stall_after:
            if batch:
                yield b"".join(batch)
                batch, size = [], 0
            assert fault is not None
            await asyncio.sleep(fault.seconds)
            stall_after = None
        if index >= task.produced_chunks:
            if task.finished_at > clock():
                # Only a real wait sends what is ready first; otherwise the end goes with it.
                if batch:
                    yield b"".join(batch)
                    batch = []
                async for ping in _wait(task.finished_at, clock, heartbeat):
                    yield ping
            if end is not None:
                batch.append(end)
            elif task.failure is not None:
                batch.append(error_event(task.failure.get("message", "task failed")))
            else:
                batch.append(done_event(task.total_chunks))
            yield b"".join(batch)
            return
        ready = task.ready_time(index)
        if ready > clock():
            if batch:
                yield b"".join(batch)
                batch, size = [], 0
            async for ping in _wait(ready, clock, heartbeat):
                yield ping
            continue
        if index == error_at:
            assert fault is not None
            batch.append(error_event(fault.message))
            yield b"".join(batch)
            return
        event = chunk_event(MALFORMED_DATA) if index == malformed_at else events[index]
        batch.append(event)
        size += len(event)
        index += 1
        sent += 1
        if size >= BATCH_BYTES:
            yield b"".join(batch)
            batch, size = [], 0


async def chat_events(
    frames: Sequence[bytes], *, first_delay: float, chunk_delay: float
) -> AsyncIterator[bytes]:
    """The OpenAI ``data:`` SSE body: ``frames`` (already framed) then ``data: [DONE]``.

    ``first_delay`` is the time to the first chunk, ``chunk_delay`` the spacing of the next ones.
    """
    loop = asyncio.get_running_loop()
    begin = loop.time() + first_delay
    if chunk_delay <= 0:
        await sleep_until(begin, loop.time)
        batch: list[bytes] = []
        size = 0
        for frame in frames:
            batch.append(frame)
            size += len(frame)
            if size >= BATCH_BYTES:
                yield b"".join(batch)
                batch, size = [], 0
        batch.append(DONE_SENTINEL)
        yield b"".join(batch)
        return
    for i, frame in enumerate(frames):
        await sleep_until(begin + i * chunk_delay, loop.time)
        yield frame
    yield DONE_SENTINEL
