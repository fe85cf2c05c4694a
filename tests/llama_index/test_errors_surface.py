"""Our errors surface from ``query()`` in every response synthesizer mode.

LlamaIndex's refine/compact synthesizers catch ``(ValidationError, ValueError, TypeError)`` around
the LLM call and only log it; when our configuration and validation errors were ``ValueError``
subclasses, a missing key or a refused request came back as the answer ``'Empty Response'``.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MakeLLM
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.response_synthesizers import ResponseMode

from foxapi_core import ConfigurationError, FoxAPIError, RequestValidationError
from foxapi_core.emulator import RunningEmulator

# Modes that never call the LLM have nothing to surface.
MODES = [m for m in ResponseMode if m not in (ResponseMode.NO_TEXT, ResponseMode.CONTEXT_ONLY)]
#: case -> (model, FoxAPI settings, the error, what its message names)
CASES: dict[str, tuple[str, dict[str, Any], type[FoxAPIError], str]] = {
    "missing key": ("gemini-3.1-pro-preview", {}, ConfigurationError, "FOXAPI_API_KEY"),
    "unknown model": ("gpt-9", {}, RequestValidationError, "gpt-9"),
    "temperature": (
        "gemini-3.1-pro-preview",
        {"additional_kwargs": {"temperature": 3.0}},
        RequestValidationError,
        "temperature",
    ),
}


@pytest.fixture
def index() -> VectorStoreIndex:
    docs = [Document(text="The Loire is long."), Document(text="The Seine flows.")]
    return VectorStoreIndex.from_documents(docs, embed_model=MockEmbedding(embed_dim=8))


def test_our_errors_are_not_value_or_type_errors() -> None:
    for cls in (ConfigurationError, RequestValidationError):
        assert not issubclass(cls, (ValueError, TypeError)), cls


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("mode", MODES, ids=[m.value for m in MODES])
@pytest.mark.parametrize("streaming", [False, True], ids=["plain", "streaming"])
def test_error_propagates_out_of_query(
    make_llm: MakeLLM,
    index: VectorStoreIndex,
    emu: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
    mode: ResponseMode,
    case: str,
    streaming: bool,
) -> None:
    if streaming and mode in (ResponseMode.ACCUMULATE, ResponseMode.COMPACT_ACCUMULATE):
        pytest.skip("LlamaIndex cannot stream in the accumulate modes")
    monkeypatch.delenv("FOXAPI_API_KEY", raising=False)
    model, settings, error, text = CASES[case]
    llm = make_llm(model, **settings)
    if case == "missing key":
        llm.api_key = None
    engine = index.as_query_engine(
        llm=llm, response_mode=mode, streaming=streaming, similarity_top_k=2
    )
    with pytest.raises(error, match=text):
        response = engine.query("Which river is long?")
        if streaming:
            "".join(response.response_gen)  # type: ignore[attr-defined]
    assert emu.emulator.counters.submit_attempts == 0


@pytest.mark.parametrize("mode", [ResponseMode.COMPACT, ResponseMode.REFINE])
async def test_error_propagates_out_of_aquery(
    make_llm: MakeLLM, index: VectorStoreIndex, mode: ResponseMode
) -> None:
    engine = index.as_query_engine(llm=make_llm("gpt-9"), response_mode=mode)
    with pytest.raises(RequestValidationError, match="gpt-9"):
        await engine.aquery("Which river is long?")
