"""The FoxAPI task protocol as I/O-free flows: the commands, requests with retries, polling.

A flow is a generator that yields *commands* (send this request, read from the open stream, sleep,
hand this item to the caller) and receives their outcomes; it returns the operation's result. The
sync and async clients are thin drivers that execute the commands with httpx (the pattern of
httpx's auth flows). Everything that decides anything lives in the flows, once: here the retry
decisions, submit safety, the poll schedule and the deadline; in :mod:`foxapi_core._generation`
the SSE stream (resume, de-duplication, assembling the answer) and the choice of transport.

Protocol reference: ``shared/foxapi-protocol.md`` sections 2-5 and the decisions in section 10.
"""

from __future__ import annotations

import json
import logging
import random
import re
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from ._catalog import Catalog
from ._checks import CORE_SURFACE, Surface, check_body
from ._config import API_KEY_ENV, BASE_URL_ENV, ClientConfig
from ._errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    FoxAPIError,
    ProtocolError,
    RateLimitError,
    RequestValidationError,
    SubmitOutcomeUnknownError,
    TaskFailedError,
    TaskTimeoutError,
    status_error_class,
)
from ._wire import ErrorBody, Task

__all__ = [
    "CLOSE_STREAM",
    "READ_STREAM",
    "CloseStream",
    "Emit",
    "Flow",
    "FlowContext",
    "LiveModels",
    "ReadStream",
    "Reply",
    "Send",
    "Sleep",
    "TransportFailure",
    "check_call_options",
    "check_server_task_id",
    "check_task_id",
    "get_task_flow",
    "list_models_flow",
    "parse_reply",
    "send_flow",
    "submit_flow",
    "validate_body",
    "validate_flow",
    "wait_flow",
]

logger = logging.getLogger("foxapi")

T = TypeVar("T")

SUBMIT_PATH = "/v1/llm/generations"
MODELS_PATH = "/v1/configs/llm_generations_models"
# The least time a request gets even when the deadline is (almost) reached: the last poll comes
# exactly at the deadline (the Smithy waiter rule) and must be allowed to complete.
MIN_REQUEST_TIME = 1.0
STREAM_MIN_TIME = 0.01

# --- commands and their outcomes ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Send:
    """Send a request. ``kind="stream"`` keeps a 2xx response open for ``ReadStream``;
    ``submit`` marks a request that may create (and bill) a task. ``timeout`` (seconds, set by
    ``send_flow`` from the deadline) caps every configured timeout of this request, reads of an
    opened stream included, so a silent server cannot hold a call far past its deadline."""

    method: str
    path: str
    params: Mapping[str, str] | None = None
    body: Mapping[str, Any] | None = None
    kind: Literal["request", "stream", "sync"] = "request"
    submit: bool = False
    timeout: float | None = None

    def capped(self, timeout: float) -> Send:
        """This request with ``timeout`` (``dataclasses.replace`` costs ~4 µs a request)."""
        return Send(
            method=self.method,
            path=self.path,
            params=self.params,
            body=self.body,
            kind=self.kind,
            submit=self.submit,
            timeout=timeout,
        )


class ReadStream:
    """Read the next bytes of the open stream (the reply is ``b""`` at its end)."""

    __slots__ = ()


class CloseStream:
    """Close the open stream, if any."""

    __slots__ = ()


READ_STREAM = ReadStream()
CLOSE_STREAM = CloseStream()


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait this many seconds."""

    seconds: float


class Emit:
    """Hand one item (a ``ChunkEvent``) to the caller.

    Yielded once per streamed chunk, so a plain ``__slots__`` class (immutable by convention)
    rather than a frozen dataclass, whose ``__init__`` costs an ``object.__setattr__`` per field.
    """

    __slots__ = ("item",)
    __match_args__ = ("item",)
    __hash__ = None  # type: ignore[assignment]

    item: Any

    def __init__(self, item: Any) -> None:
        self.item = item

    def __eq__(self, other: object) -> bool:
        if type(other) is not Emit:
            return NotImplemented
        return bool(self.item == other.item)

    def __repr__(self) -> str:
        return f"Emit(item={self.item!r})"


@dataclass(frozen=True, slots=True)
class Reply:
    """A response: its status, headers and body (empty for an opened stream)."""

    status: int
    headers: Mapping[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class TransportFailure:
    """A request or read that failed in transport. ``sent`` is False only when the request
    certainly never reached the server (connect phase)."""

    error: Exception
    sent: bool
    timeout: bool


Command = Send | ReadStream | CloseStream | Sleep | Emit
Flow = Generator[Command, Any, T]


@dataclass
class LiveModels:
    """One client's cache of ``GET /v1/configs/llm_generations_models`` (protocol doc 10).

    A model missing from the built-in catalog is looked up here once per ``ttl`` seconds before
    it is refused; the answer is merged into the built-in catalog (``Catalog.merged_with_live``).

    Attributes:
        ttl: Seconds a fetched list stays fresh.
        catalog: The merged catalog of the last lookup, or ``None``.
        fetched_at: Clock time of the last lookup (successful or not).
    """

    ttl: float = 600.0
    catalog: Catalog | None = None
    fetched_at: float | None = None

    def stale(self, now: float) -> bool:
        """Whether a lookup is due."""
        return self.fetched_at is None or now - self.fetched_at > self.ttl


@dataclass
class FlowContext:
    """What a flow needs besides its arguments; ``task_id`` and ``delivered`` are kept up to
    date so that a driver can tell the user how to resume after an interruption."""

    config: ClientConfig
    catalog: Catalog
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    task_id: str | None = None
    delivered: int = 0
    surface: Surface = CORE_SURFACE
    live: LiveModels | None = None

    def deadline(self, seconds: float | None) -> float:
        """The absolute deadline for an operation starting now.

        Raises:
            RequestValidationError: ``seconds`` is zero, negative or not a number; such a
                deadline has passed before the request is sent, so nothing is sent.
        """
        if seconds is not None and not (isinstance(seconds, (int, float)) and seconds > 0):
            raise RequestValidationError(
                f"deadline={seconds!r} must be a positive number of seconds.",
                field="deadline",
                fix="pass deadline=None for the default (timeouts.deadline) or e.g. deadline=60",
            )
        return self.clock() + (self.config.timeouts.deadline if seconds is None else seconds)


# --- errors --------------------------------------------------------------------------------------


def scrub_key(data: bytes, ctx: FlowContext) -> bytes:
    """``data`` with the API key replaced: a gateway may echo the Authorization header in an
    error body, which we keep in the error's message and ``.body``."""
    key = ctx.config.api_key.get_secret_value() if ctx.config.api_key else ""
    return data.replace(key.encode(), b"[redacted]") if key else data


def _status_error(reply: Reply, ctx: FlowContext, what: str, suffix: str = "") -> APIStatusError:
    detail = None
    reply = replace(reply, body=scrub_key(reply.body, ctx))
    try:
        detail = ErrorBody.model_validate_json(reply.body).error
        body: Any = json.loads(reply.body)
    except (ValidationError, ValueError):
        body = reply.body.decode("utf-8", "replace")[:1000]
    code = detail.code if detail else None
    text = (detail.message if detail and detail.message else None) or f"HTTP {reply.status}"
    cls = status_error_class(reply.status, code)
    kwargs: dict[str, Any] = {
        "task_id": ctx.task_id,
        "status": reply.status,
        "code": code,
        "request_id": reply.headers.get("x-request-id"),
        "body": body,
    }
    if cls is RateLimitError:
        from ._policies import parse_retry_after

        kwargs["retry_after"] = parse_retry_after(reply.headers)
    if reply.status == 401:
        # The server's text speaks of headers; what the user controls is the key and the URL.
        suffix += (
            f". The key was refused by {ctx.config.base_url}: check {API_KEY_ENV} (or api_key=) "
            f"and that {BASE_URL_ENV} points at the service the key belongs to (an emulator's "
            "key is sk-emulator)"
        )
    return cls(f"{what} failed: {text}{suffix}", **kwargs)


def _transport_error(failure: TransportFailure, ctx: FlowContext, what: str) -> FoxAPIError:
    cls = APITimeoutError if failure.timeout else APIConnectionError
    reason = f"{type(failure.error).__name__}: {failure.error}".rstrip(": ")
    return cls(f"{what} to {ctx.config.base_url} failed: {reason}", task_id=ctx.task_id)


def _with_suffix(error: FoxAPIError, suffix: str) -> FoxAPIError:
    rebuilt = error.__reduce__()[1]
    return type(error)(rebuilt[1] + suffix, **rebuilt[2])


def parse_reply(model: type[BaseModel], reply: Reply, ctx: FlowContext, what: str) -> Any:
    try:
        return model.model_validate_json(reply.body)
    except (ValidationError, RecursionError) as exc:
        problem = (
            f"unexpected response body ({exc.error_count()} problems)"
            if isinstance(exc, ValidationError)
            else "the response body is nested too deeply to parse"
        )
        raise FoxAPIError(
            f"{what}: {problem}",
            task_id=ctx.task_id,
            status=reply.status,
            request_id=reply.headers.get("x-request-id"),
        ) from (exc if isinstance(exc, ValidationError) else None)


# --- requests with retries ----------------------------------------------------------------------


def send_flow(ctx: FlowContext, cmd: Send, deadline: float) -> Flow[Reply]:
    """Send ``cmd``, retrying per the retry policy inside ``deadline``; return a 2xx reply.

    A submit is re-sent only when the server certainly created no task (reference section 10),
    at most ``RetryPolicy.max_retries`` times. Opening a stream is also retried that many times
    only: it has a fallback (``_generation`` polls the task instead), which retrying until the
    deadline would starve. Other idempotent requests (polls, list_models) are retried with the
    same capped, jittered backoff for as long as the next wait fits in ``deadline``: a run of 5xx
    answers does not abort a call with most of its deadline left, and the deadline still bounds
    the whole call.
    """
    policy = ctx.config.retry
    what = f"{cmd.method} {cmd.path}"
    attempt = 0
    while True:
        # A stream opened near the deadline gets no grace: its reads would only wait for chunks.
        floor = STREAM_MIN_TIME if cmd.kind == "stream" else MIN_REQUEST_TIME
        reply = yield cmd.capped(max(deadline - ctx.clock(), floor))
        headers: Mapping[str, str] | None = None
        if isinstance(reply, TransportFailure):
            if cmd.submit and reply.sent:
                raise SubmitOutcomeUnknownError(
                    f"The submit reached FoxAPI but no answer came back "
                    f"({type(reply.error).__name__}); a task may or may not have been created, "
                    "and it was not re-sent to avoid a second, billed task. Check your FoxAPI "
                    "task list before submitting again.",
                    task_id=ctx.task_id,
                ) from reply.error
            error: FoxAPIError = _transport_error(reply, ctx, what)
        elif 300 <= reply.status < 400:
            # Redirects are never followed: the Authorization header must not reach another
            # address. FoxAPI documents none, so one means a wrong base URL or a hostile hop.
            location = reply.headers.get("location", "?")
            raise APIStatusError(
                f"{what} failed: FoxAPI answered HTTP {reply.status} redirecting to {location!r}; "
                "redirects are not followed so that the API key is only ever sent to base_url. "
                "Set base_url to the address the service really answers on.",
                task_id=ctx.task_id,
                status=reply.status,
                request_id=reply.headers.get("x-request-id"),
                location=location,
            )
        elif reply.status < 400:
            ok: Reply = reply
            return ok
        else:
            retryable = policy.submit_retry_statuses if cmd.submit else policy.retry_statuses
            if reply.status not in retryable:
                error = _status_error(reply, ctx, what)
                if cmd.submit and reply.status >= 500:
                    raise SubmitOutcomeUnknownError(
                        f"{error.message}; the gateway may already have created a task, so the "
                        "submit was not re-sent. Check your FoxAPI task list before submitting "
                        "again.",
                        task_id=ctx.task_id,
                        status=reply.status,
                        code=error.code,
                        request_id=error.request_id,
                    ) from error
                raise error
            error = _status_error(reply, ctx, what)
            headers = reply.headers
        if (cmd.submit or cmd.kind == "stream") and attempt >= policy.max_retries:
            raise error
        delay = policy.delay(attempt, headers, ctx.rng)
        remaining = deadline - ctx.clock()
        if delay > remaining:
            raise _with_suffix(
                error,
                f"; a retry in {delay:.3g} s would pass the deadline ({max(remaining, 0):.3g} s "
                "left)",
            )
        yield Sleep(delay)
        attempt += 1


# --- simple operations ---------------------------------------------------------------------------


def validate_body(ctx: FlowContext, body: Mapping[str, Any]) -> None:
    """Raise RequestValidationError, before anything is sent, if ``body`` breaks a rule.

    A model the built-in catalog lacks is judged by the cached live list when there is one;
    :func:`validate_flow` fetches that list first.
    """
    if not ctx.config.validate_requests:
        return
    catalog = ctx.catalog
    model = body.get("model")
    live = ctx.live.catalog if ctx.live is not None else None
    if isinstance(model, str) and model not in catalog and live is not None and model in live:
        catalog = live
    violations = check_body(body, catalog=catalog, surface=ctx.surface)
    if not violations:
        return
    first = violations[0]
    lines = [f"{v.message} Fix: {v.fix}" for v in violations]
    message = lines[0] if len(lines) == 1 else "\n".join(["Invalid request:", *lines])
    raise RequestValidationError(
        message,
        model=model if isinstance(model, str) else None,
        field=first.field,
        fix=first.fix,
        code=first.code,
        violations=tuple(violations),
    )


def validate_flow(ctx: FlowContext, body: Mapping[str, Any], deadline: float) -> Flow[None]:
    """:func:`validate_body`, after looking an unknown model up in the live list (once per TTL).

    The lookup is free (protocol doc 6); if it fails, the model is refused as unknown.
    """
    model = body.get("model")
    live = ctx.live
    if (
        ctx.config.validate_requests
        and live is not None
        and isinstance(model, str)
        and model
        and model not in ctx.catalog
        and live.stale(ctx.clock())
    ):
        live.fetched_at = ctx.clock()
        try:
            live.catalog = yield from list_models_flow(ctx, deadline)
        except FoxAPIError as exc:
            logger.info("live model list unavailable (%s); judging %s by the catalog", exc, model)
    validate_body(ctx, body)


def submit_flow(ctx: FlowContext, body: Mapping[str, Any], deadline: float) -> Flow[Task]:
    """Validate and submit a generation; return the new task.

    A 2xx answer that is not a usable task (truncated, an HTML page, no ``id``) may still mean a
    task was created: that is :class:`SubmitOutcomeUnknownError`, never a generic error, so the
    caller does not submit (and pay) again blindly. An ``id`` that would change the URL it goes
    into is :class:`ProtocolError`, and nothing is requested with it.
    """
    ctx.config.require_key()
    yield from validate_flow(ctx, body, deadline)
    reply = yield from send_flow(ctx, Send("POST", SUBMIT_PATH, body=body, submit=True), deadline)
    try:
        task: Task = parse_reply(Task, reply, ctx, "submit")
    except FoxAPIError as exc:
        raise SubmitOutcomeUnknownError(
            f"The submit was accepted (HTTP {reply.status}) but its answer is not a FoxAPI task "
            f"({exc.message}); a task may have been created and billed. Check your FoxAPI task "
            "list before submitting again.",
            status=reply.status,
            request_id=reply.headers.get("x-request-id"),
        ) from exc
    ctx.task_id = check_server_task_id(task.id, "submit")
    return task


_TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def check_server_task_id(task_id: object, what: str) -> str:
    """A task id the server sent, checked like a user's before it enters a URL path.

    Raises:
        ProtocolError: the id could change the URL (``../``, ``/``, ``?``, ``%``, whitespace,
            non-ASCII) or is not a string; ``raw_value`` holds it.
    """
    if isinstance(task_id, str) and _TASK_ID.fullmatch(task_id):
        return task_id
    raise ProtocolError(
        f"{what}: FoxAPI answered with a task id that is unsafe to put into a URL ({task_id!r}); "
        "nothing was requested with it. Report it with the request id to FoxAPI support.",
        raw_value=task_id,
    )


def check_task_id(task_id: str) -> str:
    """Refuse a task id that could change the URL it is put into (``../``, ``?``, ``/``)."""
    if not isinstance(task_id, str) or not _TASK_ID.fullmatch(task_id):
        raise RequestValidationError(
            f"{task_id!r} is not a FoxAPI task id (letters, digits, '-', '_', '.').",
            field="task_id",
            fix="pass the id returned by submit(), e.g. 'task-llm-1776874481-rj6bs3yb'",
        )
    return task_id


TRANSPORTS = ("stream", "poll", "sync")


def check_call_options(*, transport: object = "stream", offset: object = 0) -> None:
    """Refuse a ``transport`` or stream ``offset`` that cannot work, before anything is sent.

    Raises:
        RequestValidationError: naming the field and the values that are accepted.
    """
    if transport not in TRANSPORTS:
        raise RequestValidationError(
            f"transport={transport!r} is not a FoxAPI transport.",
            field="transport",
            fix="use transport='stream' (default), 'poll' or 'sync'",
        )
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise RequestValidationError(
            f"offset={offset!r} must be a chunk count of 0 or more.",
            field="offset",
            fix="pass offset=0 to stream from the start, or the number of chunks already read",
        )


def get_task_flow(
    ctx: FlowContext, task_id: str, deadline: float, *, sync_upstream: bool = False
) -> Flow[Task]:
    """``GET /v1/tasks/{task_id}``."""
    ctx.config.require_key()
    ctx.task_id = check_task_id(task_id)
    params = {"sync_upstream": "true"} if sync_upstream else None
    reply = yield from send_flow(ctx, Send("GET", f"/v1/tasks/{task_id}", params=params), deadline)
    task: Task = parse_reply(Task, reply, ctx, "get task")
    if task.id != task_id:
        # A cache or proxy mixing up answers: another task's result must never pass for ours.
        raise ProtocolError(
            f"get task {task_id}: FoxAPI answered about another task ({task.id!r}); the answer "
            "was refused. Retry, or report it with the request id to FoxAPI support.",
            task_id=task_id,
            request_id=reply.headers.get("x-request-id"),
            raw_value=task.id,
        )
    return task


def list_models_flow(ctx: FlowContext, deadline: float) -> Flow[Catalog]:
    """``GET /v1/configs/llm_generations_models``, merged into the documented catalog."""
    ctx.config.require_key()
    reply = yield from send_flow(ctx, Send("GET", MODELS_PATH), deadline)
    try:
        payload = json.loads(reply.body)
    except ValueError as exc:
        raise FoxAPIError("list models: the answer is not JSON", status=reply.status) from exc
    except RecursionError:
        raise FoxAPIError(
            "list models: the answer is nested too deeply", status=reply.status
        ) from None
    try:
        return ctx.catalog.merged_with_live(payload)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise FoxAPIError(
            f"list models: unexpected answer ({type(exc).__name__}: {str(exc)[:200]})",
            status=reply.status,
            request_id=reply.headers.get("x-request-id"),
        ) from None


# Reference section 3: the documented statuses (plus ``cancelled``, terminal). Anything else is
# compared case-insensitively; an unknown status with results is taken as done (section 10).
_RUNNING = frozenset({"pending", "processing"})
_FAILED = frozenset({"failed", "cancelled"})
#: An unknown status without results is polled this many times, or this many seconds, before it
#: is refused: long enough to ride out a transient label, far shorter than the default deadline.
UNKNOWN_STATUS_POLLS = 5
UNKNOWN_STATUS_SECONDS = 60.0


def _completed_result(task: Task, task_id: str) -> Task:
    """``task`` if its first result has an answer; a completed result with no choice is an error
    (it would read as an empty answer)."""
    assert task.results
    if not task.results[0].choices:
        raise TaskFailedError(
            f"Task {task_id} is {task.status} but its result has no choices (no answer); read "
            "the raw task with client.get_task(task_id).",
            task_id=task_id,
            code="empty_choices",
        )
    return task


def wait_flow(
    ctx: FlowContext,
    task_id: str,
    deadline: float,
    *,
    first_delay: float = 0.0,
    on_progress: Callable[[Task], None] | None = None,
) -> Flow[Task]:
    """Poll until the task is completed (returned) or failed (raised), per the poll policy.

    The last poll happens exactly at the deadline (the Smithy waiter rule). Statuses are compared
    case-insensitively; a status outside the documented ones counts as done when the task carries
    results, else it is logged once and refused after :data:`UNKNOWN_STATUS_POLLS` polls or
    :data:`UNKNOWN_STATUS_SECONDS` seconds, whichever comes first.

    Raises:
        TaskFailedError: the task failed or was cancelled (``code`` from the server), its
            result has no choices (``code="empty_choices"``), it stayed ``completed`` without
            results (``code="empty_results"``) or in an unknown status (``code="unknown_status"``,
            ``task_status`` names it).
        TaskTimeoutError: the deadline passed first; the task may still complete.
    """
    policy = ctx.config.poll
    started = ctx.clock()
    null_results = 0
    unknown_polls = 0
    unknown_since = 0.0
    if first_delay > 0:
        yield Sleep(min(first_delay, max(deadline - started, 0.0)))
    while True:
        task = yield from get_task_flow(ctx, task_id, deadline)
        if on_progress is not None:
            on_progress(task)
        status = task.status.lower() if isinstance(task.status, str) else str(task.status)
        if status in _FAILED:
            error = task.error
            raise TaskFailedError(
                f"Task {task_id} {status}: "
                f"{(error.message if error else None) or 'no message from FoxAPI'}",
                task_id=task_id,
                code=(error.code or error.type) if error else status,
            )
        if task.results:
            if status != "completed":
                logger.warning(
                    "Task %s: unknown status %r with results; taken as completed.",
                    task_id,
                    task.status,
                )
            return _completed_result(task, task_id)
        if status == "completed":
            # Reference section 3: `completed` can briefly come with null results; re-query.
            null_results += 1
            if null_results > policy.null_result_retries:
                raise TaskFailedError(
                    "The task is completed but FoxAPI returned no result after "
                    f"{null_results} queries.",
                    task_id=task_id,
                    code="empty_results",
                )
        elif status not in _RUNNING:
            if not unknown_polls:
                unknown_since = ctx.clock()
                logger.warning(
                    "Task %s: FoxAPI reports the undocumented status %r; polling on for at most "
                    "%d polls or %g s.",
                    task_id,
                    task.status,
                    UNKNOWN_STATUS_POLLS,
                    UNKNOWN_STATUS_SECONDS,
                )
            unknown_polls += 1
            if (
                unknown_polls >= UNKNOWN_STATUS_POLLS
                or ctx.clock() - unknown_since >= UNKNOWN_STATUS_SECONDS
            ):
                raise TaskFailedError(
                    f"Task {task_id} is in the status {task.status!r}, which FoxAPI does not "
                    f"document, with no result after {unknown_polls} polls; read it with "
                    "client.get_task(task_id) or wait again with client.wait(task_id).",
                    task_id=task_id,
                    code="unknown_status",
                    task_status=task.status,
                )
        now = ctx.clock()
        if now >= deadline:
            raise TaskTimeoutError(
                f"Task {task_id} did not finish before the deadline (status {task.status}); it "
                "may still complete: resume with client.wait(task_id).",
                task_id=task_id,
            )
        yield Sleep(min(policy.next_interval(now - started), deadline - now))
