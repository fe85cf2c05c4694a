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

from ._assembler import ChunkAssembler
from ._audio import AudioOptions, AudioResult, FoxAPIAudio
from ._audio_source import AudioSource, NamedAudio
from ._catalog import DEFAULT_CATALOG, Catalog, ModelSpec, Violation, check_body, detect_form
from ._client import AsyncFoxAPIClient, AsyncStreamingGeneration, FoxAPIClient, StreamingGeneration
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
    RateLimitError,
    RequestValidationError,
    ServerError,
    StreamError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    TaskTimeoutError,
    UnsupportedContentError,
)
from ._flows import Transport
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
    Usage,
    VideoRequest,
    VisionRequest,
)

__version__ = "0.1.0"

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
    "InsufficientQuotaError",
    "InvalidRequestError",
    "MessagesRequest",
    "ModelSpec",
    "NamedAudio",
    "NotFoundError",
    "PermissionDeniedError",
    "PollPolicy",
    "RateLimitError",
    "RequestValidationError",
    "RetryPolicy",
    "SSEDecoder",
    "ServerError",
    "ServerSentEvent",
    "StreamError",
    "StreamingGeneration",
    "SubmitOutcomeUnknownError",
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
    "check_body",
    "detect_form",
]
