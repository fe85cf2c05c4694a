"""Quirks: switches that make the emulator play readings of the protocol a real server may take
where the docs are silent (reference section 10, issue 13), so that a client - this library's or a
user's - can be tested on a real socket against servers we did not write.

Unlike :mod:`._faults` (one-shot, queued), quirks are standing behaviour: set them on
``emulator.quirks`` and every later task and stream follows them until they are changed. They
combine with faults (e.g. ``answer_chunks`` with ``faults.cut_stream(after_chunks=2)``) and with
``EmulatorConfig.honour_offset=False`` (a server that replays from chunk 0).

Example::

    emulator = Emulator()
    emulator.quirks.answer_chunks = ["ha", "ha", "ha", "ha", " done"]
    emulator.quirks.total_chunks = "absent"
    emulator.faults.cut_stream(after_chunks=2)
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from ._streams import chunk_event, done_event, error_event

if TYPE_CHECKING:
    from ._state import TaskRecord

__all__ = ["KEEPALIVE_DATA", "Quirks"]

#: What ``keepalive_data`` sends before each chunk: an unnamed ``data:`` that is not a chunk.
KEEPALIVE_DATA = b'data: {"object":"keepalive","status":"processing"}\n\n'


@dataclass(slots=True)
class Quirks:
    """Standing server behaviours for robustness tests (all off by default).

    Attributes:
        answer_chunks: The content of each chunk of every new task's answer (one chunk each, the
            last with ``finish_reason="stop"``); the task's result text is their concatenation.
            Repeated or empty contents (``["ha", "ha", "ha", "ha", " done"]``, ``["", "", "x"]``)
            make a resume after a cut ambiguous by content.
        reserialise: A stream opened with ``?offset`` > 0 sends the same chunk JSON in other
            bytes (spaces, sorted keys), as a server that re-encodes what it replays.
        keepalive_data: Before each chunk, an unnamed ``data:`` event that is not a chunk (no
            ``choices``) and an ``id:`` field on the chunk event.
        total_chunks: ``done``'s ``total_chunks``: ``"right"``, ``"absent"`` (``done`` with
            ``{}``) or ``"wrong"`` (one more than sent).
        status_alias: The status word a completed task reports instead of ``completed``, e.g.
            ``"COMPLETED"`` or ``"succeeded"`` (undocumented statuses, reference section 10).
        error_after_completion: A stream ends with ``event: error`` instead of ``done`` (the
            task itself is completed, with its result).
        usage_in_stream: With ``answer_chunks``, the last chunk carries the task's usage (the
            client then needs no task query to finish).
        pending_status: The status word a task not yet finished reports instead of
            ``pending`` / ``processing`` (e.g. ``"QUEUED_FOR_GPU"``); with no results, the client
            cannot tell what it means.
        empty_choices: A completed task's result (polled, or a sync answer) has ``choices: []``.
        sync_as_task: A ``sync: true`` submit is answered with the task object, as if ``sync``
            had been ignored.
        skip_chunk: The first stream of a task leaves out the chunk of this index (``done``'s
            count stays right): a gap the client can only see by counting.
        double_chunk: The first stream of a task sends the chunk of this index twice.
    """

    answer_chunks: Sequence[str] | None = None
    reserialise: bool = False
    keepalive_data: bool = False
    total_chunks: Literal["right", "absent", "wrong"] = "right"
    status_alias: str | None = None
    error_after_completion: bool = False
    usage_in_stream: bool = False
    pending_status: str | None = None
    empty_choices: bool = False
    sync_as_task: bool = False
    skip_chunk: int | None = None
    double_chunk: int | None = None

    @property
    def reframes(self) -> bool:
        """Whether streams need framing other than the task's prepared bytes."""
        return (
            self.reserialise
            or self.keepalive_data
            or self.total_chunks != "right"
            or self.error_after_completion
            or self.skip_chunk is not None
            or self.double_chunk is not None
        )

    def apply_to_task(self, task: TaskRecord) -> None:
        """Give a new task the scripted answer of ``answer_chunks``."""
        contents = self.answer_chunks
        if contents is None:
            return
        data = []
        for i, content in enumerate(contents):
            chunk: dict[str, Any] = {
                "id": task.completion["id"],
                "object": "chat.completion.chunk",
                "created": task.created,
                "model": task.model,
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": content},
                        "finish_reason": "stop" if i == len(contents) - 1 else None,
                    }
                ],
            }
            if self.usage_in_stream and i == len(contents) - 1:
                chunk["usage"] = task.completion.get("usage")
            data.append(json.dumps(chunk, separators=(",", ":")).encode())
        task.set_chunks(data)
        task.completion["choices"][0]["message"]["content"] = "".join(contents)

    def stream_frames(self, task: TaskRecord, offset: int) -> tuple[list[bytes], bytes]:
        """The chunk events (indexed like the task's chunks) and the end event of one stream."""
        data = task.chunk_data
        if self.reserialise and offset > 0:
            data = [
                json.dumps(json.loads(d), sort_keys=True, separators=(", ", ": ")).encode()
                for d in data
            ]
        if self.keepalive_data:
            events = [
                KEEPALIVE_DATA + f"id: {i}\n".encode() + chunk_event(d) for i, d in enumerate(data)
            ]
        else:
            events = [chunk_event(d) for d in data]
        if offset == 0 and not task.restreamed:
            # Only the first stream misbehaves, so that re-reading the gap can repair it.
            task.restreamed = True
            if self.skip_chunk is not None and self.skip_chunk < len(events):
                events[self.skip_chunk] = b""
            if self.double_chunk is not None and self.double_chunk < len(events):
                events[self.double_chunk] *= 2
        if task.failure is not None:
            end = error_event(task.failure.get("message", "task failed"))
        elif self.error_after_completion:
            end = error_event("relay error after completion")
        elif self.total_chunks == "absent":
            end = b"event: done\ndata: {}\n\n"
        else:
            extra = 1 if self.total_chunks == "wrong" else 0
            end = done_event(task.total_chunks + extra)
        return events, end

    def task_answer(self, wire: dict[str, Any]) -> dict[str, Any]:
        """``wire`` (a task object from a poll) with the status and result quirks applied."""
        if wire["status"] == "completed":
            if self.status_alias is not None:
                wire["status"] = self.status_alias
            if self.empty_choices and wire.get("results"):
                wire["results"] = [{**wire["results"][0], "choices": []}]
        elif wire["status"] in ("pending", "processing") and self.pending_status is not None:
            wire["status"] = self.pending_status
        return wire

    def sync_answer(self, completion: dict[str, Any]) -> dict[str, Any]:
        """A sync submit's ChatCompletion with the result quirks applied."""
        return {**completion, "choices": []} if self.empty_choices else completion
