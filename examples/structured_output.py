"""Structured output into a Pydantic model, in LangChain and LlamaIndex.

Needs ``FOXAPI_API_KEY`` (or the emulator's ``FOXAPI_BASE_URL`` and key)::

    python examples/structured_output.py
"""

from __future__ import annotations

from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel, Field

from langchain_foxapi import ChatFoxAPI
from llama_index_foxapi import FoxAPI


class Joke(BaseModel):
    """A joke, in two parts."""

    setup: str = Field(description="The question or set-up")
    punchline: str = Field(description="The answer")
    rating: int = Field(ge=1, le=10, description="How funny, from 1 to 10")


def main() -> None:
    """Parse one joke with each framework."""
    structured = ChatFoxAPI(model="gemini-3.1-pro-preview").with_structured_output(Joke)
    joke = structured.invoke("Tell me a joke about cats")
    assert isinstance(joke, Joke)
    print("LangChain:", joke.model_dump())

    llm = FoxAPI(model="gpt-5.5")
    other = llm.structured_predict(
        Joke, PromptTemplate("Tell me a joke about {topic}"), topic="dogs"
    )
    print("LlamaIndex:", other.model_dump())


if __name__ == "__main__":
    main()
