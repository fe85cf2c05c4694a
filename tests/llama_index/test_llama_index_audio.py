"""LlamaIndex audio: FoxAPIAudioReader and FoxAPIToolSpec; RAG, batch and agent runs.

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
from conftest import MakeLLM
from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.schema import MetadataMode

from foxapi_core import RequestValidationError
from foxapi_core._media import data_uri_from_bytes
from foxapi_core.emulator import RunningEmulator
from foxapi_core.emulator._responder import _transcription
from llama_index_foxapi.readers import FoxAPIAudioReader
from llama_index_foxapi.tools import FoxAPIToolSpec

FLAC = b"fLaC\x00\x00\x00\x22" + bytes(64)


def wav_bytes(seconds: float = 0.2, tone: int = 1, rate: int = 8000) -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(tone.to_bytes(2, "little") * int(seconds * rate))
    return buf.getvalue()


def transcript(data: bytes, mime: str = "audio/wav") -> str:
    """What the emulator answers for these bytes (a hash of the data URI)."""
    return "Transcription: " + _transcription(data_uri_from_bytes(data, mime))


@pytest.fixture
def conn(emu: RunningEmulator) -> dict[str, Any]:
    return {"api_key": emu.api_key, "base_url": emu.base_url}


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    """A folder with two WAV recordings and one MP3 (an MPEG frame header is enough)."""
    folder = tmp_path / "calls"
    folder.mkdir()
    (folder / "standup.wav").write_bytes(wav_bytes(0.2, tone=1))
    (folder / "support.wav").write_bytes(wav_bytes(0.4, tone=2))
    (folder / "voicemail.mp3").write_bytes(b"\xff\xfb\x90\x00" + bytes(400))
    (folder / "notes.txt").write_text("not audio")
    return folder


def test_load_data_one_file(conn: dict[str, Any], calls: Path) -> None:
    path = calls / "standup.wav"
    reader = FoxAPIAudioReader(**conn)
    (doc,) = reader.load_data(path, extra_info={"team": "core"})
    assert doc.text == transcript(path.read_bytes())
    assert doc.metadata["team"] == "core" and doc.metadata["source"] == str(path)
    assert doc.metadata["duration_s"] == pytest.approx(0.2)
    assert len(doc.id_) == 64
    for key in ("mime_type", "size_bytes", "model"):
        assert key in doc.metadata
        assert key in doc.excluded_embed_metadata_keys and key in doc.excluded_llm_metadata_keys
    assert "task_id" not in doc.metadata and reader.task_ids[doc.id_].startswith("task-")
    embed_text = doc.get_content(MetadataMode.EMBED)
    assert "size_bytes" not in embed_text and f"source: {path}" in embed_text
    # Loading again gives the same id: re-ingestion de-duplicates.
    assert FoxAPIAudioReader(**conn).load_data(str(path))[0].id_ == doc.id_


def test_bad_inputs_raise_before_upload(
    conn: dict[str, Any], tmp_path: Path, emu: RunningEmulator
) -> None:
    flac = tmp_path / "a.flac"
    flac.write_bytes(FLAC)
    reader = FoxAPIAudioReader(model="nemotron-3-nano-omni", **conn)
    with pytest.raises(RequestValidationError, match="WAV and MP3"):
        reader.load_data(flac)
    with pytest.raises(RequestValidationError, match="is a directory"):
        reader.load_data(tmp_path)
    assert emu.emulator.counters.requests == 0
    recorded = FoxAPIAudioReader(on_error="record", **conn).load_data([tmp_path / "x.wav"])
    assert recorded[0].metadata["error_type"] == "RequestValidationError"


async def test_simple_directory_reader_rag(
    conn: dict[str, Any], calls: Path, make_llm: MakeLLM, emu: RunningEmulator
) -> None:
    reader = FoxAPIAudioReader(**conn)
    docs = SimpleDirectoryReader(
        str(calls), file_extractor={".wav": reader, ".mp3": reader}, required_exts=[".wav", ".mp3"]
    ).load_data()
    by_name = {Path(d.metadata["file_path"]).name: d for d in docs}
    assert sorted(by_name) == ["standup.wav", "support.wav", "voicemail.mp3"]
    assert by_name["voicemail.mp3"].metadata["mime_type"] == "audio/mpeg"
    assert by_name["support.wav"].text == transcript((calls / "support.wav").read_bytes())
    index = VectorStoreIndex.from_documents(docs, embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(llm=make_llm("gemini-3.1-pro-preview"), similarity_top_k=3)
    response = await engine.aquery("What was said in the support call?")
    assert str(response).startswith("Emulated answer from gemini-3.1-pro-preview")
    assert {Path(n.metadata["file_path"]).name for n in response.source_nodes} == set(by_name)
    # SimpleDirectoryReader's file_path and file_size are not repeated as source/size_bytes.
    assert all("source" not in d.metadata and "size_bytes" not in d.metadata for d in docs)
    # The LLM saw the transcripts and the source, not the bulky keys.
    prompt = str(list(emu.emulator.tasks.values())[-1].request["messages"])
    assert by_name["support.wav"].text in prompt and "support.wav" in prompt
    assert "task_id" not in prompt and "size_bytes" not in prompt


async def test_aload_50_files_bounded_and_in_order(
    conn: dict[str, Any], tmp_path: Path, emu: RunningEmulator
) -> None:
    emu.emulator.config.processing_delay = 0.05
    folder = tmp_path / "notes"
    folder.mkdir()
    for i in range(50):
        (folder / f"note{i:02}.wav").write_bytes(wav_bytes(0.05, tone=i))
    reader = FoxAPIAudioReader(max_concurrency=8, **conn)
    in_flight = peak = 0
    generate = reader.audio._agenerate

    async def counting(job: Any, options: Any) -> Any:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await generate(job, options)
        finally:
            in_flight -= 1

    reader.audio._agenerate = counting  # type: ignore[method-assign]
    # SimpleDirectoryReader.aload_data gathers one aload_data per file: the bound is the
    # reader's, shared by all of them.
    docs = await SimpleDirectoryReader(str(folder), file_extractor={".wav": reader}).aload_data()
    names = [Path(d.metadata["file_path"]).name for d in docs]
    assert names == [f"note{i:02}.wav" for i in range(50)]
    assert 1 < peak <= 8
    # The reader's own list API: the same 50 in the order given.
    paths = sorted(folder.iterdir(), reverse=True)
    docs = await reader.aload_data(paths)
    assert [d.metadata["source"] for d in docs] == [str(p) for p in paths]
    assert [d.text for d in docs] == [transcript(p.read_bytes()) for p in paths]
    assert peak <= 8 and emu.emulator.counters.submits == 100


def test_lazy_load_and_fsspec(conn: dict[str, Any]) -> None:
    fsspec = importlib.import_module("fsspec")
    fs = fsspec.filesystem("memory")
    data = wav_bytes(0.3, tone=9)
    fs.pipe("/rec/a.wav", data)
    reader = FoxAPIAudioReader(max_segment_s=0.1, **conn)
    docs = list(reader.lazy_load_data("/rec/a.wav", fs=fs))
    assert [d.metadata["segment"] for d in docs] == [0, 1, 2]
    assert docs[-1].metadata["end_s"] == pytest.approx(0.3)
    assert docs[0].metadata["source"] == "/rec/a.wav"
    assert len({d.id_ for d in docs}) == 3


async def test_tool_spec(conn: dict[str, Any], calls: Path, tmp_path: Path) -> None:
    spec = FoxAPIToolSpec(root_dir=str(calls), **conn)
    tools = {t.metadata.name: t for t in spec.to_tool_list()}
    assert set(tools) == {"transcribe_audio", "ask_about_audio", "describe_video"}
    expected = transcript((calls / "standup.wav").read_bytes())
    assert spec.transcribe_audio("standup.wav") == expected
    assert (await tools["transcribe_audio"].acall(source="standup.wav")).content == expected
    answer = await tools["ask_about_audio"].acall(source="standup.wav", question="Who?")
    assert "You said: Who?" in answer.content
    assert spec.ask_about_audio("/etc/hostname", "?").startswith("Error:")
    assert "No such audio file" in spec.transcribe_audio("missing.wav")
    video = await spec.adescribe_video("https://youtube.com/shorts/abc123")
    assert "I watched 1 video" in video
    clip = calls / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    assert "I watched 1 video" in spec.describe_video("clip.mp4", "What happens?")
    assert spec.describe_video("clip.avi").startswith("Error:")


async def test_function_agent_listens(conn: dict[str, Any], calls: Path, make_llm: MakeLLM) -> None:
    spec = FoxAPIToolSpec(**conn)
    agent = FunctionAgent(tools=spec.to_tool_list(), llm=make_llm("gemini-3.1-pro-preview"))
    path = calls / "support.wav"
    handler = agent.run(user_msg=f"Use transcribe_audio with source='{path}' and summarise it.")
    events = [e async for e in handler.stream_events()]
    answer = str(await handler)
    results = [e for e in events if isinstance(e, ToolCallResult)]
    heard = transcript(path.read_bytes())
    assert [r.tool_name for r in results] == ["transcribe_audio"]
    assert results[0].tool_kwargs == {"source": str(path)}
    assert results[0].tool_output.content == heard
    assert answer.startswith("Emulated answer from gemini-3.1-pro-preview. The tool returned:")
    assert heard.split()[1] in answer


def test_ingestion_pipeline_skips_unchanged_files(
    conn: dict[str, Any], calls: Path, emu: RunningEmulator
) -> None:
    """A second run over unchanged files processes 0 documents (docstore, upserts)."""
    from llama_index.core.ingestion import DocstoreStrategy, IngestionPipeline
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from llama_index.core.vector_stores import SimpleVectorStore

    pipeline = IngestionPipeline(
        transformations=[SentenceSplitter(), MockEmbedding(embed_dim=8)],
        docstore=SimpleDocumentStore(),
        vector_store=SimpleVectorStore(),
        docstore_strategy=DocstoreStrategy.UPSERTS,
    )
    paths = sorted(calls.glob("*.wav"))
    first = pipeline.run(documents=FoxAPIAudioReader(**conn).load_data(paths))
    assert len(first) == len(paths)
    again = FoxAPIAudioReader(**conn).load_data(paths)
    assert pipeline.run(documents=again) == []


def test_deep_path_fits_small_chunks(conn: dict[str, Any], tmp_path: Path) -> None:
    """The path appears once (SimpleDirectoryReader's file_path), so small chunks still fit."""
    from llama_index.core.node_parser import SentenceSplitter

    deep = tmp_path.joinpath(*[f"department-{i:02}-recordings" for i in range(16)])
    deep.mkdir(parents=True)
    (deep / "call.wav").write_bytes(wav_bytes(0.2))
    reader = FoxAPIAudioReader(**conn)
    docs = SimpleDirectoryReader(str(deep), file_extractor={".wav": reader}).load_data()
    from llama_index.core.utils import get_tokenizer

    path_tokens = len(get_tokenizer()(f"file_path: {deep / 'call.wav'}"))
    assert path_tokens > 100  # twice the path would not fit in the chunk below
    nodes = SentenceSplitter(chunk_size=path_tokens + 80, chunk_overlap=0)(docs)
    assert nodes and nodes[0].text == docs[0].text
