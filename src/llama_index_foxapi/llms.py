"""``FoxAPI``: a LlamaIndex ``FunctionCallingLLM`` over FoxAPI's LLM task protocol.

The class only translates: LlamaIndex messages become OpenAI chat dicts (``_convert``), the core's
``build_body`` turns them into a wire body, and ``FoxAPIClient`` / ``AsyncFoxAPIClient`` submit,
stream, resume and poll. Answers come back as ``ChatResponse`` objects in the shape
llama-index-llms-openai uses, with kimi-k2.6's reasoning kept as a ``ThinkingBlock``.
"""

from __future__ import annotations

import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    ToolCallBlock,
)
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from pydantic import Field, PrivateAttr, SecretStr

from foxapi_core import (
    API_KEY_ENV,
    BASE_URL_ENV,
    DEFAULT_CATALOG,
    ChatCompletion,
    ModelSpec,
    PollPolicy,
    RequestValidationError,
    Task,
    Timeouts,
    Transport,
)
from foxapi_core._routing import build_body

from ._convert import (
    ReasoningHistory,
    message_from_completion,
    to_openai_messages,
    tool_selections,
    usage_kwargs,
)
from ._stream import StreamAccumulator, to_completion_response

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

    # Imported where a client is made: they load httpx (~100 ms), not needed at import.
    from foxapi_core import AsyncFoxAPIClient, FoxAPIClient

__all__ = ["FoxAPI", "FoxAPIReasoningWarning"]

DEFAULT_MODEL = "gemini-3.1-pro-preview"
# Adapter options a caller may pass per call; they steer the client and never reach the wire.
_CALL_OPTIONS = ("transport", "deadline")
# Block types and prompt-form fields -> the LlamaIndex block behind them, to name it in refusals.
_BLOCK_NAMES = {
    "audio": "AudioBlock",
    "audio_url": "AudioBlock",
    "image": "ImageBlock",
    "image_url": "ImageBlock",
    "image_urls": "ImageBlock",
    "video": "VideoBlock",
    "video_url": "VideoBlock",
    "video_urls": "VideoBlock",
    "file": "DocumentBlock",
    "file_url": "DocumentBlock",
}
_BLOCK_PATH = re.compile(r"messages\[(\d+)\]\.content\[(\d+)\]")


def _block_names(exc: RequestValidationError, body: Mapping[str, Any]) -> list[str]:
    """The LlamaIndex blocks the violations of ``exc`` point at, in order, without repeats."""
    names: list[str] = []
    for field in [getattr(v, "field", None) for v in exc.violations] or [exc.field]:
        if not isinstance(field, str):
            continue
        kind: Any = field.split(".")[0].split("[")[0]
        match = _BLOCK_PATH.match(field)
        if match:
            try:
                message = body["messages"][int(match.group(1))]
                kind = message["content"][int(match.group(2))].get("type")
            except (KeyError, IndexError, TypeError, AttributeError):
                continue
        name = _BLOCK_NAMES.get(kind)
        if name and name not in names:
            names.append(name)
    return names


class FoxAPIReasoningWarning(UserWarning):
    """The answer came, but the thinking model's reasoning could not be read (completely)."""


class _Clients:
    """The lazily created clients of one ``FoxAPI`` object, one pair per client setting.

    Copies and pickles start empty (a copy never shares, and never closes, another object's
    connections). The async client keeps one pool per event loop, so one ``FoxAPI`` serves any
    number of ``asyncio.run()`` calls and threads (llama_index#20433).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sync: dict[tuple[Any, ...], FoxAPIClient] = {}
        self._async: dict[tuple[Any, ...], AsyncFoxAPIClient] = {}

    def sync(self, key: tuple[Any, ...], settings: dict[str, Any]) -> FoxAPIClient:
        with self._lock:
            client = self._sync.get(key)
            if client is None:
                from foxapi_core import FoxAPIClient

                client = self._sync[key] = FoxAPIClient(**settings)
            return client

    def async_(self, key: tuple[Any, ...], settings: dict[str, Any]) -> AsyncFoxAPIClient:
        with self._lock:
            client = self._async.get(key)
            if client is None:
                from foxapi_core import AsyncFoxAPIClient

                client = self._async[key] = AsyncFoxAPIClient(**settings)
            return client

    def __repr__(self) -> str:
        return "_Clients()"

    def __copy__(self) -> _Clients:
        return _Clients()

    def __deepcopy__(self, memo: dict[int, Any]) -> _Clients:
        return _Clients()

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Clients, ())


def _key_from_env() -> SecretStr | None:
    value = os.environ.get(API_KEY_ENV)
    return SecretStr(value) if value else None


class FoxAPI(FunctionCallingLLM):
    """FoxAPI models (gemini-3.1-pro-preview, claude-*, kimi-k2.6, gpt-5.x, ...) for LlamaIndex.

    Every method is native (the async ones on the async client); streams resume after cuts;
    kimi-k2.6's reasoning comes back as a ``ThinkingBlock`` from ``chat`` too, and is sent back on
    tool-call turns so agent loops work. Construction needs no network and no key.

    Args:
        model: The FoxAPI model id.
        api_key: Defaults to ``FOXAPI_API_KEY``; never shown in ``repr``, ``to_dict`` or events.
        base_url: Defaults to ``FOXAPI_BASE_URL``, else ``https://api.foxapi.cc``.
        temperature, max_tokens: Sampling settings (claude-* models require ``max_tokens``).
        timeout: Seconds to wait for one HTTP answer (submit, poll).
        max_retries: Retries of a failed request (a submit is re-sent only when no task exists).
        reasoning: Ask for reasoning (``reasoning`` on the wire); ``None`` sends nothing.
        transport: How ``chat``/``complete`` wait: ``"stream"`` (default; resumable, carries
            reasoning), ``"poll"`` or ``"sync"``.
        deadline: Overall seconds for one generation, retries and polls included.
        stream_idle_timeout: Silence allowed inside a stream before it counts as stalled.
        poll_initial_delay, poll_max_interval: The polling schedule (``transport="poll"``).
        reasoning_history: Which assistant turns send their ``ThinkingBlock`` back as
            ``reasoning_content`` (``"tool_calls"``: thinking models' tool-call turns).
        additional_kwargs: Extra OpenAI parameters for every call; per-call kwargs win.

    Example:
        >>> from llama_index.core.llms import ChatMessage
        >>> llm = FoxAPI(model="kimi-k2.6")
        >>> response = llm.chat([ChatMessage(role="user", content="Why is the sky blue?")])
        >>> response.message.blocks[0].content  # the reasoning (ThinkingBlock)
        >>> response.message.content  # the answer
    """

    model: str = Field(default=DEFAULT_MODEL, description="The FoxAPI model id.")
    api_key: SecretStr | None = Field(
        default_factory=_key_from_env,
        exclude=True,
        repr=False,
        description=f"The API key; defaults to {API_KEY_ENV}.",
    )
    base_url: str | None = Field(
        default_factory=lambda: os.environ.get(BASE_URL_ENV) or None,
        description=f"The API base URL; defaults to {BASE_URL_ENV}, else https://api.foxapi.cc.",
    )
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1)
    timeout: float = Field(default=60.0, gt=0, description="Seconds per HTTP answer.")
    max_retries: int = Field(default=2, ge=0)
    reasoning: bool | None = Field(default=None, description="Send the reasoning flag.")
    transport: Transport = Field(default="stream", description="How chat/complete wait.")
    deadline: float = Field(default=900.0, gt=0, description="Overall seconds per generation.")
    stream_idle_timeout: float = Field(default=120.0, gt=0)
    poll_initial_delay: float = Field(default=0.5, ge=0)
    poll_max_interval: float = Field(default=10.0, gt=0)
    reasoning_history: ReasoningHistory = Field(default="tool_calls")
    validate_requests: bool = Field(
        default=True, description="Check requests against the model catalog before sending."
    )
    allow_insecure_http: bool = Field(default=False)
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Extra OpenAI parameters; per-call kwargs win."
    )

    _clients: _Clients = PrivateAttr(default_factory=_Clients)

    @classmethod
    def class_name(cls) -> str:
        """The serialization name."""
        return "FoxAPI_llm"

    # -- configuration -----------------------------------------------------------------------

    @property
    def _spec(self) -> ModelSpec | None:
        return DEFAULT_CATALOG.get(self.model)

    @property
    def metadata(self) -> LLMMetadata:
        """Context window, output limit and tool support of ``model``, from the catalog."""
        spec = self._spec
        return LLMMetadata(
            context_window=spec.context_window if spec else DEFAULT_CONTEXT_WINDOW,
            num_output=self.max_tokens or (spec.max_output_tokens if spec else DEFAULT_NUM_OUTPUTS),
            is_chat_model=True,
            is_function_calling_model=bool(spec and spec.supports_tools),
            model_name=self.model,
        )

    def to_payload(self) -> dict[str, Any]:
        """What instrumentation events show of this LLM: metadata, never the key."""
        return {**super().to_payload(), "base_url": self.base_url, "transport": self.transport}

    def _client_settings(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        settings: dict[str, Any] = {
            "api_key": self.api_key,
            "base_url": self.base_url,
            "timeouts": Timeouts(
                read=self.timeout, stream_idle=self.stream_idle_timeout, deadline=self.deadline
            ),
            "poll": PollPolicy(
                initial_delay=self.poll_initial_delay, max_interval=self.poll_max_interval
            ),
            "max_retries": self.max_retries,
            "validate": self.validate_requests,
            "allow_insecure_http": self.allow_insecure_http,
        }
        secret = self.api_key.get_secret_value() if self.api_key else None
        key = (secret, *(repr(v) for k, v in settings.items() if k != "api_key"))
        return key, settings

    def _client(self) -> FoxAPIClient:
        return self._clients.sync(*self._client_settings())

    def _aclient(self) -> AsyncFoxAPIClient:
        return self._clients.async_(*self._client_settings())

    # -- requests and responses --------------------------------------------------------------

    def _request(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The wire body and the client options (``transport``, ``deadline``) of one call."""
        options = {"transport": self.transport, "deadline": self.deadline}
        params: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "reasoning": self.reasoning,
            **self.additional_kwargs,
        }
        for name, value in kwargs.items():  # per-call kwargs win (llama_index bar 2.6)
            if name in _CALL_OPTIONS:
                options[name] = value
            else:
                params[name] = value
        params = {name: value for name, value in params.items() if value is not None}
        model = str(params.pop("model", self.model))
        spec = DEFAULT_CATALOG.get(model)
        wire_messages = to_openai_messages(
            messages,
            reasoning=self.reasoning_history,
            thinking_model=bool(spec and spec.thinking),
        )
        with self._boundary({"model": model, "messages": wire_messages}):
            body = build_body(model, wire_messages, params=params)
        return body, options

    @contextmanager
    def _boundary(self, body: Mapping[str, Any]) -> Iterator[None]:
        """Name the LlamaIndex block a refusal is about (``AudioBlock``, not only ``audio_url``).

        ``body`` is the wire body, or ``{"model", "messages"}`` before ``build_body`` ran: both
        keep message and block positions, which the violations' ``field`` paths point at.
        """
        try:
            yield
        except RequestValidationError as exc:
            names = _block_names(exc, body)
            if not names:
                raise
            rebuilt = exc.__reduce__()[1]
            model = body.get("model") or exc.model
            message = (
                f"FoxAPI(model={model!r}) cannot send the {' and '.join(names)} of this "
                f"conversation: {exc.message}"
            )
            raise type(exc)(message, **rebuilt[2]) from exc

    def _response(
        self, completion: ChatCompletion, model: str, task_id: str | None
    ) -> ChatResponse:
        extra = {**usage_kwargs(completion.usage), **self._reasoning_check(completion, model)}
        if task_id:
            extra["task_id"] = task_id
        return ChatResponse(
            message=message_from_completion(completion), raw=completion, additional_kwargs=extra
        )

    def _reasoning_check(self, completion: ChatCompletion, model: str) -> dict[str, Any]:
        """Say so (and warn) when a thinking model's answer came without its reasoning."""
        spec = DEFAULT_CATALOG.get(model)
        if not (spec and spec.thinking) or completion.reasoning:
            return {}
        warnings.warn(
            f"{model} answered, but its reasoning could not be read (the stream was not "
            "available, so the answer came from polling); the response has no ThinkingBlock.",
            FoxAPIReasoningWarning,
            stacklevel=4,
        )
        return {"reasoning_complete": False}

    def _final_extra(self, completion: ChatCompletion | None, task_id: str | None) -> Any:
        extra: dict[str, Any] = {"task_id": task_id} if task_id else {}
        if completion is not None:
            extra.update(self._reasoning_check(completion, completion.model or self.model))
        return extra

    # -- the shared implementations ----------------------------------------------------------

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        body, options = self._request(messages, kwargs)
        client, task_ids = self._client(), list[str]()
        with self._boundary(body):
            if options["transport"] == "stream":
                # stream_generate rather than generate: the same flow, and it tells the task id.
                with client.stream_generate(body, deadline=options["deadline"]) as stream:
                    for _ in stream:
                        pass
                completion, task_id = stream.completion, stream.task_id
            else:
                completion = client.generate(body, **options, on_progress=_recorder(task_ids))
                task_id = task_ids[-1] if task_ids else None
        assert completion is not None  # a finished stream always has its completion
        return self._response(completion, str(body.get("model")), task_id)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        body, options = self._request(messages, kwargs)
        client, task_ids = self._aclient(), list[str]()
        with self._boundary(body):
            if options["transport"] == "stream":
                stream = client.stream_generate(body, deadline=options["deadline"])
                async with stream:
                    async for _ in stream:
                        pass
                completion, task_id = stream.completion, stream.task_id
            else:
                completion = await client.generate(body, **options, on_progress=_recorder(task_ids))
                task_id = task_ids[-1] if task_ids else None
        assert completion is not None
        return self._response(completion, str(body.get("model")), task_id)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        body, options = self._request(messages, kwargs)  # refusals raise here, not on next()
        client = self._client()

        def gen() -> ChatResponseGen:
            acc = StreamAccumulator()
            with self._boundary(body):
                stream = client.stream_generate(body, deadline=options["deadline"])
                with stream:
                    for event in stream:
                        yield acc.add(event)
                extra = self._final_extra(stream.completion, stream.task_id)
                yield acc.finish(stream.completion, extra)

        return gen()

    def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        body, options = self._request(messages, kwargs)
        client = self._aclient()

        async def gen() -> ChatResponseAsyncGen:
            acc = StreamAccumulator()
            with self._boundary(body):
                stream = client.stream_generate(body, deadline=options["deadline"])
                async with stream:
                    async for event in stream:
                        yield acc.add(event)
                extra = self._final_extra(stream.completion, stream.task_id)
                yield acc.finish(stream.completion, extra)

        return gen()

    @staticmethod
    def _prompt(prompt: str) -> list[ChatMessage]:
        return [ChatMessage(role=MessageRole.USER, content=prompt)]

    # -- the eight public methods ------------------------------------------------------------

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Answer a conversation.

        Example:
            >>> FoxAPI(model="gemini-3.1-pro-preview").chat(
            ...     [ChatMessage(role="user", content="Hi")]
            ... ).message.content
        """
        return self._chat(messages, **kwargs)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        """Stream the answer: cumulative messages, ``delta`` the new text,
        ``additional_kwargs["thinking_delta"]`` the new reasoning; the last one has usage.

        Example:
            >>> for r in llm.stream_chat([ChatMessage(role="user", content="Hi")]):
            ...     print(r.delta, end="")
        """
        return self._stream_chat(messages, **kwargs)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        """Complete a prompt (sent as one user message).

        Example:
            >>> FoxAPI().complete("Say hi").text
        """
        return to_completion_response(self._chat(self._prompt(prompt), **kwargs))

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        """Stream the completion of a prompt.

        Example:
            >>> for r in FoxAPI().stream_complete("Say hi"):
            ...     print(r.delta, end="")
        """
        responses = self._stream_chat(self._prompt(prompt), **kwargs)
        return (to_completion_response(r) for r in responses)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        """Answer a conversation, on the async client.

        Example:
            >>> await llm.achat([ChatMessage(role="user", content="Hi")])
        """
        return await self._achat(messages, **kwargs)

    @llm_chat_callback()
    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        """Stream the answer on the async client (``async for r in await llm.astream_chat(...)``).

        Example:
            >>> async for r in await llm.astream_chat([ChatMessage(role="user", content="Hi")]):
            ...     print(r.delta, end="")
        """
        return self._astream_chat(messages, **kwargs)

    @llm_completion_callback()
    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        """Complete a prompt, on the async client.

        Example:
            >>> (await FoxAPI().acomplete("Say hi")).text
        """
        return to_completion_response(await self._achat(self._prompt(prompt), **kwargs))

    @llm_completion_callback()
    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        """Stream the completion of a prompt, on the async client.

        Example:
            >>> async for r in await FoxAPI().astream_complete("Say hi"):
            ...     print(r.delta, end="")
        """
        responses = self._astream_chat(self._prompt(prompt), **kwargs)
        return _as_completions(responses)

    # -- tools -------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """The ``chat`` arguments that offer ``tools`` (OpenAI tool specs, tool_choice,
        parallel_tool_calls); a tool name as ``tool_choice`` forces that tool."""
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        strict = kwargs.pop("strict", None)
        if strict is not None:
            # OpenAI's place for it, as llama-index-llms-openai does: each tool's function, not
            # the top of the body (where it is an unknown parameter).
            for spec in specs:
                spec["function"]["strict"] = bool(strict)
                if strict:
                    spec["function"]["parameters"]["additionalProperties"] = False
        messages = list(chat_history or [])  # never mutate the caller's history
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        prepared: dict[str, Any] = {"messages": messages, **kwargs}
        if specs:
            if tool_choice is None:
                tool_choice = "required" if tool_required else "auto"
            elif isinstance(tool_choice, str) and tool_choice not in ("none", "auto", "required"):
                tool_choice = {"type": "function", "function": {"name": tool_choice}}
            prepared.update(
                tools=specs, tool_choice=tool_choice, parallel_tool_calls=allow_parallel_tool_calls
            )
        return prepared

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        """Keep only the first tool call unless parallel calls were allowed."""
        if not allow_parallel_tool_calls:
            blocks = response.message.blocks
            calls = [b for b in blocks if isinstance(b, ToolCallBlock)]
            if len(calls) > 1:
                response.message.blocks = [
                    b for b in blocks if not isinstance(b, ToolCallBlock) or b is calls[0]
                ]
                legacy = response.message.additional_kwargs.get("tool_calls")
                if legacy:
                    response.message.additional_kwargs["tool_calls"] = legacy[:1]
        return response

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The tool calls of a (possibly still streaming) response as ``ToolSelection``\\ s.

        Raises:
            ValueError: no tool call and ``error_on_no_tool_call``.

        Example:
            >>> response = llm.chat_with_tools([multiply], user_msg="What is 3 times 4?")
            >>> llm.get_tool_calls_from_response(response)[0].tool_kwargs
            {'a': 3, 'b': 4}
        """
        selections = tool_selections(response.message)
        if not selections and error_on_no_tool_call:
            raise ValueError("Expected at least one tool call, but got 0 tool calls.")
        return selections


def _recorder(task_ids: list[str]) -> Callable[[Task], None]:
    """An ``on_progress`` callback that keeps the polled task's id."""

    def record(task: Task) -> None:
        task_ids.append(task.id)

    return record


async def _as_completions(responses: ChatResponseAsyncGen) -> CompletionResponseAsyncGen:
    async for response in responses:
        yield to_completion_response(response)
