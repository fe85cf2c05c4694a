"""Typed models of everything FoxAPI sends and receives (protocol reference sections 2-5).

Every model tolerates and keeps unknown fields (``extra="allow"``): the gateway adds fields without
notice, and dropping them would lose data users may need.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, Field

from ._inline_media import InlineMedia

__all__ = [
    "AudioRequest",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "Choice",
    "ChunkChoice",
    "ChunkDelta",
    "ChunkEvent",
    "ErrorBody",
    "ErrorDetail",
    "FunctionCall",
    "FunctionCallDelta",
    "GenerationRequest",
    "MessagesRequest",
    "Task",
    "TaskErrorInfo",
    "TaskStatus",
    "TaskStreamInfo",
    "TextRequest",
    "ToolCall",
    "ToolCallDelta",
    "Usage",
    "VideoRequest",
    "VisionRequest",
]


class _WireModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


# --- results -------------------------------------------------------------------------------------


class Usage(_WireModel):
    """Token counts of a ChatCompletion (OpenAI shape)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: dict[str, Any] | None = None
    completion_tokens_details: dict[str, Any] | None = None

    @property
    def reasoning_tokens(self) -> int | None:
        """Reasoning tokens, when the model reported them."""
        details = self.completion_tokens_details or {}
        value = details.get("reasoning_tokens")
        return int(value) if value is not None else None


class FunctionCall(_WireModel):
    """The function part of a tool call; ``arguments`` is a JSON string."""

    name: str = ""
    arguments: str = ""


class ToolCall(_WireModel):
    """A complete tool call in a ChatCompletion message."""

    id: str = ""
    type: str = "function"
    function: FunctionCall = Field(default_factory=FunctionCall)


class ChatMessage(_WireModel):
    """The assistant message of a ChatCompletion.

    ``reasoning_content`` is filled by this library for thinking models (kimi-k2.6), whose
    reasoning the task result lacks: it is collected from the stream (reference section 4.3).
    """

    role: str = "assistant"
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCall] | None = None


class Choice(_WireModel):
    """One choice of a ChatCompletion."""

    index: int = 0
    message: ChatMessage = Field(default_factory=ChatMessage)
    finish_reason: str | None = None


class ChatCompletion(_WireModel):
    """The final answer: an OpenAI ChatCompletion (``results[0]`` of a completed task).

    Example:
        >>> completion.text, completion.reasoning, completion.usage
    """

    id: str = ""
    object: str = "chat.completion"
    created: int = 0
    model: str = ""
    choices: list[Choice] = Field(default_factory=list)
    usage: Usage | None = None
    #: Set by this library for thinking models: False when the stream that alone carries the
    #: reasoning could not be read completely (e.g. past its retention), so ``reasoning`` is
    #: partial or missing while the answer itself is complete. None for other models.
    reasoning_complete: bool | None = Field(default=None, exclude_if=lambda v: v is None)

    @property
    def message(self) -> ChatMessage:
        """The first choice's message (an empty one if the answer has no choices)."""
        return self.choices[0].message if self.choices else ChatMessage()

    @property
    def text(self) -> str:
        """The answer's text ('' when the model only called tools)."""
        return self.message.content or ""

    @property
    def reasoning(self) -> str | None:
        """The model's reasoning, for thinking models."""
        return self.message.reasoning_content

    @property
    def finish_reason(self) -> str | None:
        """Why the model stopped: ``stop``, ``length``, ``tool_calls``..."""
        return self.choices[0].finish_reason if self.choices else None


class FunctionCallDelta(_WireModel):
    """A fragment of a streamed function call."""

    name: str | None = None
    arguments: str | None = None


class ToolCallDelta(_WireModel):
    """A fragment of a streamed tool call; fragments with the same ``index`` belong together."""

    index: int = 0
    id: str | None = None
    type: str | None = None
    function: FunctionCallDelta | None = None


class ChunkDelta(_WireModel):
    """What one streamed chunk adds."""

    role: str | None = None
    content: str | None = None
    reasoning_content: str | None = None
    tool_calls: list[ToolCallDelta] | None = None


class ChunkChoice(_WireModel):
    """One choice of a streamed chunk."""

    index: int = 0
    delta: ChunkDelta = Field(default_factory=ChunkDelta)
    finish_reason: str | None = None


class ChatCompletionChunk(_WireModel):
    """An OpenAI ``chat.completion.chunk``: the data of an SSE ``chunk`` event."""

    id: str = ""
    object: str = "chat.completion.chunk"
    created: int = 0
    model: str = ""
    choices: list[ChunkChoice] = Field(default_factory=list)
    usage: Usage | None = None

    @property
    def delta(self) -> ChunkDelta:
        """The first choice's delta (empty when the chunk has no choices, e.g. a usage chunk)."""
        return self.choices[0].delta if self.choices else ChunkDelta()


class ChunkEvent:
    """One streamed chunk, as delivered: its 0-based ``index`` in the task's stream, the raw
    ``data`` text exactly as the server sent it, and the parsed ``chunk``.

    Keep ``task_id`` and ``index + 1`` to resume a stream with
    ``client.stream(task_id, offset=...)``.

    Treat it as immutable (it is not enforced). One is built per streamed chunk, so this is a
    plain ``__slots__`` class with a hand-written ``__init__`` rather than a frozen dataclass,
    whose ``__init__`` goes through ``object.__setattr__`` per field (about 0.8 vs 0.2 µs, see
    docs/performance.md, P2). Equality compares the four fields, like the dataclass did.
    """

    __slots__ = ("chunk", "data", "index", "task_id")
    __match_args__ = ("task_id", "index", "data", "chunk")
    __hash__ = None  # type: ignore[assignment]  # equal by value, and holds a pydantic model

    task_id: str
    index: int
    data: str
    chunk: ChatCompletionChunk

    def __init__(self, task_id: str, index: int, data: str, chunk: ChatCompletionChunk) -> None:
        self.task_id = task_id
        self.index = index
        self.data = data
        self.chunk = chunk

    def __eq__(self, other: object) -> bool:
        if type(other) is not ChunkEvent:
            return NotImplemented
        return (self.task_id, self.index, self.data, self.chunk) == (
            other.task_id,
            other.index,
            other.data,
            other.chunk,
        )

    def __repr__(self) -> str:
        return (
            f"ChunkEvent(task_id={self.task_id!r}, index={self.index!r}, data={self.data!r}, "
            f"chunk={self.chunk!r})"
        )


# --- tasks ---------------------------------------------------------------------------------------

TaskStatus: TypeAlias = Literal["pending", "processing", "completed", "failed", "cancelled"]


class TaskStreamInfo(_WireModel):
    """Where a task's SSE stream is (a path relative to the base URL)."""

    url: str


class TaskErrorInfo(_WireModel):
    """Why a task failed."""

    code: str | None = None
    message: str | None = None
    type: str | None = None


class Task(_WireModel):
    """A generation task (submit response and ``GET /v1/tasks/{id}``)."""

    id: str
    object: str = "llm.generation.task"
    type: str = "llm"
    model: str = ""
    status: str = "pending"
    progress: int | float | None = 0
    created: int = 0
    stream: TaskStreamInfo | None = None
    results: list[ChatCompletion] | None = None
    error: TaskErrorInfo | None = None
    usage: dict[str, Any] | None = None

    @property
    def is_terminal(self) -> bool:
        """True once the task will not change any more."""
        return self.status in ("completed", "failed", "cancelled")


class ErrorDetail(_WireModel):
    """The ``error`` object of an HTTP error body."""

    message: str | None = None
    type: str | None = None
    code: str | None = None
    param: str | None = None


class ErrorBody(_WireModel):
    """An HTTP error body: ``{"error": {...}}``."""

    error: ErrorDetail | None = None


# --- requests ------------------------------------------------------------------------------------


class _Request(_WireModel):
    model: str
    max_tokens: int | None = None
    temperature: float | None = None
    reasoning: bool | None = None

    form: ClassVar[str] = ""

    def to_body(self, *, stream: bool = False, sync: bool = False) -> dict[str, Any]:
        """The JSON body to POST, with the transport flags set."""
        body = self.model_dump(exclude_none=True)
        if stream:
            body["stream"] = True
        if sync:
            body["sync"] = True
        return body


class TextRequest(_Request):
    """The text form: ``prompt`` (+ optional ``system_prompt``).

    Example:
        >>> TextRequest(model="gemini-2.5-pro", prompt="Hello", reasoning=True)
    """

    form: ClassVar[str] = "text"
    prompt: str
    system_prompt: str | None = None


class VisionRequest(_Request):
    """The vision form: ``prompt`` and 1-10 ``image_urls`` (http(s) URLs or data URIs)."""

    form: ClassVar[str] = "vision"
    prompt: str
    image_urls: list[str | InlineMedia]
    system_prompt: str | None = None


class AudioRequest(_Request):
    """The audio form: one ``audio_url``; without ``prompt`` the service transcribes.

    ``audio_url`` is an http(s) URL, a ``data:audio/...;base64,`` URI, or an :class:`InlineMedia`
    (a local file encoded while the request is sent, with bounded memory).

    Example:
        >>> AudioRequest(model="gemini-2.5-pro", audio_url=InlineMedia("call.wav", "audio/wav"))
    """

    form: ClassVar[str] = "audio"
    audio_url: str | InlineMedia
    prompt: str | None = None
    system_prompt: str | None = None


class VideoRequest(_Request):
    """The video form: ``prompt`` and 1-10 ``video_urls``."""

    form: ClassVar[str] = "video"
    prompt: str
    video_urls: list[str | InlineMedia]
    system_prompt: str | None = None


class MessagesRequest(_Request):
    """The messages form (llm-custom): OpenAI chat messages plus OpenAI parameters.

    Tools, ``tool_choice`` and ``response_format`` rely on the gateway's OpenAI pass-through.

    Example:
        >>> MessagesRequest(model="gpt-5.5", messages=[{"role": "user", "content": "Hi"}])
    """

    form: ClassVar[str] = "messages"
    messages: list[dict[str, Any]]
    top_p: float | None = None
    stop: str | list[str] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    response_format: dict[str, Any] | None = None


#: How a generation's result is awaited: the SSE stream, polling the task, or one blocking call.
Transport: TypeAlias = Literal["stream", "poll", "sync"]

GenerationRequest: TypeAlias = (
    TextRequest | VisionRequest | AudioRequest | VideoRequest | MessagesRequest
)
