"""Tests for the WHATWG-conformant incremental SSE decoder in ``foxapi_core._sse``."""

from __future__ import annotations

import itertools
import json
import random
import time
from collections.abc import Callable

import pytest

from foxapi_core._sse import ServerSentEvent, SSEDecoder

Splitter = Callable[[bytes], list[bytes]]


def _whole(payload: bytes) -> list[bytes]:
    return [payload]


def _bytewise(payload: bytes) -> list[bytes]:
    return [payload[i : i + 1] for i in range(len(payload))]


def _at(*offsets: int) -> Splitter:
    def split(payload: bytes) -> list[bytes]:
        cuts = [0, *(o for o in offsets if 0 < o < len(payload)), len(payload)]
        return [payload[a:b] for a, b in itertools.pairwise(cuts)]

    return split


def _middle(payload: bytes) -> list[bytes]:
    return _at(len(payload) // 2)(payload)


def _every(n: int) -> Splitter:
    def split(payload: bytes) -> list[bytes]:
        return [payload[i : i + n] for i in range(0, len(payload), n)]

    return split


# Offsets 1 and 2 cut inside a leading BOM; the strides cut through CRLF pairs and multi-byte
# characters at positions that vary with the payload.
SPLITTERS: dict[str, Splitter] = {
    "whole": _whole,
    "bytewise": _bytewise,
    "at-1": _at(1),
    "at-2": _at(2),
    "at-1-5-9": _at(1, 5, 9),
    "middle": _middle,
    "every-3": _every(3),
    "every-7": _every(7),
}


@pytest.fixture(params=list(SPLITTERS.values()), ids=list(SPLITTERS))
def split(request: pytest.FixtureRequest) -> Splitter:
    splitter: Splitter = request.param
    return splitter


def decode(payload: bytes, split: Splitter) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in split(payload):
        events.extend(decoder.feed(chunk))
    assert decoder.close() == []
    return events


def datas(events: list[ServerSentEvent]) -> list[str]:
    return [e.data for e in events]


# --- BOM -------------------------------------------------------------------------------------


def test_leading_bom_is_stripped(split: Splitter) -> None:
    assert decode(b"\xef\xbb\xbfdata: x\n\n", split) == [ServerSentEvent(data="x")]


def test_bom_is_stripped_only_once(split: Splitter) -> None:
    # The second BOM becomes part of the field name "\ufeffdata", an unknown field.
    assert decode(b"\xef\xbb\xbf\xef\xbb\xbfdata: x\n\n", split) == []


def test_bom_later_in_stream_is_kept(split: Splitter) -> None:
    payload = b"data: \xef\xbb\xbfa\n\n\xef\xbb\xbfdata: b\n\ndata: c\n\n"
    assert datas(decode(payload, split)) == ["\ufeffa", "c"]


def test_bom_after_close_starts_a_new_stream() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef\xbb") == []
    assert decoder.feed(b"\xbfdata: a\n\n") == [ServerSentEvent(data="a")]
    assert decoder.close() == []
    assert decoder.feed(b"\xef\xbb\xbfdata: b\n\n") == [ServerSentEvent(data="b")]


# --- line endings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"data: a\ndata: b\n\n",
        b"data: a\rdata: b\r\r",
        b"data: a\r\ndata: b\r\n\r\n",
        b"data: a\r\ndata: b\n\r",
        b"data: a\rdata: b\n\r\n",
    ],
    ids=["lf", "cr", "crlf", "mixed-1", "mixed-2"],
)
def test_line_endings(payload: bytes, split: Splitter) -> None:
    assert decode(payload, split) == [ServerSentEvent(data="a\nb")]


def test_crlf_split_across_reads_is_one_line_ending(split: Splitter) -> None:
    # Were the CR and LF counted separately, the LF would be a blank line dispatching "a"
    # on its own before "b" arrives.
    payload = b"data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n"
    assert datas(decode(payload, split)) == ["a\nb", "c"]


def test_crlf_split_exactly_between_reads() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r") == []
    assert decoder.feed(b"\n\r") == [ServerSentEvent(data="a\nb")]
    assert decoder.feed(b"\n") == []
    assert decoder.close() == []


def test_cr_terminated_event_is_dispatched_without_waiting_for_next_read() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r\r") == [ServerSentEvent(data="a")]
    assert decoder.feed(b"\ndata: b\n\n") == [ServerSentEvent(data="b")]


def test_blank_lines_between_events(split: Splitter) -> None:
    payload = b"\n\r\n\rdata: a\n\n\n\r\n\rdata: b\r\n\r\n\r\n"
    assert datas(decode(payload, split)) == ["a", "b"]


# --- UTF-8 -----------------------------------------------------------------------------------


def test_multibyte_characters_split_across_reads(split: Splitter) -> None:
    text = "héllo € 𝄞 日本語 🦊"
    payload = f"event: ünï\ndata: {text}\nid: 𝄞\n\n".encode()
    assert decode(payload, split) == [ServerSentEvent(event="ünï", data=text, id="𝄞")]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"data: a\xffb\n\n", "a\ufffdb"),
        (b"data: \xc3(\n\n", "\ufffd("),
        (b"data: \xe2\x82\n\n", "\ufffd"),
        (b"data: \xed\xa0\x80\n\n", "\ufffd\ufffd\ufffd"),  # encoded surrogate
        (b"data: ok\xf0\x9f\xa6\n\n", "ok\ufffd"),  # truncated 4-byte sequence
    ],
    ids=["lone-ff", "bad-continuation", "truncated-before-lf", "surrogate", "truncated-4"],
)
def test_invalid_utf8_becomes_replacement_character(
    payload: bytes, expected: str, split: Splitter
) -> None:
    assert datas(decode(payload, split)) == [expected]


def test_truncated_character_at_eof_is_dropped_quietly(split: Splitter) -> None:
    assert datas(decode(b"data: a\n\ndata: \xe2\x82", split)) == ["a"]


def test_unicode_line_separators_are_not_line_endings(split: Splitter) -> None:
    # All of these are line boundaries for str.splitlines(), none for the SSE spec.
    value = "a\u2028b\u2029c\u0085d\x0be\x0cf\x1cg\x1dh\x1ei"
    assert decode(f"data: {value}\n\n".encode(), split) == [ServerSentEvent(data=value)]


# --- comments and field parsing --------------------------------------------------------------


def test_comments_are_ignored(split: Splitter) -> None:
    payload = b": ping\n\n:\n\ndata: x\n: comment between data lines\ndata: y\n\n: ping\n\n"
    assert decode(payload, split) == [ServerSentEvent(data="x\ny")]


def test_comment_only_stream_dispatches_nothing(split: Splitter) -> None:
    assert decode(b": ping\n\n: ping\r\n\r\n:\r\r", split) == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (b"data:x", "x"),
        (b"data: x", "x"),
        (b"data:  two spaces", " two spaces"),
        (b"data:\tx", "\tx"),
        (b"data: ", ""),
        (b"data:", ""),
        (b"data: a: b", "a: b"),
        (b"data::x", ":x"),
        (b"data: x ", "x "),
    ],
)
def test_only_one_leading_space_is_removed(line: bytes, expected: str, split: Splitter) -> None:
    assert datas(decode(line + b"\n\n", split)) == [expected]


def test_line_without_colon_is_field_with_empty_value(split: Splitter) -> None:
    # "data" alone appends "\n" to the data buffer, so the buffer is non-empty and the blank
    # line dispatches an event whose data is "" once the trailing "\n" is removed.
    assert decode(b"data\n\n", split) == [ServerSentEvent(data="")]


def test_two_empty_data_lines_give_single_newline(split: Splitter) -> None:
    assert datas(decode(b"data\ndata:\n\n", split)) == ["\n"]


def test_event_line_without_colon_resets_type(split: Splitter) -> None:
    assert decode(b"event: x\nevent\ndata: d\n\n", split) == [ServerSentEvent(data="d")]


def test_unknown_fields_are_ignored(split: Splitter) -> None:
    payload = b"foo: bar\nData: no\nDATA: no\n data: no\ndata : no\nfoo\ndata: yes\n\n"
    assert decode(payload, split) == [ServerSentEvent(data="yes")]


# --- data ------------------------------------------------------------------------------------


def test_multiple_data_lines_are_joined_with_lf(split: Splitter) -> None:
    payload = b"data: first\ndata: second\ndata:third\n\n"
    assert datas(decode(payload, split)) == ["first\nsecond\nthird"]


def test_only_the_final_newline_of_the_data_buffer_is_removed(split: Splitter) -> None:
    # Buffer is "a\n" + "\n"; exactly one trailing LF is stripped.
    assert datas(decode(b"data: a\ndata:\n\n", split)) == ["a\n"]


@pytest.mark.parametrize(
    "payload",
    [
        b": keep-alive\n\n",
        b"id: 1\n\n",
        b"id\n\n",
        b"event: chunk\n\n",
        b"retry: 1000\n\n",
        b"foo: bar\n\n",
        b"\n\n\n",
        b"event: chunk\nid: 2\nretry: 5\n: c\n\n",
    ],
    ids=["comment", "id", "bare-id", "event", "retry", "unknown", "blank-lines", "all-but-data"],
)
def test_blank_line_with_empty_data_buffer_dispatches_nothing(
    payload: bytes, split: Splitter
) -> None:
    # Regression guard for httpx-sse#35: such blocks must not yield an empty "message".
    assert decode(payload, split) == []


# --- event type ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"data: x\n\n", "message"),
        (b"event:\ndata: x\n\n", "message"),
        (b"event: \ndata: x\n\n", "message"),
        (b"event: chunk\ndata: x\n\n", "chunk"),
        (b"event: a\nevent: b\ndata: x\n\n", "b"),
        (b"data: x\nevent: late\n\n", "late"),
        (b"event:  spaced\ndata: x\n\n", " spaced"),
    ],
)
def test_event_type(payload: bytes, expected: str, split: Splitter) -> None:
    assert [e.event for e in decode(payload, split)] == [expected]


def test_event_type_is_reset_after_dispatch(split: Splitter) -> None:
    payload = b"event: a\ndata: 1\n\ndata: 2\n\n"
    assert [e.event for e in decode(payload, split)] == ["a", "message"]


def test_event_type_is_reset_even_when_nothing_is_dispatched(split: Splitter) -> None:
    payload = b"event: orphan\n\ndata: 2\n\n"
    assert decode(payload, split) == [ServerSentEvent(data="2")]


# --- id --------------------------------------------------------------------------------------


def test_id_is_none_until_set(split: Splitter) -> None:
    assert [e.id for e in decode(b"data: a\n\n", split)] == [None]


def test_last_event_id_persists_across_events(split: Splitter) -> None:
    payload = b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\ndata: d\n\n"
    assert [e.id for e in decode(payload, split)] == ["1", "1", "2", "2"]


def test_id_without_data_still_updates_last_event_id(split: Splitter) -> None:
    payload = b"id: 7\n\ndata: x\n\n"
    assert decode(payload, split) == [ServerSentEvent(data="x", id="7")]


def test_empty_id_resets_last_event_id_to_empty_string(split: Splitter) -> None:
    payload = b"id: 1\ndata: a\n\nid\ndata: b\n\nid:\ndata: c\n\n"
    assert [e.id for e in decode(payload, split)] == ["1", "", ""]


def test_id_containing_nul_is_ignored(split: Splitter) -> None:
    payload = b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\nid: \x00\ndata: c\n\n"
    assert [e.id for e in decode(payload, split)] == ["1", "1", "1"]


def test_id_set_before_data_in_same_block_applies(split: Splitter) -> None:
    payload = b"data: a\nid: late\n\n"
    assert decode(payload, split) == [ServerSentEvent(data="a", id="late")]


def test_last_event_id_survives_close() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"id: 41\ndata: a\n\n") == [ServerSentEvent(data="a", id="41")]
    assert decoder.close() == []
    assert decoder.feed(b"data: b\n\n") == [ServerSentEvent(data="b", id="41")]


# --- retry -----------------------------------------------------------------------------------


def test_retry_digits_are_parsed(split: Splitter) -> None:
    payload = b"retry: 3000\ndata: x\n\n"
    assert decode(payload, split) == [ServerSentEvent(data="x", retry=3000)]


@pytest.mark.parametrize(
    "value",
    ["10a", "", " 10", "-1", "+5", "1.5", "1e3", "1_000", "３", "²", "١٢"],
    ids=repr,
)
def test_retry_not_all_ascii_digits_is_ignored(value: str, split: Splitter) -> None:
    payload = f"retry: {value}\ndata: x\n\n".encode()
    assert decode(payload, split) == [ServerSentEvent(data="x")]


def test_invalid_retry_keeps_earlier_valid_one(split: Splitter) -> None:
    payload = b"retry: 500\nretry: 10a\ndata: x\n\n"
    assert [e.retry for e in decode(payload, split)] == [500]


def test_retry_applies_only_to_its_own_event(split: Splitter) -> None:
    payload = b"retry: 3000\ndata: a\n\ndata: b\n\nretry: 0\ndata: c\n\n"
    assert [e.retry for e in decode(payload, split)] == [3000, None, 0]


# --- end of stream ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        b"data: a\n\ndata: b\n",
        b"data: a\n\ndata: b",
        b"data: a\n\ndata: b\r",
        b"data: a\n\nevent: x\ndata: b\r\n",
    ],
    ids=["lf", "no-newline", "cr", "crlf"],
)
def test_unfinished_event_is_dropped_at_close(payload: bytes, split: Splitter) -> None:
    assert datas(decode(payload, split)) == ["a"]


def test_close_resets_pending_state() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: x\ndata: stale\ndata: partial") == []
    assert decoder.close() == []
    assert decoder.feed(b"data: fresh\n\n") == [ServerSentEvent(data="fresh")]


def test_events_are_returned_as_soon_as_they_are_complete() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(data="a")]
    assert decoder.feed(b"data: b\n\ndata: c\n\ndata: d") == [
        ServerSentEvent(data="b"),
        ServerSentEvent(data="c"),
    ]
    assert decoder.feed(b"\n\n") == [ServerSentEvent(data="d")]


def test_empty_feeds_are_harmless() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"") == []
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(data="a")]
    assert decoder.close() == []
    assert decoder.close() == []


# --- realistic framing -----------------------------------------------------------------------


def _foxapi_stream() -> tuple[bytes, list[ServerSentEvent]]:
    chunks = [
        {"task_id": "tsk_01", "index": i, "delta": text}
        for i, text in enumerate(["Hello", ", wörld", " 🦊\u2028!"])
    ]
    parts = [b": connected\n\n", b"retry: 2500\n\n"]
    expected: list[ServerSentEvent] = []
    for i, chunk in enumerate(chunks):
        body = json.dumps(chunk, ensure_ascii=False)
        parts.append(f"id: {i}\nevent: chunk\ndata: {body}\n\n".encode())
        expected.append(ServerSentEvent(event="chunk", data=body, id=str(i)))
        parts.append(b": ping\n\n")
    parts.append(b'event: done\ndata: {"total_chunks": 3}\n\n')
    expected.append(ServerSentEvent(event="done", data='{"total_chunks": 3}', id="2"))
    return b"".join(parts), expected


def test_realistic_foxapi_framing(split: Splitter) -> None:
    payload, expected = _foxapi_stream()
    events = decode(payload, split)
    assert events == expected
    assert [json.loads(e.data)["index"] for e in events[:-1]] == [0, 1, 2]
    assert json.loads(events[-1].data) == {"total_chunks": 3}


def test_random_splits_match_whole_feed() -> None:
    payload, expected = _foxapi_stream()
    payload = b"\xef\xbb\xbf" + payload.replace(b"\n", b"\r\n")
    rng = random.Random(20240601)
    for _ in range(200):
        cuts = sorted(rng.sample(range(1, len(payload)), rng.randint(1, 40)))
        assert decode(payload, _at(*cuts)) == expected


# --- performance -----------------------------------------------------------------------------


def _time_single_line(size: int) -> float:
    payload = b"data: " + b"x" * size + b"\n\n"
    pieces = [payload[i : i + 1024] for i in range(0, len(payload), 1024)]
    best = float("inf")
    for _ in range(3):
        decoder = SSEDecoder()
        events: list[ServerSentEvent] = []
        start = time.perf_counter()
        for piece in pieces:
            events.extend(decoder.feed(piece))
        best = min(best, time.perf_counter() - start)
        assert len(events) == 1
        assert len(events[0].data) == size
    return best


def test_long_line_in_small_reads_is_linear() -> None:
    # Relative rather than absolute timing keeps this independent of machine speed: 10x the
    # input should cost about 10x the time; re-scanning the buffer per read would cost ~100x.
    small = _time_single_line(400_000)
    large = _time_single_line(4_000_000)
    assert large / small < 30


# --- the documented cap on a line and an event's data (MAX_EVENT_CHARS) ----------------------


def test_a_line_past_the_cap_raises_stream_error_in_small_reads() -> None:
    from foxapi_core import StreamError
    from foxapi_core._sse import SSEDecoder

    decoder = SSEDecoder(max_event_chars=1000)
    decoder.feed(b"data: " + b"x" * 900)
    with pytest.raises(StreamError, match="more than 1,000 characters"):
        for _ in range(10):
            decoder.feed(b"x" * 100)  # never a line end


def test_a_line_past_the_cap_raises_in_one_read() -> None:
    from foxapi_core import StreamError
    from foxapi_core._sse import SSEDecoder

    with pytest.raises(StreamError):
        SSEDecoder(max_event_chars=1000).feed(b"data: " + b"x" * 2000 + b"\n\n")


def test_events_before_an_over_long_one_in_the_same_read_are_returned_then_it_raises() -> None:
    from foxapi_core import StreamError
    from foxapi_core._sse import SSEDecoder

    decoder = SSEDecoder(max_event_chars=1000)
    data = b"data: a\n\ndata: b\n\ndata: " + b"x" * 2000 + b"\n\ndata: c\n\n"
    assert [e.data for e in decoder.feed(data)] == ["a", "b"]
    assert decoder.error is not None
    with pytest.raises(StreamError, match="more than 1,000"):
        decoder.feed(b"data: d\n\n")
    with pytest.raises(StreamError):
        decoder.close()


def test_an_event_of_many_lines_past_the_cap_raises() -> None:
    from foxapi_core import StreamError
    from foxapi_core._sse import SSEDecoder

    decoder = SSEDecoder(max_event_chars=1000)
    with pytest.raises(StreamError, match="an event"):
        for _ in range(20):
            decoder.feed(b"data: " + b"y" * 99 + b"\n")  # no blank line: one growing event


def test_the_default_cap_leaves_large_real_lines_alone() -> None:
    from foxapi_core._sse import MAX_EVENT_CHARS, SSEDecoder

    data = "z" * (4 * 1024 * 1024)  # 4 MB, the bar's large-line case
    assert len(data) < MAX_EVENT_CHARS
    [event] = SSEDecoder().feed(f"data: {data}\n\n".encode())
    assert event.data == data
