"""Deciding, after a reconnect with ``?offset=N``, whether the server resumed at chunk N or
replayed from chunk 0 (I/O free; data in, decisions out).

The protocol documents ``?offset`` but a vendor comment says the backend "always re-sends from chunk
0" (reference section 4 and 10), so the client must work under both readings:

- **honoured** (H): the first chunk received is chunk N;
- **replayed** (R): the first N chunks received repeat the N already delivered.

The readings are told apart by content while a received chunk differs from the one already
delivered at its position (then R is impossible). When every compared chunk matches, e.g. an answer
whose chunks repeat (``"ha"``, ``"ha"``, ``"ha"``...) or that starts with empty keep-alive chunks,
content cannot decide: the chunks are held back until ``done``, and then the task's final text
decides. ``done``'s count (R sends ``total_chunks`` = received, H sends N + received) only decides
where the text cannot: a wrong count must not pick the wrong reading. Chunks are compared as parsed
JSON (a replay may re-serialise them: same JSON, other bytes), and only while a resume is being
verified: the streaming hot path never canonicalises anything.

The states and their transitions are the literal table :data:`TRANSITIONS` (in the manner of h11's
``_state.py``); a pair missing from it is a bug, raised as :class:`ResumeProtocolError`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import Enum

__all__ = [
    "TRANSITIONS",
    "Action",
    "Event",
    "Resume",
    "ResumeProtocolError",
    "State",
    "chunk_text",
    "same_chunk",
]


class State(Enum):
    """Where the verification of one connection stands."""

    #: Nothing to verify (first connection, or the reading is decided): chunks go straight out.
    STREAMING = "streaming"
    #: Every chunk so far repeats the delivered one at its position, fewer than N received.
    VERIFYING = "verifying"
    #: N or more chunks received, the first N all repeats (or the delivered chunks are unknown,
    #: after a user's ``stream(task_id, offset=N)``): only ``done`` or the task result decides.
    AMBIGUOUS = "ambiguous"
    #: The connection ended while chunks were held: the caller must ask the task.
    UNDECIDED = "undecided"


class Event(Enum):
    """What happened on the connection, as the table sees it."""

    CHUNK_MATCHES = "chunk matches the delivered chunk at its position"
    CHUNK_DIFFERS = "chunk differs from the delivered chunk at its position"
    OFFSET_REACHED = "the N-th held chunk matched"
    CHUNK = "a chunk with nothing to compare it to"
    DONE_NO_REPLAY = "done with fewer than N chunks held: a replay is impossible"
    DONE = "done while a replay is possible: the task's text must decide"
    PROVED_HONOURED = "the task's text (or, failing it, done's count) says resumed at N"
    PROVED_REPLAYED = "the task's text (or, failing it, done's count) says replayed from 0"


class Action(Enum):
    """What the caller does with the chunk(s)."""

    DELIVER = "deliver the chunk"
    HOLD = "hold the chunk back"
    FLUSH = "deliver every held chunk, then this one (if any)"
    DROP_REPEATS = "deliver the held chunks after the first N (the repeats)"
    ASK_TASK = "keep the held chunks until the task's final text decides"


S, E, A = State, Event, Action

#: (state, event) -> (next state, action). Every legal pair is here; nothing else is legal.
#: ``done``'s count alone never decides: a wrong count that happens to equal N + received would
#: turn a replay into doubled text, so the task's text decides and the count only breaks a tie.
TRANSITIONS: dict[tuple[State, Event], tuple[State, Action]] = {
    (S.STREAMING, E.CHUNK): (S.STREAMING, A.DELIVER),
    (S.STREAMING, E.DONE_NO_REPLAY): (S.STREAMING, A.FLUSH),
    (S.VERIFYING, E.CHUNK_MATCHES): (S.VERIFYING, A.HOLD),
    (S.VERIFYING, E.OFFSET_REACHED): (S.AMBIGUOUS, A.HOLD),
    (S.VERIFYING, E.CHUNK_DIFFERS): (S.STREAMING, A.FLUSH),
    (S.VERIFYING, E.DONE_NO_REPLAY): (S.STREAMING, A.FLUSH),
    (S.AMBIGUOUS, E.CHUNK): (S.AMBIGUOUS, A.HOLD),
    (S.AMBIGUOUS, E.DONE_NO_REPLAY): (S.STREAMING, A.FLUSH),
    (S.AMBIGUOUS, E.DONE): (S.UNDECIDED, A.ASK_TASK),
    (S.UNDECIDED, E.PROVED_HONOURED): (S.STREAMING, A.FLUSH),
    (S.UNDECIDED, E.PROVED_REPLAYED): (S.STREAMING, A.DROP_REPEATS),
}
del S, E, A


class ResumeProtocolError(Exception):
    """An event the table has no transition for (a bug in the caller, never the server)."""


def same_chunk(a: str, b: str) -> bool:
    """Whether two chunk payloads are the same chunk: equal bytes, or equal parsed JSON."""
    if a == b:
        return True
    try:
        return bool(json.loads(a) == json.loads(b))
    except (ValueError, RecursionError):  # a hostile payload nested past the parser's limit
        return False


def chunk_text(data: str) -> str:
    """The content text of a chunk payload ('' when it has none or is not a chunk)."""
    try:
        delta = json.loads(data)["choices"][0]["delta"]
        content = delta.get("content")
    except (ValueError, LookupError, TypeError, AttributeError, RecursionError):
        return ""
    return content if isinstance(content, str) else ""


class Resume:
    """The verification of one connection opened with ``?offset=offset``.

    Args:
        offset: N, the chunks already delivered (0: nothing to verify).
        history: the delivered chunks' payloads, or None when they are unknown (the caller
            resumed a stream it did not read here), in which case only ``done``'s count or the
            task's text can decide.

    Feed each chunk to :meth:`chunk` (when :attr:`state` is not ``STREAMING``) and ``done``'s
    count to :meth:`done`; each returns the payloads to deliver now.
    """

    __slots__ = ("cursor", "held", "history", "offset", "state", "total")

    def __init__(self, offset: int, history: Sequence[str] | None) -> None:
        self.offset = offset
        self.history = history
        self.held: list[str] = []
        #: On a reconnect with the same offset, how many held chunks the new connection has
        #: repeated so far: under either reading the server starts where it started before.
        self.cursor = 0
        self.total: int | None = None
        self.state = self._initial_state(0)

    def _initial_state(self, received: int) -> State:
        if self.offset <= 0:
            return State.STREAMING
        if self.history is None or received >= self.offset:
            return State.AMBIGUOUS
        return State.VERIFYING

    def reconnect(self) -> None:
        """The connection broke off while undecided; the next one (same offset) starts again.
        The held chunks are kept: the new connection must repeat them before it brings more."""
        self.cursor = 0

    def _repeats_held(self, data: str) -> bool:
        if self.cursor >= len(self.held):
            return False
        if same_chunk(data, self.held[self.cursor]):
            self.cursor += 1
            return True
        # The server did not start where it did before: forget what it no longer confirms.
        del self.held[self.cursor :]
        self.state = self._initial_state(self.cursor)
        return False

    def _step(self, event: Event) -> Action:
        try:
            self.state, action = TRANSITIONS[(self.state, event)]
        except KeyError:
            raise ResumeProtocolError(f"no transition from {self.state} on {event}") from None
        return action

    def chunk(self, data: str) -> list[str]:
        """One received chunk; returns the chunks to deliver now, in order."""
        if self.held and self._repeats_held(data):
            return []
        self.cursor = len(self.held) + 1
        if self.state is State.VERIFYING:
            assert self.history is not None
            k = len(self.held)
            known = self.history[len(self.history) - self.offset + k]
            if not same_chunk(data, known):
                self._step(Event.CHUNK_DIFFERS)
                out, self.held = [*self.held, data], []
                return out
            self.held.append(data)
            self._step(Event.OFFSET_REACHED if k + 1 == self.offset else Event.CHUNK_MATCHES)
            return []
        action = self._step(Event.CHUNK)
        if action is Action.DELIVER:
            return [data]
        self.held.append(data)
        return []

    def done(self, total: int | None) -> list[str] | None:
        """``done`` arrived with ``total_chunks`` (None if absent); returns the held chunks to
        deliver, or None while a replay is possible (state ``UNDECIDED``: ask the task, then
        call :meth:`decide_by_text`, or :meth:`decide_by_count` if the task has no text)."""
        self.total = total
        received = len(self.held)
        replay_possible = self.state is State.AMBIGUOUS and received >= self.offset
        action = self._step(Event.DONE if replay_possible else Event.DONE_NO_REPLAY)
        return self._apply(action)

    def _apply(self, action: Action) -> list[str] | None:
        if action is Action.ASK_TASK:
            return None
        held, self.held = self.held, []
        return held[self.offset :] if action is Action.DROP_REPEATS else held

    def decide_by_count(self) -> list[str] | None:
        """In ``UNDECIDED``: ``done``'s count picks the reading (R sends ``received`` chunks,
        H ``N + received``); None when it says neither."""
        received = len(self.held)
        if self.total == received:
            return self._apply(self._step(Event.PROVED_REPLAYED))
        if self.total == self.offset + received:
            return self._apply(self._step(Event.PROVED_HONOURED))
        return None

    def decide_by_text(self, seen: str, final: str) -> list[str] | None:
        """In ``UNDECIDED``: the task's final text ``final`` and the text ``seen`` delivered so
        far pick the reading; when the text cannot tell (both readings give ``final``), the count
        does. Returns the chunks to deliver, or None when neither decides."""
        if self.state is not State.UNDECIDED:
            raise ResumeProtocolError(f"decide_by_text in {self.state}")
        held_text = "".join(chunk_text(d) for d in self.held)
        replay_text = "".join(chunk_text(d) for d in self.held[self.offset :])
        if self.history is None:  # what came before the offset is unknown here
            replayed = held_text == final
            honoured = final.endswith(held_text) and len(final) > len(held_text)
        else:
            replayed = seen + replay_text == final
            honoured = seen + held_text == final
        if honoured == replayed:
            # The text cannot tell (both readings give it, or neither does): the count decides.
            # Without one there is no proof, and a guess could skip or double a chunk (empty
            # ones included): None, and the caller takes the rest from the task's result.
            return self.decide_by_count()
        event = Event.PROVED_HONOURED if honoured else Event.PROVED_REPLAYED
        return self._apply(self._step(event))
