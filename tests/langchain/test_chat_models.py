"""Scenario tests of ``ChatFoxAPI`` against the emulator on a loopback socket.

Chains, structured output, batches, event loops and threads, kimi-k2.6's reasoning (invoke,
stream, tool loops), media routing and refusals, error mapping and secret hygiene.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import pickle
import threading
import traceback
import types
import uuid
import warnings
from typing import Any

import pytest
from langchain_core.exceptions import (
    ModelAuthenticationError,
    ModelError,
    ModelInvalidRequestError,
    ModelRateLimitError,
)
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from lc_support import DATA
from pydantic import BaseModel, Field

import foxapi_core
import langchain_foxapi
from foxapi_core.emulator import RunningEmulator
from langchain_foxapi import (
    ChatFoxAPI,
    FoxAPIAuthenticationError,
    FoxAPIRequestValidationError,
    ReasoningIncompleteWarning,
)

MODEL_DEFAULTS: dict[str, dict[str, Any]] = {"claude-sonnet-4-6": {"max_tokens": 256}}


def make(emulator: RunningEmulator, model: str = "gemini-3.1-pro-preview", **kw: Any) -> ChatFoxAPI:
    """A ``ChatFoxAPI`` pointed at the emulator."""
    settings = {**MODEL_DEFAULTS.get(model, {}), **kw}
    settings.setdefault("api_key", emulator.api_key)
    return ChatFoxAPI(model=model, base_url=emulator.base_url, **settings)


def aggregate(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


@tool
def get_weather(city: str) -> str:
    """Return the weather of a city."""
    return f"It is sunny in {city}."


@tool
def get_time(city: str) -> str:
    """Return the local time of a city."""
    return f"It is noon in {city}."


class Person(BaseModel):
    """A person mentioned in the text."""

    name: str = Field(description="The person's name")
    age: int = Field(description="The person's age in years")


# -- exports -----------------------------------------------------------------------------------


def test_exports_match_all() -> None:
    # dir(), not vars(): the audio names are loaded on first access (PEP 562).
    public = {
        name
        for name in dir(langchain_foxapi)
        if not name.startswith("_")
        and not isinstance(getattr(langchain_foxapi, name), types.ModuleType)
    }
    assert langchain_foxapi.__all__ == sorted(langchain_foxapi.__all__)
    assert set(langchain_foxapi.__all__) == public


def test_construction_needs_no_key_or_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOXAPI_API_KEY", raising=False)
    llm = ChatFoxAPI(model="gpt-5.5")
    assert llm.api_key is None
    with pytest.raises(ModelError, match="FOXAPI_API_KEY") as info:
        llm.invoke("hi")
    assert isinstance(info.value, foxapi_core.ConfigurationError)


# -- chains, structured output, batches ----------------------------------------------------------


def test_lcel_chain(emulator: RunningEmulator) -> None:
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are terse."), ("human", "Tell me about {topic}")]
    )
    chain = prompt | make(emulator) | StrOutputParser()
    answer = chain.invoke({"topic": "foxes"})
    assert isinstance(answer, str)
    assert "foxes" in answer


@pytest.mark.parametrize("method", ["function_calling", "json_schema"])
def test_structured_output_pydantic(emulator: RunningEmulator, method: str) -> None:
    llm = make(emulator, "gpt-5.5").with_structured_output(Person, method=method)  # type: ignore[arg-type]
    person = llm.invoke("Extract: name='Ada' is 36 years old.")
    assert isinstance(person, Person)
    assert person.name == "Ada"
    assert person.age == 36


def test_structured_output_include_raw(emulator: RunningEmulator) -> None:
    llm = make(emulator, "kimi-k2.6").with_structured_output(Person, include_raw=True)
    out = llm.invoke("Extract: name='Bo' is 7 years old.")
    assert isinstance(out, dict)
    assert isinstance(out["raw"], AIMessage)
    assert out["parsed"] == Person(name="Bo", age=7)
    assert out["parsing_error"] is None


def test_json_mode_parses_emulator_answer(emulator: RunningEmulator) -> None:
    llm = make(emulator).with_structured_output(method="json_mode")
    out = llm.invoke("Answer in JSON.")
    assert isinstance(out, dict) and "answer" in out
    record = next(iter(emulator.emulator.tasks.values()))
    assert record.request["response_format"] == {"type": "json_object"}


def test_batch_of_20_with_max_concurrency_5(emulator: RunningEmulator) -> None:
    llm = make(emulator, "gpt-5.5")
    prompts = [f"question number {i}" for i in range(20)]
    answers = llm.batch(prompts, config={"max_concurrency": 5})
    assert [a.content for a in answers] == [
        f"Emulated answer from gpt-5.5. You said: question number {i}" for i in range(20)
    ]
    assert emulator.emulator.counters.submits == 20


# -- event loops and threads ---------------------------------------------------------------------


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
def test_one_object_across_event_loops_and_threads(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    llm = make(emulator, "kimi-k2.6")
    for i in range(5):
        message = asyncio.run(llm.ainvoke(f"loop {i}"))
        assert message.content
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            asyncio.run(llm.ainvoke(f"thread {n} async"))
            llm.invoke(f"thread {n} sync")

            async def streamed() -> str:
                return "".join([c.text async for c in llm.astream(f"thread {n} stream")])

            assert asyncio.run(streamed())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    gc.collect()
    assert errors == []
    assert "Event loop is closed" not in caplog.text
    counters = emulator.emulator.counters
    assert counters.submits == counters.submit_attempts == 5 + 8 * 3  # no duplicate submit


# -- kimi-k2.6 reasoning -------------------------------------------------------------------------


def test_kimi_invoke_has_reasoning(emulator: RunningEmulator) -> None:
    message = make(emulator, "kimi-k2.6").invoke("Why is the sky blue?")
    reasoning = message.additional_kwargs["reasoning_content"]
    assert reasoning
    assert message.content_blocks[0] == {"type": "reasoning", "reasoning": reasoning}
    assert message.usage_metadata is not None
    assert message.usage_metadata["output_token_details"]["reasoning"] > 0
    metadata = message.response_metadata
    assert metadata["model_provider"] == "foxapi"
    assert metadata["finish_reason"] == "stop"
    assert metadata["task_id"].startswith("task-")
    assert "reasoning_incomplete" not in metadata


def test_kimi_v1_output_has_reasoning_block(emulator: RunningEmulator) -> None:
    message = make(emulator, "kimi-k2.6", output_version="v1").invoke("Why is the sky blue?")
    assert isinstance(message.content, list)
    assert message.content[0]["type"] == "reasoning"  # type: ignore[index]
    assert message.content[1]["type"] == "text"  # type: ignore[index]


def test_kimi_stream_aggregate_equals_invoke(emulator: RunningEmulator) -> None:
    llm = make(emulator, "kimi-k2.6")
    invoked = llm.invoke("Explain rainbows")
    chunks = list(llm.stream("Explain rainbows"))
    full = aggregate(chunks)
    assert full.content == invoked.content
    assert (
        full.additional_kwargs["reasoning_content"]
        == (invoked.additional_kwargs["reasoning_content"])
    )
    # Reasoning pieces arrive first, with empty content.
    assert chunks[0].additional_kwargs.get("reasoning_content")
    assert chunks[0].content == ""
    # Exactly one chunk carries usage, model name, finish reason: the last.
    assert [c for c in chunks if c.usage_metadata] == [chunks[-1]]
    assert [c for c in chunks if "model_name" in c.response_metadata] == [chunks[-1]]
    assert chunks[-1].chunk_position == "last"
    assert full.response_metadata["finish_reason"] == "stop"
    assert full.usage_metadata == invoked.usage_metadata


async def test_kimi_astream_aggregate_equals_ainvoke(emulator: RunningEmulator) -> None:
    llm = make(emulator, "kimi-k2.6")
    invoked = await llm.ainvoke("Explain tides")
    full = aggregate([chunk async for chunk in llm.astream("Explain tides")])
    assert full.content == invoked.content
    assert full.additional_kwargs == invoked.additional_kwargs


def test_on_llm_new_token_per_chunk(emulator: RunningEmulator) -> None:
    from langchain_core.callbacks import BaseCallbackHandler

    class Counter(BaseCallbackHandler):
        def __init__(self) -> None:
            self.tokens: list[str] = []

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.tokens.append(token)

    counter = Counter()
    chunks = list(make(emulator, "kimi-k2.6").stream("hello", config={"callbacks": [counter]}))
    assert len(counter.tokens) == len(chunks)


def _tool_loop(llm: ChatFoxAPI, question: str) -> list[BaseMessage]:
    bound = llm.bind_tools([get_weather])
    messages: list[BaseMessage] = [HumanMessage(question)]
    first = bound.invoke(messages)
    assert first.tool_calls
    messages.append(first)
    for call in first.tool_calls:
        messages.append(get_weather.invoke(call))
    final = bound.invoke(messages)
    assert final.content
    messages.append(final)
    return messages


def _sent_assistant_turns(emulator: RunningEmulator) -> list[dict[str, Any]]:
    last = list(emulator.emulator.tasks.values())[-1]
    return [m for m in last.request["messages"] if m.get("role") == "assistant"]


def test_kimi_tool_loop_sends_reasoning_back(emulator: RunningEmulator) -> None:
    messages = _tool_loop(make(emulator, "kimi-k2.6"), "What is the weather in city='Oslo'?")
    reasoning = messages[1].additional_kwargs["reasoning_content"]
    (turn,) = _sent_assistant_turns(emulator)
    assert turn["reasoning_content"] == reasoning
    assert turn["tool_calls"][0]["function"]["name"] == "get_weather"


def test_kimi_tool_loop_v1_history_sends_reasoning_back(emulator: RunningEmulator) -> None:
    llm = make(emulator, "kimi-k2.6", output_version="v1")
    _tool_loop(llm, "What is the weather in city='Oslo'?")
    (turn,) = _sent_assistant_turns(emulator)
    assert turn["reasoning_content"].startswith("Thinking about")
    assert not isinstance(turn.get("content"), list)  # no reasoning block left in content


def test_reasoning_back_can_be_switched_off(emulator: RunningEmulator) -> None:
    llm = make(emulator, "kimi-k2.6", send_reasoning_back=False)
    _tool_loop(llm, "What is the weather in city='Oslo'?")
    (turn,) = _sent_assistant_turns(emulator)
    # kimi's own reasoning stays home; the foreign-turn policy ("fill") sends the placeholder,
    # which a server enforcing the tool-call rule accepts.
    from foxapi_core._routing import FOREIGN_REASONING

    assert turn["reasoning_content"] == FOREIGN_REASONING


def test_stream_tool_call_chunks(emulator: RunningEmulator) -> None:
    bound = make(emulator, "gpt-5.5").bind_tools([get_weather, get_time], tool_choice="any")
    chunks = list(bound.stream("get_weather and get_time for city='Rome'"))
    pieces = [tc for c in chunks for tc in c.tool_call_chunks]
    assert {p["index"] for p in pieces} == {0, 1}
    named = [p for p in pieces if p["name"]]
    assert len(named) == 2 and all(p["id"] for p in named)
    full = aggregate(chunks)
    assert [c["name"] for c in full.tool_calls] == ["get_weather", "get_time"]
    assert full.tool_calls[0]["args"] == {"city": "Rome"}
    assert full.response_metadata["finish_reason"] == "tool_calls"


def test_tool_choice_name_is_forced(emulator: RunningEmulator) -> None:
    bound = make(emulator, "gpt-5.5").bind_tools([get_weather, get_time], tool_choice="get_time")
    message = bound.invoke("Anything for city='Rome'")
    assert [c["name"] for c in message.tool_calls] == ["get_time"]
    record = next(iter(emulator.emulator.tasks.values()))
    assert record.request["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}


# -- the reasoning cannot always be read ---------------------------------------------------------


def test_poll_transport_reads_reasoning_from_finished_stream(emulator: RunningEmulator) -> None:
    message = make(emulator, "kimi-k2.6", transport="poll", poll_initial_delay=0.01).invoke("hi")
    assert message.additional_kwargs["reasoning_content"]
    assert message.response_metadata["task_id"].startswith("task-")


def test_poll_transport_reports_lost_reasoning(emulator: RunningEmulator) -> None:
    emulator.emulator.config.stream_ttl = 0.0  # the finished task's stream is already gone
    llm = make(emulator, "kimi-k2.6", transport="poll", poll_initial_delay=0.01)
    with pytest.warns(ReasoningIncompleteWarning, match="kimi-k2.6"):
        message = llm.invoke("hi")
    assert message.content
    assert message.response_metadata["reasoning_incomplete"] is True
    assert "reasoning_content" not in message.additional_kwargs


def test_stream_unavailable_reports_lost_reasoning(emulator: RunningEmulator) -> None:
    emulator.emulator.faults.fail("stream", 404)
    llm = make(emulator, "kimi-k2.6")
    with pytest.warns(ReasoningIncompleteWarning):
        chunks = list(llm.stream("hi"))
    full = aggregate(chunks)
    assert full.content == "Emulated answer from kimi-k2.6. You said: hi"
    assert full.response_metadata["reasoning_incomplete"] is True


@pytest.mark.parametrize("how", ["invoke", "stream"])
def test_stream_lost_midway_reports_partial_reasoning(emulator: RunningEmulator, how: str) -> None:
    llm = make(emulator, "kimi-k2.6")
    full_reasoning = llm.invoke("Explain rainbows").additional_kwargs["reasoning_content"]
    faults = emulator.emulator.faults
    faults.cut_stream(after_chunks=2)  # two reasoning pieces arrive, then the stream is gone
    faults.fail("stream", 404)
    with pytest.warns(ReasoningIncompleteWarning, match="completely"):
        if how == "invoke":
            message: BaseMessage = llm.invoke("Explain rainbows")
        else:
            message = aggregate(list(llm.stream("Explain rainbows")))
    assert message.content == "Emulated answer from kimi-k2.6. You said: Explain rainbows"
    partial = message.additional_kwargs["reasoning_content"]
    assert partial and full_reasoning.startswith(partial) and partial != full_reasoning
    assert message.response_metadata["reasoning_incomplete"] is True


def test_sync_transport(emulator: RunningEmulator) -> None:
    message = make(emulator, "kimi-k2.6", transport="sync").invoke("hi")
    assert message.content and message.additional_kwargs["reasoning_content"]
    assert emulator.emulator.counters.polls == 0


def test_stream_cut_is_resumed_without_loss(emulator: RunningEmulator) -> None:
    llm = make(emulator, "kimi-k2.6")
    expected = llm.invoke("Explain rainbows")
    emulator.emulator.faults.cut_stream(after_chunks=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ReasoningIncompleteWarning)
        full = aggregate(list(llm.stream("Explain rainbows")))
    assert full.content == expected.content
    assert full.additional_kwargs == expected.additional_kwargs


# -- media ---------------------------------------------------------------------------------------


def _image_block() -> dict[str, Any]:
    import base64

    data = base64.b64encode((DATA / "image.png").read_bytes()).decode()
    return {"type": "image", "base64": data, "mime_type": "image/png"}


def _audio_block() -> dict[str, Any]:
    import base64

    data = base64.b64encode((DATA / "audio.wav").read_bytes()).decode()
    return {"type": "audio", "base64": data, "mime_type": "audio/wav"}


def test_image_block_with_gpt_5_5(emulator: RunningEmulator) -> None:
    message = make(emulator, "gpt-5.5").invoke(
        [HumanMessage([{"type": "text", "text": "Describe"}, _image_block()])]
    )
    assert "I see 1 image" in message.text
    record = next(iter(emulator.emulator.tasks.values()))
    block = record.request["messages"][0]["content"][1]
    assert block["type"] == "image_url"
    assert block["image_url"]["url"].startswith("data:image/png;base64,")


@pytest.mark.parametrize(
    "block",
    [
        _audio_block(),
        {"type": "input_audio", "input_audio": {"data": _audio_block()["base64"], "format": "wav"}},
    ],
    ids=["standard", "openai"],
)
def test_audio_block_with_gpt_5_5_is_refused_before_sending(
    emulator: RunningEmulator, block: dict[str, Any]
) -> None:
    llm = make(emulator, "gpt-5.5")
    with pytest.raises(FoxAPIRequestValidationError) as info:
        llm.invoke([HumanMessage([{"type": "text", "text": "Transcribe"}, block])])
    error = info.value
    assert isinstance(error, ModelInvalidRequestError)
    assert isinstance(error, foxapi_core.RequestValidationError)
    text = str(error)
    assert "gpt-5.5" in text and "audio" in text
    assert "gemini-3.1-pro-preview" in text  # names the models that accept audio
    assert emulator.emulator.counters.submit_attempts == 0
    assert emulator.emulator.counters.requests == 0


def test_audio_block_with_gemini(emulator: RunningEmulator) -> None:
    message = make(emulator).invoke(
        [HumanMessage([{"type": "text", "text": "Hear"}, _audio_block()])]
    )
    assert "Transcript of the audio" in message.text


def test_prompt_form_model(emulator: RunningEmulator) -> None:
    llm = make(emulator, "gemini-2.5-pro")
    message = llm.invoke([("system", "Be brief."), ("human", "Hello prompt form")])
    assert "Hello prompt form" in message.text
    record = next(iter(emulator.emulator.tasks.values()))
    assert record.form == "text"
    with pytest.raises(ModelInvalidRequestError):
        llm.bind_tools([get_weather]).invoke("weather?")
    assert emulator.emulator.counters.submit_attempts == 1


# -- errors --------------------------------------------------------------------------------------


def test_rate_limit_maps_to_langchain_error(emulator: RunningEmulator) -> None:
    emulator.emulator.faults.fail("submit", 429, times=5)
    llm = make(emulator, "gpt-5.5", max_retries=0)
    with pytest.raises(ModelRateLimitError) as info:
        llm.invoke("hi")
    assert isinstance(info.value, foxapi_core.RateLimitError)
    assert info.value.is_retryable


def test_task_failure_names_the_task(emulator: RunningEmulator) -> None:
    emulator.emulator.faults.fail_task(code="upstream_error")
    with pytest.raises(ModelError) as info:
        make(emulator, "gpt-5.5", transport="poll", poll_initial_delay=0.01).invoke("hi")
    assert isinstance(info.value, foxapi_core.TaskFailedError)
    assert "task-" in str(info.value)


def test_errors_are_picklable(emulator: RunningEmulator) -> None:
    with pytest.raises(FoxAPIAuthenticationError) as info:
        make(emulator, "gpt-5.5", api_key="sk-wrong").invoke("hi")
    clone = pickle.loads(pickle.dumps(info.value))
    assert type(clone) is FoxAPIAuthenticationError
    assert str(clone) == str(info.value)


# -- serialization and secrets -------------------------------------------------------------------


# ``load`` is langchain-core's (beta) way to revive a serialized model; the test uses it on purpose.
@pytest.mark.filterwarnings(
    "ignore:The function `load` is in beta:langchain_core._api.LangChainBetaWarning"
)
def test_serialization_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FOXAPI_API_KEY", "sk-from-env")
    llm = ChatFoxAPI(model="kimi-k2.6", temperature=0.2, transport="poll")
    revived = load(
        dumpd(llm),
        allowed_objects=[ChatFoxAPI],
        secrets_from_env=True,
        valid_namespaces=["langchain_foxapi"],
    )
    assert isinstance(revived, ChatFoxAPI)
    assert revived.model_name == "kimi-k2.6" and revived.transport == "poll"
    assert revived.api_key is not None and revived.api_key.get_secret_value() == "sk-from-env"


def test_secret_hygiene_with_canary_key(
    emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    canary = f"sk-canary-{uuid.uuid4().hex}"
    caplog.set_level(logging.DEBUG)
    llm = make(emulator, "gpt-5.5", api_key=canary)
    assert canary not in repr(llm)
    assert canary not in str(llm)
    assert canary not in dumps(llm)
    assert canary not in str(llm.model_dump())
    with pytest.raises(ModelAuthenticationError) as info:
        llm.invoke("hi")
    error = info.value
    assert canary not in str(error)
    assert canary not in repr(error)
    assert canary not in "".join(traceback.format_exception(error))
    assert canary not in pickle.dumps(error).decode("latin-1")
    with pytest.raises(ModelAuthenticationError):
        list(llm.stream("hi"))
    assert canary not in caplog.text


# -- agents --------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", ["gemini-3.1-pro-preview", "kimi-k2.6"])
def test_create_agent_with_two_tools(emulator: RunningEmulator, model: str) -> None:
    agents = pytest.importorskip("langchain.agents", reason="needs the langchain 1.x package")
    agent = agents.create_agent(make(emulator, model), tools=[get_weather, get_time])
    result = agent.invoke({"messages": [("user", "Use get_weather and get_time for city='Lima'.")]})
    messages = result["messages"]
    called = [c["name"] for m in messages if isinstance(m, AIMessage) for c in m.tool_calls]
    assert called == ["get_weather", "get_time"]
    final = messages[-1]
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert "The tool returned" in final.text
    if model == "kimi-k2.6":
        (turn,) = _sent_assistant_turns(emulator)
        assert turn["reasoning_content"]


# -- error mapping table, partial reasoning, options -------------------------------------------

_EXPECTED_LANGCHAIN_CLASS = {
    foxapi_core.AuthenticationError: "ModelAuthenticationError",
    foxapi_core.PermissionDeniedError: "ModelPermissionDeniedError",
    foxapi_core.InsufficientQuotaError: "ModelError",
    foxapi_core.NotFoundError: "ModelNotFoundError",
    foxapi_core.RateLimitError: "ModelRateLimitError",
    foxapi_core.BadRequestError: "ModelInvalidRequestError",
    foxapi_core.InvalidRequestError: "ModelInvalidRequestError",
    foxapi_core.UnsupportedContentError: "ModelInvalidRequestError",
    foxapi_core.RequestValidationError: "ModelInvalidRequestError",
    foxapi_core.ServerError: "ModelAPIError",
    foxapi_core.TaskFailedError: "ModelAPIError",
    foxapi_core.StreamError: "ModelAPIError",
    foxapi_core.APITimeoutError: "ModelTimeoutError",
    foxapi_core.TaskTimeoutError: "ModelTimeoutError",
    foxapi_core.APIConnectionError: "ModelConnectionError",
    foxapi_core.SubmitOutcomeUnknownError: "ModelError",
    foxapi_core.ConfigurationError: "ModelError",
    foxapi_core.ClientClosedError: "ModelError",
}


@pytest.mark.parametrize("core_class", list(_EXPECTED_LANGCHAIN_CLASS), ids=lambda c: c.__name__)
def test_every_core_error_is_translated(core_class: type[foxapi_core.FoxAPIError]) -> None:
    import langchain_core.exceptions as lc_exceptions

    from langchain_foxapi._errors import translate_errors

    original = core_class("boom", task_id="task-llm-1-abcdefgh")
    with pytest.raises(core_class) as info, translate_errors(model="gpt-5.5"):
        raise original
    error = info.value
    assert isinstance(error, getattr(lc_exceptions, _EXPECTED_LANGCHAIN_CLASS[core_class]))
    assert error.__cause__ is original
    assert "task-llm-1-abcdefgh" in str(error)
    assert type(pickle.loads(pickle.dumps(error))) is type(error)
    not_retryable = (foxapi_core.SubmitOutcomeUnknownError, foxapi_core.InsufficientQuotaError)
    if isinstance(error, not_retryable):
        assert not error.is_retryable  # type: ignore[attr-defined]


def test_partial_reasoning_marked_by_the_core_is_reported() -> None:
    from langchain_foxapi._stream import reasoning_incomplete

    completion = foxapi_core.ChatCompletion.model_validate(
        {
            "choices": [{"message": {"content": "42", "reasoning_content": "Thinking ab"}}],
            "reasoning_complete": False,
        }
    )
    with pytest.warns(ReasoningIncompleteWarning, match="completely"):
        assert reasoning_incomplete(completion, thinking=True, model="kimi-k2.6", task_id="t-1")
    complete = foxapi_core.ChatCompletion.model_validate(
        {"choices": [{"message": {"content": "42", "reasoning_content": "Thinking"}}]}
    )
    assert not reasoning_incomplete(complete, thinking=True, model="kimi-k2.6", task_id="t-1")
    assert not reasoning_incomplete(completion, thinking=False, model="gpt-5.5", task_id=None)


def test_streaming_flag_makes_invoke_stream(emulator: RunningEmulator) -> None:
    from langchain_core.callbacks import BaseCallbackHandler

    class Tokens(BaseCallbackHandler):
        def __init__(self) -> None:
            self.count = 0

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.count += 1

    tokens = Tokens()
    message = make(emulator, "kimi-k2.6", streaming=True).invoke(
        "hello", config={"callbacks": [tokens]}
    )
    assert tokens.count > 3
    assert message.additional_kwargs["reasoning_content"]
    assert message.usage_metadata is not None


def test_stream_usage_can_be_switched_off(emulator: RunningEmulator) -> None:
    llm = make(emulator, "gpt-5.5")
    assert aggregate(list(llm.stream("hi"))).usage_metadata is not None
    assert aggregate(list(llm.stream("hi", stream_usage=False))).usage_metadata is None


def test_unknown_constructor_arguments_go_to_model_kwargs(emulator: RunningEmulator) -> None:
    with pytest.warns(UserWarning, match="frequency_penalty"):
        llm = make(emulator, "gpt-5.5", frequency_penalty=0.5)
    assert llm.model_kwargs == {"frequency_penalty": 0.5}
    llm.invoke("hi", presence_penalty=0.1)
    record = next(iter(emulator.emulator.tasks.values()))
    assert record.request["frequency_penalty"] == 0.5
    assert record.request["presence_penalty"] == 0.1


def test_ls_params_and_identifying_params() -> None:
    llm = ChatFoxAPI(model="claude-sonnet-4-6", max_tokens=64, temperature=0.3, stop="END")
    params = llm._get_ls_params(model="claude-opus-4-6")
    assert params == {
        "ls_provider": "foxapi",
        "ls_model_name": "claude-opus-4-6",
        "ls_model_type": "chat",
        "ls_temperature": 0.3,
        "ls_max_tokens": 64,
        "ls_stop": ["END"],
    }
    assert llm._identifying_params["model_name"] == "claude-sonnet-4-6"
    assert llm._llm_type == "foxapi-chat"


async def test_astream_events(emulator: RunningEmulator) -> None:
    llm = make(emulator, "kimi-k2.6")
    kinds = [event["event"] async for event in llm.astream_events("hi", version="v2")]
    assert kinds[0] == "on_chat_model_start" and kinds[-1] == "on_chat_model_end"
    assert kinds.count("on_chat_model_stream") > 3


def test_claude_bad_max_tokens_is_refused_before_sending(emulator: RunningEmulator) -> None:
    # Without max_tokens claude gets the catalog default (test_partner_conventions.py).
    llm = ChatFoxAPI(
        model="claude-sonnet-4-6", base_url=emulator.base_url, api_key="sk-x", max_tokens=0
    )
    with pytest.raises(FoxAPIRequestValidationError, match="max_tokens"):
        llm.invoke("hi")
    assert emulator.emulator.counters.requests == 0


def test_client_settings_follow_the_fields() -> None:
    llm = ChatFoxAPI(
        model="gpt-5.5",
        api_key="sk-x",
        timeout=5,
        deadline=30,
        max_retries=0,
        poll_initial_delay=0.1,
        poll_max_interval=2,
    )
    config = llm._sync_client().config
    assert (config.timeouts.read, config.timeouts.stream_idle) == (5, 5)
    assert config.timeouts.deadline == 30
    assert config.retry.max_retries == 0
    assert (config.poll.initial_delay, config.poll.max_interval) == (0.1, 2)
    assert llm._sync_client() is llm._sync_client()  # created once, cached on the object
    assert llm._aclient() is llm._aclient()
    assert ChatFoxAPI(model="gpt-5.5")._sync_client() is not llm._sync_client()
