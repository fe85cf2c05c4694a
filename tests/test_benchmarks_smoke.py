"""The benchmark suite runs: its emulator process starts, a tiny figure measures, the table prints.

The figures themselves are run by ``python benchmarks/run.py`` (``--quick`` in CI); this only
proves the plumbing works, in a few seconds.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import httpx
import pytest

from foxapi_core import ChatCompletion
from foxapi_core._sse import SSEDecoder
from foxapi_core._wire import ChatCompletionChunk

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> object:
    """The ``benchmarks`` package, importable from the repository root."""
    pytest.importorskip("uvicorn")
    monkeypatch.syspath_prepend(str(ROOT))
    for name in [m for m in sys.modules if m == "benchmarks" or m.startswith("benchmarks.")]:
        monkeypatch.delitem(sys.modules, name)
    import benchmarks.figures

    return benchmarks


def test_one_tiny_figure_runs(bench: object) -> None:
    from benchmarks._harness import format_table
    from benchmarks.figures import Budget
    from benchmarks.run import run

    budget = Budget(call_rounds=3, sequential_calls=5, warmup=1)
    results = run(["1", "B14b"], budget, echo=False)
    assert [r.figure for r in results] == ["1", "B14b"]
    assert all(r.skipped is None and r.ours is not None for r in results)
    assert results[0].reference is not None and results[0].ratio is not None
    assert "| 1 | FoxAPIClient.generate" in format_table(results)


def test_poll_count_is_simulated(bench: object) -> None:
    from benchmarks.figures import simulate_poll

    polls, added = simulate_poll(60.0)
    assert 1 <= polls <= 30 and added >= 0


def test_bytes_server_answers_parse_with_both_clients(bench: object) -> None:
    """The pre-rendered-bytes server speaks both protocols well enough for both real clients:
    every FoxAPI transport (stream, with and without usage in it; sync; poll; a resumed stream)
    through our client, and OpenAI's chat completions through the openai SDK if installed."""
    from benchmarks._harness import API_KEY, start_bytes_server

    from foxapi_core import FoxAPIClient

    body = {"model": "gpt-5.5", "messages": [{"role": "user", "content": "[[words:7]] hi"}]}
    sites = {"plain": {}, "usage": {"usage_in_stream": True}, "held": {"hold": 0.01}}
    with start_bytes_server(sites) as server:
        for site in sites:
            with FoxAPIClient(api_key=API_KEY, base_url=server.base_url(site)) as client:
                texts = {t: client.generate(body, transport=t).text for t in ("stream", "sync")}
                texts["poll"] = client.generate(body, transport="poll").text
                assert len(set(texts.values())) == 1 and len(texts["sync"].split()) == 7
                stream = client.stream_generate(body)
                events = list(stream)
                assert stream.completion is not None and stream.completion.usage is not None
                assert stream.completion.usage.completion_tokens == 7
                assert len(events) == 8 + (site == "usage")  # 7 words, finish (+ usage)
                resumed = list(client.stream(str(stream.task_id), offset=5))
                assert [e.index for e in resumed] == list(range(5, len(events)))
        assert server.stats()["sites"]["plain"]["opened"] == 1  # one keep-alive connection
        # The OpenAI side, read with plain httpx and parsed with this project's OpenAI wire
        # models (no extra needed); with the bench extra, the openai SDK reads it too.
        messages = [{"role": "user", "content": "[[words:4]] hi"}]
        url = server.openai_url("plain") + "/chat/completions"
        headers = {"Authorization": f"Bearer {API_KEY}"}
        plain = httpx.post(url, json={"model": "gpt-5.5", "messages": messages}, headers=headers)
        reply = ChatCompletion.model_validate_json(plain.content)
        assert len(reply.text.split()) == 4
        streamed = {"stream": True, "stream_options": {"include_usage": True}}
        body = {"model": "gpt-5.5", "messages": messages, **streamed}
        raw = httpx.post(url, json=body, headers=headers).content
        events = [e.data for e in SSEDecoder().feed(raw) if e.data != "[DONE]"]
        chunks = [ChatCompletionChunk.model_validate_json(e) for e in events]
        assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == reply.text
        assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 4
        if importlib.util.find_spec("openai") is not None:
            import openai

            sdk = openai.OpenAI(api_key=API_KEY, base_url=server.openai_url("plain"))
            answer = sdk.chat.completions.create(model="gpt-5.5", messages=messages)  # type: ignore[arg-type]
            assert answer.choices[0].message.content == reply.text
