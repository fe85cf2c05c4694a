"""The shared audio layer of the LangChain and LlamaIndex loaders, readers and tools.

It turns what a user has (a path, bytes, a file-like object, an http(s) URL) into FoxAPI audio-form
requests (protocol doc 2.1), checking every documented rule *before* anything is read into
memory or sent (see :mod:`foxapi_core._audio_source`), and runs them with bounded concurrency, in
a stable order. :class:`FoxAPIAudio` returns :class:`AudioResult` objects carrying the answer,
the shared metadata schema and a deterministic id, so both frameworks build identical documents.

Example:
    >>> audio = FoxAPIAudio(model="gemini-2.5-pro")
    >>> audio.transcribe("meeting.wav")
    >>> audio.ask("https://example.com/call.mp3", "Who called whom?")
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import importlib
import logging
import os
import threading
import weakref
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sized
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypedDict

from ._audio_source import (
    _HTTP_URL,
    DEFAULT_AUDIO_MODEL,
    DEFAULT_AUDIO_PROMPT,
    AudioInput,
    AudioJob,
    AudioOptions,
    AudioResult,
    AudioSource,
    NamedAudio,
    OnError,
    ProgressCallback,
    audio_metadata,
    build_request,
    build_video_request,
    document_id,
    plan_jobs,
)
from ._batch_audio import AudioJournal, Need, advance
from ._batch_journal import Journal
from ._client import (
    AsyncFoxAPIClient,
    AsyncStreamingGeneration,
    FoxAPIClient,
    StreamingGeneration,
)
from ._errors import FoxAPIError, RequestValidationError, StreamError
from ._wire import ChatCompletion

__all__ = [
    "DEFAULT_AUDIO_MODEL",
    "DEFAULT_AUDIO_PROMPT",
    "AudioInput",
    "AudioJob",
    "AudioOptions",
    "AudioResult",
    "AudioSettings",
    "AudioSource",
    "FoxAPIAudio",
    "NamedAudio",
    "OnError",
    "ProgressCallback",
    "SegmentCallback",
    "audio_metadata",
    "build_request",
    "build_video_request",
    "confine_path",
    "document_id",
    "plan_jobs",
    "progress_bar",
]

logger = logging.getLogger("foxapi")
_END = object()  # end-of-sources marker (None could be a user's item)


def _label(item: Any) -> str:
    if isinstance(item, AudioSource):
        return item.source
    if isinstance(item, NamedAudio):
        return item.name
    if isinstance(item, (str, os.PathLike)):
        return os.fspath(item)
    if isinstance(item, (bytes, bytearray, memoryview)):
        return f"<{len(item)} bytes>"
    return str(getattr(item, "name", f"<{type(item).__name__}>"))


class AudioSettings(TypedDict, total=False):
    """The keyword options of :class:`FoxAPIAudio`, as the framework loaders, parsers and readers
    take them (``**settings: Unpack[AudioSettings]``, PEP 692): one list, checked by type
    checkers at the call site, forwarded as is. Defaults and meanings: :class:`FoxAPIAudio` and
    :class:`AudioOptions`."""

    model: str
    prompt: str | None
    system_prompt: str | None
    reasoning: bool | None
    max_tokens: int | None
    temperature: float | None
    split: bool
    max_segment_s: float | None
    strict_format: bool
    max_concurrency: int
    on_error: OnError
    api_key: str | None
    base_url: str | None
    client: FoxAPIClient | None
    async_client: AsyncFoxAPIClient | None
    journal: Journal | str | os.PathLike[str] | None


class FoxAPIAudio:
    """Transcribe or question audio through FoxAPI, one source or many, sync or async.

    Sources run ``max_concurrency`` at a time (threads for the sync API, an
    ``asyncio.Semaphore`` for the async one: at most that many requests exist at once; a local
    file is encoded while it is sent, never held whole as base64) and results come back in the
    order of the sources, segments in time order. ``on_error="record"`` turns a failure into a
    result with ``error`` set and ``metadata["error"]`` instead of raising; nothing is ever
    skipped silently.

    Args:
        model, prompt, system_prompt, ...: See :class:`AudioOptions` (or pass ``options``).
        max_concurrency: Sources (and segments) in flight at once.
        on_error: ``"raise"`` (default) or ``"record"``.
        journal: A :class:`~foxapi_core.Journal` or a SQLite path: each file's (segment's)
            state is kept there, so a rerun after a crash returns finished transcripts from
            it, resumes submitted tasks by id and submits only the rest.
        client / async_client: Clients to use; otherwise built from ``api_key`` / ``base_url``
            (default ``FOXAPI_API_KEY`` / ``FOXAPI_BASE_URL``) and ``client_kwargs``.

    Example:
        >>> audio = FoxAPIAudio(split=True, max_concurrency=8)
        >>> for result in audio.iter_results(["a.wav", "b.mp3"]):
        ...     print(result.metadata["source"], result.text)
    """

    def __init__(
        self,
        model: str = DEFAULT_AUDIO_MODEL,
        *,
        options: AudioOptions | None = None,
        max_concurrency: int = 4,
        on_error: OnError = "raise",
        client: FoxAPIClient | None = None,
        async_client: AsyncFoxAPIClient | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        client_kwargs: dict[str, Any] | None = None,
        journal: Journal | str | os.PathLike[str] | None = None,
        **option_fields: Any,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, got {max_concurrency}")
        if on_error not in ("raise", "record"):
            raise ValueError(f"on_error must be 'raise' or 'record', got {on_error!r}")
        self.options = options or AudioOptions(model=model, **option_fields)
        self.max_concurrency = max_concurrency
        self.on_error: OnError = on_error
        self._client, self._async_client = client, async_client
        self._own = (client is None, async_client is None)
        self._client_kwargs = {"api_key": api_key, "base_url": base_url, **(client_kwargs or {})}
        # One semaphore per event loop, shared by every concurrent call on this object: a
        # framework may run many single-file loads at once (SimpleDirectoryReader.aload_data
        # gathers one coroutine per file) and the bound must hold across them.
        self._slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._slots = weakref.WeakKeyDictionary()
        self._slots_lock = threading.Lock()
        self._thread_slots = threading.BoundedSemaphore(max_concurrency)
        # journal=: a rerun after a crash skips finished files and never resubmits (docs/scale.md).
        self.journal = AudioJournal(journal) if journal is not None else None

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        with self._slots_lock:
            slots = self._slots.get(loop)
            if slots is None:
                slots = self._slots[loop] = asyncio.Semaphore(self.max_concurrency)
        return slots

    @property
    def client(self) -> FoxAPIClient:
        """The sync client (created on first use)."""
        with self._slots_lock:  # worker threads may ask at once; build one client only
            if self._client is None:
                self._client = FoxAPIClient(**self._client_kwargs)
            return self._client

    @property
    def async_client(self) -> AsyncFoxAPIClient:
        """The async client (created on first use; it keeps one pool per event loop)."""
        with self._slots_lock:
            if self._async_client is None:
                self._async_client = AsyncFoxAPIClient(**self._client_kwargs)
            return self._async_client

    # -- one source ---------------------------------------------------------------------------

    def _prepare(self, item: Any, options: AudioOptions) -> list[AudioJob]:
        source = AudioSource.from_input(item, strict_format=options.strict_format)
        jobs = plan_jobs(source, options)
        _ = source.digest  # hash now, in the worker thread, not later on the event loop
        return jobs

    def _result(
        self, job: AudioJob, options: AudioOptions, completion: ChatCompletion, task_id: str | None
    ) -> AudioResult:
        meta = audio_metadata(job, options)
        return AudioResult(completion.text, meta, document_id(job, options), task_id=task_id)

    def _failed(
        self, item: Any, job: AudioJob | None, options: AudioOptions, exc: Exception
    ) -> AudioResult:
        if self.on_error == "raise":
            raise exc
        logger.warning("FoxAPI audio failed for %s: %s", _label(item), exc)
        if job is not None:
            meta, doc_id = audio_metadata(job, options), document_id(job, options)
        else:
            meta = {"source": _label(item), "model": options.model}
            doc_id = hashlib.sha256(f"error\x1f{_label(item)}".encode()).hexdigest()
        meta |= {"error": str(exc), "error_type": type(exc).__name__}
        return AudioResult("", meta, doc_id, exc)

    def _run_sync(
        self, item: Any, options: AudioOptions, on_segment: SegmentCallback | None = None
    ) -> list[AudioResult]:
        with self._thread_slots:  # the bound holds across concurrent calls from many threads
            return self._run_sync_unbounded(item, options, on_segment)

    def _run_sync_unbounded(
        self, item: Any, options: AudioOptions, on_segment: SegmentCallback | None
    ) -> list[AudioResult]:
        try:
            jobs = self._prepare(item, options)
        except Exception as exc:
            return [self._failed(item, None, options, exc)]
        results = []
        for job in jobs:
            try:
                if self.journal is not None:
                    results.append(self._journaled_sync(job, options))
                else:
                    stream = self.client.stream_generate(build_request(job, options))
                    for _ in stream:
                        pass
                    completion = _completion(stream)
                    results.append(self._result(job, options, completion, stream.task_id))
            except Exception as exc:
                results.append(self._failed(item, job, options, exc))
            if on_segment is not None and len(jobs) > 1:
                on_segment(results[-1], len(results), len(jobs))
        return results

    def _journaled_sync(self, job: AudioJob, options: AudioOptions) -> AudioResult:
        # The decisions live in AudioJournal.flow; this and _journaled_async only do the I/O.
        assert self.journal is not None
        flow = self.journal.flow(document_id(job, options))
        step = advance(flow)
        while isinstance(step, Need):
            try:
                if step.what == "submit":
                    answer: Any = self.client.submit(build_request(job, options), stream=True).id
                else:
                    stream = self.client.stream(step.task_id)
                    for _ in stream:
                        pass
                    answer = _completion(stream)
            except FoxAPIError as exc:
                step = advance(flow, failure=exc)
            else:
                step = advance(flow, answer)
        return self._result(job, options, *step)

    async def _journaled_async(self, job: AudioJob, options: AudioOptions) -> AudioResult:
        assert self.journal is not None
        flow = self.journal.flow(document_id(job, options))
        step = advance(flow)
        while isinstance(step, Need):
            try:
                if step.what == "submit":
                    request = await asyncio.to_thread(build_request, job, options)
                    answer: Any = (await self.async_client.submit(request, stream=True)).id
                else:
                    stream = self.async_client.stream(step.task_id)
                    async for _ in stream:
                        pass
                    answer = _completion(stream)
            except FoxAPIError as exc:
                step = advance(flow, failure=exc)
            else:
                step = advance(flow, answer)
        return self._result(job, options, *step)

    async def _agenerate(self, job: AudioJob, options: AudioOptions) -> AudioResult:
        if self.journal is not None:
            return await self._journaled_async(job, options)
        request = await asyncio.to_thread(build_request, job, options)  # file I/O + base64
        stream = self.async_client.stream_generate(request)
        del request  # the flow holds the body; do not keep a second reference to the data URI
        async for _ in stream:
            pass
        return self._result(job, options, _completion(stream), stream.task_id)

    async def _run_async(
        self,
        item: Any,
        options: AudioOptions,
        slots: asyncio.Semaphore,
        on_segment: SegmentCallback | None = None,
    ) -> list[AudioResult]:
        finished = 0

        async def one(job: AudioJob) -> AudioResult:
            nonlocal finished
            async with slots:
                try:
                    result = await self._agenerate(job, options)
                except Exception as exc:
                    result = self._failed(item, job, options, exc)
            finished += 1
            if on_segment is not None and len(jobs) > 1:
                on_segment(result, finished, len(jobs))
            return result

        try:
            async with slots:
                jobs = await asyncio.to_thread(self._prepare, item, options)
        except Exception as exc:
            return [self._failed(item, None, options, exc)]
        tasks = [asyncio.ensure_future(one(job)) for job in jobs]
        try:
            return list(await asyncio.gather(*tasks))
        finally:
            # With on_error="raise" the first failure ends this source: stop its other segments
            # rather than letting them run (and bill) unobserved.
            for task in tasks:
                task.cancel()

    # -- many sources -------------------------------------------------------------------------

    def iter_results(
        self,
        sources: Iterable[Any],
        *,
        prompt: str | None = None,
        on_progress: ProgressCallback | None = None,
        on_segment: SegmentCallback | None = None,
    ) -> Iterator[AudioResult]:
        """Run every source (``max_concurrency`` threads) and yield results in source order.

        Args:
            sources: Paths, URLs, bytes, file objects, :class:`NamedAudio` or
                :class:`AudioSource` objects.
            prompt: Overrides ``options.prompt`` for this run.
            on_progress: Called with ``(done, total)`` after each source.
            on_segment: For a source split into segments, called (from a worker thread) with
                ``(result, segments_done, segments)`` as each segment ends: progress inside one
                long recording.
        """
        options = self._options(prompt)
        total = len(sources) if isinstance(sources, Sized) else None
        done = 0
        with ThreadPoolExecutor(self.max_concurrency, thread_name_prefix="foxapi-audio") as pool:
            window: deque[Future[list[AudioResult]]] = deque()
            try:
                for item in _chain(sources):
                    if item is not _END:
                        window.append(pool.submit(self._run_sync, item, options, on_segment))
                    # Keep a bounded window of finished-but-unyielded work (memory stays flat).
                    while window and (item is _END or len(window) >= 2 * self.max_concurrency):
                        results = window.popleft().result()
                        done += 1
                        if on_progress is not None:
                            on_progress(done, total)
                        yield from results
            finally:
                for future in window:
                    future.cancel()

    async def aiter_results(
        self,
        sources: Iterable[Any],
        *,
        prompt: str | None = None,
        on_progress: ProgressCallback | None = None,
        on_segment: SegmentCallback | None = None,
    ) -> AsyncIterator[AudioResult]:
        """Async twin of :meth:`iter_results`: at most ``max_concurrency`` requests in flight
        (an ``asyncio.Semaphore``), results in source order; ``on_segment`` is called on the
        event loop."""
        options = self._options(prompt)
        total = len(sources) if isinstance(sources, Sized) else None
        slots = self._semaphore()
        window: deque[asyncio.Task[list[AudioResult]]] = deque()
        done = 0
        try:
            for item in _chain(sources):
                if item is not _END:
                    window.append(
                        asyncio.ensure_future(self._run_async(item, options, slots, on_segment))
                    )
                while window and (item is _END or len(window) >= 2 * self.max_concurrency):
                    results = await window.popleft()
                    done += 1
                    if on_progress is not None:
                        on_progress(done, total)
                    for result in results:
                        yield result
        finally:
            for task in window:
                task.cancel()

    def _options(self, prompt: str | None) -> AudioOptions:
        return self.options if prompt is None else dataclasses.replace(self.options, prompt=prompt)

    # -- one source, as text ------------------------------------------------------------------

    def transcribe(self, source: Any) -> str:
        """Transcribe one source (segments joined); raises on any error."""
        return _join(self._strict(self.iter_results([source])))

    async def atranscribe(self, source: Any) -> str:
        """Async :meth:`transcribe`."""
        return _join(self._strict([r async for r in self.aiter_results([source])]))

    def ask(self, source: Any, question: str) -> str:
        """Ask a question about one source; returns the model's answer."""
        return _join(self._strict(self.iter_results([source], prompt=question)))

    async def aask(self, source: Any, question: str) -> str:
        """Async :meth:`ask`."""
        results = [r async for r in self.aiter_results([source], prompt=question)]
        return _join(self._strict(results))

    @staticmethod
    def _strict(results: Iterable[AudioResult]) -> list[AudioResult]:
        listed = list(results)
        for result in listed:
            if result.error is not None:
                raise result.error
        return listed

    def close(self) -> None:
        """Close the sync client if this object created it."""
        if self._own[0] and self._client is not None:
            self._client.close()

    async def aclose(self) -> None:
        """Close the clients this object created."""
        self.close()
        if self._own[1] and self._async_client is not None:
            await self._async_client.aclose()


#: Called as each segment of a split source ends: ``(result, segments_done, segments)``.
SegmentCallback = Callable[[AudioResult, int, int], None]


def _completion(stream: StreamingGeneration | AsyncStreamingGeneration) -> ChatCompletion:
    if stream.completion is None:  # the client sets it when the stream ends normally
        raise StreamError("The stream ended without a final answer.", task_id=stream.task_id)
    return stream.completion


def _chain(items: Iterable[Any]) -> Iterator[Any]:
    """``items`` then :data:`_END` once: lets one loop both fill the window and drain it."""
    yield from items
    yield _END


def _join(results: list[AudioResult]) -> str:
    if len(results) == 1:
        return results[0].text
    return "\n\n".join(
        f"[{r.metadata['start_s']:.1f}s-{r.metadata['end_s']:.1f}s] {r.text}" for r in results
    )


@contextmanager
def progress_bar(show: bool, total: int | None, desc: str) -> Iterator[ProgressCallback | None]:
    """A tqdm bar as a :data:`ProgressCallback` when ``show`` (the adapters' ``show_progress``).

    Raises:
        ImportError: ``show`` is true and tqdm is not installed (with how to get it).
    """
    if not show:
        yield None
        return
    try:
        tqdm = importlib.import_module("tqdm.auto").tqdm
    except ImportError:
        raise ImportError(
            "show_progress=True needs tqdm: pip install 'foxapi-integrations[progress]'"
        ) from None
    bar = tqdm(total=total, desc=desc, unit="file")

    def update(done: int, _total: int | None) -> None:
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


def confine_path(source: str, root_dir: str | os.PathLike[str] | None) -> str:
    """Keep a model-chosen local path inside ``root_dir`` (http(s) URLs pass unchanged).

    Agents pick the ``source`` of a tool call; without a root any readable file that looks like
    audio could be uploaded. Relative paths are taken relative to ``root_dir``.

    Raises:
        RequestValidationError: The path leaves ``root_dir``.
    """
    if root_dir is None or _HTTP_URL.match(source):
        return source
    root = Path(root_dir).expanduser().resolve()
    path = (root / Path(source).expanduser()).resolve()
    if not path.is_relative_to(root):
        raise RequestValidationError(
            f"{source!r} is outside the allowed directory {str(root)!r}.",
            field="audio_url",
            fix="Pass a file under that directory or an http(s) URL.",
        )
    return str(path)
