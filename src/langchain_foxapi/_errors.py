"""FoxAPI errors as LangChain sees them, translated at one boundary (:func:`translate_errors`).

Each class inherits from the ``foxapi_core`` error (so ``except foxapi_core.RateLimitError`` keeps
working) and from the matching ``langchain_core.exceptions`` class (so framework code that
catches ``ModelRateLimitError`` or reads ``is_retryable`` works too)::

    foxapi_core error              ->  langchain_foxapi error            (+ langchain_core class)
    AuthenticationError      401   ->  FoxAPIAuthenticationError          ModelAuthenticationError
    PermissionDeniedError    403   ->  FoxAPIPermissionDeniedError        ModelPermissionDeniedError
    InsufficientQuotaError   402   ->  FoxAPIInsufficientQuotaError       ModelError (not retryable)
    NotFoundError            404   ->  FoxAPINotFoundError                ModelNotFoundError
    RateLimitError           429   ->  FoxAPIRateLimitError               ModelRateLimitError
    BadRequestError          400   ->  FoxAPIBadRequestError              ModelInvalidRequestError
    InvalidRequestError      422   ->  FoxAPIInvalidRequestError          ModelInvalidRequestError
    UnsupportedContentError  422   ->  FoxAPIUnsupportedContentError      ModelInvalidRequestError
    RequestValidationError (client side, nothing sent)
                                   ->  FoxAPIRequestValidationError       ModelInvalidRequestError
    ServerError 5xx, other APIStatusError, TaskFailedError, StreamError
                                   ->  FoxAPIServerError / FoxAPIStatusError /
                                       FoxAPITaskFailedError / FoxAPIStreamError
                                                                          ModelAPIError
    APITimeoutError, TaskTimeoutError
                                   ->  FoxAPITimeoutError / FoxAPITaskTimeoutError
                                                                          ModelTimeoutError
    APIConnectionError             ->  FoxAPIConnectionError              ModelConnectionError
    SubmitOutcomeUnknownError      ->  FoxAPISubmitOutcomeUnknownError    ModelError (not retryable:
                                                                          a re-send may bill twice)
    ConfigurationError             ->  FoxAPIConfigurationError           ModelError
    ClientClosedError              ->  FoxAPIClientClosedError            ModelError
    any other FoxAPIError          ->  FoxAPIModelError                   ModelError

Messages keep the task id (``FoxAPIError.__str__`` appends it) and never contain the API key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from langchain_core.exceptions import (
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelTimeoutError,
)

import foxapi_core as core

__all__ = [
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
    "translate_errors",
]


class FoxAPIModelError(core.FoxAPIError, ModelError):
    """A FoxAPI failure with no more specific LangChain class."""


class FoxAPIConfigurationError(core.ConfigurationError, ModelError):
    """No API key, or an unsafe base URL; nothing was sent."""


class FoxAPIRequestValidationError(core.RequestValidationError, ModelInvalidRequestError):
    """The request breaks a documented model rule (e.g. an audio block for gpt-5.5); not sent."""


class FoxAPIClientClosedError(core.ClientClosedError, ModelError):
    """The client was closed; nothing was sent."""


class FoxAPIBadRequestError(core.BadRequestError, ModelInvalidRequestError):
    """400: the body was not valid JSON or had the wrong content type."""


class FoxAPIStatusError(core.APIStatusError, ModelAPIError):
    """An error status with no more specific class (e.g. 409)."""


class FoxAPIAuthenticationError(core.AuthenticationError, ModelAuthenticationError):
    """401: the API key is missing, invalid or expired."""


class FoxAPIPermissionDeniedError(core.PermissionDeniedError, ModelPermissionDeniedError):
    """403: the key may not use this resource."""


class FoxAPIInsufficientQuotaError(core.InsufficientQuotaError, ModelError):
    """402: the account has no credit left (retrying does not help)."""


class FoxAPINotFoundError(core.NotFoundError, ModelNotFoundError):
    """404: the task or stream does not exist (any more)."""


class FoxAPIRateLimitError(core.RateLimitError, ModelRateLimitError):
    """429: too many requests; ``retry_after`` holds the server's hint, if any."""


class FoxAPIInvalidRequestError(core.InvalidRequestError, ModelInvalidRequestError):
    """400 / 422: the server refused the request; ``code`` names the rule."""


class FoxAPIUnsupportedContentError(FoxAPIInvalidRequestError, core.UnsupportedContentError):
    """422: the model does not accept a content type (the server's refusal)."""


class FoxAPIServerError(core.ServerError, ModelAPIError):
    """5xx or an unexpected status: the gateway or the upstream model failed."""


class FoxAPITaskFailedError(core.TaskFailedError, ModelAPIError):
    """The task ended ``failed``; ``code`` and ``task_id`` say which and where."""


class FoxAPIStreamError(core.StreamError, ModelAPIError):
    """The stream reported an error or could not be resumed; ``offset`` is where it stopped."""


class FoxAPITimeoutError(core.APITimeoutError, ModelTimeoutError):
    """A connect, read or stream-idle timeout expired."""


class FoxAPITaskTimeoutError(core.TaskTimeoutError, ModelTimeoutError):
    """The call's deadline passed; the task may still finish (resume with its ``task_id``)."""


class FoxAPIConnectionError(core.APIConnectionError, ModelConnectionError):
    """FoxAPI could not be reached."""


class FoxAPISubmitOutcomeUnknownError(core.SubmitOutcomeUnknownError, ModelError):
    """A submit may have created (and billed) a task; it was not re-sent. Not retryable."""


# Most specific first: the first base class that matches wins.
_MAPPING: tuple[tuple[type[core.FoxAPIError], type[core.FoxAPIError]], ...] = (
    (core.RequestValidationError, FoxAPIRequestValidationError),
    (core.ConfigurationError, FoxAPIConfigurationError),
    (core.AuthenticationError, FoxAPIAuthenticationError),
    (core.PermissionDeniedError, FoxAPIPermissionDeniedError),
    (core.InsufficientQuotaError, FoxAPIInsufficientQuotaError),
    (core.NotFoundError, FoxAPINotFoundError),
    (core.RateLimitError, FoxAPIRateLimitError),
    (core.UnsupportedContentError, FoxAPIUnsupportedContentError),
    (core.InvalidRequestError, FoxAPIInvalidRequestError),
    (core.BadRequestError, FoxAPIBadRequestError),
    (core.ServerError, FoxAPIServerError),
    (core.APIStatusError, FoxAPIStatusError),
    (core.TaskFailedError, FoxAPITaskFailedError),
    (core.StreamError, FoxAPIStreamError),
    (core.APITimeoutError, FoxAPITimeoutError),
    (core.TaskTimeoutError, FoxAPITaskTimeoutError),
    (core.APIConnectionError, FoxAPIConnectionError),
    (core.SubmitOutcomeUnknownError, FoxAPISubmitOutcomeUnknownError),
    (core.ClientClosedError, FoxAPIClientClosedError),
    (core.FoxAPIError, FoxAPIModelError),
)
_ADAPTER_CLASSES = frozenset(target for _, target in _MAPPING)


def translate(exc: core.FoxAPIError, *, prefix: str = "") -> core.FoxAPIError:
    """The LangChain-facing twin of a ``foxapi_core`` error, with the same fields.

    Args:
        exc: The core error.
        prefix: Text put before the message (e.g. which LangChain block was refused).

    Example:
        >>> translate(foxapi_core.RateLimitError("slow down", task_id="task-llm-1-a"))
        FoxAPIRateLimitError('slow down')
    """
    if type(exc) in _ADAPTER_CLASSES and not prefix:
        return exc
    target = next(cls for base, cls in _MAPPING if isinstance(exc, base))
    _, (_, message, kwargs) = exc.__reduce__()
    fields: dict[str, Any] = dict(kwargs)
    return target(prefix + message, **fields)


# The LangChain spellings of each FoxAPI block type, to name them in a refusal.
_LANGCHAIN_BLOCKS = {
    "audio_url": "audio / input_audio",
    "image_url": "image / image_url",
    "video_url": "video",
    "file_url": "file",
}


# How the core's catalog names a refused block: "... does not accept audio_url content blocks".
_REFUSED_BLOCK = re.compile(r"\b(audio_url|image_url|video_url|file_url)\b content blocks")


def _refusal_prefix(exc: core.FoxAPIError, model: str | None) -> str:
    if not isinstance(exc, core.RequestValidationError):
        return ""
    refused = set(_REFUSED_BLOCK.findall(exc.message))
    named = [f"{lc} ({wire})" for wire, lc in _LANGCHAIN_BLOCKS.items() if wire in refused]
    what = f"the {', '.join(named)} content of this conversation" if named else "this request"
    return f"ChatFoxAPI(model={model or exc.model!r}) cannot send {what}; nothing was sent. "


@contextmanager
def translate_errors(*, model: str | None = None) -> Iterator[None]:
    """Re-raise every ``foxapi_core`` error raised inside as its LangChain twin (``from exc``).

    Used around every client call and around the iteration of streams, so there is exactly one
    place where FoxAPI errors become LangChain errors. A client-side refusal is prefixed with
    the model and the LangChain block types concerned (the core's message then names the
    models that accept them).

    Example:
        >>> with translate_errors(model="gpt-5.5"):
        ...     client.generate(body)
    """
    try:
        yield
    except core.FoxAPIError as exc:
        translated = translate(exc, prefix=_refusal_prefix(exc, model))
        if translated is exc:
            raise
        raise translated from exc
