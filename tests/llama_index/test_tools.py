"""Tool calling, structured output and refusals before sending."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import MakeLLM
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ChatResponse,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.program import FunctionCallingProgram
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from foxapi_core import RequestValidationError
from foxapi_core.emulator import RunningEmulator
from llama_index_foxapi import FoxAPI

WAV = (
    b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00D\xac\x00\x00\x88X\x01\x00"
    b"\x02\x00\x10\x00data\x00\x00\x00\x00"
)


def multiply(a: int, b: int) -> int:
    """Multiply two integers."""
    return a * b


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


TOOLS = [FunctionTool.from_defaults(fn=multiply), FunctionTool.from_defaults(fn=add)]


class Person(BaseModel):
    """A person."""

    name: str
    age: int


def last_request(emu: RunningEmulator) -> dict[str, Any]:
    return list(emu.emulator.tasks.values())[-1].request


@pytest.mark.parametrize("model", ["gemini-3.1-pro-preview", "claude-sonnet-4-6", "kimi-k2.6"])
def test_single_tool_call(make_llm: MakeLLM, model: str) -> None:
    llm = make_llm(model)
    response = llm.chat_with_tools(TOOLS, user_msg="Use multiply on 3 and 4")
    calls = llm.get_tool_calls_from_response(response)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [("multiply", {"a": 3, "b": 4})]
    assert calls[0].tool_id.startswith("call_")


def test_parallel_tool_calls(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    llm = make_llm()
    response = llm.chat_with_tools(
        TOOLS, user_msg="Use multiply and add on 3 and 4", allow_parallel_tool_calls=True
    )
    calls = llm.get_tool_calls_from_response(response)
    assert [c.tool_name for c in calls] == ["multiply", "add"]
    assert last_request(emu)["parallel_tool_calls"] is True


def test_parallel_calls_are_cut_to_one_unless_allowed(make_llm: MakeLLM) -> None:
    llm = make_llm()
    response = llm.chat_with_tools(TOOLS, user_msg="Use multiply and add on 3 and 4")
    assert len(llm.get_tool_calls_from_response(response)) == 1


def test_streamed_parallel_tool_calls_accumulate_by_index(make_llm: MakeLLM) -> None:
    llm = make_llm("kimi-k2.6")
    responses = list(
        llm.stream_chat_with_tools(
            TOOLS,
            user_msg="Use multiply on 3 and 4, then add on 5 and 6",
            allow_parallel_tool_calls=True,
        )
    )
    final = responses[-1]
    calls = llm.get_tool_calls_from_response(final)
    assert [(c.tool_name, c.tool_kwargs) for c in calls] == [
        ("multiply", {"a": 3, "b": 4}),
        ("add", {"a": 5, "b": 6}),
    ]
    kinds = [type(b) for b in final.message.blocks]
    assert kinds == [ThinkingBlock, TextBlock, ToolCallBlock, ToolCallBlock]
    # While streaming, partial arguments are tolerated.
    mid = [r for r in responses if any(isinstance(b, ToolCallBlock) for b in r.message.blocks)]
    for response in mid:
        llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)


def test_tool_choice_by_name_and_required(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    llm = make_llm()
    response = llm.chat_with_tools(TOOLS, user_msg="3 and 4", tool_choice="add")
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "add"
    assert last_request(emu)["tool_choice"] == {"type": "function", "function": {"name": "add"}}
    llm.chat_with_tools(TOOLS, user_msg="3 and 4", tool_required=True)
    assert last_request(emu)["tool_choice"] == "required"


def test_prepare_chat_with_tools_keeps_history(make_llm: MakeLLM) -> None:
    history = [ChatMessage(role="user", content="hello")]
    prepared = make_llm()._prepare_chat_with_tools(TOOLS, user_msg="more", chat_history=history)
    assert len(history) == 1 and len(prepared["messages"]) == 2
    assert prepared["tool_choice"] == "auto" and prepared["parallel_tool_calls"] is False


def test_no_tool_call(make_llm: MakeLLM) -> None:
    llm = make_llm()
    response = llm.chat([ChatMessage(role="user", content="hi")])
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="at least one tool call"):
        llm.get_tool_calls_from_response(response)


def test_partial_and_legacy_tool_calls() -> None:
    llm = FoxAPI(api_key="k")
    partial = ChatResponse(
        message=ChatMessage(
            role="assistant",
            blocks=[
                ToolCallBlock(tool_call_id="c1", tool_name="f", tool_kwargs='{"a": 1, "b": [2')
            ],
        )
    )
    assert llm.get_tool_calls_from_response(partial)[0].tool_kwargs == {"a": 1, "b": [2]}
    legacy = ChatResponse(
        message=ChatMessage(
            role="assistant",
            additional_kwargs={
                "tool_calls": [
                    {"id": "c2", "type": "function", "function": {"name": "g", "arguments": "{}"}}
                ]
            },
        )
    )
    [selection] = llm.get_tool_calls_from_response(legacy)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == ("c2", "g", {})


@pytest.mark.parametrize("model", ["gemini-3.1-pro-preview", "kimi-k2.6"])
def test_predict_and_call(make_llm: MakeLLM, model: str) -> None:
    result = make_llm(model).predict_and_call(TOOLS, user_msg="Use multiply on 6 and 7")
    assert result.response == "42"


async def test_apredict_and_call_parallel(make_llm: MakeLLM) -> None:
    result = await make_llm().apredict_and_call(
        TOOLS, user_msg="Use multiply on 6 and 7, add on 1 and 2", allow_parallel_tool_calls=True
    )
    assert result.response == "42\n\n3"


@pytest.mark.parametrize("model", ["gemini-3.1-pro-preview", "claude-sonnet-4-6", "kimi-k2.6"])
def test_structured_predict(make_llm: MakeLLM, model: str) -> None:
    prompt = PromptTemplate("Extract the person: name='{name}', age {age}")
    person = make_llm(model).structured_predict(Person, prompt, name="Ada", age="36")
    assert person == Person(name="Ada", age=36)


async def test_astructured_predict_and_program(make_llm: MakeLLM) -> None:
    llm = make_llm()
    prompt = PromptTemplate("Extract: name='{name}', age {age}")
    person = await llm.astructured_predict(Person, prompt, name="Bo", age="7")
    assert person == Person(name="Bo", age=7)
    program = FunctionCallingProgram.from_defaults(Person, prompt=prompt, llm=llm)
    assert program(name="Cy", age="9") == Person(name="Cy", age=9)


def test_as_structured_llm(make_llm: MakeLLM) -> None:
    structured = make_llm().as_structured_llm(Person)
    response = structured.chat([ChatMessage(role="user", content="name='Di', age 41")])
    assert json.loads(response.message.content or "") == {"name": "Di", "age": 41}
    assert response.raw == Person(name="Di", age=41)


# --- refusals before sending ---------------------------------------------------------------------


def test_audio_to_claude_is_refused_before_any_request(
    make_llm: MakeLLM, emu: RunningEmulator
) -> None:
    llm = make_llm("claude-opus-4-7", max_tokens=64)
    message = ChatMessage(
        role="user", blocks=[TextBlock(text="Transcribe"), AudioBlock(audio=WAV, format="wav")]
    )
    with pytest.raises(RequestValidationError) as info:
        llm.chat([message])
    text = str(info.value)
    assert "claude-opus-4-7" in text and "AudioBlock" in text
    assert "gemini-3.1-pro-preview" in text  # a model that accepts audio
    assert emu.emulator.counters.submits == 0
    assert emu.emulator.counters.submit_attempts == 0


async def test_audio_to_claude_is_refused_in_streams_too(
    make_llm: MakeLLM, emu: RunningEmulator
) -> None:
    llm = make_llm("claude-opus-4-7", max_tokens=64)
    message = ChatMessage(role="user", blocks=[AudioBlock(audio=WAV, format="wav")])
    with pytest.raises(RequestValidationError, match="AudioBlock"):
        async for _ in await llm.astream_chat([message]):
            pass
    assert emu.emulator.counters.submit_attempts == 0


def test_audio_to_gemini_is_sent(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    message = ChatMessage(
        role="user", blocks=[TextBlock(text="Transcribe"), AudioBlock(audio=WAV, format="wav")]
    )
    response = make_llm("gemini-3.1-pro-preview").chat([message])
    assert "Transcript of the audio" in (response.message.content or "")
    assert emu.emulator.counters.submits == 1


def test_claude_without_max_tokens_gets_the_catalog_default(
    make_llm: MakeLLM, emu: RunningEmulator
) -> None:
    from foxapi_core._catalog import CLAUDE_DEFAULT_MAX_TOKENS

    llm = make_llm("claude-sonnet-4-6", max_tokens=None)
    assert llm.chat([ChatMessage(role="user", content="hi")]).message.content
    request = list(emu.emulator.tasks.values())[-1].request
    assert request["max_tokens"] == CLAUDE_DEFAULT_MAX_TOKENS


# --- tool calls where LlamaIndex itself reads them (additional_kwargs["tool_calls"]) ---------


def test_stream_structured_predict_yields_real_values(make_llm: MakeLLM) -> None:
    prompt = PromptTemplate("Extract the person: name='{name}', age {age}")
    parts = list(make_llm().stream_structured_predict(Person, prompt, name="Ada", age="36"))
    assert parts and parts[-1] == Person(name="Ada", age=36)


async def test_astream_structured_predict_yields_real_values(make_llm: MakeLLM) -> None:
    prompt = PromptTemplate("Extract the person: name='{name}', age {age}")
    gen = await make_llm("kimi-k2.6").astream_structured_predict(Person, prompt, name="Bo", age="7")
    parts = [part async for part in gen]
    assert parts and parts[-1] == Person(name="Bo", age=7)


def test_structured_llm_stream_chat_yields_real_values(make_llm: MakeLLM) -> None:
    structured = make_llm().as_structured_llm(Person)
    responses = list(
        structured.stream_chat([ChatMessage(role="user", content="name='Di', age 41")])
    )
    assert responses[-1].raw == Person(name="Di", age=41)
    assert json.loads(responses[-1].message.content or "") == {"name": "Di", "age": 41}


async def test_structured_llm_astream_chat_yields_real_values(make_llm: MakeLLM) -> None:
    structured = make_llm("claude-sonnet-4-6").as_structured_llm(Person)
    gen = await structured.astream_chat([ChatMessage(role="user", content="name='Ed', age 5")])
    responses = [r async for r in gen]
    assert responses[-1].raw == Person(name="Ed", age=5)


@pytest.mark.parametrize("streamed", [False, True], ids=["chat", "stream_chat"])
def test_tool_calls_in_additional_kwargs_and_counted_by_memory(
    make_llm: MakeLLM, streamed: bool
) -> None:
    from llama_index.core.memory import Memory
    from llama_index.core.utilities.token_counting import TokenCounter

    llm = make_llm()
    if streamed:
        response = list(llm.stream_chat_with_tools(TOOLS, user_msg="Use multiply on 3 and 4"))[-1]
    else:
        response = llm.chat_with_tools(TOOLS, user_msg="Use multiply on 3 and 4")
    message = response.message
    [call] = message.additional_kwargs["tool_calls"]
    assert (call.function.name, json.loads(call.function.arguments)) == (
        "multiply",
        {"a": 3, "b": 4},
    )
    assert [b.tool_name for b in message.blocks if isinstance(b, ToolCallBlock)] == ["multiply"]
    # The memory's and the token counter's estimates count the call (they skip ToolCallBlocks).
    bare = ChatMessage(
        role="assistant", blocks=[b for b in message.blocks if b.block_type != "tool_call"]
    )
    memory = Memory.from_defaults(session_id="tool-turns")
    assert memory._estimate_token_count(message) > memory._estimate_token_count(bare)
    counter = TokenCounter()
    assert counter.estimate_tokens_in_messages([message]) > counter.estimate_tokens_in_messages(
        [bare]
    )
    # It serializes (memory stores, docstores) as OpenAI tool-call dicts.
    dumped = message.model_dump()["additional_kwargs"]["tool_calls"][0]
    assert dumped["function"]["name"] == "multiply" and dumped["type"] == "function"


def test_strict_goes_in_each_tool(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    llm = make_llm()
    response = llm.chat_with_tools(TOOLS, user_msg="Use multiply on 3 and 4", strict=True)
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "multiply"
    body = last_request(emu)
    assert "strict" not in body
    for tool in body["tools"]:
        assert tool["function"]["strict"] is True
        assert tool["function"]["parameters"]["additionalProperties"] is False
