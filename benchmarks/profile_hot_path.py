"""Profile foxapi_core's hot paths and measure the stages of the per-chunk path one by one.

Usage::

    python benchmarks/profile_hot_path.py            # stages + cProfile of both paths
    python benchmarks/profile_hot_path.py --stages   # only the I/O-free stage timings

Per chunk: ``FoxAPIClient._drive`` -> ``_generation._connection`` -> ``SSEDecoder.feed`` ->
``_Sink.deliver`` (``ChatCompletionChunk.model_validate_json`` + ``ChunkAssembler.add`` +
``Emit(ChunkEvent)``). The stage timings run on the exact bytes the emulator streams for a
2,000-chunk answer, without I/O; the *candidates* are the changes proposed in
``docs/performance.md``, timed the same way so that each proposal's gain is measured, not guessed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from benchmarks._harness import API_KEY, start_emulator
from benchmarks.figures import LONG_WORDS, SHORT_WORDS, SITES, _body
from foxapi_core import FoxAPIClient
from foxapi_core._assembler import ChunkAssembler
from foxapi_core._flows import Emit
from foxapi_core._sse import SSEDecoder
from foxapi_core._wire import ChatCompletionChunk, ChunkChoice, ChunkDelta, ChunkEvent

__all__ = ["main", "stage_timings"]


def _stream_bytes(base: str) -> bytes:
    """The raw SSE body of a 2,000-chunk answer, as the emulator sends it."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    with httpx.Client(headers=headers) as http:
        body = {**_body(LONG_WORDS), "stream": True}
        task = http.post(f"{base}/v1/llm/generations", json=body).json()
        return http.get(f"{base}/v1/llm/generations/{task['id']}/stream").content


def _per_item(fn: Callable[[], object], items: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` µs per item of one call of ``fn`` over ``items`` items."""
    return min(timeit.repeat(fn, number=1, repeat=repeat)) / items * 1e6


def _fast_chunk(data: str) -> ChatCompletionChunk:
    """Candidate for ``_Sink.deliver``: ``json.loads`` + ``model_construct`` for the common
    shape (one choice, a delta with only role/content/reasoning), full validation otherwise."""
    obj = json.loads(data)
    choices = obj.get("choices")
    if (
        type(obj.get("id", "")) is str
        and type(obj.get("model", "")) is str
        and type(obj.get("created", 0)) is int
        and obj.get("usage") is None
        and type(choices) is list
        and len(choices) == 1
    ):
        choice = choices[0]
        delta = choice.get("delta") if type(choice) is dict else None
        if (
            type(delta) is dict
            and delta.keys() <= {"role", "content", "reasoning_content"}
            and all(v is None or type(v) is str for v in delta.values())
        ):
            return ChatCompletionChunk.model_construct(
                **{k: v for k, v in obj.items() if k != "choices"},
                choices=[
                    ChunkChoice.model_construct(
                        index=choice.get("index", 0),
                        delta=ChunkDelta.model_construct(**delta),
                        finish_reason=choice.get("finish_reason"),
                    )
                ],
            )
    return ChatCompletionChunk.model_validate_json(data)


def stage_timings(raw: bytes) -> dict[str, float]:
    """µs per chunk of each stage of the per-chunk path (and of the candidate changes)."""
    pieces = [raw[i : i + 65536] for i in range(0, len(raw), 65536)]
    events = [e for e in SSEDecoder().feed(raw) if e.event == "chunk"]
    datas = [e.data for e in events]
    n = len(datas)
    chunks = [ChatCompletionChunk.model_validate_json(d) for d in datas]

    def decode() -> None:
        decoder = SSEDecoder()
        for piece in pieces:
            decoder.feed(piece)

    def assemble() -> None:
        assembler = ChunkAssembler()
        for chunk in chunks:
            assembler.add(chunk)

    def emit() -> None:
        for i, (data, chunk) in enumerate(zip(datas, chunks, strict=True)):
            Emit(ChunkEvent("task", i, data, chunk))

    def validate() -> None:
        for data in datas:
            ChatCompletionChunk.model_validate_json(data)

    validator = ChatCompletionChunk.__pydantic_validator__

    def validate_direct() -> None:  # what _Sink.deliver does
        validate_json = validator.validate_json
        for data in datas:
            validate_json(data)

    def validate_python_dict() -> None:
        for data in datas:
            validator.validate_python(json.loads(data))

    return {
        "chunks": n,
        "sse_decode (SSEDecoder.feed, 64 KiB reads)": _per_item(decode, n),
        "json.loads (the raw reference's parse)": _per_item(
            lambda: [json.loads(d) for d in datas], n
        ),
        "ChatCompletionChunk.model_validate_json": _per_item(validate, n),
        "__pydantic_validator__.validate_json (_Sink.deliver)": _per_item(validate_direct, n),
        "json.loads + validate_python": _per_item(validate_python_dict, n),
        "candidate: json.loads + model_construct fast path": _per_item(
            lambda: [_fast_chunk(d) for d in datas], n
        ),
        "ChunkAssembler.add": _per_item(assemble, n),
        "ChunkEvent + Emit": _per_item(emit, n),
        "chunk.delta (property, per access)": _per_item(lambda: [c.delta for c in chunks], n),
    }


def _profile(fn: Callable[[], Any], top: int) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> None:
    """Print the stage timings and the cProfile of the per-chunk and per-call paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", action="store_true", help="only the stage timings")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    with start_emulator({"plain": SITES["plain"]}) as emulator:
        base = emulator.base_url("plain")
        stages = stage_timings(_stream_bytes(base))
        print("Per-chunk stages (µs per chunk, best of 5, no I/O):")
        for name, value in stages.items():
            print(f"  {name:55s} {value:8.2f}")
        if args.stages:
            return
        with FoxAPIClient(api_key=API_KEY, base_url=base) as client:
            long_body, short_body = _body(LONG_WORDS), _body(SHORT_WORDS)
            for _ in range(2):  # warm
                sum(1 for _ in client.stream_generate(long_body))
                client.generate(short_body)

            def stream_path() -> None:
                for _ in range(5):
                    for _ in client.stream_generate(long_body):
                        pass

            def call_path() -> None:
                for _ in range(200):
                    client.generate(short_body)

            print("\ncProfile: 5 x stream_generate of 2,000 chunks (tottime):")
            print(_profile(stream_path, args.top))
            print("cProfile: 200 x generate() of a 20-chunk answer (tottime):")
            print(_profile(call_path, args.top))


if __name__ == "__main__":
    main()
