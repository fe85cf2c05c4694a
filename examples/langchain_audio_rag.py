"""RAG over audio with LangChain: transcribe WAV files, index them, answer from the transcripts.

``FoxAPIAudioLoader`` turns each file into a Document (its transcript). FoxAPI has no embeddings
endpoint: plug in the embeddings you use (``DeterministicFakeEmbedding`` keeps this example
offline). Needs ``FOXAPI_API_KEY`` (or the emulator's ``FOXAPI_BASE_URL`` and key)::

    python examples/langchain_audio_rag.py
"""

from __future__ import annotations

import math
import struct
import tempfile
import wave
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

from langchain_foxapi import ChatFoxAPI, FoxAPIAudioLoader


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


def _join(docs: list[Document]) -> str:
    return "\n\n".join(f"[{d.metadata['source']}] {d.page_content}" for d in docs)


def main() -> None:
    """Transcribe two recordings, then ask a question answered from them."""
    with tempfile.TemporaryDirectory() as tmp:
        files = [write_wav(Path(tmp) / f"meeting-{i}.wav", 0.5 + i) for i in range(2)]
        docs = FoxAPIAudioLoader(files, max_concurrency=2).load()
    for doc in docs:
        print(f"transcribed {Path(doc.metadata['source']).name}: {doc.page_content[:60]}...")

    store = InMemoryVectorStore.from_documents(docs, DeterministicFakeEmbedding(size=256))
    retriever = store.as_retriever(search_kwargs={"k": 2})
    prompt = ChatPromptTemplate.from_template(
        "Answer from these transcripts only.\n\n{context}\n\nQuestion: {question}"
    )
    chain = (
        {"context": retriever | RunnableLambda(_join), "question": RunnablePassthrough()}
        | prompt
        | ChatFoxAPI(model="gemini-3.1-pro-preview")
        | StrOutputParser()
    )
    print("answer:", chain.invoke("What was decided in the meeting?"))


if __name__ == "__main__":
    main()
