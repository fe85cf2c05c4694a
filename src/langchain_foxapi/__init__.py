"""LangChain integration of FoxAPI's LLM task protocol: ``ChatFoxAPI`` and its errors.

Example:
    >>> from langchain_foxapi import ChatFoxAPI
    >>> ChatFoxAPI(model="kimi-k2.6").invoke("Hello").additional_kwargs["reasoning_content"]
"""

try:
    import langchain_core  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        "langchain_foxapi needs LangChain: pip install 'foxapi-integrations[langchain]'"
    ) from exc

from ._errors import (
    FoxAPIAuthenticationError,
    FoxAPIBadRequestError,
    FoxAPIClientClosedError,
    FoxAPIConfigurationError,
    FoxAPIConnectionError,
    FoxAPIInsufficientQuotaError,
    FoxAPIInvalidRequestError,
    FoxAPIModelError,
    FoxAPINotFoundError,
    FoxAPIPermissionDeniedError,
    FoxAPIRateLimitError,
    FoxAPIRequestValidationError,
    FoxAPIServerError,
    FoxAPIStatusError,
    FoxAPIStreamError,
    FoxAPISubmitOutcomeUnknownError,
    FoxAPITaskFailedError,
    FoxAPITaskTimeoutError,
    FoxAPITimeoutError,
    FoxAPIUnsupportedContentError,
)
from ._stream import ReasoningIncompleteWarning
from .chat_models import ChatFoxAPI
from .document_loaders import FoxAPIAudioLoader, FoxAPIAudioParser
from .tools import FoxAPIAudioInput, FoxAPIAudioTool

__all__ = [
    "ChatFoxAPI",
    "FoxAPIAudioInput",
    "FoxAPIAudioLoader",
    "FoxAPIAudioParser",
    "FoxAPIAudioTool",
    "FoxAPIAuthenticationError",
    "FoxAPIBadRequestError",
    "FoxAPIClientClosedError",
    "FoxAPIConfigurationError",
    "FoxAPIConnectionError",
    "FoxAPIInsufficientQuotaError",
    "FoxAPIInvalidRequestError",
    "FoxAPIModelError",
    "FoxAPINotFoundError",
    "FoxAPIPermissionDeniedError",
    "FoxAPIRateLimitError",
    "FoxAPIRequestValidationError",
    "FoxAPIServerError",
    "FoxAPIStatusError",
    "FoxAPIStreamError",
    "FoxAPISubmitOutcomeUnknownError",
    "FoxAPITaskFailedError",
    "FoxAPITaskTimeoutError",
    "FoxAPITimeoutError",
    "FoxAPIUnsupportedContentError",
    "ReasoningIncompleteWarning",
]
