"""The resume decision table (foxapi_core._resume), with plain strings: no I/O, no flows."""

from __future__ import annotations

import json

import pytest

from foxapi_core._resume import (
    TRANSITIONS,
    Action,
    Event,
    Resume,
    ResumeProtocolError,
    State,
    same_chunk,
)


def c(text: str) -> str:
    return json.dumps({"choices": [{"index": 0, "delta": {"content": text}}]})


HA = c("ha")


def test_the_table_is_total_over_the_states_it_names() -> None:
    states = {s for s, _ in TRANSITIONS} | {n for n, _ in TRANSITIONS.values()}
    assert states == set(State)
    assert {a for _, a in TRANSITIONS.values()} == set(Action)
    assert TRANSITIONS[(State.AMBIGUOUS, Event.DONE)] == (State.UNDECIDED, Action.ASK_TASK)


def test_illegal_transition_is_an_error() -> None:
    resume = Resume(2, [c("a"), c("b")])
    resume.state = State.UNDECIDED
    with pytest.raises(ResumeProtocolError):
        resume.chunk(c("x"))


def test_same_chunk_compares_parsed_json_but_not_different_content() -> None:
    assert same_chunk('{"a": 1, "b": 2}', '{"b":2,"a":1}')
    assert not same_chunk(c("a"), c("b"))
    assert not same_chunk("{not json", "{not json ")


def test_a_differing_chunk_proves_the_offset_was_honoured() -> None:
    resume = Resume(2, [c("a"), c("b")])
    assert resume.chunk(c("a")) == []  # could be a replay
    assert resume.state is State.VERIFYING
    assert resume.chunk(c("z")) == [c("a"), c("z")]
    assert resume.state is State.STREAMING


def test_repeats_beyond_the_offset_stay_ambiguous_and_the_text_decides() -> None:
    resume = Resume(2, [HA, HA])
    assert resume.chunk(HA) == [] and resume.chunk(HA) == []
    assert resume.state is State.AMBIGUOUS
    assert resume.chunk(c(" done")) == []
    assert resume.done(5) is None  # even a count of 2 + 3 is only a tie-breaker
    assert resume.decide_by_text("haha", "hahahaha done") == [HA, HA, c(" done")]


def test_a_wrong_count_does_not_beat_the_text() -> None:
    resume = Resume(1, [HA])
    resume.chunk(HA)
    assert resume.done(2) is None  # 2 = 1 + 1 reads as honoured; the text says replayed
    assert resume.decide_by_text("ha", "ha") == []


def test_without_the_task_text_the_count_decides() -> None:
    resume = Resume(2, [HA, HA])
    for data in (HA, HA, c(" done")):
        resume.chunk(data)
    resume.done(3)
    assert resume.decide_by_count() == [c(" done")]


def test_empty_repeats_are_decided_by_the_count_when_the_text_ties() -> None:
    empty = c("")
    resume = Resume(2, [empty, empty])
    for data in (empty, empty, c("x")):
        resume.chunk(data)
    resume.done(5)
    assert resume.decide_by_text("", "x") == [empty, empty, c("x")]


def test_done_before_the_offset_is_reached_cannot_be_a_replay() -> None:
    resume = Resume(3, [HA, HA, HA])
    resume.chunk(HA)
    assert resume.done(None) == [HA]


@pytest.mark.parametrize("total", [None, 99])
def test_done_with_any_count_asks_the_task(total: int | None) -> None:
    resume = Resume(2, [HA, HA])
    for data in (HA, HA, c(" done")):
        resume.chunk(data)
    assert resume.done(total) is None
    assert resume.state is State.UNDECIDED
    assert resume.decide_by_text("haha", "hahahaha done") == [HA, HA, c(" done")]


def test_task_text_picks_the_replay() -> None:
    resume = Resume(2, [HA, HA])
    for data in (HA, HA, c(" done")):
        resume.chunk(data)
    resume.done(None)
    assert resume.decide_by_text("haha", "haha done") == [c(" done")]


@pytest.mark.parametrize(("total", "decided"), [(None, None), (7, None), (1, []), (2, [HA])])
def test_task_text_that_fits_neither_reading_leaves_it_to_the_count(
    total: int | None, decided: list[str] | None
) -> None:
    resume = Resume(1, [HA])
    resume.chunk(HA)
    resume.done(total)
    assert resume.decide_by_text("ha", "something else") == decided


def test_held_chunks_survive_a_cut_and_are_matched_again() -> None:
    resume = Resume(1, [HA])
    resume.chunk(HA)
    resume.chunk(HA)  # ambiguous: 2 held
    resume.reconnect()
    assert resume.chunk(HA) == [] and resume.chunk(HA) == []  # the repeat of the held ones
    assert len(resume.held) == 2
    resume.chunk(c("!"))
    assert resume.done(4) is None
    assert resume.decide_by_count() == [HA, HA, c("!")]  # 1 + 3: honoured


def test_a_reconnect_that_starts_elsewhere_forgets_what_it_no_longer_confirms() -> None:
    resume = Resume(1, [c("a")])
    resume.chunk(c("a"))  # ambiguous
    resume.reconnect()
    # not a repeat of the held "a": the held chunk is forgotten, and "b" differs from chunk 0
    assert resume.chunk(c("b")) == [c("b")]
    assert resume.state is State.STREAMING


def test_unknown_history_holds_everything_until_the_count() -> None:
    resume = Resume(2, None)
    assert resume.state is State.AMBIGUOUS
    for text in "abcd":
        assert resume.chunk(c(text)) == []
    assert resume.done(4) is None
    assert resume.decide_by_text("", "abcd") == [c("c"), c("d")]


def test_deeply_nested_payloads_are_not_chunks_and_raise_nothing() -> None:
    """A hostile server's payload nested past the JSON parser's limit: no RecursionError."""
    from foxapi_core._resume import chunk_text, same_chunk

    deep = "[" * 100_000 + "]" * 100_000
    other = "[ " * 100_000 + "]" * 100_000
    assert same_chunk(deep, other) is False
    assert chunk_text(deep) == ""
