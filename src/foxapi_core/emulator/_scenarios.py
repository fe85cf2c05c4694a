"""Named hostile-server scenarios: one line to run a test against a server we did not write.

Each :class:`Scenario` sets quirks, faults and settings on an :class:`~.Emulator` so that it plays
one reading of the protocol (reference section 10, issue 13) under which a correct client still
returns the exact answer, :attr:`Scenario.answer`. This project's core, LangChain and LlamaIndex
tests run every scenario through every interface; a user can do the same with their own chain.

Example::

    @pytest.mark.parametrize("scenario", SCENARIOS.values(), ids=str)
    def test_my_chain_survives(foxapi_emulator, scenario):
        scenario.apply(foxapi_emulator.emulator)
        assert my_chain(foxapi_emulator).invoke("hi") == scenario.answer
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._emulator import Emulator

__all__ = ["SCENARIOS", "Scenario"]


@dataclass(frozen=True)
class Scenario:
    """One server behaviour the protocol allows, and the answer a client must still return.

    Attributes:
        name: A short id (also ``str(scenario)``, for test ids).
        description: What the server does.
        chunks: The content of each chunk of every task's answer.
        setup: Sets the quirks, faults and settings on the emulator.
        transports: The transports on which the answer can still be had, so a correct client
            returns it (``"stream"`` also covers streaming calls). On the others the scenario
            either does not apply or leaves nothing to return: a typed error is right there.
    """

    name: str
    description: str
    chunks: tuple[str, ...]
    setup: Callable[[Emulator], None]
    transports: tuple[str, ...] = ("stream", "poll", "sync")

    @property
    def answer(self) -> str:
        """The exact text a correct client returns."""
        return "".join(self.chunks)

    def apply(self, emulator: Emulator) -> None:
        """Make ``emulator`` play this scenario (on top of its current settings)."""
        emulator.quirks.answer_chunks = list(self.chunks)
        self.setup(emulator)

    def __str__(self) -> str:
        return self.name


def _honoured_repeats(emu: Emulator) -> None:
    emu.quirks.usage_in_stream = True
    emu.faults.cut_stream(after_chunks=2)


def _reserialised_replay(emu: Emulator) -> None:
    emu.config.honour_offset = False
    emu.quirks.reserialise = True
    emu.faults.cut_stream(after_chunks=2)


def _keepalives(emu: Emulator) -> None:
    emu.quirks.keepalive_data = True
    emu.faults.cut_stream(after_chunks=2, times=2)


def _error_after_completion(emu: Emulator) -> None:
    emu.quirks.error_after_completion = True


def _null_results(emu: Emulator) -> None:
    emu.faults.null_results(times=1000)


def _status_alias(emu: Emulator) -> None:
    emu.quirks.status_alias = "succeeded"


def _wrong_total(emu: Emulator) -> None:
    emu.quirks.total_chunks = "wrong"


def _no_total(emu: Emulator) -> None:
    emu.quirks.total_chunks = "absent"
    emu.faults.cut_stream(after_chunks=1)


def _last_chunk_skipped(emu: Emulator) -> None:
    emu.quirks.skip_chunk = 2


def _stream_5xx(emu: Emulator) -> None:
    emu.faults.fail("stream", 503, times=1000, retry_after_ms=1)


def _sync_as_task(emu: Emulator) -> None:
    emu.quirks.sync_as_task = True


_ALL = [
    Scenario(
        "honoured-offset-repeats",
        "offset honoured, the answer's chunks repeat byte for byte, usage in the stream, cut "
        "after 2 chunks (a resume that looks like a replay by content)",
        ("ha", "ha", "ha", "ha", " done"),
        _honoured_repeats,
    ),
    Scenario(
        "reserialised-replay",
        "?offset ignored (replay from chunk 0) with the same chunks in other bytes, cut after 2",
        ("a", "b", "c", "d"),
        _reserialised_replay,
    ),
    Scenario(
        "keepalives-and-empty-chunks",
        "unnamed data: keep-alives and id: fields between chunks, empty chunks first, cut twice",
        ("", "", "Hello", " world"),
        _keepalives,
    ),
    Scenario(
        "error-after-completion",
        "the stream ends with an error event although the task completed with its result",
        ("a", "b"),
        _error_after_completion,
    ),
    Scenario(
        "null-results",
        "every task answer is completed with results: null (usage cannot be had; a polling "
        "client has no answer at all)",
        ("a", "b"),
        _null_results,
        transports=("stream", "sync"),
    ),
    Scenario(
        "unknown-completed-status",
        'completed tasks report the undocumented status "succeeded", with results',
        ("a", "b"),
        _status_alias,
    ),
    Scenario(
        "wrong-total-chunks",
        "done's total_chunks counts one chunk more than the answer has",
        ("a", "b", "c"),
        _wrong_total,
    ),
    Scenario(
        "no-total-chunks",
        "done without total_chunks, cut after 1 chunk",
        ("ha", "ha", "ha"),
        _no_total,
    ),
    Scenario(
        "last-chunk-skipped",
        "the first stream leaves out the last chunk (only done's count shows it)",
        ("a", "b", "c"),
        _last_chunk_skipped,
    ),
    Scenario(
        "stream-5xx",
        "the stream endpoint answers 503 every time (the task is fine)",
        ("a", "b"),
        _stream_5xx,
    ),
    Scenario(
        "sync-answered-with-a-task",
        "a sync: true submit is answered with the task object",
        ("a", "b"),
        _sync_as_task,
        transports=("sync",),
    ),
]

#: Every scenario, by name.
SCENARIOS: dict[str, Scenario] = {s.name: s for s in _ALL}
