"""Emulator state: configuration, request counters and task records driven by a clock.

A task's whole answer is computed at submit time; its stream chunks are serialized once, on the
first stream request (so every replay of the stream is byte-identical, and a task nobody streams,
e.g. a ``sync`` one, never pays for them); what changes with time is only how much of it is
*visible*. The timeline of a task submitted at ``t0`` (monotonic seconds) is::

    t0 ............ pending      (first half of processing_delay)
    t0 + pd/2 ..... processing   (upstream call in flight, progress 50)
    t0 + pd ....... chunk 0 available, then chunk i at t0 + pd + i * chunk_delay
    last chunk .... completed    (progress 100), or failed when a fault asked for it

Doc section 3 gives the states ``pending -> processing -> completed | failed``; the split of
``processing_delay`` between the first two is this emulator's choice (section 9 leaves it open).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from ._answer_wire import chunk_count, encoded_chunks, usage_chunk, wants_usage_chunk
from ._responder import Answer
from ._streams import chunk_event

if TYPE_CHECKING:
    from .._catalog import Catalog

__all__ = ["Counters", "EmulatorConfig", "RequestRecord", "TaskRecord", "TaskStatus"]

TaskStatus = Literal["pending", "processing", "completed", "failed"]


@dataclass
class EmulatorConfig:
    """Behaviour knobs of the emulator; read at request time, so they may be changed live.

    Attributes:
        api_key: The only Bearer token accepted; anything else gets 401 (doc section 1).
        processing_delay: Seconds from submit to the first chunk (pending, then processing).
        chunk_delay: Seconds between two chunks becoming available (the model's "speed").
        chunk_size: Words per content chunk.
        stream_ttl: Seconds the SSE chunks stay available after the task ends; the stream
            endpoint answers 404 afterwards (doc section 4: ~15 min in production).
        honour_offset: ``False`` makes the stream ignore ``?offset`` and replay from chunk 0
            (doc section 4 reports a vendor UI comment saying the backend does that).
        heartbeat_interval: When set, ``: ping`` comments are sent every that many seconds while
            a stream waits for the next chunk (doc section 4, idle keep-alives).
        validate: Run request validation (form detection and the catalog rules) on submits.
        answer_words: Default answer length in words (prompt knobs take precedence).
        catalog: Model catalog used for validation, thinking models and the configs endpoint;
            ``None`` means the library's default catalog.
        thinking_tool_call_rule: Refuse, for thinking models (kimi-k2.6), an assistant
            ``tool_calls`` turn without ``reasoning_content`` with 400 ``reasoning_content is
            missing in assistant tool call message``, as the upstream does (protocol doc 10).
    """

    # repr=False: a canary key must never show in repr() (integration bar 4.11).
    api_key: str = field(default="sk-emulator", repr=False)
    processing_delay: float = 0.0
    chunk_delay: float = 0.0
    chunk_size: int = 3
    stream_ttl: float = 900.0
    honour_offset: bool = True
    heartbeat_interval: float | None = None
    validate: bool = True
    answer_words: int | None = None
    catalog: Catalog | None = field(default=None, repr=False)
    thinking_tool_call_rule: bool = True


class RequestRecord(NamedTuple):
    """One request seen by the emulator: method, path and raw query string."""

    method: str
    path: str
    query: str


@dataclass
class Counters:
    """Request counters, safe to read from the test thread while the server runs in another.

    Attributes:
        submits: Accepted submits (a task was created), including dropped and delayed ones.
        submit_attempts: Every ``POST /v1/llm/generations``, whatever its outcome.
        polls: Every ``GET /v1/tasks/{id}``.
        stream_requests: Every ``GET /v1/llm/generations/{id}/stream``.
        chat_completions: Every ``POST /v1/chat/completions``.
        requests: Every HTTP request, any path.
        log: ``(method, path, query)`` of every request, in arrival order.
    """

    submits: int = 0
    submit_attempts: int = 0
    polls: int = 0
    stream_requests: int = 0
    chat_completions: int = 0
    requests: int = 0
    log: list[RequestRecord] = field(default_factory=list)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def record(self, method: str, path: str, query: str, kind: str | None) -> int:
        """Count one incoming request; returns its sequence number (for ``x-request-id``)."""
        with self._lock:
            self.requests += 1
            self.log.append(RequestRecord(method, path, query))
            if kind is not None:
                setattr(self, kind, getattr(self, kind) + 1)
            return self.requests

    def add_submit(self) -> None:
        """Count one accepted submit (a task was created)."""
        with self._lock:
            self.submits += 1

    def for_path(self, path: str, method: str | None = None) -> list[RequestRecord]:
        """The logged requests to ``path`` (optionally only those with ``method``)."""
        with self._lock:
            return [r for r in self.log if r.path == path and method in (None, r.method)]

    def reset(self) -> None:
        """Zero every counter and clear the log."""
        with self._lock:
            self.submits = self.submit_attempts = self.polls = 0
            self.stream_requests = self.chat_completions = self.requests = 0
            self.log.clear()


@dataclass
class TaskRecord:
    """One submitted task: its request, its precomputed answer and its timeline.

    ``chunk_data`` holds each ``chat.completion.chunk`` serialized once; ``chunk_events`` the same
    bytes framed as ``event: chunk`` SSE events. Both are built on first use and then kept, from
    what is fixed at submit (the answer, ``chunk_size``, the completion's id and ``created``).
    """

    id: str
    form: str
    model: str
    created: int
    stream: bool
    request: dict[str, Any]
    answer: Answer
    completion: dict[str, Any]
    chunk_size: int
    submitted_at: float
    processing_delay: float
    chunk_delay: float
    credits_reserved: int
    failure: dict[str, str] | None = None
    fail_after: int = 0
    #: Set once a first stream of the task was framed (quirks that break only that one).
    restreamed: bool = False
    _total: int = field(init=False, repr=False, compare=False)
    _chunk_data: list[bytes] | None = field(default=None, init=False, repr=False, compare=False)
    _chunk_events: list[bytes] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # A stream asked for usage (stream_options.include_usage) ends with one more chunk.
        self._total = chunk_count(self.answer, self.chunk_size) + wants_usage_chunk(self.request)

    @property
    def chunk_data(self) -> list[bytes]:
        """Each chunk's JSON bytes, as the stream sends them."""
        data = self._chunk_data
        if data is None:
            # Deterministic, so two threads racing here build equal lists; either one is kept.
            data = encoded_chunks(
                self.answer,
                chunk_size=self.chunk_size,
                completion_id=self.completion["id"],
                created=self.created,
            )
            if wants_usage_chunk(self.request):
                data.append(
                    usage_chunk(
                        self.answer, completion_id=self.completion["id"], created=self.created
                    )
                )
            self._chunk_data = data
        return data

    def set_chunks(self, data: list[bytes]) -> None:
        """Replace the answer's chunks by ``data`` (serialized chunks; quirks.answer_chunks)."""
        self._chunk_data = data
        self._chunk_events = None
        self._total = len(data)

    @property
    def chunk_events(self) -> list[bytes]:
        """Each chunk framed as an ``event: chunk`` SSE event."""
        events = self._chunk_events
        if events is None:
            events = [chunk_event(d) for d in self.chunk_data]
            self._chunk_events = events
        return events

    @property
    def total_chunks(self) -> int:
        """Number of chunks of the full answer."""
        return self._total

    @property
    def produced_chunks(self) -> int:
        """Chunks the task produces before it ends (fewer than total when it fails)."""
        return self.fail_after if self.failure is not None else self.total_chunks

    def ready_time(self, index: int) -> float:
        """Monotonic time at which chunk ``index`` becomes available."""
        return self.submitted_at + self.processing_delay + index * self.chunk_delay

    @property
    def finished_at(self) -> float:
        """Monotonic time at which the task becomes completed or failed."""
        if self.failure is not None:
            # Fails when its next chunk would have appeared.
            return self.ready_time(self.fail_after)
        return self.ready_time(max(0, self.total_chunks - 1))

    def available(self, now: float) -> int:
        """Number of chunks available at ``now``."""
        if now < self.ready_time(0):
            return 0
        if self.chunk_delay <= 0:
            return self.produced_chunks
        return min(self.produced_chunks, int((now - self.ready_time(0)) / self.chunk_delay) + 1)

    def status(self, now: float) -> TaskStatus:
        """Task status at ``now``."""
        if now >= self.finished_at:
            return "failed" if self.failure is not None else "completed"
        if now < self.submitted_at + self.processing_delay / 2:
            return "pending"
        return "processing"

    def stream_expired(self, now: float, ttl: float) -> bool:
        """Whether the SSE chunks were dropped (``ttl`` seconds after the task ended)."""
        return now >= self.finished_at + ttl

    def to_wire(
        self, now: float | None, *, user_group: str = "default", null_results: bool = False
    ) -> dict[str, Any]:
        """The task object of doc sections 2.5 / 3; ``now=None`` gives the submit snapshot."""
        status: TaskStatus = "pending" if now is None else self.status(now)
        progress = {"pending": 0, "processing": 50}.get(status, 100)
        results = None
        if status == "completed" and not null_results:
            results = [self.completion]
        return {
            "id": self.id,
            "object": "llm.generation.task",
            "type": "llm",
            "model": self.model,
            "status": status,
            "progress": progress,
            "created": self.created,
            "stream": {"url": f"/v1/llm/generations/{self.id}/stream"} if self.stream else None,
            "results": results,
            "error": dict(self.failure) if status == "failed" and self.failure else None,
            "usage": {"credits_reserved": self.credits_reserved, "user_group": user_group},
        }
