"""A LangChain Expression Language (LCEL) chain: prompt | ChatFoxAPI | parser.

Needs ``FOXAPI_API_KEY`` (or ``FOXAPI_BASE_URL`` and the key printed by ``foxapi emulator``)::

    python examples/langchain_chain.py
"""

from __future__ import annotations

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_foxapi import ChatFoxAPI


def main() -> None:
    """Summarise a text, then translate the summary, in one composed chain."""
    llm = ChatFoxAPI(model="gemini-3.1-pro-preview", temperature=0)
    summarise = (
        ChatPromptTemplate.from_messages(
            [("system", "You write one-sentence summaries."), ("human", "Summarise: {text}")]
        )
        | llm
        | StrOutputParser()
    )
    translate = ChatPromptTemplate.from_template("Translate to French: {summary}") | llm
    chain = {"summary": summarise} | translate | StrOutputParser()

    text = "FoxAPI answers through tasks: submit, then poll or stream the result."
    print("summary:", summarise.invoke({"text": text}))
    print("translated:", chain.invoke({"text": text}))
    # Batches run concurrently (max_concurrency caps the tasks in flight).
    for result in summarise.batch([{"text": "one"}, {"text": "two"}], {"max_concurrency": 2}):
        print("batch:", result)


if __name__ == "__main__":
    main()
