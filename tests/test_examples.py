"""Every script in ``examples/`` runs as written against the emulator and says something useful.

Each example runs in a fresh interpreter, exactly as a user would run it (``python
examples/NAME.py``), with ``FOXAPI_API_KEY`` / ``FOXAPI_BASE_URL`` pointed at the session's
emulator by the ``foxapi_env`` fixture.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from foxapi_core.emulator import RunningEmulator

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: What each example must print: proof that it did its job, not merely that it exited.
EXPECTED: dict[str, tuple[str, ...]] = {
    "client_basics.py": (
        "answer: Emulated answer from gemini-2.5-pro. You said: Say hello",
        "streamed: Emulated answer from gpt-5.5",
        "task id: task-",
        "refused before sending: field=max_tokens",
    ),
    "langchain_chain.py": (
        "summary: Emulated answer from gemini-3.1-pro-preview. You said: Summarise: FoxAPI",
        "translated: Emulated answer from gemini-3.1-pro-preview. You said: Translate to French",
        "batch: Emulated answer from gemini-3.1-pro-preview. You said: Summarise: two",
    ),
    "streaming.py": (
        "LangChain: Emulated answer from gpt-5.5. You said: Tell me a two-sentence story",
        "LangChain (async): Emulated answer from gpt-5.5",
        "usage: ",
        "LlamaIndex: Emulated answer from gemini-3.1-pro-preview. You said: Tell me a story",
    ),
    "langchain_agent.py": (
        "tool call: get_weather(",
        "tool result: It is sunny",
        "final answer: Emulated answer from gpt-5.5. The tool returned: It is sunny",
    ),
    "llama_index_agent.py": (
        "tool call: multiply({'a': 6, 'b': 7}) -> 42",
        "final answer: Emulated answer from kimi-k2.6. The tool returned: 42",
    ),
    "structured_output.py": ("LangChain: {'setup': ", "LlamaIndex: {'setup': ", "'rating': "),
    "kimi_reasoning.py": (
        "client reasoning: Thinking about",
        "LangChain reasoning: Thinking about",
        "[thinking] Thinking about",
        "[answer] Emulated answer from kimi-k2.6",
        "LlamaIndex reasoning: Thinking about",
        "LlamaIndex answer: Emulated answer from kimi-k2.6",
    ),
    "langchain_audio_rag.py": (
        "transcribed meeting-0.wav: Transcription: (wav, 0.500 s",
        "transcribed meeting-1.wav: Transcription: (wav, 1.500 s",
        "answer: Emulated answer from gemini-3.1-pro-preview. You said: Answer from these",
    ),
    "llama_index_audio_rag.py": (
        "transcribed call-0.wav: Transcription: (wav, 0.500 s",
        "transcribed call-1.wav: Transcription: (wav, 1.500 s",
        "answer: Emulated answer from gemini-3.1-pro-preview",
    ),
}


def test_every_example_is_tested() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_against_the_emulator(
    name: str, foxapi_env: RunningEmulator, tmp_path: Path
) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        cwd=tmp_path,  # examples must not depend on the working directory
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Warning" not in "".join(  # our own packages warn about nothing in the examples
        line for line in done.stderr.splitlines() if "foxapi" in line.lower()
    ), done.stderr
    for expected in EXPECTED[name]:
        assert expected in done.stdout, f"{expected!r} not in:\n{done.stdout}"
    assert foxapi_env.emulator.counters.submits > 0  # it really talked to the emulator
