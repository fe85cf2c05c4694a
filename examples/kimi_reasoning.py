"""kimi-k2.6 is a thinking model: its reasoning travels only in the stream.

The client, ``ChatFoxAPI`` and ``FoxAPI`` keep it for you, even from a non-streaming call. Needs
``FOXAPI_API_KEY`` (or the emulator's ``FOXAPI_BASE_URL`` and key)::

    python examples/kimi_reasoning.py
"""

from __future__ import annotations

from llama_index.core.base.llms.types import ThinkingBlock
from llama_index.core.llms import ChatMessage

from foxapi_core import FoxAPIClient, MessagesRequest
from langchain_foxapi import ChatFoxAPI
from llama_index_foxapi import FoxAPI

QUESTION = "Is 17 a prime number?"


def main() -> None:
    """Show the reasoning and the answer from the client and both frameworks."""
    with FoxAPIClient() as client:
        answer = client.generate(
            MessagesRequest(model="kimi-k2.6", messages=[{"role": "user", "content": QUESTION}])
        )
        print("client reasoning:", answer.reasoning)
        print("client answer:", answer.text)

    message = ChatFoxAPI(model="kimi-k2.6").invoke(QUESTION)
    print("LangChain reasoning:", message.additional_kwargs.get("reasoning_content"))
    print("LangChain answer:", message.content)

    print("LangChain stream:\n  [thinking] ", end="")
    answering = False
    for chunk in ChatFoxAPI(model="kimi-k2.6").stream(QUESTION):
        for block in chunk.content_blocks:  # reasoning blocks come first, then text
            if block["type"] == "reasoning":
                print(block.get("reasoning", ""), end="", flush=True)
            elif block["type"] == "text":
                if not answering:
                    print("\n  [answer] ", end="")
                    answering = True
                print(block["text"], end="", flush=True)
    print()

    response = FoxAPI(model="kimi-k2.6").chat([ChatMessage(role="user", content=QUESTION)])
    thinking = [b.content for b in response.message.blocks if isinstance(b, ThinkingBlock)]
    print("LlamaIndex reasoning:", thinking[0] if thinking else None)
    print("LlamaIndex answer:", response.message.content)


if __name__ == "__main__":
    main()
