"""``transport="sync"`` for a thinking model: SSE on the POST and no task to read usage from
afterwards, so the client asks for OpenAI's final usage chunk. Usage then reaches the caller on
every transport, through the client and both adapters."""

from __future__ import annotations

import pytest

from foxapi_core import (
    AsyncFoxAPIClient,
    FoxAPIClient,
    MessagesRequest,
    SubmitOutcomeUnknownError,
    TaskFailedError,
)
from foxapi_core.emulator import RunningEmulator

KIMI = MessagesRequest(model="kimi-k2.6", messages=[{"role": "user", "content": "Is 17 prime?"}])


def _submitted_body(emu: RunningEmulator) -> dict[str, object]:
    return list(emu.emulator.tasks.values())[-1].request


@pytest.mark.parametrize("transport", ["stream", "poll", "sync"])
def test_kimi_has_usage_and_reasoning_on_every_transport(
    foxapi_emulator: RunningEmulator, transport: str
) -> None:
    with FoxAPIClient(api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url) as c:
        answer = c.generate(KIMI, transport=transport)  # type: ignore[arg-type]
    assert answer.reasoning and answer.text
    assert answer.usage is not None and answer.usage.total_tokens > 0
    assert answer.usage.reasoning_tokens


async def test_kimi_sync_has_usage_async(foxapi_emulator: RunningEmulator) -> None:
    async with AsyncFoxAPIClient(
        api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url
    ) as client:
        answer = await client.generate(KIMI, transport="sync")
    assert answer.usage is not None and answer.reasoning
    assert _submitted_body(foxapi_emulator)["stream_options"] == {"include_usage": True}


def test_callers_stream_options_are_kept(foxapi_emulator: RunningEmulator) -> None:
    body = {**KIMI.model_dump(exclude_none=True), "stream_options": {"include_usage": False}}
    with FoxAPIClient(api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url) as c:
        answer = c.generate(body, transport="sync")
    assert _submitted_body(foxapi_emulator)["stream_options"] == {"include_usage": False}
    assert answer.usage is None  # asked not to have it


def test_chat_foxapi_sync_kimi_has_usage_metadata(foxapi_emulator: RunningEmulator) -> None:
    from langchain_foxapi import ChatFoxAPI

    llm = ChatFoxAPI(
        model="kimi-k2.6",
        transport="sync",
        api_key=foxapi_emulator.api_key,  # type: ignore[arg-type]
        base_url=foxapi_emulator.base_url,
    )
    message = llm.invoke("Is 17 prime?")
    assert message.usage_metadata is not None and message.usage_metadata["total_tokens"] > 0
    assert message.additional_kwargs["reasoning_content"]


def test_llama_index_sync_kimi_has_usage(foxapi_emulator: RunningEmulator) -> None:
    from llama_index.core.llms import ChatMessage

    from llama_index_foxapi import FoxAPI

    llm = FoxAPI(
        model="kimi-k2.6",
        transport="sync",
        api_key=foxapi_emulator.api_key,
        base_url=foxapi_emulator.base_url,
    )
    response = llm.chat([ChatMessage(role="user", content="Is 17 prime?")])
    assert response.additional_kwargs["total_tokens"] > 0


# --- a failed generation: one error class, with its code, on every transport ------------------


@pytest.mark.parametrize("transport", ["stream", "poll", "sync"])
def test_failed_generation_is_task_failed_with_its_code_on_every_transport(
    foxapi_emulator: RunningEmulator, transport: str
) -> None:
    foxapi_emulator.emulator.faults.fail_task(code="content_filter", message="refused")
    request = MessagesRequest(model="gpt-5.5", messages=[{"role": "user", "content": "hi"}])
    with (
        FoxAPIClient(api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url) as c,
        pytest.raises(TaskFailedError) as info,
    ):
        c.generate(request, transport=transport)  # type: ignore[arg-type]
    assert info.value.code == "content_filter"
    assert "refused" in str(info.value)
    assert foxapi_emulator.emulator.counters.submits == 1  # and nothing was re-sent


async def test_failed_sync_generation_is_task_failed_async(
    foxapi_emulator: RunningEmulator,
) -> None:
    foxapi_emulator.emulator.faults.fail_task(code="content_filter", message="refused")
    request = MessagesRequest(model="gpt-5.5", messages=[{"role": "user", "content": "hi"}])
    async with AsyncFoxAPIClient(
        api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url
    ) as client:
        with pytest.raises(TaskFailedError) as info:
            await client.generate(request, transport="sync")
    assert info.value.code == "content_filter"


def test_a_plain_5xx_on_sync_stays_outcome_unknown(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.faults.fail("submit", 500)
    request = MessagesRequest(model="gpt-5.5", messages=[{"role": "user", "content": "hi"}])
    with (
        FoxAPIClient(api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url) as c,
        pytest.raises(SubmitOutcomeUnknownError),
    ):
        c.generate(request, transport="sync")


@pytest.mark.parametrize("transport", ["stream", "poll", "sync"])
def test_chat_foxapi_failed_generation_is_one_class_on_every_transport(
    foxapi_emulator: RunningEmulator, transport: str
) -> None:
    from langchain_foxapi import ChatFoxAPI, FoxAPITaskFailedError

    foxapi_emulator.emulator.faults.fail_task(code="content_filter", message="refused")
    llm = ChatFoxAPI(
        model="gpt-5.5",
        transport=transport,  # type: ignore[arg-type]
        api_key=foxapi_emulator.api_key,  # type: ignore[arg-type]
        base_url=foxapi_emulator.base_url,
    )
    with pytest.raises(FoxAPITaskFailedError) as info:
        llm.invoke("hi")
    assert info.value.code == "content_filter"
