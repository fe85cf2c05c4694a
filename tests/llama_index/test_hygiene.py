"""Secrets, event loops and threads, settings precedence, degraded reasoning, exports."""

from __future__ import annotations

import asyncio
import copy
import logging
import pickle
import threading
from typing import Any

import pytest
from conftest import MakeLLM
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from pydantic import Field

import llama_index_foxapi
from foxapi_core.emulator import RunningEmulator
from llama_index_foxapi import FoxAPI, FoxAPIReasoningWarning

CANARY = "sk-canary-7f3a9c1e5b"
MESSAGES = [ChatMessage(role="user", content="Hi there")]


class _Collector(BaseEventHandler):
    events: list[BaseEvent] = Field(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "Collector"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


def test_exports() -> None:
    assert llama_index_foxapi.__all__ == sorted(llama_index_foxapi.__all__)
    public = {n for n in dir(llama_index_foxapi) if not n.startswith("_")}
    assert set(llama_index_foxapi.__all__) <= public
    assert public - set(llama_index_foxapi.__all__) <= {"llms", "readers", "tools"}


def test_construction_needs_no_key_or_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOXAPI_API_KEY", raising=False)
    llm = FoxAPI(model="kimi-k2.6")
    assert llm.api_key is None
    assert llm.metadata.is_chat_model and llm.metadata.is_function_calling_model
    assert llm.metadata.context_window == 262_144
    with pytest.raises(Exception, match="FOXAPI_API_KEY"):
        llm.chat(MESSAGES)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOXAPI_API_KEY", CANARY)
    monkeypatch.setenv("FOXAPI_BASE_URL", "http://127.0.0.1:9")
    llm = FoxAPI()
    assert llm.api_key is not None and llm.api_key.get_secret_value() == CANARY
    assert llm.base_url == "http://127.0.0.1:9"


def test_metadata_per_model() -> None:
    claude = FoxAPI(model="claude-sonnet-4-6", max_tokens=300, api_key="k")
    assert (claude.metadata.num_output, claude.metadata.model_name) == (300, "claude-sonnet-4-6")
    assert not FoxAPI(model="gemini-2.5-pro", api_key="k").metadata.is_function_calling_model


def test_key_never_shown(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    emu.emulator.config.api_key = CANARY
    llm = FoxAPI(model="kimi-k2.6", api_key=CANARY, base_url=emu.base_url)
    for text in (repr(llm), str(llm), str(llm.to_dict()), llm.to_json(), str(llm.to_payload())):
        assert CANARY not in text
    assert "api_key" not in llm.to_dict()
    collector = _Collector()
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(collector)
    try:
        llm.chat(MESSAGES)
        list(llm.stream_chat(MESSAGES))
        llm.complete("hi")
        asyncio.run(llm.achat(MESSAGES))
    finally:
        dispatcher.event_handlers.remove(collector)
    assert len(collector.events) >= 8
    for event in collector.events:
        assert CANARY not in str(event.dict())
        assert CANARY not in repr(event)


def test_key_not_in_errors(emu: RunningEmulator) -> None:
    llm = FoxAPI(api_key=CANARY, base_url=emu.base_url)  # the emulator rejects this key
    with pytest.raises(Exception) as info:
        llm.chat(MESSAGES)
    assert "401" in str(info.value) and CANARY not in str(info.value)
    assert CANARY not in repr(info.value)


def test_one_object_many_event_loops_and_threads(
    make_llm: MakeLLM, emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    llm = make_llm("kimi-k2.6")

    async def ask(i: int) -> str:
        response = await llm.achat([ChatMessage(role="user", content=f"question {i}")])
        streamed = [r async for r in await llm.astream_chat(MESSAGES)]
        assert streamed[-1].message.content
        return response.message.content or ""

    for i in range(5):
        assert f"question {i}" in asyncio.run(ask(i))
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            asyncio.run(ask(100 + i))
            assert llm.chat(MESSAGES).message.content
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert "Event loop is closed" not in caplog.text
    counters = emu.emulator.counters
    assert counters.submits == counters.submit_attempts == 5 * 2 + 8 * 3  # no duplicate submit


def test_copies_and_pickles_get_their_own_clients(make_llm: MakeLLM) -> None:
    llm = make_llm()
    assert llm.chat(MESSAGES).message.content
    for other in (copy.deepcopy(llm), copy.copy(llm), pickle.loads(pickle.dumps(llm))):
        assert other.chat(MESSAGES).message.content


def test_per_call_kwargs_win_over_additional_kwargs(
    make_llm: MakeLLM, emu: RunningEmulator
) -> None:
    llm = make_llm(temperature=0.1, additional_kwargs={"temperature": 0.5, "top_p": 0.9})
    llm.chat(MESSAGES)
    request = list(emu.emulator.tasks.values())[-1].request
    assert (request["temperature"], request["top_p"]) == (0.5, 0.9)
    llm.chat(MESSAGES, temperature=1.5, top_p=0.2)
    request = list(emu.emulator.tasks.values())[-1].request
    assert (request["temperature"], request["top_p"]) == (1.5, 0.2)


def test_reasoning_unavailable_is_reported(
    make_llm: MakeLLM, emu: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.emulator.faults.fail("stream", 404)  # the stream is gone: the answer comes from polling
    llm = make_llm("kimi-k2.6", poll_initial_delay=0.01)
    with pytest.warns(FoxAPIReasoningWarning, match="reasoning could not be read"):
        response = llm.chat(MESSAGES)
    assert response.message.content and "Emulated answer" in response.message.content
    assert response.additional_kwargs["reasoning_complete"] is False
    assert not any(isinstance(b, ThinkingBlock) for b in response.message.blocks)


def test_reasoning_sent_back_only_where_configured(make_llm: MakeLLM, emu: RunningEmulator) -> None:
    from llama_index.core.base.llms.types import TextBlock, ToolCallBlock

    turn = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="I should multiply."),
            TextBlock(text=""),
            ToolCallBlock(tool_call_id="c1", tool_name="multiply", tool_kwargs={"a": 2, "b": 3}),
        ],
    )
    history = [
        ChatMessage(role="user", content="2 times 3?"),
        turn,
        ChatMessage(role="tool", content="6", additional_kwargs={"tool_call_id": "c1"}),
    ]

    def sent(llm: FoxAPI) -> dict[str, Any]:
        llm.chat(history)
        messages = list(emu.emulator.tasks.values())[-1].request["messages"]
        return dict(messages[1])

    kimi = sent(make_llm("kimi-k2.6"))
    assert kimi["reasoning_content"] == "I should multiply."
    assert kimi["content"] is None
    assert kimi["tool_calls"][0]["function"] == {
        "name": "multiply",
        "arguments": '{"a": 2, "b": 3}',
    }
    assert "reasoning_content" not in sent(make_llm("gemini-3.1-pro-preview"))
    # The recorded reasoning stays home; the core's foreign-turn policy sends its placeholder.
    from foxapi_core._routing import FOREIGN_REASONING

    without = sent(make_llm("kimi-k2.6", reasoning_history="none"))
    assert without["reasoning_content"] == FOREIGN_REASONING
    assert "reasoning_content" in sent(make_llm("gemini-3.1-pro-preview", reasoning_history="all"))
