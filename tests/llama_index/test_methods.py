"""The eight LLM methods against the emulator, for one model of each family."""

from __future__ import annotations

import pytest
from conftest import MODELS, MakeLLM
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ThinkingBlock

from foxapi_core.emulator import RunningEmulator

PROMPT = "Name a river in France"
MESSAGES = [ChatMessage(role="user", content=PROMPT)]


def _check_answer(text: str, model: str) -> None:
    assert f"Emulated answer from {model}" in text
    assert "Name a river" in text


@pytest.mark.parametrize("model", list(MODELS))
def test_chat(make_llm: MakeLLM, emu: RunningEmulator, model: str) -> None:
    response = make_llm(model).chat(MESSAGES)
    _check_answer(response.message.content or "", model)
    assert response.additional_kwargs["total_tokens"] > 0
    assert emu.emulator.counters.submits == 1


@pytest.mark.parametrize("model", list(MODELS))
def test_complete(make_llm: MakeLLM, model: str) -> None:
    response = make_llm(model).complete(PROMPT)
    _check_answer(response.text, model)
    assert response.additional_kwargs["prompt_tokens"] > 0


@pytest.mark.parametrize("model", list(MODELS))
def test_stream_chat(make_llm: MakeLLM, emu: RunningEmulator, model: str) -> None:
    responses = list(make_llm(model).stream_chat(MESSAGES))
    text = "".join(r.delta or "" for r in responses)
    _check_answer(text, model)
    assert responses[-1].message.content == text
    assert responses[-1].additional_kwargs["completion_tokens"] > 0  # usage on the last one
    assert all("total_tokens" not in r.additional_kwargs for r in responses[:-1])
    assert emu.emulator.counters.submits == 1


@pytest.mark.parametrize("model", list(MODELS))
def test_stream_complete(make_llm: MakeLLM, model: str) -> None:
    responses = list(make_llm(model).stream_complete(PROMPT))
    text = "".join(r.delta or "" for r in responses)
    _check_answer(text, model)
    assert responses[-1].text == text
    assert responses[-1].additional_kwargs["total_tokens"] > 0


@pytest.mark.parametrize("model", list(MODELS))
async def test_achat(make_llm: MakeLLM, model: str) -> None:
    response = await make_llm(model).achat(MESSAGES)
    _check_answer(response.message.content or "", model)


@pytest.mark.parametrize("model", list(MODELS))
async def test_acomplete(make_llm: MakeLLM, model: str) -> None:
    response = await make_llm(model).acomplete(PROMPT)
    _check_answer(response.text, model)


@pytest.mark.parametrize("model", list(MODELS))
async def test_astream_chat(make_llm: MakeLLM, emu: RunningEmulator, model: str) -> None:
    responses: list[ChatResponse] = [r async for r in await make_llm(model).astream_chat(MESSAGES)]
    text = "".join(r.delta or "" for r in responses)
    _check_answer(text, model)
    assert responses[-1].additional_kwargs["total_tokens"] > 0
    assert emu.emulator.counters.submits == 1


@pytest.mark.parametrize("model", list(MODELS))
async def test_astream_complete(make_llm: MakeLLM, model: str) -> None:
    responses = [r async for r in await make_llm(model).astream_complete(PROMPT)]
    text = "".join(r.delta or "" for r in responses)
    _check_answer(text, model)
    assert responses[-1].text == text


@pytest.mark.parametrize("transport", ["stream", "poll", "sync"])
def test_chat_transports(make_llm: MakeLLM, transport: str) -> None:
    llm = make_llm("gemini-3.1-pro-preview", transport=transport, poll_initial_delay=0.01)
    _check_answer(llm.chat(MESSAGES).message.content or "", "gemini-3.1-pro-preview")


# --- kimi-k2.6: reasoning ------------------------------------------------------------------------


def test_kimi_chat_returns_thinking_block(make_llm: MakeLLM) -> None:
    response = make_llm("kimi-k2.6").chat(MESSAGES)
    first = response.message.blocks[0]
    assert isinstance(first, ThinkingBlock)
    assert first.content and "Thinking about" in first.content
    assert first.num_tokens and first.num_tokens > 0
    assert "Thinking about" not in (response.message.content or "")  # content is the answer only
    assert response.additional_kwargs["reasoning_tokens"] > 0


@pytest.mark.parametrize("transport", ["poll", "sync"])
def test_kimi_reasoning_with_other_transports(make_llm: MakeLLM, transport: str) -> None:
    llm = make_llm("kimi-k2.6", transport=transport, poll_initial_delay=0.01)
    first = llm.chat(MESSAGES).message.blocks[0]
    assert isinstance(first, ThinkingBlock) and first.content


def test_kimi_stream_matches_chat(make_llm: MakeLLM) -> None:
    llm = make_llm("kimi-k2.6")
    chat = llm.chat(MESSAGES)
    responses = list(llm.stream_chat(MESSAGES))
    final = responses[-1]
    assert final.message.content == chat.message.content
    assert final.message.blocks[0] == chat.message.blocks[0]  # same ThinkingBlock
    assert final.message == chat.message
    thinking = [
        r.additional_kwargs["thinking_delta"]
        for r in responses
        if "thinking_delta" in r.additional_kwargs
    ]
    assert "".join(thinking) == chat.message.blocks[0].content  # type: ignore[union-attr]
    # cumulative blocks on every chunk: [ThinkingBlock, TextBlock]
    assert all(isinstance(r.message.blocks[0], ThinkingBlock) for r in responses)
    assert all(r.delta is not None and "Thinking" not in r.delta for r in responses)


async def test_kimi_astream_matches_achat(make_llm: MakeLLM) -> None:
    llm = make_llm("kimi-k2.6")
    chat = await llm.achat(MESSAGES)
    responses = [r async for r in await llm.astream_chat(MESSAGES)]
    assert responses[-1].message == chat.message
    assert any(r.additional_kwargs.get("thinking_delta") for r in responses)


@pytest.mark.parametrize("transport", ["stream", "poll", "sync"])
async def test_task_id_on_non_streamed_responses(
    make_llm: MakeLLM, emu: RunningEmulator, transport: str
) -> None:
    """``ChatResponse.additional_kwargs["task_id"]`` is the FoxAPI task (as far as the core tells
    it: the sync transport has no task to poll)."""
    llm = make_llm(transport=transport)
    messages = [ChatMessage(role="user", content="Hi")]
    for response in (llm.chat(messages), await llm.achat(messages)):
        task_id = response.additional_kwargs.get("task_id")
        if transport == "sync":
            assert task_id is None or task_id in emu.emulator.tasks
        else:
            assert task_id in emu.emulator.tasks
    completion = llm.complete("Hi")
    if transport != "sync":
        assert completion.additional_kwargs["task_id"] in emu.emulator.tasks
