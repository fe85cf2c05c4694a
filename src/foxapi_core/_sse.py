"""I/O-free, incremental decoder for ``text/event-stream`` (Server-Sent Events) bodies.

The parsing follows the WHATWG HTML Living Standard, §9.2.5 "Parsing an event stream" and
§9.2.6 "Interpreting an event stream":
https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation

The decoder only turns bytes into :class:`ServerSentEvent` objects; reconnection, the
``Last-Event-ID`` request header and honouring ``retry`` are left to the caller.
"""

from __future__ import annotations

import codecs
import re
from typing import NamedTuple

from ._errors import StreamError

__all__ = ["MAX_EVENT_CHARS", "SSEDecoder", "ServerSentEvent"]

#: The most characters one line, or one event's data, may hold before the decoder gives up with
#: StreamError. A chat.completion.chunk is a few hundred bytes; the cap only bounds the memory a
#: broken or hostile server can make the client hold by never ending a line (or an event).
MAX_EVENT_CHARS = 16 * 1024 * 1024

# The spec's only line terminators. str.splitlines() must not be used: it also splits on
# U+2028, U+2029, U+0085, \v, \f and \x1c-\x1e, all of which are legal inside a data line.
_LINE_END = re.compile(r"\r\n|\r|\n")
_BOM = "\ufeff"


class ServerSentEvent(NamedTuple):
    """One dispatched event (immutable).

    A ``NamedTuple`` because one is built per event: a frozen dataclass's ``__init__`` goes
    through ``object.__setattr__`` per field (0.39 vs 0.20 µs here, at every streamed chunk).

    Attributes:
        event: The event type: the last ``event:`` field of the block, or ``"message"`` when it
            was absent or empty.
        data: The ``data:`` lines of the block joined with ``"\\n"``.
        id: The last event ID in force when the event was dispatched. It persists across
            events until another ``id:`` field changes it; ``None`` if no ``id:`` was ever seen
            (an empty ``id:`` field sets it to ``""``, as the spec requires).
        retry: The reconnection time in milliseconds from this block's ``retry:`` field, or
            ``None`` if the block had none consisting solely of ASCII digits.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None


class SSEDecoder:
    """Incremental decoder: feed raw bytes as they arrive, get complete events back.

    The input may be split at arbitrary byte boundaries, including inside a multi-byte UTF-8
    character, a leading byte-order mark or a CRLF pair. Work per call is proportional to the
    size of the new bytes, so a huge line arriving in small reads is still parsed in linear
    time.

    Example::

        decoder = SSEDecoder()
        for chunk in byte_chunks:
            for event in decoder.feed(chunk):
                handle(event)
        decoder.close()
    """

    __slots__ = (
        "_at_start",
        "_data",
        "_data_len",
        "_decoder",
        "_error",
        "_event_type",
        "_last_id",
        "_limit",
        "_partial",
        "_partial_len",
        "_retry",
        "_skip_lf",
    )

    def __init__(self, *, max_event_chars: int = MAX_EVENT_CHARS) -> None:
        """Args:
        max_event_chars: The most characters a line or an event's data may hold
            (:data:`MAX_EVENT_CHARS`); more raises :class:`~foxapi_core.StreamError`.
        """
        self._last_id: str | None = None
        self._limit = max_event_chars
        self._error: StreamError | None = None
        self._reset_stream()

    @property
    def error(self) -> StreamError | None:
        """The error that ended decoding (an over-long line or event), else ``None``.

        When the bytes of one :meth:`feed` held complete events before the over-long one,
        ``feed`` returns those events (nothing received is dropped) and sets this; the next
        call raises it. Otherwise ``feed`` raises at once.
        """
        return self._error

    def _reset_stream(self) -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        # Set until the first decoded character has been seen, so that a BOM split across
        # reads is still recognised, and one arriving later is kept as data.
        self._at_start = True
        # A CR ending the previous read already terminated a line; an LF opening the next read
        # belongs to the same CRLF and must not terminate a second, empty line (which would
        # dispatch prematurely).
        self._skip_lf = False
        # Pieces of the current unterminated line, joined only once its terminator arrives so
        # that long lines cost linear rather than quadratic time.
        self._partial: list[str] = []
        self._partial_len = 0
        self._reset_event()

    def _reset_event(self) -> None:
        self._event_type = ""
        self._data: list[str] = []
        self._data_len = 0
        self._retry: int | None = None

    def _too_long(self, what: str, events: list[ServerSentEvent]) -> list[ServerSentEvent]:
        self._error = StreamError(
            f"The event stream sent {what} of more than {self._limit:,} characters; that is "
            "not a FoxAPI chunk, so the stream was abandoned (SSEDecoder(max_event_chars=...) "
            "raises the limit)."
        )
        if events:
            return events
        raise self._error

    def feed(self, data: bytes) -> list[ServerSentEvent]:
        """Decode the next bytes of the stream.

        Args:
            data: Raw bytes exactly as received; may be empty or end mid-line or mid-character.

        Returns:
            The events completed (terminated by a blank line) by these bytes, in stream order.
            Usually empty or a single event.
        """
        if self._error is not None:
            raise self._error
        return self._process(self._decoder.decode(data))

    def close(self) -> list[ServerSentEvent]:
        """Signal the end of the stream.

        An unterminated trailing line and an event not yet followed by a blank line are
        discarded, as the spec requires. Afterwards the decoder can be reused for a new
        stream (e.g. after reconnecting): per-stream state is reset, but the last event ID is
        kept, matching how ``EventSource`` carries it across reconnections.

        Returns:
            Any events completed by flushing the UTF-8 decoder; in practice always ``[]``,
            since a dangling partial character can never complete a line.
        """
        if self._error is not None:
            raise self._error
        events = self._process(self._decoder.decode(b"", True))
        self._reset_stream()
        return events

    def _process(self, text: str) -> list[ServerSentEvent]:
        if not text:
            return []
        if self._at_start:
            self._at_start = False
            if text[0] == _BOM:
                text = text[1:]
        if self._skip_lf:
            self._skip_lf = False
            if text[:1] == "\n":
                text = text[1:]
        # Most streams never use CR, and str.split is markedly cheaper than the regex.
        lines = _LINE_END.split(text) if "\r" in text else text.split("\n")
        # The last piece is everything after the final terminator: an incomplete line.
        tail = lines.pop()
        if not lines:
            if tail:
                self._partial.append(tail)
                self._partial_len += len(tail)
                if self._partial_len > self._limit:
                    return self._too_long("a line", [])
            return []
        if self._partial:
            self._partial.append(lines[0])
            lines[0] = "".join(self._partial)
            self._partial = []
            self._partial_len = 0
        if tail:
            self._partial.append(tail)
            self._partial_len = len(tail)
        elif text[-1] == "\r":
            self._skip_lf = True

        events: list[ServerSentEvent] = []
        limit = self._limit
        # No line can be longer than what was carried over plus what arrived: in the usual
        # read, one comparison instead of one per line.
        check_lines = len(lines[0]) + len(text) > limit
        data = self._data
        for line in lines:
            if check_lines and len(line) > limit:
                return self._too_long("a line", events)
            if not line:
                if data:
                    events.append(
                        ServerSentEvent(
                            self._event_type or "message",
                            "\n".join(data),
                            self._last_id,
                            self._retry,
                        )
                    )
                    data = self._data = []
                    self._data_len = 0
                self._event_type = ""
                self._retry = None
                continue
            # The two lines of every FoxAPI event, matched first; the same result as the
            # general field parsing below (name up to the colon, one leading space dropped).
            if line[:6] == "data: ":
                value = line[6:]
            elif line[:7] == "event: ":
                self._event_type = line[7:]
                continue
            else:
                colon = line.find(":")
                if colon == 0:
                    continue  # comment, e.g. a ": ping" heartbeat
                if colon < 0:
                    name, value = line, ""
                else:
                    name = line[:colon]
                    value = line[colon + 1 :]
                    if value[:1] == " ":
                        value = value[1:]
                if name == "event":
                    self._event_type = value
                    continue
                if name == "id":
                    if "\0" not in value:
                        self._last_id = value
                    continue
                if name == "retry":
                    # isdigit() alone would accept e.g. "²"; with isascii() it means 0-9.
                    if value.isascii() and value.isdigit():
                        self._retry = int(value)
                    continue
                if name != "data":
                    continue
            data.append(value)
            self._data_len += len(value) + 1
            if self._data_len > limit:
                return self._too_long("an event", events)
        return events
