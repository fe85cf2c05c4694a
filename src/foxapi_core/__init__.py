"""foxapi_core: a framework-free client for FoxAPI's LLM task protocol.

Submit a generation, then stream, poll or block for the answer, with retries that never bill
twice, streams that resume after a cut, and reasoning that survives (kimi-k2.6). The emulator in
``foxapi_core.emulator`` speaks the same protocol offline.

Example:
    >>> from foxapi_core import FoxAPIClient, MessagesRequest
    >>> with FoxAPIClient() as client:
    ...     answer = client.generate(
    ...         MessagesRequest(model="kimi-k2.6", messages=[{"role": "user", "content": "Hi"}])
    ...     )
    ...     print(answer.reasoning, answer.text)
"""

import typing as _typing

if _typing.TYPE_CHECKING:
    from ._assembler import ChunkAssembler
    from ._audio import AudioOptions, AudioResult, FoxAPIAudio
    from ._audio_source import AudioSource, NamedAudio
    from ._batch import BatchSummary, arun_batch, read_jsonl
    from ._batch_journal import Journal, JournalEntry, SqliteJournal
    from ._batch_rows import BatchRow, RowState
    from ._catalog import DEFAULT_CATALOG, Catalog, ModelSpec, detect_form
    from ._checks import Surface, Violation, check_body
    from ._client import (
        AsyncFoxAPIClient,
        AsyncStreamingGeneration,
        FoxAPIClient,
        StreamingGeneration,
    )
    from ._config import API_KEY_ENV, BASE_URL_ENV, DEFAULT_BASE_URL, ClientConfig, Timeouts
    from ._errors import (
        APIConnectionError,
        APIStatusError,
        APITimeoutError,
        AuthenticationError,
        BadRequestError,
        ClientClosedError,
        ConfigurationError,
        FoxAPIError,
        InsufficientQuotaError,
        InvalidRequestError,
        NotFoundError,
        PermissionDeniedError,
        ProtocolError,
        RateLimitError,
        RequestValidationError,
        ServerError,
        StreamError,
        SubmitOutcomeUnknownError,
        TaskFailedError,
        TaskTimeoutError,
        UnsupportedContentError,
    )
    from ._inline_media import InlineMedia
    from ._policies import PollPolicy, RetryPolicy
    from ._sse import ServerSentEvent, SSEDecoder
    from ._wire import (
        AudioRequest,
        ChatCompletion,
        ChatCompletionChunk,
        ChatMessage,
        ChunkEvent,
        GenerationRequest,
        MessagesRequest,
        Task,
        TextRequest,
        ToolCall,
        Transport,
        Usage,
        VideoRequest,
        VisionRequest,
    )

__version__ = "0.1.0"

# Public name -> submodule, imported on first access (PEP 562): ``import foxapi_core`` then costs
# almost nothing, and httpx (~100 ms) loads with the client, not with the errors or wire models
# the framework adapters need at import time.
_LAZY: dict[str, str] = {
    name: module
    for module, names in {
        "_assembler": ("ChunkAssembler",),
        "_audio": ("AudioOptions", "AudioResult", "FoxAPIAudio"),
        "_audio_source": ("AudioSource", "NamedAudio"),
        "_batch": ("BatchSummary", "arun_batch", "read_jsonl"),
        "_batch_journal": ("Journal", "JournalEntry", "SqliteJournal"),
        "_batch_rows": ("BatchRow", "RowState"),
        "_catalog": ("DEFAULT_CATALOG", "Catalog", "ModelSpec", "detect_form"),
        "_checks": ("Surface", "Violation", "check_body"),
        "_client": (
            "AsyncFoxAPIClient",
            "AsyncStreamingGeneration",
            "FoxAPIClient",
            "StreamingGeneration",
        ),
        "_config": ("API_KEY_ENV", "BASE_URL_ENV", "DEFAULT_BASE_URL", "ClientConfig", "Timeouts"),
        "_inline_media": ("InlineMedia",),
        "_errors": (
            "APIConnectionError",
            "APIStatusError",
            "APITimeoutError",
            "AuthenticationError",
            "BadRequestError",
            "ClientClosedError",
            "ConfigurationError",
            "FoxAPIError",
            "InsufficientQuotaError",
            "InvalidRequestError",
            "NotFoundError",
            "PermissionDeniedError",
            "ProtocolError",
            "RateLimitError",
            "RequestValidationError",
            "ServerError",
            "StreamError",
            "SubmitOutcomeUnknownError",
            "TaskFailedError",
            "TaskTimeoutError",
            "UnsupportedContentError",
        ),
        "_policies": ("PollPolicy", "RetryPolicy"),
        "_sse": ("ServerSentEvent", "SSEDecoder"),
        "_wire": (
            "AudioRequest",
            "ChatCompletion",
            "ChatCompletionChunk",
            "ChatMessage",
            "ChunkEvent",
            "GenerationRequest",
            "MessagesRequest",
            "Task",
            "TextRequest",
            "ToolCall",
            "Transport",
            "Usage",
            "VideoRequest",
            "VisionRequest",
        ),
    }.items()
    for name in names
}

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "DEFAULT_CATALOG",
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncFoxAPIClient",
    "AsyncStreamingGeneration",
    "AudioOptions",
    "AudioRequest",
    "AudioResult",
    "AudioSource",
    "AuthenticationError",
    "BadRequestError",
    "BatchRow",
    "BatchSummary",
    "Catalog",
    "ChatCompletion",
    "ChatCompletionChunk",
    "ChatMessage",
    "ChunkAssembler",
    "ChunkEvent",
    "ClientClosedError",
    "ClientConfig",
    "ConfigurationError",
    "FoxAPIAudio",
    "FoxAPIClient",
    "FoxAPIError",
    "GenerationRequest",
    "InlineMedia",
    "InsufficientQuotaError",
    "InvalidRequestError",
    "Journal",
    "JournalEntry",
    "MessagesRequest",
    "ModelSpec",
    "NamedAudio",
    "NotFoundError",
    "PermissionDeniedError",
    "PollPolicy",
    "ProtocolError",
    "RateLimitError",
    "RequestValidationError",
    "RetryPolicy",
    "RowState",
    "SSEDecoder",
    "ServerError",
    "ServerSentEvent",
    "SqliteJournal",
    "StreamError",
    "StreamingGeneration",
    "SubmitOutcomeUnknownError",
    "Surface",
    "Task",
    "TaskFailedError",
    "TaskTimeoutError",
    "TextRequest",
    "Timeouts",
    "ToolCall",
    "Transport",
    "UnsupportedContentError",
    "Usage",
    "VideoRequest",
    "Violation",
    "VisionRequest",
    "__version__",
    "arun_batch",
    "check_body",
    "detect_form",
    "read_jsonl",
]


# Hidden from type checkers, for which a misspelt name must stay an error.
if not _typing.TYPE_CHECKING:
    from ._lazy import lazy_attributes as _lazy_attributes

    __getattr__, __dir__ = _lazy_attributes(globals(), _LAZY, __all__)
