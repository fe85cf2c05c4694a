"""FoxAPIClient and AsyncFoxAPIClient against the emulator on a real loopback socket."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
import threading
from typing import Any

import httpx
import pytest

from foxapi_core import (
    AsyncFoxAPIClient,
    AudioRequest,
    AuthenticationError,
    ChatCompletion,
    ClientClosedError,
    ConfigurationError,
    FoxAPIClient,
    GenerationRequest,
    MessagesRequest,
    RequestValidationError,
    StreamError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    TextRequest,
    Timeouts,
    VideoRequest,
    VisionRequest,
)
from foxapi_core.emulator import RunningEmulator

TRANSPORTS = ["stream", "poll", "sync"]
PNG = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"

FORMS: dict[str, GenerationRequest] = {
    "text": TextRequest(model="gemini-2.5-pro", prompt="Name three rivers"),
    "messages": MessagesRequest(
        model="gemini-3.1-pro-preview", messages=[{"role": "user", "content": "Name a river"}]
    ),
    "vision": VisionRequest(model="nemotron-3-nano-omni", prompt="Describe", image_urls=[PNG]),
    "audio": AudioRequest(model="gemini-2.5-pro", audio_url="https://example.test/call.mp3"),
    "video": VideoRequest(
        model="gemini-2.5-pro", prompt="Summarise", video_urls=["https://example.test/a.mp4"]
    ),
}
KIMI = MessagesRequest(model="kimi-k2.6", messages=[{"role": "user", "content": "Is 17 prime?"}])


def client_for(emu: RunningEmulator, **kwargs: Any) -> FoxAPIClient:
    return FoxAPIClient(api_key=emu.api_key, base_url=emu.base_url, **kwargs)


def aclient_for(emu: RunningEmulator, **kwargs: Any) -> AsyncFoxAPIClient:
    return AsyncFoxAPIClient(api_key=emu.api_key, base_url=emu.base_url, **kwargs)


def assert_answer(completion: ChatCompletion, model: str) -> None:
    assert completion.model == model
    assert completion.text or completion.message.tool_calls
    assert completion.finish_reason in ("stop", "length", "tool_calls")


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("form", sorted(FORMS))
def test_every_form_and_transport_sync(
    foxapi_emulator: RunningEmulator, form: str, transport: Any
) -> None:
    request = FORMS[form]
    with client_for(foxapi_emulator) as client:
        completion = client.generate(request, transport=transport)
    assert_answer(completion, request.model)
    assert completion.usage is not None and completion.usage.total_tokens > 0
    assert foxapi_emulator.emulator.counters.submits == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("form", sorted(FORMS))
async def test_every_form_and_transport_async(
    foxapi_emulator: RunningEmulator, form: str, transport: Any
) -> None:
    request = FORMS[form]
    async with aclient_for(foxapi_emulator) as client:
        completion = await client.generate(request, transport=transport)
    assert_answer(completion, request.model)
    assert foxapi_emulator.emulator.counters.submits == 1


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_kimi_result_carries_reasoning(foxapi_emulator: RunningEmulator, transport: Any) -> None:
    with client_for(foxapi_emulator) as client:
        completion = client.generate(KIMI, transport=transport)
    assert completion.reasoning
    assert completion.reasoning not in completion.text
    # the task result itself has no reasoning (reference 4.3): it came from the stream
    (task,) = foxapi_emulator.emulator.tasks.values()
    stored = task.completion["choices"][0]["message"]
    assert "reasoning_content" not in stored
    assert stored["content"] == completion.text


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_kimi_result_carries_reasoning_async(
    foxapi_emulator: RunningEmulator, transport: Any
) -> None:
    async with aclient_for(foxapi_emulator) as client:
        completion = await client.generate(KIMI, transport=transport)
    assert completion.reasoning


def test_streamed_chunks_assemble_to_the_generated_answer(foxapi_emulator: RunningEmulator) -> None:
    with client_for(foxapi_emulator) as client:
        stream = client.stream_generate(KIMI)
        events = list(stream)
        generated = client.generate(KIMI)
    assert len(events) >= 3
    content = "".join(e.chunk.delta.content or "" for e in events)
    reasoning = "".join(e.chunk.delta.reasoning_content or "" for e in events)
    assert stream.completion is not None
    assert stream.completion.text == content == generated.text
    assert stream.completion.reasoning == reasoning == generated.reasoning
    assert stream.completion.usage is not None
    assert stream.task_id == events[0].task_id


async def test_async_stream_generate(foxapi_emulator: RunningEmulator) -> None:
    async with aclient_for(foxapi_emulator) as client:
        stream = client.stream_generate(FORMS["messages"])
        texts = [e.chunk.delta.content or "" async for e in stream]
    assert stream.completion is not None
    assert "".join(texts) == stream.completion.text


# --- stream cuts --------------------------------------------------------------------------------


def ten_chunk_request() -> MessagesRequest:
    return MessagesRequest(
        model="gemini-3.1-pro-preview",
        messages=[{"role": "user", "content": "one two three four five six seven eight nine ten"}],
    )


def reference_chunks(emu: RunningEmulator) -> list[str]:
    with client_for(emu) as client:
        return [e.data for e in client.stream_generate(ten_chunk_request())]


@pytest.mark.parametrize("honour_offset", [True, False])
def test_stream_cut_after_chunk_3_yields_all_chunks_once(
    foxapi_emulator: RunningEmulator, honour_offset: bool
) -> None:
    emu = foxapi_emulator.emulator
    emu.config.honour_offset = honour_offset
    emu.config.chunk_size = 1
    reference = reference_chunks(foxapi_emulator)
    assert len(reference) >= 10
    emu.reset()
    emu.faults.cut_stream(after_chunks=3)
    with client_for(foxapi_emulator) as client:
        stream = client.stream_generate(ten_chunk_request())
        events = list(stream)
    # byte-identical chunks except for ids/timestamps that differ per task: compare deltas
    assert [e.index for e in events] == list(range(len(reference)))
    assert [e.chunk.delta.model_dump(exclude_none=True) for e in events] == [
        json.loads(r)["choices"][0]["delta"] for r in reference
    ]
    assert emu.counters.stream_requests == 2
    assert emu.counters.submits == 1
    streams = [r for r in emu.counters.log if r.path.endswith("/stream")]
    assert "offset=3" in streams[1].query


async def test_async_stream_cut_resumes(foxapi_emulator: RunningEmulator) -> None:
    emu = foxapi_emulator.emulator
    emu.config.honour_offset = False
    emu.faults.cut_stream(after_chunks=2)
    async with aclient_for(foxapi_emulator) as client:
        stream = client.stream_generate(ten_chunk_request())
        indexes = [e.index async for e in stream]
    assert indexes == list(range(len(indexes)))
    assert stream.completion is not None
    assert emu.counters.stream_requests == 2


def test_stream_error_event_raises_with_task_id(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.config.chunk_delay = 0.05  # the task still runs at the error
    foxapi_emulator.emulator.faults.stream_error(at=2, message="upstream exploded")
    with client_for(foxapi_emulator) as client, pytest.raises(StreamError) as info:
        list(client.stream_generate(ten_chunk_request()))
    assert "upstream exploded" in str(info.value)
    assert info.value.task_id and info.value.task_id.startswith("task-")
    assert info.value.offset == 2


def test_failed_task_raises_task_failed(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.faults.fail_task(code="content_filter", message="refused")
    with client_for(foxapi_emulator) as client, pytest.raises(TaskFailedError) as info:
        client.generate(FORMS["text"], transport="poll")
    assert info.value.code == "content_filter"
    assert info.value.task_id


def test_dropped_submit_is_not_resent(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.faults.drop_after_submit()
    with client_for(foxapi_emulator) as client, pytest.raises(SubmitOutcomeUnknownError):
        client.generate(FORMS["text"])
    assert foxapi_emulator.emulator.counters.submits == 1


def test_submit_429_is_retried(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.faults.fail("submit", 429, retry_after_ms=10)
    with client_for(foxapi_emulator) as client:
        client.generate(FORMS["text"])
    assert foxapi_emulator.emulator.counters.submit_attempts == 2
    assert foxapi_emulator.emulator.counters.submits == 1


def test_stall_resumes_at_the_offset(foxapi_emulator: RunningEmulator) -> None:
    foxapi_emulator.emulator.faults.stall_stream(after_chunks=1, seconds=5)
    client = client_for(foxapi_emulator, timeouts=Timeouts(stream_idle=0.3))
    with client:
        stream = client.stream_generate(ten_chunk_request())
        events = list(stream)
    assert [e.index for e in events] == list(range(len(events)))
    assert "".join(e.chunk.delta.content or "" for e in events) == stream.completion.text
    queries = [r.query for r in foxapi_emulator.emulator.counters.log if r.path.endswith("stream")]
    assert queries == ["", "offset=1"]


# --- validation before sending ------------------------------------------------------------------

INVALID: dict[str, tuple[dict[str, Any], str]] = {
    "unknown model": (
        {"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]},
        "gpt-5.5",
    ),
    "claude without max_tokens": (
        {"model": "claude-opus-4-7", "messages": [{"role": "user", "content": "hi"}]},
        "max_tokens",
    ),
    "gpt-5.4 max_tokens 8": (
        {"model": "gpt-5.4", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]},
        "16",
    ),
    "audio block to gpt-5.5": (
        {
            "model": "gpt-5.5",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "audio_url", "audio_url": {"url": "https://e.test/a.mp3"}}
                    ],
                }
            ],
        },
        "gemini-3.1-pro-preview",
    ),
    "flac for nemotron": (
        {
            "model": "nemotron-3-nano-omni",
            "audio_url": "data:audio/flac;base64,ZkxhQw==",
        },
        "flac",
    ),
    "two images for nemotron": (
        {"model": "nemotron-3-nano-omni", "prompt": "x", "image_urls": [PNG, PNG]},
        "image",
    ),
    "temperature 3": (
        {"model": "gemini-2.5-pro", "prompt": "x", "temperature": 3},
        "temperature",
    ),
    "prompt too long": (
        {"model": "gemini-2.5-pro", "prompt": "x" * 100_001},
        "100",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID))
def test_invalid_requests_are_refused_before_sending(
    foxapi_emulator: RunningEmulator, case: str
) -> None:
    body, expected = INVALID[case]
    with client_for(foxapi_emulator) as client, pytest.raises(RequestValidationError) as info:
        client.generate(body)
    error = info.value
    assert expected in str(error)
    assert error.field
    assert error.fix
    # Nothing is submitted; an unknown model costs only the free model-list lookup.
    log = foxapi_emulator.emulator.counters.log
    assert [r.path for r in log] == (
        ["/v1/configs/llm_generations_models"] if case == "unknown model" else []
    )


def test_missing_key_fails_at_call_time(
    foxapi_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FOXAPI_API_KEY", raising=False)
    client = FoxAPIClient(base_url=foxapi_emulator.base_url)  # construction needs no key
    with client, pytest.raises(ConfigurationError) as info:
        client.generate(FORMS["text"])
    assert "FOXAPI_API_KEY" in str(info.value)
    assert foxapi_emulator.emulator.counters.requests == 0


def test_wrong_key_is_an_authentication_error(foxapi_emulator: RunningEmulator) -> None:
    canary = "sk-canary-0123456789"
    client = FoxAPIClient(api_key=canary, base_url=foxapi_emulator.base_url)
    with client, pytest.raises(AuthenticationError) as info:
        client.generate(FORMS["text"])
    assert info.value.status == 401
    assert canary not in str(info.value)
    assert canary not in repr(client)
    assert canary not in str(pickle.loads(pickle.dumps(info.value)))


# --- configuration and lifecycle ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://api.foxapi.cc", True),
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://localhost.evil.com", False),
        ("http://api.foxapi.cc", False),
        ("ftp://api.foxapi.cc", False),
    ],
)
def test_base_url_scheme_rules(url: str, ok: bool) -> None:
    if ok:
        FoxAPIClient(api_key="k", base_url=url).close()
    else:
        with pytest.raises(ConfigurationError):
            FoxAPIClient(api_key="k", base_url=url)


def test_insecure_http_can_be_allowed_explicitly() -> None:
    FoxAPIClient(api_key="k", base_url="http://gateway.internal", allow_insecure_http=True).close()


def test_environment_supplies_key_and_base_url(foxapi_env: RunningEmulator) -> None:
    with FoxAPIClient() as client:
        assert client.generate(FORMS["text"], transport="sync").text


def test_closed_client_sends_nothing(foxapi_emulator: RunningEmulator) -> None:
    client = client_for(foxapi_emulator)
    client.close()
    client.close()  # idempotent
    with pytest.raises(ClientClosedError):
        client.generate(FORMS["text"])
    assert foxapi_emulator.emulator.counters.requests == 0


async def test_async_closed_client_sends_nothing(foxapi_emulator: RunningEmulator) -> None:
    client = aclient_for(foxapi_emulator)
    await client.aclose()
    await client.aclose()
    with pytest.raises(ClientClosedError):
        await client.generate(FORMS["text"])
    assert foxapi_emulator.emulator.counters.requests == 0


def test_one_async_client_across_event_loops_and_threads(
    foxapi_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    client = aclient_for(foxapi_emulator)
    caplog.set_level(logging.DEBUG)

    async def one() -> str:
        return (await client.generate(FORMS["text"], transport="sync")).text

    for _ in range(10):
        assert asyncio.run(one())
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            asyncio.run(one())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert "Event loop is closed" not in caplog.text
    assert foxapi_emulator.emulator.counters.submits == 18


def test_get_task_and_wait_resume_a_task(foxapi_emulator: RunningEmulator) -> None:
    with client_for(foxapi_emulator) as client:
        task = client.submit(FORMS["text"])
        assert task.status == "pending"
        done = client.wait(task.id)
        assert done.status == "completed"
        assert done.results and done.results[0].text
        again = client.get_task(task.id)
        assert again.results == done.results


def test_list_models_refreshes_the_catalog(foxapi_emulator: RunningEmulator) -> None:
    with client_for(foxapi_emulator) as client:
        catalog = client.list_models()
    assert "gpt-5.5" in catalog
    assert client.catalog is catalog


def test_http_client_can_be_supplied(foxapi_emulator: RunningEmulator) -> None:
    http = httpx.Client()
    with FoxAPIClient(
        api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url, http_client=http
    ) as client:
        assert client.generate(FORMS["text"]).text
    assert not http.is_closed  # ours to close, not the client's
    http.close()


def test_reasoning_marked_incomplete_when_the_stream_expired(
    foxapi_emulator: RunningEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu = foxapi_emulator.emulator
    with client_for(foxapi_emulator) as client:
        complete = client.generate(KIMI, transport="poll")
        assert complete.reasoning_complete is True
        emu.config.stream_ttl = 0.0  # the finished task's stream is gone at once
        partial = client.generate(KIMI, transport="poll")
        plain = client.generate(FORMS["messages"])
    assert partial.text == complete.text
    assert partial.reasoning_complete is False
    assert "could not be read completely" in caplog.text
    assert plain.reasoning_complete is None


def test_sequential_calls_reuse_one_connection(
    foxapi_emulator: RunningEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpcore._backends.sync as sync_backend

    connects = 0
    original = sync_backend.SyncBackend.connect_tcp

    def counting(self: Any, *args: Any, **kwargs: Any) -> Any:
        nonlocal connects
        connects += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(sync_backend.SyncBackend, "connect_tcp", counting)
    with client_for(foxapi_emulator) as client:
        for transport in ["stream", "poll", "sync"] * 5:
            client.generate(FORMS["messages"], transport=transport)  # type: ignore[arg-type]
        list(client.stream_generate(KIMI))
    assert connects == 1


# ---- live catalog (issue 14.3, protocol doc 10) ---------------------------------------------


def _serve_extra_model(emu: RunningEmulator, name: str) -> None:
    import dataclasses

    from foxapi_core import DEFAULT_CATALOG, Catalog

    extra = dataclasses.replace(DEFAULT_CATALOG["gpt-5.5"], name=name)
    emu.emulator.config.catalog = Catalog([*DEFAULT_CATALOG, extra])


def test_a_model_only_the_service_lists_is_looked_up_once_and_used(
    foxapi_emulator: RunningEmulator,
) -> None:
    _serve_extra_model(foxapi_emulator, "gpt-6")
    body = {"model": "gpt-6", "messages": [{"role": "user", "content": "Hi"}]}
    try:
        with client_for(foxapi_emulator) as client:
            assert client.generate(body).text
            assert client.generate(body).text
        lookups = [r for r in foxapi_emulator.emulator.counters.log if "configs" in r.path]
        assert len(lookups) == 1  # cached per client
    finally:
        foxapi_emulator.emulator.config.catalog = None


def test_a_model_the_service_does_not_list_is_refused_before_submitting(
    foxapi_emulator: RunningEmulator,
) -> None:
    body = {"model": "Kimi-K2.6", "messages": [{"role": "user", "content": "Hi"}]}
    with client_for(foxapi_emulator) as client, pytest.raises(RequestValidationError) as info:
        client.generate(body)
    assert "Did you mean kimi-k2.6?" in str(info.value)
    assert "validate=False" in str(info.value)
    assert foxapi_emulator.emulator.counters.submit_attempts == 0


async def test_async_client_looks_the_model_up_too(foxapi_emulator: RunningEmulator) -> None:
    _serve_extra_model(foxapi_emulator, "gpt-6")
    try:
        async with aclient_for(foxapi_emulator) as client:
            answer = await client.generate(
                {"model": "gpt-6", "messages": [{"role": "user", "content": "Hi"}]}
            )
        assert answer.text
    finally:
        foxapi_emulator.emulator.config.catalog = None
