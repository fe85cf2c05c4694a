"""Property-based tests (hypothesis) of the SSE decoder, the wire-model parsers and the stream
flow on top of them.

The WHATWG vectors themselves are in test_sse.py, each fed whole, in 7-byte reads
(``every-7``) and byte by byte (``bytewise``) through its ``split`` fixture; this file adds the
general properties: any event list, encoded with any mix of line ends and split anywhere,
decodes to itself; arbitrary bytes never raise; parsers only raise the project's errors.
"""

from __future__ import annotations

import contextlib
import itertools
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from foxapi_core import DEFAULT_CATALOG, FoxAPIError
from foxapi_core._config import ClientConfig
from foxapi_core._flows import (
    Emit,
    FlowContext,
    ReadStream,
    Reply,
    Send,
    Sleep,
    _status_error,
    parse_reply,
)
from foxapi_core._generation import stream_flow
from foxapi_core._sse import ServerSentEvent, SSEDecoder
from foxapi_core._wire import ChatCompletion, ChatCompletionChunk, ErrorBody, Task

SETTINGS = settings(max_examples=300, deadline=None)

# Text that may appear inside a field: anything but the three line-ending characters (and lone
# surrogates, which UTF-8 cannot encode).
field_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"))
names = field_text.filter(lambda s: s != "")
events_strategy = st.lists(
    st.tuples(
        st.one_of(st.just("message"), st.sampled_from(["chunk", "done", "error"]), names),
        st.lists(field_text, min_size=1, max_size=4),  # data lines
        st.one_of(st.none(), field_text.filter(lambda s: "\0" not in s)),  # id
        st.one_of(st.none(), st.integers(min_value=0, max_value=10**12)),  # retry
        st.booleans(),  # a comment (heartbeat) before the event
    ),
    max_size=8,
)


def encode(events: list[Any], endings: list[str], bom: bool) -> tuple[bytes, list[Any]]:
    """The SSE bytes of ``events`` and the ServerSentEvents a conforming decoder must yield."""
    lines: list[str] = []
    expected: list[ServerSentEvent] = []
    last_id: str | None = None
    for event, data_lines, event_id, retry, comment in events:
        if comment:
            lines.append(": ping")
        if event != "message" or len(lines) % 2:  # "message" both explicit and implicit
            lines.append(f"event: {event}")
        lines.extend(f"data: {line}" for line in data_lines)
        if event_id is not None:
            lines.append(f"id: {event_id}")
            last_id = event_id
        if retry is not None:
            lines.append(f"retry: {retry}")
        lines.append("")
        expected.append(ServerSentEvent(event, "\n".join(data_lines), last_id, retry))
    out: list[str] = []
    previous = ""
    for i, line in enumerate(lines):
        ending = endings[i % len(endings)]
        # "\r" then an empty line ending in "\n" would read as one CRLF: pick "\r" instead.
        if previous == "\r" and line == "" and ending == "\n":
            ending = "\r"
        out.append(line + ending)
        previous = ending
    return ("\ufeff" if bom else "").encode() + "".join(out).encode(), expected


def split_at(payload: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(payload) + 1) for c in cuts} | {0, len(payload)})
    return [payload[a:b] for a, b in itertools.pairwise(points)]


def decode(pieces: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for piece in pieces:
        events.extend(decoder.feed(piece))
    events.extend(decoder.close())
    return events


@SETTINGS
@given(
    events=events_strategy,
    endings=st.lists(st.sampled_from(["\n", "\r", "\r\n"]), min_size=1, max_size=5),
    bom=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=10**6), max_size=30),
)
def test_any_event_list_encoded_and_split_anywhere_decodes_to_itself(
    events: list[Any], endings: list[str], bom: bool, cuts: list[int]
) -> None:
    payload, expected = encode(events, endings, bom)
    assert decode(split_at(payload, cuts)) == expected
    assert decode([payload[i : i + 1] for i in range(len(payload))]) == expected


@SETTINGS
@given(payload=st.binary(max_size=2000), cuts=st.lists(st.integers(0, 10**6), max_size=30))
def test_arbitrary_bytes_never_raise_and_splitting_never_matters(
    payload: bytes, cuts: list[int]
) -> None:
    whole = decode([payload])
    assert decode(split_at(payload, cuts)) == whole
    assert all(isinstance(e.data, str) and isinstance(e.event, str) for e in whole)


@SETTINGS
@given(payload=st.binary(max_size=500))
def test_arbitrary_sse_bytes_with_the_foxapi_framing_never_raise(payload: bytes) -> None:
    """Arbitrary bytes around real frames: the decoder recovers at the next blank line."""
    frame = b'event: done\ndata: {"total_chunks": 0}\n\n'
    events = decode([payload + b"\n\n" + frame])
    assert events[-1] == ServerSentEvent("done", '{"total_chunks": 0}', events[-1].id)


# --- wire-model parsers -------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | field_text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                ["id", "status", "results", "choices", "delta", "content", "error", "usage", "x"]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


def _ctx() -> FlowContext:
    config = ClientConfig(api_key=SecretStr("sk-test"), base_url="http://127.0.0.1:1")
    return FlowContext(config, DEFAULT_CATALOG)


@SETTINGS
@given(body=st.one_of(st.binary(max_size=300), json_values.map(lambda v: json.dumps(v).encode())))
def test_wire_parsers_raise_only_the_projects_errors(body: bytes) -> None:
    reply = Reply(200, {"x-request-id": "req-1"}, body)
    for model in (Task, ChatCompletion, ChatCompletionChunk):
        try:
            parse_reply(model, reply, _ctx(), "parse")
        except FoxAPIError as exc:
            assert exc.request_id == "req-1"
    for status in (400, 404, 429, 500, 503):
        error = _status_error(Reply(status, {"retry-after": "x"}, body), _ctx(), "call")
        assert isinstance(error, FoxAPIError) and error.status == status


@SETTINGS
@given(
    content=st.lists(field_text, min_size=1, max_size=6),
    reasoning=st.lists(field_text, max_size=3),
)
def test_chunks_round_trip_through_the_parser(content: list[str], reasoning: list[str]) -> None:
    deltas = [{"reasoning_content": r} for r in reasoning] + [{"content": c} for c in content]
    for delta in deltas:
        raw = json.dumps({"id": "c", "choices": [{"index": 0, "delta": delta}], "new": [1]})
        chunk = ChatCompletionChunk.model_validate_json(raw)
        assert chunk.delta.model_dump(exclude_none=True) == delta
        assert chunk.model_extra == {"new": [1]}
        again = ChatCompletionChunk.model_validate_json(chunk.model_dump_json())
        assert again == chunk


@SETTINGS
@given(body=json_values)
def test_error_bodies_parse_or_fail_with_validation_error_only(body: Any) -> None:
    with contextlib.suppress(ValidationError):
        ErrorBody.model_validate_json(json.dumps(body))


# --- the stream flow over random reads ----------------------------------------------------------


@SETTINGS
@given(
    texts=st.lists(field_text, min_size=1, max_size=8),
    cuts=st.lists(st.integers(0, 10**6), max_size=40),
    noise=st.lists(st.sampled_from([": ping\n\n", "id: 7\n", "retry: 5\n", "event: x\n\n"])),
)
def test_stream_flow_emits_every_chunk_once_whatever_the_reads(
    texts: list[str], cuts: list[int], noise: list[str]
) -> None:
    datas = [
        json.dumps({"id": "c", "choices": [{"index": 0, "delta": {"content": t}}]}) for t in texts
    ]
    frames = [f"event: chunk\ndata: {d}\n\n" for d in datas]
    for i, extra in enumerate(noise):  # heartbeats and ignored fields between frames
        frames.insert(i % (len(frames) + 1), extra.replace("event: x\n\n", ": x\n\n"))
    frames.append(f'event: done\ndata: {{"total_chunks": {len(datas)}}}\n\n')
    reads = split_at("".join(frames).encode(), cuts)
    final = {
        "id": "task-1",
        "status": "completed",
        "results": [{"choices": [{"message": {"content": "".join(texts)}}]}],
    }
    flow = stream_flow(_ctx(), "task-1", 1e12)
    emitted: list[str] = []
    reply: Any = None
    while True:
        try:
            cmd = flow.send(reply)
        except StopIteration as stop:
            result = stop.value
            break
        reply = None
        if isinstance(cmd, Send):
            reply = Reply(200, {}, json.dumps(final).encode() if cmd.kind != "stream" else b"")
        elif isinstance(cmd, ReadStream):
            reply = reads.pop(0) if reads else b""
        elif isinstance(cmd, Emit):
            emitted.append(cmd.item.data)
        assert not isinstance(cmd, Sleep)
    assert emitted == datas
    assert result.text == "".join(texts)
