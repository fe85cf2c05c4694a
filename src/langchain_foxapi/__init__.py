"""LangChain integration of FoxAPI's LLM task protocol: ``ChatFoxAPI`` and its errors.

Example:
    >>> from langchain_foxapi import ChatFoxAPI
    >>> ChatFoxAPI(model="kimi-k2.6").invoke("Hello").additional_kwargs["reasoning_content"]
"""

import typing as _typing

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
from ._revive import revive
from ._stream import ReasoningIncompleteWarning
from .chat_models import ChatFoxAPI

if _typing.TYPE_CHECKING:
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
    "revive",
]

# The audio loader and tools are imported on first access (PEP 562): they need the core client,
# httpx and langchain_text_splitters, which a chat-only user should not pay for at import.
_LAZY = {
    "FoxAPIAudioInput": "tools",
    "FoxAPIAudioLoader": "document_loaders",
    "FoxAPIAudioParser": "document_loaders",
    "FoxAPIAudioTool": "tools",
}

# Hidden from type checkers, for which a misspelt name must stay an error.
if not _typing.TYPE_CHECKING:
    from foxapi_core._lazy import lazy_attributes as _lazy_attributes

    __getattr__, __dir__ = _lazy_attributes(globals(), _LAZY, __all__)
