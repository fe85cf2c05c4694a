"""LangChain audio: FoxAPIAudioLoader, FoxAPIAudioParser, FoxAPIAudioTool; RAG and agent runs.

(The module name is unique on purpose: pytest's default import mode refuses two test modules with
the same basename in different folders without ``__init__.py``.)
"""

from __future__ import annotations

import importlib
import io
import wave
from pathlib import Path
from typing import Any

import pytest
from langchain_core.document_loaders.blob_loaders import Blob
from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.vectorstores import InMemoryVectorStore

from foxapi_core import RequestValidationError
from foxapi_core._media import data_uri_from_bytes
from foxapi_core.emulator import RunningEmulator
from foxapi_core.emulator._responder import _transcription
from langchain_foxapi import ChatFoxAPI, FoxAPIRequestValidationError
from langchain_foxapi.document_loaders import FoxAPIAudioLoader, FoxAPIAudioParser
from langchain_foxapi.tools import FoxAPIAudioTool

FLAC = b"fLaC\x00\x00\x00\x22" + bytes(64)


def wav_bytes(seconds: float = 0.2, tone: int = 1, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone.to_bytes(2, "little") * int(seconds * rate))
    return buf.getvalue()


def transcript(data: bytes) -> str:
    """What the emulator answers for these WAV bytes (a hash of the data URI)."""
    return "Transcription: " + _transcription(data_uri_from_bytes(data, "audio/wav"))


@pytest.fixture
def conn(foxapi_emulator: RunningEmulator) -> dict[str, Any]:
    return {"api_key": foxapi_emulator.api_key, "base_url": foxapi_emulator.base_url}


@pytest.fixture
def calls(tmp_path: Path) -> list[Path]:
    """Three different recordings."""
    paths = []
    for i, name in enumerate(["standup", "sales", "support"], start=1):
        path = tmp_path / f"{name}.wav"
        path.write_bytes(wav_bytes(0.2 * i, tone=i))
        paths.append(path)
    return paths


# --- loader ----------------------------------------------------------------------------------


def test_loader_one_path(conn: dict[str, Any], calls: list[Path]) -> None:
    loader = FoxAPIAudioLoader(calls[0], **conn)
    (doc,) = loader.load()
    assert doc.page_content == transcript(calls[0].read_bytes())
    assert doc.metadata["source"] == str(calls[0])
    assert doc.metadata["mime_type"] == "audio/wav"
    assert doc.metadata["duration_s"] == pytest.approx(0.2)
    assert doc.id is not None and loader.task_ids[doc.id].startswith("task-")
    keys = {"source", "model", "mime_type", "size_bytes", "duration_s"}
    assert set(doc.metadata) == keys
    assert doc.id is not None and len(doc.id) == 64


async def test_loader_list_sync_and_async_agree(conn: dict[str, Any], calls: list[Path]) -> None:
    loader = FoxAPIAudioLoader(calls, prompt="Who speaks?", **conn)
    sync_docs = loader.load()
    async_docs = [doc async for doc in loader.alazy_load()]
    for docs in (sync_docs, async_docs):
        assert [d.metadata["source"] for d in docs] == [str(p) for p in calls]
        assert all(d.metadata["prompt"] == "Who speaks?" for d in docs)
    # Same audio, model and prompt: same ids (re-ingestion de-duplicates).
    assert [d.id for d in sync_docs] == [d.id for d in async_docs]


def test_loader_refuses_bad_input_with_langchain_errors(
    conn: dict[str, Any], tmp_path: Path, foxapi_emulator: RunningEmulator
) -> None:
    flac = tmp_path / "a.flac"
    flac.write_bytes(FLAC)
    with pytest.raises(FoxAPIRequestValidationError) as err:
        FoxAPIAudioLoader(flac, model="nemotron-3-nano-omni", **conn).load()
    assert isinstance(err.value, RequestValidationError)
    assert "WAV and MP3" in str(err.value) and "gemini-2.5-pro" in (err.value.fix or "")
    with pytest.raises(FoxAPIRequestValidationError, match="directory"):
        FoxAPIAudioLoader(tmp_path, **conn).load()
    assert foxapi_emulator.emulator.counters.requests == 0


async def test_loader_records_errors(conn: dict[str, Any], calls: list[Path]) -> None:
    sources = [calls[0], calls[0].with_name("missing.wav"), "ftp://x.test/a.wav", calls[1]]
    loader = FoxAPIAudioLoader(sources, on_error="record", **conn)
    docs = [d async for d in loader.alazy_load()]
    assert [d.metadata.get("error_type") for d in docs] == [
        None,
        "RequestValidationError",
        "RequestValidationError",
        None,
    ]
    assert docs[1].page_content == "" and "No such audio file" in docs[1].metadata["error"]


async def test_batch_of_50_in_order_with_progress(
    conn: dict[str, Any],
    tmp_path: Path,
    foxapi_emulator: RunningEmulator,
    capsys: pytest.CaptureFixture[str],
) -> None:
    foxapi_emulator.emulator.config.processing_delay = 0.05
    paths = []
    for i in range(50):
        path = tmp_path / f"note{i:02}.wav"
        path.write_bytes(wav_bytes(0.05, tone=i))
        paths.append(path)
    loader = FoxAPIAudioLoader(paths, max_concurrency=8, show_progress=True, **conn)
    in_flight = peak = 0
    generate = loader.audio._agenerate

    async def counting(job: Any, options: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await generate(job, options)
        finally:
            in_flight -= 1

    loader.audio._agenerate = counting  # type: ignore[method-assign]
    docs = [d async for d in loader.alazy_load()]
    assert [d.metadata["source"] for d in docs] == [str(p) for p in paths]
    assert [d.page_content for d in docs] == [transcript(p.read_bytes()) for p in paths]
    assert 1 < peak <= 8
    assert foxapi_emulator.emulator.counters.submits == 50
    assert "50/50" in capsys.readouterr().err  # the tqdm bar


# --- parser ----------------------------------------------------------------------------------


def test_parser_blobs_from_path_and_data(conn: dict[str, Any], calls: list[Path]) -> None:
    parser = FoxAPIAudioParser(**conn)
    (from_path,) = parser.parse(Blob.from_path(calls[0]))
    (from_data,) = parser.parse(Blob.from_data(calls[0].read_bytes(), path="mem/standup.wav"))
    assert from_path.page_content == from_data.page_content == transcript(calls[0].read_bytes())
    assert from_data.metadata["source"] == "mem/standup.wav"
    assert from_path.id == from_data.id  # same bytes, same id


def test_generic_loader_from_filesystem(conn: dict[str, Any], calls: list[Path]) -> None:
    generic = importlib.import_module("langchain_community.document_loaders.generic")
    loader = generic.GenericLoader.from_filesystem(
        str(calls[0].parent), glob="**/*.wav", parser=FoxAPIAudioParser(**conn)
    )
    docs = loader.load()
    assert sorted(d.metadata["source"] for d in docs) == sorted(str(p) for p in calls)


# --- RAG -------------------------------------------------------------------------------------


def test_rag_retrieval_returns_the_right_file(conn: dict[str, Any], calls: list[Path]) -> None:
    splitters = importlib.import_module("langchain_text_splitters")
    splitter = splitters.RecursiveCharacterTextSplitter(chunk_size=60, chunk_overlap=0)
    docs = FoxAPIAudioLoader(calls, **conn).load()
    chunks = splitter.split_documents(docs)
    assert len(chunks) > len(docs)  # really split
    assert all("source" in c.metadata for c in chunks)
    store = InMemoryVectorStore(DeterministicFakeEmbedding(size=64))
    store.add_documents(chunks)
    # The fake embedding maps equal text to equal vectors: ask with a chunk of the sales call.
    wanted = next(c for c in chunks if c.metadata["source"].endswith("sales.wav"))
    (hit,) = store.as_retriever(search_kwargs={"k": 1}).invoke(wanted.page_content)
    assert isinstance(hit, Document) and hit.metadata["source"] == str(calls[1])


# --- tool and agent --------------------------------------------------------------------------


async def test_tool_sync_and_async(conn: dict[str, Any], calls: list[Path]) -> None:
    tool = FoxAPIAudioTool(**conn)
    expected = transcript(calls[0].read_bytes())
    assert tool.invoke({"source": str(calls[0])}) == expected
    assert await tool.ainvoke({"source": str(calls[0])}) == expected
    answer = await tool.ainvoke({"source": str(calls[0]), "question": "Who speaks?"})
    assert "You said: Who speaks?" in answer


def test_tool_returns_errors_to_the_agent(conn: dict[str, Any], calls: list[Path]) -> None:
    tool = FoxAPIAudioTool(root_dir=str(calls[0].parent), **conn)
    assert tool.invoke({"source": "standup.wav"}) == transcript(calls[0].read_bytes())
    assert "outside the allowed directory" in tool.invoke({"source": "/etc/hostname"})
    assert "No such audio file" in tool.invoke({"source": "nope.wav"})
    urls_only = FoxAPIAudioTool(allow_local_files=False, **conn)
    assert "Only http(s) URLs" in urls_only.invoke({"source": str(calls[0])})


def test_agent_calls_the_tool_and_answers(conn: dict[str, Any], calls: list[Path]) -> None:
    agents = importlib.import_module("langchain.agents")
    model = ChatFoxAPI(model="gpt-5.5", **conn)
    agent = agents.create_agent(model, tools=[FoxAPIAudioTool(**conn)])
    state = agent.invoke(
        {"messages": [("user", f"Use foxapi_audio with source='{calls[2]}' and summarise it.")]}
    )
    messages = state["messages"]
    call = next(m for m in messages if isinstance(m, AIMessage) and m.tool_calls)
    assert call.tool_calls[0]["args"]["source"] == str(calls[2])
    heard = transcript(calls[2].read_bytes())
    assert any(isinstance(m, ToolMessage) and m.content == heard for m in messages)
    final = messages[-1]
    assert isinstance(final, AIMessage) and heard.split(":")[1].split()[0] in final.text


def test_index_api_skips_unchanged_files(conn: dict[str, Any], calls: list[Path]) -> None:
    """A second ``index()`` of unchanged files adds and updates nothing (no per-run metadata)."""
    from langchain_core.indexing import InMemoryRecordManager, index

    manager = InMemoryRecordManager(namespace="foxapi-audio")
    manager.create_schema()
    store = InMemoryVectorStore(embedding=DeterministicFakeEmbedding(size=8))
    runs = []
    for _ in range(2):
        loader = FoxAPIAudioLoader(calls, **conn)
        runs.append(index(
                loader,
                manager,
                store,
                cleanup="incremental",
                source_id_key="source",
                key_encoder="sha256",  # index()'s default, SHA-1, warns: not collision-resistant
            ))
    assert runs[0]["num_added"] == len(calls)
    assert runs[1] == {
        "num_added": 0,
        "num_updated": 0,
        "num_skipped": len(calls),
        "num_deleted": 0,
    }
