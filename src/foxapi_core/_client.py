"""``FoxAPIClient``: the blocking driver of the flows in :mod:`._flows` and :mod:`._generation`.

The sync and async clients (:mod:`._async_client`) share everything but the few lines that do I/O
(``_drive``): the flows decide, the drivers only send, read, sleep and hand items over. The shared
part is :mod:`._client_base`.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import httpx
from pydantic import SecretStr

from ._async_client import AsyncFoxAPIClient, AsyncStreamingGeneration
from ._catalog import Catalog
from ._client_base import (
    RequestLike,
    T,
    _body,
    _ClientBase,
    _failure,
    _note_interruption,
    _Result,
)
from ._cookies import skip_cookieless_extraction
from ._errors import ClientClosedError
from ._flows import (
    CloseStream,
    Emit,
    Flow,
    FlowContext,
    ReadStream,
    Reply,
    Send,
    Sleep,
    check_call_options,
    get_task_flow,
    list_models_flow,
    submit_flow,
    wait_flow,
)
from ._generation import generate_flow, stream_flow
from ._wire import ChatCompletion, ChunkEvent, Task, Transport

__all__ = [
    "AsyncFoxAPIClient",
    "AsyncStreamingGeneration",
    "FoxAPIClient",
    "RequestLike",
    "StreamingGeneration",
]

logger = logging.getLogger("foxapi")


class StreamingGeneration:
    """An iterator of ``ChunkEvent``\\ s; once exhausted, ``completion`` holds the final
    ChatCompletion (with usage, and reasoning for thinking models) and ``task_id`` the task.

    Example:
        >>> stream = client.stream_generate(MessagesRequest(model="gpt-5.5", messages=msgs))
        >>> for event in stream:
        ...     print(event.chunk.delta.content or "", end="")
        >>> stream.completion.usage
    """

    def __init__(self, items: Iterator[Any], ctx: FlowContext) -> None:
        self._items = items
        self._ctx = ctx
        self.completion: ChatCompletion | None = None

    @property
    def task_id(self) -> str | None:
        """The task's id, once submitted."""
        return self._ctx.task_id

    def __iter__(self) -> Iterator[ChunkEvent]:
        for item in self._items:
            if type(item) is _Result:
                self.completion = item.value
            else:
                yield item

    def close(self) -> None:
        """Stop streaming and release the connection."""
        close = getattr(self._items, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> StreamingGeneration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FoxAPIClient(_ClientBase):
    """Synchronous FoxAPI client.

    Args:
        api_key: the key; defaults to ``FOXAPI_API_KEY``. Needed only when a call is made.
        base_url: defaults to ``FOXAPI_BASE_URL``, else ``https://api.foxapi.cc``.
        timeouts: connect / read / stream-idle / overall deadline (``Timeouts``).
        retry: the ``RetryPolicy``; ``max_retries`` overrides its count.
        poll: the ``PollPolicy`` of ``wait()`` and ``transport="poll"``.
        allow_insecure_http: allow ``http://`` to a non-loopback host.
        validate: check requests against the model catalog before sending (a model missing
            from it is first looked up in the service's live model list, cached per client).
        catalog: the model catalog (defaults to the documented models).
        surface: how refusals name the switch that turns checks off (adapters pass theirs).
        live_catalog_ttl: seconds the live model list stays cached.
        http_client: an ``httpx.Client`` to use (not closed by ``close()``).

    Example:
        >>> with FoxAPIClient() as client:
        ...     answer = client.generate(TextRequest(model="gemini-2.5-pro", prompt="Hi"))
        ...     print(answer.text)
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        *,
        http_client: httpx.Client | None = None,
        **settings: Any,
    ) -> None:
        super().__init__(api_key, base_url, **settings)
        self._own_http = http_client is None
        self._http = http_client or httpx.Client(**self._http_settings())
        if self._own_http:
            skip_cookieless_extraction(self._http)
            # A client dropped without close() (e.g. inside a framework model object that has
            # no close hook) still releases its sockets when it is garbage-collected.
            weakref.finalize(self, self._http.close)

    _sleep: Callable[[float], None] = staticmethod(time.sleep)

    # -- the driver --------------------------------------------------------------------------

    def _drive(self, flow: Flow[Any], ctx: FlowContext) -> Iterator[Any]:
        http = self._http
        response: httpx.Response | None = None
        chunks: Iterator[bytes] | None = None
        reply: Any = None
        try:
            while True:
                try:
                    cmd = flow.send(reply)
                except StopIteration as stop:
                    yield _Result(stop.value)
                    return
                reply = None
                if type(cmd) is ReadStream:
                    try:
                        reply = next(chunks, b"")  # type: ignore[arg-type]
                    except httpx.TransportError as exc:
                        reply = _failure(exc)
                elif type(cmd) is Emit:
                    yield cmd.item
                elif type(cmd) is Send:
                    if response is not None:
                        response.close()
                        response = chunks = None
                    if self._closed:
                        raise ClientClosedError("The client was closed; nothing more was sent.")
                    try:
                        response = http.send(self._build(http, cmd), stream=True)
                        if cmd.kind == "stream" and response.is_success:
                            chunks = response.iter_bytes()
                            reply = Reply(response.status_code, response.headers)
                        else:
                            reply = Reply(response.status_code, response.headers, response.read())
                            response.close()
                            response = None
                    except httpx.TransportError as exc:
                        reply = _failure(exc)
                elif type(cmd) is Sleep:
                    self._sleep(cmd.seconds)
                elif type(cmd) is CloseStream and response is not None:
                    response.close()
                    response = chunks = None
        except BaseException as exc:
            _note_interruption(exc, ctx)
            raise
        finally:
            if response is not None:
                response.close()
            flow.close()

    def _run(self, flow: Flow[T], ctx: FlowContext) -> T:
        # Run the driver to its end rather than returning at the result: a driver abandoned at
        # its last yield would be closed later with GeneratorExit and log a bogus interruption.
        result: Any = None
        for item in self._drive(flow, ctx):
            if type(item) is _Result:
                result = item
        assert result is not None, "flow ended without a result"
        return result.value  # type: ignore[no-any-return]

    # -- operations --------------------------------------------------------------------------

    def submit(self, request: RequestLike, *, stream: bool = True) -> Task:
        """Validate and submit a generation; return the task at once (status ``pending``).

        Args:
            request: a wire request model or a plain body dict.
            stream: submit with ``stream=true`` (the default), so that the answer can be read,
                and resumed after a crash, with ``stream(task.id, offset=N)``; a task submitted
                with ``stream=False`` can only be polled (``wait(task.id)``).

        Raises:
            RequestValidationError: the request breaks a model rule (nothing was sent).
            SubmitOutcomeUnknownError: the submit may have created a task, with no answer.
        """
        ctx = self._context()
        body = _body(request)
        if stream:
            body["stream"] = True
        return self._run(submit_flow(ctx, body, ctx.deadline(None)), ctx)

    def get_task(self, task_id: str, *, sync_upstream: bool = False) -> Task:
        """The task's current state (``GET /v1/tasks/{task_id}``)."""
        ctx = self._context()
        flow = get_task_flow(ctx, task_id, ctx.deadline(None), sync_upstream=sync_upstream)
        return self._run(flow, ctx)

    def wait(
        self,
        task_id: str,
        *,
        deadline: float | None = None,
        on_progress: Callable[[Task], None] | None = None,
    ) -> Task:
        """Poll until the task completes and return it (``results[0]`` is the answer).

        Args:
            deadline: seconds to wait at most (default ``timeouts.deadline``).
            on_progress: called with the task after every poll.

        Raises:
            TaskFailedError: the task failed.
            TaskTimeoutError: the deadline passed; the task may still finish.
        """
        ctx = self._context()
        flow = wait_flow(ctx, task_id, ctx.deadline(deadline), on_progress=on_progress)
        return self._run(flow, ctx)

    def stream(
        self, task_id: str, *, offset: int = 0, deadline: float | None = None
    ) -> StreamingGeneration:
        """Stream an existing task's chunks from ``offset`` (e.g. to resume after a crash)."""
        ctx = self._context()
        check_call_options(offset=offset)
        flow = stream_flow(ctx, task_id, ctx.deadline(deadline), offset=offset)
        return StreamingGeneration(self._drive(flow, ctx), ctx)

    def generate(
        self,
        request: RequestLike,
        *,
        transport: Transport = "stream",
        deadline: float | None = None,
        on_progress: Callable[[Task], None] | None = None,
    ) -> ChatCompletion:
        """Submit a generation and return its ChatCompletion.

        Args:
            transport: ``"stream"`` (default; resumable, carries reasoning), ``"poll"`` or
                ``"sync"`` (one blocking request; cheapest, not resumable).
            deadline: overall seconds (default ``timeouts.deadline``).
            on_progress: with ``transport="poll"``, called with the task after every poll.
        """
        ctx = self._context()
        check_call_options(transport=transport)
        flow = generate_flow(
            ctx, _body(request), transport, ctx.deadline(deadline), on_progress=on_progress
        )
        return self._run(flow, ctx)

    def stream_generate(
        self, request: RequestLike, *, deadline: float | None = None
    ) -> StreamingGeneration:
        """Submit a generation and stream its chunks as they come (resuming after cuts)."""
        ctx = self._context()
        flow = generate_flow(ctx, _body(request), "stream", ctx.deadline(deadline), emit=True)
        return StreamingGeneration(self._drive(flow, ctx), ctx)

    def list_models(self) -> Catalog:
        """Refresh the catalog from ``GET /v1/configs/llm_generations_models`` and return it."""
        ctx = self._context()
        self.catalog = self._run(list_models_flow(ctx, ctx.deadline(None)), ctx)
        return self.catalog

    def close(self) -> None:
        """Close the connection pool (idempotent)."""
        self._closed = True
        if self._own_http:
            self._http.close()

    def __enter__(self) -> FoxAPIClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
