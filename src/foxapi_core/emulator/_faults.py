"""Fault injection: a queue of one-shot faults consumed in order by matching requests.

Each request takes at most one fault: the first queued fault of its stage that applies to it.
Stages (the request that consumes the fault):

- ``submit``: ``POST /v1/llm/generations`` - :meth:`Faults.fail`, :meth:`Faults.drop_after_submit`,
  :meth:`Faults.delay_submit_response`;
- ``task``: the next *created* task - :meth:`Faults.fail_task`;
- ``poll``: ``GET /v1/tasks/{id}`` - :meth:`Faults.fail`, :meth:`Faults.null_results` (only
  consumed by a poll that would answer ``completed``);
- ``stream``: an SSE response of the task protocol (the stream endpoint, or a ``sync`` + ``stream``
  submit) - :meth:`Faults.fail`, :meth:`Faults.cut_stream`, :meth:`Faults.stall_stream`,
  :meth:`Faults.malformed_chunk`, :meth:`Faults.stream_error`;
- ``chat``: ``POST /v1/chat/completions`` - :meth:`Faults.fail`.

The test thread queues faults while the server consumes them on its own thread, hence the lock.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Fault", "FaultKind", "Faults", "Stage", "error_body"]

Stage = Literal["submit", "poll", "stream", "chat"]
FaultKind = Literal[
    "status",
    "drop",
    "delay",
    "cut",
    "stall",
    "malformed",
    "stream_error",
    "fail_task",
    "null_results",
]

# Doc section 5: HTTP status -> error.type. 503's type is not stated in the docs; the 422 row
# also lists service_unavailable_error, which is used for it here.
_ERROR_TYPES: Mapping[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "insufficient_quota",
    404: "not_found",
    422: "invalid_request_error",
    429: "rate_limit_error",
    500: "server_error",
    503: "service_unavailable_error",
}
_STAGES = ("submit", "poll", "stream", "chat")


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """The doc section 5 error body ``{"error": {"message", "type"}}`` for an HTTP status."""
    kind = _ERROR_TYPES.get(status) or (
        "server_error" if status >= 500 else "invalid_request_error"
    )
    return {"error": {"message": message or f"Injected fault: HTTP {status}.", "type": kind}}


@dataclass(frozen=True)
class Fault:
    """One queued fault; which fields matter depends on ``kind``."""

    stage: Stage | Literal["task"]
    kind: FaultKind
    status: int = 0
    headers: Mapping[str, str] = field(default_factory=dict)
    body: Mapping[str, Any] | None = None
    seconds: float = 0.0
    after_chunks: int = 0
    at: int = 0
    message: str = ""
    code: str = ""


def _retry_after_value(value: float | str) -> str:
    if isinstance(value, str):
        return value  # e.g. an HTTP date (RFC 9110 section 10.2.3)
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _non_negative(name: str, value: float) -> None:
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")


class Faults:
    """Queue of one-shot faults, consumed in order by matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[list[Any]] = []  # [Fault, remaining uses]

    def _push(self, fault: Fault, times: int) -> None:
        if times < 1:
            raise ValueError(f"times must be >= 1, got {times!r}")
        with self._lock:
            self._queue.append([fault, times])

    def fail(
        self,
        stage: Stage,
        status: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        retry_after_ms: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        """Answer the next ``times`` requests of ``stage`` with HTTP ``status``.

        Args:
            stage: ``"submit"``, ``"poll"``, ``"stream"`` or ``"chat"``.
            status: HTTP status, e.g. 429 or 503. A submit failed this way creates no task.
            times: How many matching requests fail.
            retry_after: ``Retry-After`` header: seconds (may be fractional) or an HTTP date.
            retry_after_ms: ``retry-after-ms`` header (the OpenAI/Anthropic extension).
            body: JSON body; default ``{"error": {"message", "type"}}`` (doc section 5).
        """
        if stage not in _STAGES:
            raise ValueError(f"stage must be one of {', '.join(_STAGES)}, got {stage!r}")
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code, got {status!r}")
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["retry-after"] = _retry_after_value(retry_after)
        if retry_after_ms is not None:
            headers["retry-after-ms"] = str(int(retry_after_ms))
        fault = Fault(stage, "status", status=status, headers=headers, body=body)
        self._push(fault, times)

    def drop_after_submit(self, times: int = 1) -> None:
        """Create (and count) the task, then close the connection without any response.

        Over a socket the client sees the connection closed before a response (httpx raises
        ``RemoteProtocolError``); over ``httpx.ASGITransport`` the app raises
        :class:`~foxapi_core.emulator.ConnectionDropped`, which the client sees.
        """
        self._push(Fault("submit", "drop"), times)

    def delay_submit_response(self, seconds: float) -> None:
        """Create the task, then wait ``seconds`` before answering (read-timeout tests)."""
        _non_negative("seconds", seconds)
        self._push(Fault("submit", "delay", seconds=seconds), 1)

    def cut_stream(self, after_chunks: int, times: int = 1) -> None:
        """Send ``after_chunks`` chunk events from where the response starts, then drop the
        connection abruptly (no ``done`` event). Over ``ASGITransport`` the body just ends."""
        _non_negative("after_chunks", after_chunks)
        self._push(Fault("stream", "cut", after_chunks=after_chunks), times)

    def stall_stream(self, after_chunks: int, seconds: float, times: int = 1) -> None:
        """After ``after_chunks`` chunk events, send nothing (not even heartbeats) for
        ``seconds``, then carry on."""
        _non_negative("after_chunks", after_chunks)
        _non_negative("seconds", seconds)
        self._push(Fault("stream", "stall", after_chunks=after_chunks, seconds=seconds), times)

    def malformed_chunk(self, at: int) -> None:
        """Chunk number ``at`` (0-based index in the task's stream) carries invalid JSON."""
        _non_negative("at", at)
        self._push(Fault("stream", "malformed", at=at), 1)

    def stream_error(self, at: int, message: str = "upstream error") -> None:
        """Send ``event: error`` with ``message`` instead of chunk number ``at``, then end."""
        _non_negative("at", at)
        self._push(Fault("stream", "stream_error", at=at, message=message), 1)

    def fail_task(
        self, code: str = "upstream_error", message: str = "The upstream model failed."
    ) -> None:
        """The next created task ends ``failed`` with ``{code, message, type: "task_error"}``
        after producing half of its chunks (doc section 3)."""
        self._push(Fault("task", "fail_task", code=code, message=message), 1)

    def null_results(self, times: int = 1) -> None:
        """The next ``times`` polls of a completed task answer ``completed`` with
        ``results: null`` (the race of doc section 3)."""
        self._push(Fault("poll", "null_results"), times)

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._queue.clear()

    def pending(self) -> list[tuple[Fault, int]]:
        """Queued faults with their remaining uses, in order (a snapshot)."""
        with self._lock:
            return [(entry[0], entry[1]) for entry in self._queue]

    def __len__(self) -> int:
        with self._lock:
            return sum(entry[1] for entry in self._queue)

    def take(
        self, stage: Stage | Literal["task"], accept: Callable[[Fault], bool] | None = None
    ) -> Fault | None:
        """Consume one use of the first queued fault of ``stage`` that ``accept`` allows."""
        with self._lock:
            for i, entry in enumerate(self._queue):
                fault: Fault = entry[0]
                if fault.stage != stage or (accept is not None and not accept(fault)):
                    continue
                entry[1] -= 1
                if entry[1] <= 0:
                    del self._queue[i]
                return fault
        return None
