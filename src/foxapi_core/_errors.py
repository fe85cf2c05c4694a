"""The FoxAPI error tree.

Every error the library raises is a :class:`FoxAPIError`::

    FoxAPIError
    ├── ConfigurationError            bad or missing settings (no key, http:// to a remote host)
    ├── RequestValidationError        the request breaks a documented rule; raised before sending
    ├── ClientClosedError             the client was closed; nothing was sent
    ├── APIConnectionError            the connection failed (safe to retry: nothing was accepted)
    │   └── APITimeoutError           connect / read / stream-idle timeout
    ├── SubmitOutcomeUnknownError     a submit may have created a task, but no answer came back
    ├── APIStatusError                the server answered with an error status
    │   ├── BadRequestError               400
    │   ├── AuthenticationError           401
    │   ├── InsufficientQuotaError        402
    │   ├── PermissionDeniedError         403
    │   ├── NotFoundError                 404
    │   ├── InvalidRequestError           422 (``code`` says which rule)
    │   │   └── UnsupportedContentError       422: the model refuses a content type
    │   ├── RateLimitError                429 (``retry_after`` seconds when the server said)
    │   └── ServerError                   5xx
    ├── TaskFailedError               the task ended ``failed`` (``code``, ``task_id``)
    ├── TaskTimeoutError              the overall deadline passed; the task may still finish
    └── StreamError                   an ``error`` event, a malformed chunk, or no way to resume

Each error carries what is known: ``task_id``, ``status``, ``code`` and ``request_id``. None of them
ever carries the API key: messages are built from server bodies and our own text only, and every
error is picklable (its constructor arguments are kept), so it survives multiprocessing and
LangChain's tracing.
"""

from __future__ import annotations

from typing import Any

__all__ = [
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
    "RateLimitError",
    "RequestValidationError",
    "ServerError",
    "StreamError",
    "SubmitOutcomeUnknownError",
    "TaskFailedError",
    "TaskTimeoutError",
    "UnsafeServerValueError",
    "UnsupportedContentError",
]


class FoxAPIError(Exception):
    """Base of every error raised by this library."""

    def __init__(
        self,
        message: str,
        *,
        task_id: str | None = None,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.task_id = task_id
        self.status = status
        self.code = code
        self.request_id = request_id
        self._extra = extra
        for name, value in extra.items():
            setattr(self, name, value)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors defeat Exception's default pickling; rebuild from our fields.
        kwargs = {
            "task_id": self.task_id,
            "status": self.status,
            "code": self.code,
            "request_id": self.request_id,
            **self._extra,
        }
        return (_rebuild, (type(self), self.message, kwargs))

    def __str__(self) -> str:
        details = [
            f"{name}={value}"
            for name, value in (
                ("task_id", self.task_id),
                ("status", self.status),
                ("code", self.code),
                ("request_id", self.request_id),
            )
            if value is not None
        ]
        return f"{self.message} ({', '.join(details)})" if details else self.message


def _rebuild(cls: type[FoxAPIError], message: str, kwargs: dict[str, Any]) -> FoxAPIError:
    return cls(message, **kwargs)


class ConfigurationError(FoxAPIError, ValueError):
    """A setting is missing or unsafe (no API key, ``http://`` to a non-loopback host)."""


class RequestValidationError(FoxAPIError, ValueError):
    """The request breaks a documented rule of the model; raised before anything is sent.

    ``field`` names the offending wire field, ``model`` the model, ``fix`` what to do;
    ``violations`` holds every rule broken, not only the first.
    """

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        field: str | None = None,
        fix: str | None = None,
        violations: tuple[Any, ...] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(
            message, model=model, field=field, fix=fix, violations=violations, **kwargs
        )
        self.model: str | None = model
        self.field: str | None = field
        self.fix: str | None = fix
        self.violations: tuple[Any, ...] = violations


class ClientClosedError(FoxAPIError, RuntimeError):
    """The client was closed; no request was sent."""


class APIConnectionError(FoxAPIError):
    """The connection to FoxAPI failed before an answer came back."""


class APITimeoutError(APIConnectionError, TimeoutError):
    """A connect, read or stream-idle timeout expired."""


class SubmitOutcomeUnknownError(FoxAPIError):
    """A submit reached the server but no answer came back; a task may or may not exist.

    FoxAPI has no idempotency key, so the client never re-sends such a submit (it could create,
    and bill, a second task). Check your FoxAPI task list before submitting again.
    """


class UnsafeServerValueError(FoxAPIError):
    """The server sent a value the client refuses to use: a task id or stream URL that would
    change the request path, or a task answer for another task than the one asked for.

    ``raw`` holds the value as received; nothing was sent with it.
    """


class APIStatusError(FoxAPIError):
    """The server answered with an error status; ``body`` holds its parsed JSON."""

    def __init__(self, message: str, *, body: Any = None, **kwargs: Any) -> None:
        super().__init__(message, body=body, **kwargs)
        self.body: Any = body


class BadRequestError(APIStatusError):
    """400: the body was not valid JSON or had the wrong content type."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, invalid or expired."""


class InsufficientQuotaError(APIStatusError):
    """402: the account has no credit left."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this resource."""


class NotFoundError(APIStatusError):
    """404: the task (or stream) does not exist, or no longer does."""


class InvalidRequestError(APIStatusError):
    """422: the server refused the request; ``code`` names the rule."""


class UnsupportedContentError(InvalidRequestError):
    """422: the model does not accept a content type (either code the docs have used)."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kwargs)
        self.retry_after: float | None = retry_after


class ServerError(APIStatusError):
    """5xx: the gateway or the upstream model failed."""


class TaskFailedError(FoxAPIError):
    """The task ended with status ``failed``; ``code`` and ``message`` come from the server."""


class TaskTimeoutError(FoxAPIError, TimeoutError):
    """The overall deadline passed before the task finished; resume later with its ``task_id``."""


class StreamError(FoxAPIError):
    """The stream ended with an ``error`` event, carried a malformed chunk, or could not resume.

    ``offset`` is the number of chunks already delivered, for a manual resume.
    """

    def __init__(self, message: str, *, offset: int | None = None, **kwargs: Any) -> None:
        super().__init__(message, offset=offset, **kwargs)
        self.offset: int | None = offset


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientQuotaError,
    403: PermissionDeniedError,
    404: NotFoundError,
    422: InvalidRequestError,
    429: RateLimitError,
}

UNSUPPORTED_CONTENT_CODES = frozenset({"unsupported_content_type", "model_not_support_capability"})


def status_error_class(status: int, code: str | None) -> type[APIStatusError]:
    """The error class for an HTTP error status (and, for 422, the server's code)."""
    if status == 422 and code in UNSUPPORTED_CONTENT_CODES:
        return UnsupportedContentError
    if status >= 500:
        return ServerError
    return _STATUS_CLASSES.get(status, APIStatusError)
