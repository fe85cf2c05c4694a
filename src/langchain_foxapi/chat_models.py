"""``ChatFoxAPI``: a LangChain chat model over FoxAPI's LLM task protocol.

The class only translates. LangChain messages become OpenAI chat dicts (``_convert``), the core's
``build_body`` routes them to the right request form for the model, and ``FoxAPIClient`` /
``AsyncFoxAPIClient`` submit, stream, resume and poll. Answers come back as ``AIMessage`` /
``AIMessageChunk`` objects (``_convert``, ``_stream``); FoxAPI errors become LangChain errors at
one boundary (``_errors.translate_errors``).
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LangSmithParams, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils import from_env, secret_from_env
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_core.utils.utils import _build_model_kwargs
from pydantic import ConfigDict, Field, PlainValidator, PrivateAttr, SecretStr, model_validator
from pydantic_core import PydanticCustomError
from typing_extensions import Self

from foxapi_core import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_CATALOG,
    Catalog,
    ChatCompletion,
    PollPolicy,
    Surface,
    Task,
    Timeouts,
    Transport,
    __version__,
)
from foxapi_core._routing import ForeignToolCalls, build_body

from ._convert import convert_tool_choice, to_ai_message, to_openai_messages
from ._errors import translate_errors
from ._profile import profile_of
from ._stream import ChunkStream, reasoning_incomplete
from ._structured import StructuredOutputMethod, structured_output_runnable

# httpx (~100 ms to import) and the clients built on it load when the first client is made, not
# with this module. The http_client fields keep their httpx types for type checkers; at run time
# they check the instance type only when one is passed (httpx is then already loaded). Public
# methods' annotations must stay resolvable at run time (RunnableWithFallbacks calls
# get_type_hints on them), so only private ones name the client classes.
if TYPE_CHECKING:
    import httpx

    from foxapi_core import AsyncFoxAPIClient, FoxAPIClient

    _HTTPClient = httpx.Client
    _AsyncHTTPClient = httpx.AsyncClient
else:

    def _instance_of(kind: str) -> PlainValidator:
        def check(value: object) -> object:
            import httpx

            if not isinstance(value, getattr(httpx, kind)):
                raise PydanticCustomError(
                    "is_instance_of", "Input should be an instance of {class}", {"class": kind}
                )
            return value

        return PlainValidator(check)

    _HTTPClient = Annotated[Any, _instance_of("Client")]
    _AsyncHTTPClient = Annotated[Any, _instance_of("AsyncClient")]

__all__ = ["ChatFoxAPI"]

# Per-call options that steer the client rather than go into the request body.
_CALL_OPTIONS = ("transport", "deadline", "stream_usage")
# Keys LangChain passes down that are not request parameters.
_LANGCHAIN_KEYS = ("ls_structured_output_format", "stream")


@dataclass(frozen=True)
class _Call:
    """One prepared call: the wire body and how to run it."""

    model: str
    body: dict[str, Any]
    transport: Transport
    deadline: float | None
    stream_usage: bool
    thinking: bool


DEFAULT_MODEL = "gemini-3.1-pro-preview"
# What a refusal names as the way to skip client-side checks on this surface.
_SURFACE = Surface("set validate=False on ChatFoxAPI")


class ChatFoxAPI(BaseChatModel):
    """FoxAPI chat models (gpt-5.5, claude-*, gemini-*, kimi-k2.6, ...) in LangChain.

    Construction needs no key and no network; the key is read from ``FOXAPI_API_KEY`` (or
    ``api_key=``) when a call is made. ``invoke``/``stream``/``batch`` and their async twins are
    native; async calls never block the event loop. Point ``base_url`` at the emulator
    (``foxapi emulator``) to work offline.

    kimi-k2.6 is a thinking model whose reasoning exists only in the task's stream: it comes back
    in ``additional_kwargs["reasoning_content"]`` and as a reasoning content block, on ``invoke``
    too, and is sent back on later assistant tool-call turns (``send_reasoning_back``).

    Example:
        >>> from langchain_foxapi import ChatFoxAPI
        >>> llm = ChatFoxAPI(model="kimi-k2.6")
        >>> msg = llm.invoke("Why is the sky blue?")
        >>> msg.additional_kwargs["reasoning_content"], msg.content, msg.usage_metadata
        >>> for chunk in llm.stream("Tell me a joke"):
        ...     print(chunk.text, end="")
    """

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True)

    model_name: str = Field(default=DEFAULT_MODEL, alias="model")
    """Model id, e.g. ``"gemini-3.1-pro-preview"`` (the default), ``"claude-sonnet-4-6"``,
    ``"kimi-k2.6"``. The default also lets type checkers accept ``ChatFoxAPI(model=...)``:
    without one, mypy reads this aliased field as a required ``model_name`` argument."""
    api_key: SecretStr | None = Field(default_factory=secret_from_env(API_KEY_ENV, default=None))
    """FoxAPI key; defaults to ``FOXAPI_API_KEY``. Only needed when a call is made."""
    base_url: str | None = Field(default_factory=from_env(BASE_URL_ENV, default=None))
    """Defaults to ``FOXAPI_BASE_URL``, else ``https://api.foxapi.cc``."""
    temperature: float | None = None
    """Sampling temperature (0-2)."""
    max_tokens: int | None = None
    """Most tokens to generate. claude-* models, which require it, get the catalog's default
    (``foxapi_core._catalog.CLAUDE_DEFAULT_MAX_TOKENS``, 8192) when it is left out."""
    top_p: float | None = None
    """Nucleus sampling."""
    stop: list[str] | str | None = None
    """Stop sequences."""
    timeout: float | None = None
    """Seconds to wait for any one read: an HTTP answer, or the next chunk of a stream."""
    deadline: float | None = None
    """Seconds one call may take in all (retries, polls and resumes included)."""
    max_retries: int | None = None
    """Retries of failed requests and broken streams (never of a submit that may have landed)."""
    streaming: bool = False
    """Stream by default, also inside ``invoke`` (callbacks then get every token)."""
    stream_usage: bool = True
    """Put usage on the last streamed chunk."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Extra OpenAI-style parameters passed through to FoxAPI (e.g. ``frequency_penalty``)."""
    reasoning: bool | None = None
    """FoxAPI's ``reasoning`` flag (prompt forms; a pass-through on the messages form)."""
    transport: Transport = "stream"
    """How ``invoke`` waits: ``"stream"`` (resumable, carries reasoning), ``"poll"`` or
    ``"sync"`` (one blocking request). Streaming always reads the task's stream."""
    poll_initial_delay: float | None = None
    """Seconds before the first poll (``transport="poll"``)."""
    poll_max_interval: float | None = None
    """Longest pause between two polls."""
    send_reasoning_back: bool = True
    """Send thinking models' reasoning back on assistant tool-call turns (kimi-k2.6 needs it)."""
    foreign_tool_calls: ForeignToolCalls = "fill"
    """kimi-k2.6 refuses assistant tool-call turns without reasoning (a history it did not
    produce: few-shot examples, a conversation begun on another model). ``"fill"`` sends a short
    placeholder reasoning (``foxapi_core._routing.FOREIGN_REASONING``) for them; ``"refuse"``
    raises before sending. See docs/langchain.md."""
    allow_insecure_http: bool = False
    """Allow ``http://`` to a non-loopback host (the key would travel unencrypted)."""
    validate_requests: bool = Field(default=True, alias="validate")
    """Check each request against the model catalog before sending it (``validate=False``
    skips the checks and lets the server judge). A model missing from the built-in catalog is
    first looked up in the service's live model list (once per client, cached)."""
    http_client: _HTTPClient | None = Field(default=None, exclude=True)
    """An ``httpx.Client`` for sync calls (not closed by this object)."""
    http_async_client: _AsyncHTTPClient | None = Field(default=None, exclude=True)
    """An ``httpx.AsyncClient`` for async calls (used from its own event loop only)."""

    _client: FoxAPIClient | None = PrivateAttr(default=None)
    _async_client: AsyncFoxAPIClient | None = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: Any) -> Any:
        """Move unknown constructor arguments into ``model_kwargs`` (with a warning)."""
        if isinstance(values, dict):
            return _build_model_kwargs(values, cls._all_field_names())
        return values

    @model_validator(mode="after")
    def _set_foxapi_integrations_version(self) -> Self:
        """Record this package's version in the run metadata (langchain-core >= 1.8)."""
        # Unique name: pydantic replaces, not chains, same-named validators of subclasses.
        add_version = getattr(self, "_add_version", None)
        if callable(add_version):
            add_version("foxapi-integrations", __version__)
        return self

    @model_validator(mode="after")
    def _set_foxapi_profile(self) -> Self:
        """Fill ``profile`` from the catalog where langchain-core has the field (>= 1.1)."""
        if "profile" in type(self).model_fields and getattr(self, "profile", None) is None:
            self.profile = self._resolve_model_profile()
        return self

    def _resolve_model_profile(self) -> Any:
        """The model's profile, from the core catalog (the one source of truth)."""
        return profile_of(self.model_name, DEFAULT_CATALOG)

    @classmethod
    def _all_field_names(cls) -> set[str]:
        names: set[str] = set()
        for name, info in cls.model_fields.items():
            names.add(name)
            if info.alias:
                names.add(info.alias)
        return names

    # -- LangChain metadata ---------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "foxapi-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        """The key is serialized as a reference to ``FOXAPI_API_KEY``, never as its value."""
        return {"api_key": API_KEY_ENV}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """``ChatFoxAPI`` can be serialized with ``langchain_core.load.dumps``."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """``["langchain_foxapi", "chat_models"]``."""
        return ["langchain_foxapi", "chat_models"]

    @property
    def _default_params(self) -> dict[str, Any]:
        params = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "top_p": self.top_p,
            "stop": self.stop or None,
            "reasoning": self.reasoning,
            **self.model_kwargs,
        }
        return {name: value for name, value in params.items() if value is not None}

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model_name,
            "model_name": self.model_name,
            "transport": self.transport,
            **self._default_params,
        }

    def _combine_llm_outputs(self, llm_outputs: list[dict[str, Any] | None]) -> dict[str, Any]:
        """Sum token usage over a batch's generations and keep the model name (legacy
        callbacks' ``LLMResult.llm_output``, as langchain-openai does)."""
        usage: dict[str, int] = {}
        model_name = self.model_name
        for output in llm_outputs:
            if not output:
                continue
            for key, value in (output.get("token_usage") or {}).items():
                if isinstance(value, int):
                    usage[key] = usage.get(key, 0) + value
            model_name = output.get("model_name") or model_name
        return {"token_usage": usage, "model_name": model_name}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider="foxapi",
            ls_model_name=str(kwargs.get("model", self.model_name)),
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stops = stop or kwargs.get("stop") or self.stop
        if stops:
            params["ls_stop"] = [stops] if isinstance(stops, str) else list(stops)
        return params

    # -- clients (created lazily, one per object; never shared across objects) --------------

    def _client_settings(self) -> dict[str, Any]:
        timeouts: dict[str, float] = {}
        if self.timeout is not None:
            timeouts.update(read=self.timeout, stream_idle=self.timeout)
        if self.deadline is not None:
            timeouts["deadline"] = self.deadline
        poll: dict[str, float] = {}
        if self.poll_initial_delay is not None:
            poll["initial_delay"] = self.poll_initial_delay
        if self.poll_max_interval is not None:
            poll["max_interval"] = self.poll_max_interval
        return {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeouts": Timeouts(**timeouts),
            "poll": PollPolicy(**poll),
            "max_retries": self.max_retries,
            "allow_insecure_http": self.allow_insecure_http,
            "validate": self.validate_requests,
            "surface": _SURFACE,
        }

    def _sync_client(self) -> FoxAPIClient:
        from foxapi_core import FoxAPIClient

        with self._lock:
            if self._client is None:
                with translate_errors():
                    self._client = FoxAPIClient(
                        http_client=self.http_client, **self._client_settings()
                    )
            return self._client

    def _aclient(self) -> AsyncFoxAPIClient:
        from foxapi_core import AsyncFoxAPIClient

        # One AsyncFoxAPIClient per ChatFoxAPI: it keeps one pool per event loop, so the same
        # object works across asyncio.run() calls and threads (unlike a process-wide client,
        # langchain#35783).
        with self._lock:
            if self._async_client is None:
                with translate_errors():
                    self._async_client = AsyncFoxAPIClient(
                        http_client=self.http_async_client, **self._client_settings()
                    )
            return self._async_client

    def close(self) -> None:
        """Close the sync connection pool (the object creates a new one if used again).

        Example:
            >>> llm = ChatFoxAPI(model="gpt-5.5")
            >>> llm.invoke("Hi")
            >>> llm.close()
        """
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the async connection pools (the object creates new ones if used again).

        Example:
            >>> await llm.ainvoke("Hi")
            >>> await llm.aclose()
        """
        with self._lock:
            client, self._async_client = self._async_client, None
        if client is not None:
            await client.aclose()

    # -- requests ---------------------------------------------------------------------------

    def _prepare(
        self,
        messages: Sequence[BaseMessage],
        stop: list[str] | None,
        kwargs: Mapping[str, Any],
        catalog: Catalog,
    ) -> _Call:
        """The wire body of one call, and its client options."""
        params: dict[str, Any] = dict(self._default_params)
        options: dict[str, Any] = {
            "transport": self.transport,
            "deadline": self.deadline,
            "stream_usage": self.stream_usage,
        }
        for name, value in kwargs.items():  # per-call arguments win over the instance's
            if name in _CALL_OPTIONS:
                options[name] = value
            elif name not in _LANGCHAIN_KEYS:
                params[name] = value
        if stop is not None:
            params["stop"] = stop
        params = {name: value for name, value in params.items() if value is not None}
        if params.get("stop") in ([], ""):
            del params["stop"]
        model = str(params.pop("model", self.model_name))
        spec = catalog.get(model)
        thinking = bool(spec and spec.thinking)
        with translate_errors(model=model):
            wire = to_openai_messages(
                messages, send_reasoning=self.send_reasoning_back and thinking, model=model
            )
            body = build_body(
                model,
                wire,
                params=params,
                catalog=catalog,
                foreign_tool_calls=self.foreign_tool_calls,
            )
        return _Call(
            model=model,
            body=body,
            transport=options["transport"],
            deadline=options["deadline"],
            stream_usage=bool(options["stream_usage"]),
            thinking=thinking,
        )

    def _result(self, call: _Call, completion: ChatCompletion, task_id: str | None) -> ChatResult:
        incomplete = reasoning_incomplete(
            completion, thinking=call.thinking, model=call.model, task_id=task_id
        )
        message = to_ai_message(
            completion, model=call.model, task_id=task_id, reasoning_incomplete=incomplete
        )
        usage = completion.usage
        token_usage = usage.model_dump(exclude_none=True) if usage is not None else {}
        return ChatResult(
            generations=[ChatGeneration(message=message)],
            llm_output={"token_usage": token_usage, "model_name": call.model},
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        client = self._sync_client()
        call = self._prepare(messages, stop, kwargs, client.catalog)
        task_ids: list[str] = []
        with translate_errors(model=call.model):
            if call.transport == "stream":
                # stream_generate rather than generate: same flow, and it tells the task id.
                with client.stream_generate(call.body, deadline=call.deadline) as stream:
                    for _ in stream:
                        pass
                completion, task_id = stream.completion, stream.task_id
            else:
                completion = client.generate(
                    call.body,
                    transport=call.transport,
                    deadline=call.deadline,
                    on_progress=_recorder(task_ids),
                )
                task_id = task_ids[-1] if task_ids else None
        assert completion is not None  # a finished stream always has its completion
        return self._result(call, completion, task_id)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        client = self._aclient()
        call = self._prepare(messages, stop, kwargs, client.catalog)
        task_ids: list[str] = []
        with translate_errors(model=call.model):
            if call.transport == "stream":
                async with client.stream_generate(call.body, deadline=call.deadline) as stream:
                    async for _ in stream:
                        pass
                completion, task_id = stream.completion, stream.task_id
            else:
                completion = await client.generate(
                    call.body,
                    transport=call.transport,
                    deadline=call.deadline,
                    on_progress=_recorder(task_ids),
                )
                task_id = task_ids[-1] if task_ids else None
        assert completion is not None
        return self._result(call, completion, task_id)

    def _chunk_stream(self, call: _Call) -> ChunkStream:
        """The accumulator shared by the sync and async streams of one call."""
        return ChunkStream(
            model=call.model,
            thinking=call.thinking,
            stream_usage=call.stream_usage,
            v1=self.output_version == "v1",
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        client = self._sync_client()
        call = self._prepare(messages, stop, kwargs, client.catalog)
        acc = self._chunk_stream(call)
        with (
            translate_errors(model=call.model),
            client.stream_generate(call.body, deadline=call.deadline) as stream,
        ):
            for event in stream:
                chunk = acc.on_event(event)
                if chunk is not None:
                    if run_manager is not None:
                        run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                    yield chunk
        last = acc.finish(stream.completion, task_id=stream.task_id)
        if run_manager is not None:
            run_manager.on_llm_new_token(last.text, chunk=last)
        yield last

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        client = self._aclient()
        call = self._prepare(messages, stop, kwargs, client.catalog)
        acc = self._chunk_stream(call)
        with translate_errors(model=call.model):
            async with client.stream_generate(call.body, deadline=call.deadline) as stream:
                async for event in stream:
                    chunk = acc.on_event(event)
                    if chunk is not None:
                        if run_manager is not None:
                            await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                        yield chunk
        last = acc.finish(stream.completion, task_id=stream.task_id)
        if run_manager is not None:
            await run_manager.on_llm_new_token(last.text, chunk=last)
        yield last

    # -- tools and structured output --------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (OpenAI function tools; FoxAPI passes them through on the messages form).

        Args:
            tools: LangChain tools, functions, Pydantic models, TypedDicts or OpenAI tool dicts.
            tool_choice: ``"auto"``, ``"none"``, ``"any"``/``"required"``/``True`` (must call a
                tool) or a tool name (must call that tool).
            strict: Ask for schema-exact arguments (OpenAI ``strict``).
            parallel_tool_calls: Allow several calls in one turn.
            **kwargs: More parameters bound to every call.

        Example:
            >>> def get_weather(city: str) -> str:
            ...     '''Weather of a city.'''
            ...     return "sunny"
            >>> msg = ChatFoxAPI(model="kimi-k2.6").bind_tools([get_weather]).invoke("Paris?")
            >>> msg.tool_calls
        """
        formatted = [convert_to_openai_tool(tool, strict=strict) for tool in tools]
        names = [t["function"]["name"] for t in formatted if isinstance(t.get("function"), dict)]
        choice = convert_tool_choice(tool_choice, names)
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredOutputMethod = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """A runnable that answers with an instance of ``schema``.

        Args:
            schema: A Pydantic class, TypedDict, JSON schema or OpenAI function dict (optional
                with ``method="json_mode"``).
            method: ``"function_calling"`` (a forced tool call), ``"json_schema"`` (OpenAI
                ``response_format`` with the schema) or ``"json_mode"`` (any JSON object; say
                in the prompt which keys you want).
            include_raw: Return ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``.
            strict: Ask for schema-exact output.

        Example:
            >>> class Joke(BaseModel):
            ...     setup: str
            ...     punchline: str
            >>> ChatFoxAPI(model="gpt-5.5").with_structured_output(Joke).invoke("A cat joke")
        """
        if kwargs:
            raise ValueError(f"Unexpected arguments: {', '.join(sorted(kwargs))}")
        return structured_output_runnable(
            self, schema, method=method, include_raw=include_raw, strict=strict
        )


def _recorder(task_ids: list[str]) -> Callable[[Task], None]:
    """An ``on_progress`` callback that keeps the polled task's id."""

    def record(task: Task) -> None:
        task_ids.append(task.id)

    return record
