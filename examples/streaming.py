"""Streaming tokens as they arrive, in LangChain (sync and async) and LlamaIndex.

FoxAPI streams are resumable: a cut connection is resumed at the next chunk, so no token is lost
or repeated. Needs ``FOXAPI_API_KEY`` (or the emulator's ``FOXAPI_BASE_URL`` and key)::

    python examples/streaming.py
"""

from __future__ import annotations

import asyncio

from langchain_core.messages import AIMessageChunk
from llama_index.core.llms import ChatMessage

from langchain_foxapi import ChatFoxAPI
from llama_index_foxapi import FoxAPI


async def astream_langchain(llm: ChatFoxAPI) -> None:
    """Async streaming; usage arrives on the last chunk."""
    total: AIMessageChunk | None = None
    async for chunk in llm.astream("Write a haiku about foxes"):
        print(chunk.content, end="", flush=True)
        total = chunk if total is None else total + chunk
    print()
    if total is not None and total.usage_metadata is not None:
        print("usage:", total.usage_metadata["total_tokens"], "tokens")


def main() -> None:
    """Stream one answer from each framework."""
    llm = ChatFoxAPI(model="gpt-5.5")
    print("LangChain: ", end="")
    for chunk in llm.stream("Tell me a two-sentence story"):
        print(chunk.content, end="", flush=True)
    print()

    print("LangChain (async): ", end="")
    asyncio.run(astream_langchain(llm))

    print("LlamaIndex: ", end="")
    fox = FoxAPI(model="gemini-3.1-pro-preview")
    for part in fox.stream_chat([ChatMessage(role="user", content="Tell me a story")]):
        print(part.delta or "", end="", flush=True)
    print()


if __name__ == "__main__":
    main()
