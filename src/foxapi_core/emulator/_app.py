"""The Starlette app: routes of the FoxAPI LLM task protocol plus ``/v1/chat/completions``.

Endpoints (protocol doc sections 2-6, gaps decided in section 10):

- ``POST /v1/llm/generations`` - submit (2); ``sync`` / ``stream`` matrix of 2.4;
- ``GET /v1/tasks/{task_id}`` - poll (3);
- ``GET /v1/llm/generations/{task_id}/stream`` - named-event SSE with ``?offset`` (4);
- ``GET /v1/configs/llm_generations_models`` - messages-form models (6);
- ``POST /v1/chat/completions`` - OpenAI-compatible, for side-by-side benchmarks (6).

A pure-ASGI gate in front of the router counts every request, checks the Bearer key (1) and adds
``x-request-id`` (5) to every response, including 401 and unknown routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import string
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._catalog import Catalog, FormDetectionError, detect_form
from .._checks import Violation, check_body
from .._routing import missing_reasoning_turns
from ._answer_wire import completion, encoded_chunks, usage_chunk, wants_usage_chunk
from ._faults import Fault, error_body
from ._responder import Answer, respond
from ._state import TaskRecord
from ._streams import chat_events, done_event, error_event, task_events

if TYPE_CHECKING:
    from ._emulator import Emulator

__all__ = ["ConnectionDropped", "EmulatorApp", "build_app"]

_RAW_SEND = "foxapi_emulator.raw_send"
_ID_ALPHABET = string.ascii_lowercase + string.digits
# Random bytes are mapped onto the alphabet by bytes.translate; the top 4 values are dropped
# (and drawn again), so that each character stays equally likely (252 = 7 * 36).
_ID_LIMIT = 256 - 256 % len(_ID_ALPHABET)
_ID_TABLE = bytes(ord(_ID_ALPHABET[b % len(_ID_ALPHABET)]) for b in range(256))
_ID_DROP = bytes(range(_ID_LIMIT, 256))
_SSE_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
# Doc section 6: capability names in their fixed order, with the block type each stands for.
_CAPABILITIES = (
    ("text", "text"),
    ("vision", "image_url"),
    ("video", "video_url"),
    ("audio", "audio_url"),
    ("file", "file_url"),
)
# Doc section 2.5: text/vision/video tasks are task-llmrouter-*, messages and audio task-llm-*.
_ID_PREFIX = {"messages": "task-llm", "audio": "task-llm"}


class ConnectionDropped(Exception):
    """Raised inside the app when a ``drop_after_submit`` fault drops the connection.

    Over a socket the emulator closes the connection itself and swallows this; over
    ``httpx.ASGITransport`` it reaches the client, which is how an in-process test sees the drop.
    """

    def __init__(self, task_id: str) -> None:
        super().__init__(f"connection dropped after creating task {task_id}")
        self.task_id = task_id

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.task_id,))


class EmulatorApp(Starlette):
    """Starlette app that remembers the server's own ``send`` for each request.

    Dropping a connection without a response is not expressible in ASGI: uvicorn answers 500 to
    an app that raises before responding (``uvicorn/protocols/http/h11_impl.py`` ``run_asgi``).
    uvicorn's ``send`` is a bound method of its request cycle, whose ``transport`` can be closed;
    Starlette wraps ``send`` on the way in, so the original is kept in the scope here.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        scope[_RAW_SEND] = send
        try:
            await super().__call__(scope, receive, send)
        except ConnectionDropped:
            if not scope.get("foxapi_emulator.dropped"):
                raise


async def drop_connection(scope: Scope, *, flush: bool) -> bool:
    """Close the client connection of ``scope`` under the server's feet.

    ``flush=True`` sends what was already written first (a stream cut after some chunks);
    ``False`` aborts. Returns ``False`` when there is no socket to close (``ASGITransport``).
    """
    owner = getattr(scope.get(_RAW_SEND), "__self__", None)
    transport = getattr(owner, "transport", None)
    if not isinstance(transport, asyncio.BaseTransport):
        return False
    scope["foxapi_emulator.dropped"] = True
    if flush:
        transport.close()
    elif isinstance(transport, asyncio.WriteTransport):
        transport.abort()
    else:
        transport.close()
    # Wait for uvicorn's connection_lost to mark the cycle disconnected: after that its send()
    # ignores what Starlette still writes (the end of the chunked body, or a 500 for an
    # exception), so the client sees a cut connection rather than a clean end.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 2.0
    # uvicorn exposes no awaitable for it, hence the short polling sleep.
    while not getattr(owner, "disconnected", True) and loop.time() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.001)
    return True


class _JSONResponse(JSONResponse):
    """``JSONResponse`` with the same bytes, rendered by one shared encoder.

    Starlette's ``render`` calls ``json.dumps`` with options, which builds a new encoder for every
    response; the options here are Starlette's own (``allow_nan=False`` included).
    """

    _encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    def render(self, content: Any) -> bytes:
        return self._encoder.encode(content).encode("utf-8")


class _ReadyEventStream(Response):
    """An SSE body known in full when the request arrives (a finished task, no fault): sent
    at once, with the headers and chunked framing of a ``StreamingResponse``.

    Under ASGI spec < 2.4 (uvicorn's h11 and httptools say 2.3) ``StreamingResponse`` runs the
    body in an anyio task group next to a disconnect listener, to stop a body that waits when
    the client goes away; a body that never waits has nothing to stop, and the task group was the
    larger part of the stream request's cost in the emulator.
    """

    media_type = "text/event-stream"

    def __init__(self, content: bytes, headers: Mapping[str, str]) -> None:
        self.status_code = 200
        self.background = None
        # No content length (the body is not set yet): chunked, as a streamed response.
        self.init_headers(headers)
        self.body = content

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body, "more_body": False})


def _error(
    status: int,
    kind: str,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An error response with the doc section 5 body."""
    error: dict[str, Any] = {"message": message, "type": kind}
    if code is not None:
        error["code"] = code
    if param is not None:
        error["param"] = param
    return _JSONResponse({"error": error}, status_code=status, headers=headers)


def _fault_response(fault: Fault) -> JSONResponse:
    body = fault.body if fault.body is not None else error_body(fault.status)
    return _JSONResponse(dict(body), status_code=fault.status, headers=dict(fault.headers))


#: Codes of an unknown model: the catalog's fix names a client switch (validate=False), which is
#: no advice a server gives; the server states the fact, and each client adds its own fix.
_UNKNOWN_MODEL = frozenset({"model_not_found", "model_not_supported"})


def _violation_response(violation: Violation) -> JSONResponse:
    unknown_model = violation.field == "model" and violation.code in _UNKNOWN_MODEL
    return _error(
        422,
        "invalid_request_error",
        violation.message if unknown_model else f"{violation.message} {violation.fix}",
        code=violation.code,
        param=violation.field,
    )


async def _json_body(request: Request) -> dict[str, Any] | Response:
    """The JSON object body, or a 400 response (doc section 5: bad JSON / Content-Type)."""
    content_type = request.headers.get("content-type")
    if content_type is not None and "json" not in content_type.lower():
        return _error(
            400,
            "invalid_request_error",
            f"Content-Type must be application/json, got {content_type[:60]!r}.",
        )
    try:
        raw = await request.body()
    except ClientDisconnect:
        # The client gave up mid-body (e.g. its file changed while it was sent): no task, and no
        # "Exception in ASGI application" in the user's test log. uvicorn drops the answer.
        return _error(400, "invalid_request_error", "The client went away mid-body.")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return _error(400, "invalid_request_error", "The request body is not valid JSON.")
    if not isinstance(body, dict):
        return _error(400, "invalid_request_error", "The request body must be a JSON object.")
    return body


async def _sleep_unless_disconnected(request: Request, seconds: float) -> None:
    """Sleep, but stop early when the client goes away (it timed out: nobody reads the answer)."""

    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    if seconds <= 0:
        return
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(disconnected(), timeout=seconds)


def _new_id(prefix: str, length: int) -> str:
    # One urandom call per id, not one secrets.choice (a urandom call each) per character: ids
    # are made on every submit and chat request.
    picked = b""
    while len(picked) < length:
        picked += os.urandom(length + 8).translate(_ID_TABLE, _ID_DROP)
    return prefix + picked[:length].decode("ascii")


def _check_encodable(answer: Answer) -> None:
    """Raise ``UnicodeEncodeError`` if the answer's stream chunks could not be encoded.

    Every string of the chunks is one of these (or a piece of one); JSON with
    ``ensure_ascii=False`` leaves a lone surrogate as it is, and strict UTF-8 refuses it.
    """
    for text in (answer.model, answer.content, answer.reasoning):
        text.encode("utf-8")
    for call in answer.tool_calls:
        (call.id + call.name + call.arguments).encode("utf-8")


class _Gate:
    """Pure-ASGI middleware: count, authenticate, tag with ``x-request-id``."""

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    @staticmethod
    def _kind(method: str, path: str) -> str | None:
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/llm/generations":
            return "submit_attempts"
        if method == "POST" and path == "/v1/chat/completions":
            return "chat_completions"
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v1", "tasks"]:
            return "polls"
        if method == "GET" and len(parts) == 5 and parts[:3] == ["v1", "llm", "generations"]:
            return "stream_requests" if parts[4] == "stream" else None
        return None

    def _authorized(self, scope: Scope) -> bool:
        expected = b"Bearer " + self.emulator.config.api_key.encode()
        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                scheme, _, token = value.partition(b" ")
                presented = b"Bearer " + token.strip() if scheme.lower() == b"bearer" else b""
                return hmac.compare_digest(presented, expected)
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        query = scope.get("query_string", b"").decode("latin-1")
        number = self.emulator.counters.record(method, path, query, self._kind(method, path))
        request_id = f"req-{number}".encode()

        async def tagged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", ()), (b"x-request-id", request_id)]
                message = {**message, "headers": headers}
            await send(message)

        if not self._authorized(scope):
            # Never echo the presented key (integration bar 4.11).
            response = _error(
                401,
                "authentication_error",
                "Invalid or missing API key: send 'Authorization: Bearer <key>'.",
            )
            await response(scope, receive, tagged_send)
            return
        await self.app(scope, receive, tagged_send)


class _Handlers:
    """Route handlers; all state lives on the :class:`Emulator`."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    @property
    def catalog(self) -> Catalog:
        return self.emu.catalog

    # ---- submit ------------------------------------------------------------------------------

    async def submit(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        emu = self.emu
        fault = emu.faults.take("submit")
        if fault is not None and fault.kind == "status":
            return _fault_response(fault)  # no task created: safe to re-send (doc section 10)
        if emu.config.validate:
            violations = check_body(body, catalog=self.catalog)
            if violations:
                return _violation_response(violations[0])
        if emu.config.thinking_tool_call_rule and self._missing_reasoning(body):
            return _error(
                400,
                "invalid_request_error",
                "reasoning_content is missing in assistant tool call message",
            )
        task = self.create_task(body)
        if fault is not None and fault.kind == "drop":
            await drop_connection(request.scope, flush=False)
            raise ConnectionDropped(task.id)
        if fault is not None and fault.kind == "delay":
            await _sleep_unless_disconnected(request, fault.seconds)
        if body.get("sync") is True and not emu.quirks.sync_as_task:
            return await self._sync_answer(request, task)
        return _JSONResponse(task.to_wire(None))

    async def _sync_answer(self, request: Request, task: TaskRecord) -> Response:
        # Doc section 2.4: sync returns a plain ChatCompletion, or (with stream) SSE on the POST,
        # framed with the named events of the stream endpoint (section 10).
        if task.stream:
            stream_fault = self.emu.faults.take("stream", lambda f: f.kind != "status")
            return self._sse(request, task, 0, stream_fault)
        await _sleep_unless_disconnected(request, task.finished_at - self.emu.clock())
        if task.failure is not None:
            # The generation ran and failed: the failed task's own error (type task_error,
            # section 5), on a 5xx since a sync call has no task to poll for it.
            return _error(
                500, "task_error", task.failure.get("message", ""), code=task.failure.get("code")
            )
        return _JSONResponse(self.emu.quirks.sync_answer(task.completion))

    def _missing_reasoning(self, body: dict[str, Any]) -> bool:
        # Moonshot's thinking-mode rule (protocol doc 10), for the catalog's thinking models.
        model = body.get("model")
        spec = self.catalog.get(model) if isinstance(model, str) else None
        return bool(spec and spec.thinking and missing_reasoning_turns(body))

    def create_task(self, body: dict[str, Any]) -> TaskRecord:
        """Create, store and count a task for an accepted submit body."""
        emu = self.emu
        cfg = emu.config
        try:
            form: str = detect_form(body)
        except FormDetectionError:
            form = "messages" if "messages" in body else "text"
        model = body.get("model")
        model_name = model if isinstance(model, str) else ""
        spec = self.catalog.get(model_name)
        answer = respond(body, thinking=bool(spec and spec.thinking), answer_words=cfg.answer_words)
        created = int(time.time())
        completion_id = _new_id("chatcmpl-", 24)
        # The stream's bytes are built on the first stream request (TaskRecord.chunk_data), not
        # here: a sync task is never streamed. Text UTF-8 cannot carry (a lone surrogate sent as
        # a JSON escape) still fails the submit, as when the chunks were encoded here.
        _check_encodable(answer)
        failure_fault = emu.faults.take("task")
        failure = None
        if failure_fault is not None:
            failure = {
                "code": failure_fault.code,
                "message": failure_fault.message,
                "type": "task_error",
            }
        prefix = f"{_ID_PREFIX.get(form, 'task-llmrouter')}-{created}-"
        with emu.lock:
            task_id = _new_id(prefix, 8)
            while task_id in emu.tasks:
                task_id = _new_id(prefix, 8)
            task = TaskRecord(
                id=task_id,
                form=form,
                model=model_name,
                created=created,
                stream=body.get("stream") is True,
                request=body,
                answer=answer,
                completion=completion(answer, completion_id=completion_id, created=created),
                chunk_size=cfg.chunk_size,
                submitted_at=emu.clock(),
                processing_delay=max(0.0, cfg.processing_delay),
                chunk_delay=max(0.0, cfg.chunk_delay),
                credits_reserved=max(1, -(-answer.usage.total_tokens // 500)),
                failure=failure,
            )
            emu.quirks.apply_to_task(task)
            task.fail_after = task.total_chunks // 2
            emu.tasks[task_id] = task
        emu.counters.add_submit()
        return task

    # ---- poll --------------------------------------------------------------------------------

    async def get_task(self, request: Request) -> Response:
        emu = self.emu
        task_id = request.path_params["task_id"]
        task = emu.tasks.get(task_id)
        now = emu.clock()
        completed = task is not None and task.status(now) == "completed"
        # null_results only applies to a poll that would answer completed (doc section 3 quirk).
        fault = emu.faults.take("poll", lambda f: f.kind == "status" or completed)
        if fault is not None and fault.kind == "status":
            return _fault_response(fault)
        if task is None:
            return _error(404, "not_found", f"Task {task_id[:80]} not found.")
        null_results = fault is not None and fault.kind == "null_results"
        wire = task.to_wire(now, null_results=null_results)
        return _JSONResponse(emu.quirks.task_answer(wire))

    # ---- stream ------------------------------------------------------------------------------

    async def stream(self, request: Request) -> Response:
        emu = self.emu
        task_id = request.path_params["task_id"]
        raw_offset = request.query_params.get("offset", "0")
        if not raw_offset.isdigit():
            return _error(
                400,
                "invalid_request_error",
                f"offset must be a non-negative integer, got {raw_offset[:40]!r}.",
                param="offset",
            )
        task = emu.tasks.get(task_id)
        now = emu.clock()
        servable = (
            task is not None and task.stream and not task.stream_expired(now, emu.config.stream_ttl)
        )
        fault = emu.faults.take("stream", lambda f: f.kind == "status" or servable)
        if fault is not None and fault.kind == "status":
            return _fault_response(fault)
        if task is None:
            return _error(404, "not_found", f"Task {task_id[:80]} not found.")
        if not task.stream:
            # Doc section 10: 400 for a task not submitted with stream=true.
            return _error(
                400,
                "invalid_request_error",
                f"Task {task_id} was not submitted with stream=true; poll GET /v1/tasks/{task_id}.",
            )
        if not servable:
            # Doc section 4: chunks are kept ~15 min; afterwards only GET /v1/tasks has the result.
            return _error(
                404,
                "not_found",
                f"The stream of task {task_id} has expired; get the result from "
                f"GET /v1/tasks/{task_id}.",
            )
        start = int(raw_offset) if emu.config.honour_offset else 0
        return self._sse(request, task, start, fault)

    def _sse(self, request: Request, task: TaskRecord, start: int, fault: Fault | None) -> Response:
        quirks = self.emu.quirks
        frames: tuple[list[bytes], bytes] | None = None
        if quirks.reframes:
            offset = int(request.query_params.get("offset", "0"))
            frames = quirks.stream_frames(task, offset)
        if fault is None and frames is not None and self.emu.clock() >= task.finished_at:
            events, end = frames
            ready = b"".join([*events[max(0, start) : task.produced_chunks], end])
            return _ReadyEventStream(ready, _SSE_HEADERS)
        if fault is None and self.emu.clock() >= task.finished_at:
            # What task_events would send, all of it available now: no wait, so no heartbeat.
            end = (
                error_event(task.failure.get("message", "task failed"))
                if task.failure is not None
                else done_event(task.total_chunks)
            )
            events = task.chunk_events[max(0, start) : task.produced_chunks]
            return _ReadyEventStream(b"".join([*events, end]), _SSE_HEADERS)
        scope = request.scope

        async def cut() -> bool:
            return await drop_connection(scope, flush=True)

        body = task_events(
            task,
            start=start,
            fault=fault,
            clock=self.emu.clock,
            heartbeat=self.emu.config.heartbeat_interval,
            on_cut=cut,
            events=frames[0] if frames is not None else None,
            end=frames[1] if frames is not None else None,
        )
        return StreamingResponse(body, media_type="text/event-stream", headers=_SSE_HEADERS)

    # ---- configs -----------------------------------------------------------------------------

    async def configs(self, request: Request) -> Response:
        data = [
            {
                "id": spec.name,
                "object": "model",
                "capabilities": [
                    cap for cap, block in _CAPABILITIES if block in spec.content_types
                ],
            }
            for spec in self.catalog
            if spec.takes_messages
        ]
        return _JSONResponse({"object": "list", "data": data})

    # ---- OpenAI-compatible chat --------------------------------------------------------------

    async def chat(self, request: Request) -> Response:
        body = await _json_body(request)
        if isinstance(body, Response):
            return body
        emu = self.emu
        fault = emu.faults.take("chat")
        if fault is not None:
            return _fault_response(fault)
        messages, model = body.get("messages"), body.get("model")
        if not isinstance(model, str) or not model:
            return _error(422, "invalid_request_error", "model is required.", param="model")
        if not isinstance(messages, list) or not messages:
            return _error(
                422, "invalid_request_error", "messages must be a non-empty list.", param="messages"
            )
        cfg = emu.config
        spec = self.catalog.get(model)
        answer = respond(body, thinking=bool(spec and spec.thinking), answer_words=cfg.answer_words)
        created = int(time.time())
        completion_id = _new_id("chatcmpl-", 24)
        if body.get("stream") is not True:
            n = len(answer.content.split()) + len(answer.reasoning.split())
            await _sleep_unless_disconnected(
                request, cfg.processing_delay + max(0, n - 1) * cfg.chunk_delay
            )
            result = completion(
                answer, completion_id=completion_id, created=created, include_reasoning=True
            )
            return _JSONResponse(result)
        pieces = encoded_chunks(
            answer, chunk_size=cfg.chunk_size, completion_id=completion_id, created=created
        )
        if wants_usage_chunk(body):
            pieces.append(usage_chunk(answer, completion_id=completion_id, created=created))
        frames = [b"data: " + piece + b"\n\n" for piece in pieces]
        events = chat_events(
            frames, first_delay=max(0.0, cfg.processing_delay), chunk_delay=cfg.chunk_delay
        )
        return StreamingResponse(events, media_type="text/event-stream", headers=_SSE_HEADERS)


async def _http_exception(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    kind = "not_found" if status == 404 else "invalid_request_error"
    message = f"No route {request.method} {request.url.path}." if status in (404, 405) else ""
    return _error(status, kind, message or str(exc))


def build_app(emulator: Emulator) -> EmulatorApp:
    """The Starlette app serving ``emulator``."""
    handlers = _Handlers(emulator)
    routes = [
        Route("/v1/llm/generations", handlers.submit, methods=["POST"]),
        Route("/v1/tasks/{task_id}", handlers.get_task, methods=["GET"]),
        Route("/v1/llm/generations/{task_id}/stream", handlers.stream, methods=["GET"]),
        Route("/v1/configs/llm_generations_models", handlers.configs, methods=["GET"]),
        Route("/v1/chat/completions", handlers.chat, methods=["POST"]),
    ]
    return EmulatorApp(
        routes=routes,
        middleware=[Middleware(_Gate, emulator=emulator)],
        exception_handlers={HTTPException: _http_exception},
    )
