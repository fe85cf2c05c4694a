"""A model-based property test of the generation flows (issue 13, item 8).

Hypothesis generates server behaviours - offset honoured or replayed, re-serialisation, repeated and
empty chunks, keep-alives and ``id:`` fields, cuts at any point any number of times, stalls, error
events, null results, ``total_chunks`` right, absent or wrong, runs of 5xx - and plays them with the
scripted server model (tests/core/stream_model.py) against the I/O-free flows. The property:

- either the call returns the right answer, the events handed to the caller are the answer's chunks
  exactly once, in order (as parsed JSON), possibly followed by one synthetic chunk carrying the
  rest of the text from the task's result, and the events' text is the answer's text;
- or it raises a FoxAPIError, having handed over only a correct prefix of the chunks.

With a right ``total_chunks`` and no fallback to the task, delivery is chunk-exact. With a wrong
``total_chunks`` the text is still exactly right, but content-free chunks (empty deltas) of an
ambiguous resume may be counted either way: only the count could tell, and it lies.

Profiles: ``ci`` (default: bounded, fixed seed) and ``long`` (``HYPOTHESIS_PROFILE=long``).
"""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from stream_model import MODEL, Clock, ServerModel, drive, make_ctx

from foxapi_core import FoxAPIError
from foxapi_core._generation import generate_flow

settings.register_profile(
    "ci",
    max_examples=300,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("long", max_examples=20_000, deadline=None)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BODY = {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]}
# A small alphabet so that repeats (the hard case) are common.
CONTENTS = st.lists(st.sampled_from(["ha", "ha", "", " done", "x"]), min_size=1, max_size=9)


@st.composite
def servers(draw: st.DrawFn) -> ServerModel:
    contents = draw(CONTENTS)
    cuts = draw(st.lists(st.integers(0, len(contents)), max_size=5))
    return ServerModel(
        contents,
        honour_offset=draw(st.booleans()),
        reserialise=draw(st.booleans()),
        cuts=cuts,
        stall_on=draw(st.sets(st.integers(0, max(len(cuts) - 1, 0)), max_size=3)),
        keepalives=draw(st.booleans()),
        total=draw(st.sampled_from(["right", "right", "absent", "wrong"])),
        total_delta=draw(st.sampled_from([-2, -1, 1, 3])),
        stream_5xx=draw(st.sampled_from([0, 0, 0, 1, 3, 10])),
        error_at_end=draw(st.booleans()) and draw(st.booleans()),
        null_results=draw(st.booleans()) and draw(st.booleans()),
        usage_in_stream=draw(st.booleans()),
        read_size=draw(st.sampled_from([1, 7, 64, 4096])),
    )


def check(server: ServerModel, run: Any) -> None:
    expected = [json.loads(c) for c in server.chunks]
    got = [json.loads(e.data) for e in run.emitted]
    n = len(got)
    # A synthetic chunk (built from the task's result) has fields no streamed chunk has, so it
    # never equals the chunk at its position.
    synthetic = bool(got) and (n > len(expected) or got[-1] != expected[n - 1])
    body = got[:-1] if synthetic else got
    if server.total != "wrong":
        # With a lying count, content-free chunks of an ambiguous resume may be taken either
        # way (the text decides and stays right); every other chunk is delivered exactly once.
        assert body == expected[: len(body)], "a chunk was skipped, doubled or reordered"
    assert [e.index for e in run.emitted] == list(range(n))
    text = "".join(e.chunk.delta.content or "" for e in run.emitted)
    if run.error is not None:
        assert isinstance(run.error, FoxAPIError), repr(run.error)
        assert not synthetic
        assert server.text.startswith(text)
        return
    assert run.result.text == server.text
    assert text == server.text
    plain = not (server.cuts or server.stream_5xx or server.error_at_end or server.null_results)
    if plain and server.total == "right":
        assert got == expected  # chunk-exact


@PROFILE
@given(servers())
def test_every_server_behaviour_gives_the_answer_exactly_once_or_a_typed_error(
    server: ServerModel,
) -> None:
    clock = Clock()
    server.clock = clock
    flow = generate_flow(make_ctx(clock), BODY, "stream", clock.now + 900, emit=True)
    check(server, drive(flow, server, clock))


@PROFILE
@given(servers())
def test_without_emitting_the_answer_is_right_or_a_typed_error(server: ServerModel) -> None:
    clock = Clock()
    server.clock = clock
    run = drive(generate_flow(make_ctx(clock), BODY, "stream", clock.now + 900), server, clock)
    if run.error is not None:
        assert isinstance(run.error, FoxAPIError), repr(run.error)
    else:
        assert run.result.text == server.text
