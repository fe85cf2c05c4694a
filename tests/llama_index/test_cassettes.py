"""The emulator-backed LlamaIndex tests, replayed from vcrpy cassettes (``cassettes/llama_index``).

The test bodies are the ones of ``test_methods``, ``test_scenarios`` and ``test_tools``, imported
here so pytest collects them a second time with this module's ``make_llm`` and ``emu`` fixtures:
the eight methods for three model families, kimi-k2.6 reasoning, the ``VectorStoreIndex`` query
engine (``MockEmbedding``), ``FunctionAgent`` with two tools (kimi-k2.6: ``thinking_delta``),
chat engines, single and parallel tool calls and ``structured_predict``.

Replay (the default) needs no server and no network (``block_network``); a missing cassette or a
request with no recorded answer fails. Requests match on method, URL and JSON body (tool-call ids
normalized). Task ids in URLs match because the client only uses the ids the recorded submit
answers give it.

Re-recording (documented switch ``FOXAPI_RECORD=1``):

- ``FOXAPI_RECORD=1 pytest tests/llama_index/test_cassettes.py`` records against the emulator on a
  loopback socket, with a canary key, URLs rewritten to ``https://api.foxapi.cc``;
- ``FOXAPI_RECORD=1 FOXAPI_API_KEY=sk-... pytest tests/llama_index/test_cassettes.py`` records
  against the real service (the emulator-specific assertions then do not apply).

``Authorization`` headers become ``PLACEHOLDER``; ``test_cassettes_hold_no_secret`` greps them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import MODELS, MakeLLM
from li_cassettes import (
    CANARY_KEY,
    CASSETTES,
    REAL_SERVICE,
    RECORD,
    ReplayedEmulator,
    ReplayedRunning,
    cassette_path,
    use_cassette,
)
from llama_index.core import VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.schema import TextNode

from llama_index_foxapi import FoxAPI

# Re-collected here with the cassette-backed fixtures below (the names must stay importable).
from test_methods import (  # noqa: F401  # isort: skip
    test_achat,
    test_acomplete,
    test_astream_chat,
    test_astream_complete,
    test_chat,
    test_complete,
    test_kimi_astream_matches_achat,
    test_kimi_chat_returns_thinking_block,
    test_kimi_stream_matches_chat,
    test_stream_chat,
    test_stream_complete,
)
from test_scenarios import (  # noqa: F401  # isort: skip
    DOCS,
    test_agent_workflow_handoff,
    test_chat_engine_async,
    test_condense_plus_context_streaming,
    test_function_agent_not_streaming,
    test_function_agent_two_tools,
    test_query_engine,
    test_query_engine_async_streaming,
    test_query_engine_streaming,
    test_simple_chat_engine_memory,
)
from test_tools import (  # noqa: F401  # isort: skip
    test_apredict_and_call_parallel,
    test_as_structured_llm,
    test_astructured_predict_and_program,
    test_parallel_tool_calls,
    test_single_tool_call,
    test_astream_structured_predict_yields_real_values,
    test_stream_structured_predict_yields_real_values,
    test_streamed_parallel_tool_calls_accumulate_by_index,
    test_structured_llm_astream_chat_yields_real_values,
    test_structured_llm_stream_chat_yields_real_values,
    test_structured_predict,
)

if not RECORD:
    pytestmark = pytest.mark.block_network  # replay never opens a socket


@pytest.fixture
def emu(request: pytest.FixtureRequest) -> Iterator[Any]:
    """The backend the reused bodies talk to, inside this test's cassette.

    Replay: a :class:`ReplayedRunning` (canonical host, dummy key, counters from the cassette).
    Recording: the emulator with the canary key, or the real service.
    """
    node: Any = request.node
    path = cassette_path(node.function.__module__, node.name)
    if not RECORD:
        with use_cassette(path, None) as cassette:
            yield ReplayedRunning(ReplayedEmulator(cassette))
    elif REAL_SERVICE:
        with use_cassette(path, None) as cassette:
            yield ReplayedRunning(
                ReplayedEmulator(cassette),
                base_url=os.environ.get("FOXAPI_BASE_URL", "https://api.foxapi.cc"),
                api_key=os.environ["FOXAPI_API_KEY"],
            )
    else:
        running = request.getfixturevalue("foxapi_emulator")
        running.emulator.config.api_key = CANARY_KEY  # restored by foxapi_emulator
        with use_cassette(path, running.base_url):
            yield running


@pytest.fixture
def index() -> VectorStoreIndex:
    """test_scenarios' index with fixed node ids.

    ``MockEmbedding`` scores every node the same, and ties are broken by node id: with the random
    ids of ``from_documents`` the retrieved context, hence the request body, would change per run.
    """
    nodes = [TextNode(id_=f"doc-{i}", text=doc.text) for i, doc in enumerate(DOCS)]
    return VectorStoreIndex(nodes, embed_model=MockEmbedding(embed_dim=8))


@pytest.fixture
def make_llm(emu: Any) -> MakeLLM:
    """Build a ``FoxAPI`` for the backend of :func:`emu` (the conftest factory's signature)."""
    key = CANARY_KEY if RECORD and not REAL_SERVICE else emu.api_key

    def make(model: str = "gemini-3.1-pro-preview", **kwargs: Any) -> FoxAPI:
        settings = {**MODELS.get(model, {}), **kwargs}
        return FoxAPI(model=model, api_key=key, base_url=emu.base_url, **settings)

    return make


def test_cassettes_hold_no_secret() -> None:
    """No cassette carries an Authorization value, the recording canary or another key."""
    files = sorted(CASSETTES.glob("*.yaml"))
    assert files, f"no cassettes in {CASSETTES}; record them with FOXAPI_RECORD=1"
    secrets = {"Bearer ", "sk-emulator", CANARY_KEY}
    if os.environ.get("FOXAPI_API_KEY"):
        secrets.add(os.environ["FOXAPI_API_KEY"])
    for path in files:
        text = path.read_text(encoding="utf-8")
        for secret in secrets:
            assert secret not in text, f"{path.name} contains {secret[:6]}..."
        assert "authorization:\n      - PLACEHOLDER" in text, f"{path.name}: header not redacted"


def test_every_cassette_is_used() -> None:
    """Each cassette belongs to a test collected here (none left over from a renamed test)."""
    names = {p.name for p in CASSETTES.glob("*.yaml")}
    assert len(names) >= 40, names
    for name in names:
        module, _, rest = name.partition(".")
        function = rest.split("[", 1)[0].removesuffix(".yaml")
        assert module in {"test_methods", "test_scenarios", "test_tools"}, name
        assert function in globals(), f"{name}: no test {function} is replayed here"
