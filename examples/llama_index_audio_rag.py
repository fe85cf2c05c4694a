"""RAG over audio with LlamaIndex: read WAV files with FoxAPIAudioReader, query them with FoxAPI.

``SimpleDirectoryReader`` hands ``.wav`` files to ``FoxAPIAudioReader``; a ``SummaryIndex``
needs no embeddings (use a ``VectorStoreIndex`` with your embedding model for large corpora).
Needs ``FOXAPI_API_KEY`` (or the emulator's ``FOXAPI_BASE_URL`` and key)::

    python examples/llama_index_audio_rag.py
"""

from __future__ import annotations

import math
import struct
import tempfile
import wave
from pathlib import Path

from llama_index.core import SimpleDirectoryReader, SummaryIndex

from llama_index_foxapi import FoxAPI, FoxAPIAudioReader


def write_wav(path: Path, seconds: float, hertz: float = 440.0, rate: int = 16_000) -> str:
    """Write a mono 16-bit sine tone (stands in for your recordings) and return its path."""
    samples = (
        int(8000 * math.sin(2 * math.pi * hertz * i / rate)) for i in range(int(seconds * rate))
    )
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return str(path)


def main() -> None:
    """Transcribe a folder of recordings, then ask a question answered from them."""
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(2):
            write_wav(Path(tmp) / f"call-{i}.wav", 0.5 + i)
        reader = SimpleDirectoryReader(
            tmp, file_extractor={".wav": FoxAPIAudioReader(max_concurrency=2)}
        )
        documents = reader.load_data()
    for doc in documents:
        # SimpleDirectoryReader's file_path is the source (the reader does not repeat it).
        print(f"transcribed {Path(doc.metadata['file_path']).name}: {doc.text[:60]}...")

    engine = SummaryIndex.from_documents(documents).as_query_engine(
        llm=FoxAPI(model="gemini-3.1-pro-preview")
    )
    print("answer:", engine.query("What was said on the calls?"))


if __name__ == "__main__":
    main()
