"""Issue 14: profiles from the catalog, the validate switch and its refusals, claude defaults,
tracing metadata, ``llm_output`` and invocation params, as partner packages do on langchain-core
1.8."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage
from langchain_core.outputs import LLMResult

from foxapi_core import DEFAULT_CATALOG, RequestValidationError
from foxapi_core._catalog import CLAUDE_DEFAULT_MAX_TOKENS
from foxapi_core.emulator import RunningEmulator
from langchain_foxapi import ChatFoxAPI


def make(emulator: RunningEmulator, model: str, **kw: Any) -> ChatFoxAPI:
    return ChatFoxAPI(model=model, base_url=emulator.base_url, api_key=emulator.api_key, **kw)


# ---- 1. profiles -----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", list(DEFAULT_CATALOG), ids=lambda s: s.name)
def test_profile_agrees_with_the_catalog(spec: Any) -> None:
    profile = ChatFoxAPI(model=spec.name).profile
    assert profile is not None
    assert profile["max_input_tokens"] == spec.context_window
    assert profile["max_output_tokens"] == spec.max_output_tokens
    assert profile["reasoning_output"] == spec.thinking
    assert profile["tool_calling"] == (spec.supports_tools and spec.takes_messages)
    if spec.takes_messages:
        assert profile["image_inputs"] == ("image_url" in spec.content_types)
        assert profile["audio_inputs"] == ("audio_url" in spec.content_types)
        assert profile["video_inputs"] == ("video_url" in spec.content_types)
        assert profile["pdf_inputs"] == ("file_url" in spec.content_types)
    from langchain_core.language_models.model_profile import ModelProfile

    assert set(profile) <= set(ModelProfile.__annotations__)


def test_profile_given_by_the_user_wins_and_unknown_models_have_none() -> None:
    assert ChatFoxAPI(model="gpt-5.5", profile={"max_input_tokens": 10}).profile == {
        "max_input_tokens": 10
    }
    assert ChatFoxAPI(model="not-a-model").profile is None


def test_summarization_middleware_fraction_trigger_works() -> None:
    middleware = pytest.importorskip("langchain.agents.middleware")
    # Raises ValueError when the model has no profile with max_input_tokens.
    middleware.SummarizationMiddleware(model=ChatFoxAPI(model="gpt-5.5"), trigger=("fraction", 0.8))


# ---- 3. the validate switch and its refusals ---------------------------------------------------


def test_unknown_model_refusal_names_chatfoxapis_switch(emulator: RunningEmulator) -> None:
    llm = make(emulator, "Kimi-K2.6")
    with pytest.raises(RequestValidationError) as info:
        llm.invoke("hi")
    text = str(info.value)
    assert "Did you mean kimi-k2.6?" in text
    assert "set validate=False on ChatFoxAPI" in text
    assert "FoxAPIClient" not in text and "list_models" not in text
    assert emulator.emulator.counters.submit_attempts == 0


def test_validate_false_is_a_field_and_skips_client_checks(emulator: RunningEmulator) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not moved into model_kwargs with a warning
        llm = make(emulator, "gpt-9", validate=False)
    assert llm.validate_requests is False and llm.model_kwargs == {}
    with pytest.raises(Exception) as info:  # the server (emulator) refuses it now
        llm.invoke("hi")
    assert not isinstance(info.value, RequestValidationError)
    assert emulator.emulator.counters.submit_attempts == 1


# ---- 5. claude defaults ------------------------------------------------------------------------


def test_claude_works_with_default_settings(emulator: RunningEmulator) -> None:
    llm = make(emulator, "claude-sonnet-4-6")
    assert llm.invoke("hi").content
    call = llm._prepare([HumanMessage("hi")], None, {}, DEFAULT_CATALOG)
    assert call.body["max_tokens"] == CLAUDE_DEFAULT_MAX_TOKENS


# ---- 7. tracing ------------------------------------------------------------------------------


def test_integration_version_is_in_the_run_metadata() -> None:
    from foxapi_core import __version__

    llm = ChatFoxAPI(model="gpt-5.5")
    if not hasattr(llm, "_add_version"):
        pytest.skip("langchain-core < 1.8 has no lc_versions metadata")
    assert llm.metadata is not None
    assert llm.metadata["lc_versions"]["foxapi-integrations"] == __version__
    assert "langchain-core" in llm.metadata["lc_versions"]  # the parent's entry is kept


class _Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.results: list[LLMResult] = []
        self.params: list[dict[str, Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.params.append(kwargs.get("invocation_params") or {})

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.results.append(response)


def test_llm_output_and_invocation_params(emulator: RunningEmulator) -> None:
    recorder = _Recorder()
    llm = make(emulator, "gpt-5.5")
    message = llm.invoke("hi", config={"callbacks": [recorder]})
    assert recorder.params[0]["model"] == "gpt-5.5"
    output = recorder.results[0].llm_output
    assert output is not None
    assert output["model_name"] == "gpt-5.5"
    assert message.usage_metadata is not None
    assert output["token_usage"]["total_tokens"] == message.usage_metadata["total_tokens"]


def test_llm_output_sums_a_batch(emulator: RunningEmulator) -> None:
    llm = make(emulator, "gpt-5.5")
    result = llm.generate([[HumanMessage("hi")], [HumanMessage("hello there")]])
    assert result.llm_output is not None
    totals = [g[0].message.usage_metadata["total_tokens"] for g in result.generations]  # type: ignore[attr-defined]
    assert result.llm_output["token_usage"]["total_tokens"] == sum(totals)


# ---- 2. kimi-k2.6 and a tool-call history it did not produce ------------------------------------


def _foreign_history() -> list[Any]:
    from langchain_core.messages import AIMessage, ToolMessage
    from langchain_core.messages.tool import tool_call

    return [
        HumanMessage("Weather in Paris?"),
        AIMessage("", tool_calls=[tool_call(name="get_weather", args={"city": "Paris"}, id="c1")]),
        ToolMessage("sunny", tool_call_id="c1"),
    ]


def test_kimi_takes_a_foreign_tool_history_by_default(emulator: RunningEmulator) -> None:
    assert emulator.emulator.config.thinking_tool_call_rule  # the server enforces the rule
    assert make(emulator, "kimi-k2.6").invoke(_foreign_history()).content


def test_kimi_refuse_policy_raises_before_sending(emulator: RunningEmulator) -> None:
    llm = make(emulator, "kimi-k2.6", foreign_tool_calls="refuse")
    with pytest.raises(RequestValidationError, match="reasoning_content") as info:
        llm.invoke(_foreign_history())
    assert info.value.field == "messages[1].reasoning_content"
    assert emulator.emulator.counters.submit_attempts == 0


# ---- 8. reviving serialized objects; init_chat_model's effect ----------------------------------


# ``loads`` is langchain-core's (beta) way to revive serialized objects; used on purpose.
@pytest.mark.filterwarnings(
    "ignore:The function `loads` is in beta:langchain_core._api.LangChainBetaWarning"
)
def test_loads_arguments_documented_in_docs_langchain_md(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_core.load import dumps, loads
    from langchain_core.prompts import (
        ChatPromptTemplate,
        HumanMessagePromptTemplate,
        PromptTemplate,
    )
    from langchain_core.runnables import RunnableSequence

    monkeypatch.setenv("FOXAPI_API_KEY", "sk-from-env")
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | ChatFoxAPI(model="gpt-5.5")
    revived = loads(
        dumps(chain),
        valid_namespaces=["langchain_foxapi"],
        allowed_objects=[
            ChatFoxAPI,
            ChatPromptTemplate,
            HumanMessagePromptTemplate,
            PromptTemplate,
            RunnableSequence,
        ],
        secrets_from_env=True,
    )
    assert isinstance(revived.last, ChatFoxAPI) and revived.last.model_name == "gpt-5.5"
    assert revived.last.api_key is not None
    assert revived.last.api_key.get_secret_value() == "sk-from-env"


def test_revive_passes_the_arguments_and_never_prints_the_key() -> None:
    from langchain_core.load import dumps
    from langchain_core.prompts import ChatPromptTemplate

    from langchain_foxapi import revive

    canary = "sk-canary-revive-0123456789"
    original = ChatFoxAPI(model="gpt-5.5", api_key="sk-original")
    llm = revive(dumps(original), secrets_map={"FOXAPI_API_KEY": canary})
    assert isinstance(llm, ChatFoxAPI) and llm.api_key is not None
    assert llm.api_key.get_secret_value() == canary
    chain = ChatPromptTemplate.from_messages([("human", "{q}")]) | original
    with pytest.raises(ValueError) as info:  # the prompt classes were not allowed
        revive(dumps(chain), secrets_map={"FOXAPI_API_KEY": canary})
    assert canary not in str(info.value)


def test_revive_redacts_langchain_cores_message_with_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # langchain-core prints the kwargs (key substituted) when the namespace is refused; revive
    # sets the namespace, so force that path to check the redaction itself.
    import langchain_core.load as lc_load
    from langchain_core.load import dumps

    from langchain_foxapi import revive

    canary = "sk-canary-redact-0123456789"

    def leaky(data: Any, **kwargs: Any) -> Any:
        raise ValueError(
            f"Invalid namespace: {{'api_key': '{kwargs['secrets_map']['FOXAPI_API_KEY']}'}}"
        )

    monkeypatch.setattr(lc_load, "load", leaky)
    with pytest.raises(ValueError) as info:
        revive(dumps(ChatFoxAPI(model="gpt-5.5")), secrets_map={"FOXAPI_API_KEY": canary})
    assert canary not in str(info.value) and "**********" in str(info.value)


def test_configurable_model_gives_init_chat_models_effect(emulator: RunningEmulator) -> None:
    from langchain_core.runnables import ConfigurableField

    llm = make(emulator, "gpt-5.5").configurable_fields(
        model_name=ConfigurableField(id="model", name="Model")
    )
    message = llm.invoke("hi", config={"configurable": {"model": "kimi-k2.6"}})
    assert message.response_metadata["model_name"] == "kimi-k2.6"
    assert "reasoning_content" in message.additional_kwargs


# ---- 4. standard video blocks and file blocks by URL ------------------------------------------

_VIDEO = {"type": "video", "url": "https://example.com/clip.mp4"}
_PDF_URL = {"type": "file", "url": "https://example.com/report.pdf"}


@pytest.mark.parametrize(
    ("model", "block"),
    [
        ("gemini-3.1-pro-preview", _VIDEO),
        ("gemini-3.1-pro-preview", _PDF_URL),
        ("claude-sonnet-4-6", _PDF_URL),
    ],
)
def test_video_and_url_file_blocks_reach_the_models_that_take_them(
    emulator: RunningEmulator, model: str, block: dict[str, Any]
) -> None:
    message = HumanMessage([{"type": "text", "text": "Describe it."}, block])
    assert make(emulator, model).invoke([message]).content


@pytest.mark.parametrize("block", [_VIDEO, _PDF_URL])
def test_video_and_url_file_blocks_refused_before_sending_elsewhere(
    emulator: RunningEmulator, block: dict[str, Any]
) -> None:
    message = HumanMessage([{"type": "text", "text": "Describe it."}, block])
    with pytest.raises(RequestValidationError) as info:
        make(emulator, "gpt-5.5").invoke([message])
    assert "gemini-3.1-pro-preview" in str(info.value)  # names a model that takes it
    assert emulator.emulator.counters.submit_attempts == 0
