"""LlamaIndex scenarios end to end against the emulator: RAG, agents, chat engines."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import MakeLLM
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock, ToolCallBlock
from llama_index.core.chat_engine import CondensePlusContextChatEngine, SimpleChatEngine
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.memory import ChatMemoryBuffer

from foxapi_core.emulator import RunningEmulator

DOCS = [
    Document(text="The Loire is the longest river in France."),
    Document(text="The Seine flows through Paris."),
    Document(text="Foxes are small omnivorous mammals."),
]


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.fixture
def index() -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCS, embed_model=MockEmbedding(embed_dim=8))


def test_query_engine(make_llm: MakeLLM, index: VectorStoreIndex, emu: RunningEmulator) -> None:
    engine = index.as_query_engine(llm=make_llm(), similarity_top_k=2)
    response = engine.query("Which river is the longest in France?")
    assert "Emulated answer from gemini-3.1-pro-preview" in str(response)
    assert len(response.source_nodes) == 2
    assert emu.emulator.counters.submits == 1


def test_query_engine_streaming(make_llm: MakeLLM, index: VectorStoreIndex) -> None:
    engine = index.as_query_engine(llm=make_llm("kimi-k2.6"), streaming=True)
    response = engine.query("Which river flows through Paris?")
    text = "".join(response.response_gen)  # type: ignore[attr-defined]
    assert text.startswith("Emulated answer from kimi-k2.6")
    assert "Thinking about" not in text


async def test_query_engine_async_streaming(make_llm: MakeLLM, index: VectorStoreIndex) -> None:
    engine = index.as_query_engine(llm=make_llm("claude-sonnet-4-6"), streaming=True)
    response = await engine.aquery("Which river flows through Paris?")
    text = "".join([t async for t in response.async_response_gen()])  # type: ignore[attr-defined]
    assert text.startswith("Emulated answer from claude-sonnet-4-6")


async def _run_agent(agent: FunctionAgent, question: str) -> tuple[str, list[Any]]:
    handler = agent.run(user_msg=question)
    events = [event async for event in handler.stream_events()]
    result = await handler
    return str(result), events


@pytest.mark.parametrize("model", ["gemini-3.1-pro-preview", "kimi-k2.6"])
async def test_function_agent_two_tools(
    make_llm: MakeLLM, emu: RunningEmulator, model: str
) -> None:
    agent = FunctionAgent(tools=[multiply, add], llm=make_llm(model), streaming=True)
    answer, events = await _run_agent(agent, "Use multiply on 3 and 4, then add on 5 and 6")
    results = {
        e.tool_name: e.tool_output.raw_output for e in events if isinstance(e, ToolCallResult)
    }
    assert results == {"multiply": 12, "add": 11}
    assert answer.startswith(f"Emulated answer from {model}. The tool returned:")
    thinking = [e.thinking_delta for e in events if isinstance(e, AgentStream) and e.thinking_delta]
    if model == "kimi-k2.6":
        assert thinking, "FunctionAgent saw no thinking_delta"
        # The tool-call turn went back with its reasoning (kimi refuses history without it).
        second = list(emu.emulator.tasks.values())[1].request
        assistant = next(m for m in second["messages"] if m["role"] == "assistant")
        assert assistant["tool_calls"] and assistant["reasoning_content"].startswith("Thinking")
    else:
        assert not thinking
    assert emu.emulator.counters.submits == 2


async def test_function_agent_not_streaming(make_llm: MakeLLM) -> None:
    agent = FunctionAgent(tools=[multiply], llm=make_llm("kimi-k2.6"), streaming=False)
    answer, _ = await _run_agent(agent, "Use multiply on 6 and 7")
    assert "The tool returned: 42" in answer


def test_agent_memory_keeps_thinking_and_tool_blocks(make_llm: MakeLLM) -> None:
    import asyncio

    memory = ChatMemoryBuffer.from_defaults(token_limit=4000)
    agent = FunctionAgent(tools=[multiply], llm=make_llm("kimi-k2.6"))

    async def run() -> None:
        await agent.run(user_msg="Use multiply on 2 and 5", memory=memory)

    asyncio.run(run())
    messages = memory.get_all()
    call_turn = next(m for m in messages if any(isinstance(b, ToolCallBlock) for b in m.blocks))
    assert isinstance(call_turn.blocks[0], ThinkingBlock)


def test_simple_chat_engine_memory(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    memory = ChatMemoryBuffer.from_defaults(token_limit=2000)
    engine = SimpleChatEngine.from_defaults(llm=make_llm(), memory=memory)
    for question in ["My name is Ada", "I like rivers", "What is my name?"]:
        assert "Emulated answer" in str(engine.chat(question))
    assert len(memory.get_all()) == 6
    sent = list(emu.emulator.tasks.values())[-1].request["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant"] * 2 + ["user"]
    assert sent[0]["content"] == "My name is Ada"


def test_condense_plus_context_streaming(
    make_llm: MakeLLM, index: VectorStoreIndex, emu: RunningEmulator
) -> None:
    llm = make_llm("kimi-k2.6")
    engine = CondensePlusContextChatEngine.from_defaults(
        index.as_retriever(similarity_top_k=1),
        llm=llm,
        memory=ChatMemoryBuffer.from_defaults(token_limit=4000, llm=llm),
    )
    first = engine.chat("Tell me about the Loire")
    assert "Emulated answer from kimi-k2.6" in str(first)
    stream = engine.stream_chat("And the Seine?")
    text = "".join(stream.response_gen)
    assert text.startswith("Emulated answer from kimi-k2.6")
    assert [m.role.value for m in engine.chat_history] == ["user", "assistant"] * 2


async def test_chat_engine_async(make_llm: MakeLLM) -> None:
    engine = SimpleChatEngine.from_defaults(llm=make_llm("claude-sonnet-4-6"))
    first = await engine.achat("Hello there")
    assert "Hello there" in str(first)
    stream = await engine.astream_chat("Again")
    text = "".join([t async for t in stream.async_response_gen()])
    assert "Again" in text
    assert len(engine.chat_history) == 4


def test_chat_message_with_history(make_llm: MakeLLM) -> None:
    llm = make_llm()
    history = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="user", content="Hi"),
        ChatMessage(role="assistant", content="Hello"),
        ChatMessage(role="user", content="Name a fox"),
    ]
    assert "Name a fox" in (llm.chat(history).message.content or "")


async def test_agent_workflow_handoff(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    """AgentWorkflow: the router hands off with its ``handoff`` tool, the math agent answers."""
    from llama_index.core.agent.workflow import AgentOutput, AgentWorkflow

    router = FunctionAgent(
        name="router",
        description="Routes questions.",
        system_prompt="Hand math questions off.",
        llm=make_llm("kimi-k2.6"),
        can_handoff_to=["math"],
    )
    math = FunctionAgent(
        name="math",
        description="Does arithmetic.",
        tools=[multiply],
        llm=make_llm(),
    )
    workflow = AgentWorkflow(agents=[router, math], root_agent="router")
    handler = workflow.run(user_msg="Use handoff to 'math' because 'it is arithmetic'")
    events = [event async for event in handler.stream_events()]
    await handler
    handoffs = [e for e in events if isinstance(e, ToolCallResult) and e.tool_name == "handoff"]
    assert [h.tool_kwargs.get("to_agent") for h in handoffs] == ["math"]
    speakers = [e.current_agent_name for e in events if isinstance(e, AgentOutput)]
    assert speakers[0] == "router" and speakers[-1] == "math"
    assert emu.emulator.counters.submits >= 2
