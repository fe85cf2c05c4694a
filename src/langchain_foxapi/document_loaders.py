"""LangChain document loader and blob parser for audio: transcripts (or answers) as Documents.

Both are thin wrappers of :class:`foxapi_core._audio.FoxAPIAudio`, which resolves and checks
each source before anything is sent, and builds the shared metadata schema and deterministic ids.

Example:
    >>> from langchain_foxapi.document_loaders import FoxAPIAudioLoader
    >>> docs = FoxAPIAudioLoader(["standup.wav", "https://example.com/call.mp3"]).load()
    >>> loader = FoxAPIAudioLoader(["standup.wav", "https://example.com/call.mp3"])
    >>> docs = loader.load()
    >>> loader.task_ids[docs[0].id], docs[0].page_content
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from langchain_core.document_loaders import BaseBlobParser, BaseLoader
from langchain_core.document_loaders.blob_loaders import Blob
from langchain_core.documents import Document

from foxapi_core import FoxAPIError
from foxapi_core._audio import (
    AudioInput,
    AudioResult,
    AudioSettings,
    FoxAPIAudio,
    NamedAudio,
    progress_bar,
)

from ._errors import translate

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["FoxAPIAudioLoader", "FoxAPIAudioParser"]


class _AudioRun:
    """What the loader and the parser share: one :class:`FoxAPIAudio`, and Documents from it."""

    def __init__(self, show_progress: bool, settings: AudioSettings) -> None:
        self.show_progress = show_progress
        self.audio = FoxAPIAudio(**settings)
        # Not in the metadata: index() hashes it, and a per-run value defeats de-duplication.
        self.task_ids: dict[str, str] = {}

    def _document(self, result: AudioResult) -> Document:
        if result.task_id:
            self.task_ids[result.id] = result.task_id
        return Document(page_content=result.text, metadata=result.metadata, id=result.id)

    def iter_documents(self, sources: Sequence[Any], desc: str) -> Iterator[Document]:
        try:
            with progress_bar(self.show_progress, len(sources), desc) as progress:
                for result in self.audio.iter_results(sources, on_progress=progress):
                    yield self._document(result)
        except FoxAPIError as exc:
            raise translate(exc) from exc

    async def aiter_documents(self, sources: Sequence[Any], desc: str) -> AsyncIterator[Document]:
        try:
            with progress_bar(self.show_progress, len(sources), desc) as progress:
                async for result in self.audio.aiter_results(sources, on_progress=progress):
                    yield self._document(result)
        except FoxAPIError as exc:
            raise translate(exc) from exc


class FoxAPIAudioLoader(BaseLoader):
    """Load audio (local paths, bytes, file objects or http(s) URLs) as transcript Documents.

    ``page_content`` is the model's answer: a transcription by default, or the answer to
    ``prompt``. Metadata: ``source``, ``model``, ``mime_type``, ``size_bytes``, ``duration_s``
    (when known), ``segment``/``start_s``/``end_s`` (when split), ``prompt`` (when not the
    default): no per-run value, so LangChain's ``index()`` skips unchanged files.
    ``Document.id`` is deterministic (hash of the audio or URL + model + prompt + segment); the
    task ids are in :attr:`task_ids` (Document id -> task id). URLs are passed to FoxAPI as is,
    never downloaded.

    Args:
        file_path: One source or a list of them.
        show_progress: Show a tqdm bar.

    Keyword options (:class:`~foxapi_core._audio.AudioSettings`, given to ``FoxAPIAudio``):
        model: ``gemini-2.5-pro`` (default; 20 MB body limit) or ``nemotron-3-nano-omni``
            (WAV/MP3 only).
        prompt: Ask this about each file instead of transcribing it.
        system_prompt, reasoning, max_tokens, temperature: Audio-form fields.
        split: Cut local files over the model's limit into segments (WAV always; FLAC/OGG/
            AIFF/MP3 when ``soundfile`` is installed).
        max_segment_s: Also cut into segments of at most this many seconds.
        strict_format: Refuse files whose extension and content disagree.
        max_concurrency: Files (and segments) in flight at once.
        on_error: ``"raise"`` (default) or ``"record"``: a failed file becomes a Document with
            empty content and ``metadata["error"]`` / ``metadata["error_type"]``.
        api_key, base_url, client, async_client: Connection (default: ``FOXAPI_API_KEY`` /
            ``FOXAPI_BASE_URL``).

    Example:
        >>> loader = FoxAPIAudioLoader(paths, max_concurrency=8, show_progress=True)
        >>> docs = [doc async for doc in loader.alazy_load()]
    """

    def __init__(
        self,
        file_path: AudioInput | NamedAudio | Sequence[AudioInput | NamedAudio],
        *,
        show_progress: bool = False,
        **settings: Unpack[AudioSettings],
    ) -> None:
        one = isinstance(file_path, (str, bytes, bytearray, memoryview, NamedAudio))
        many = isinstance(file_path, Sequence) and not one
        self.sources: list[Any] = list(file_path) if many else [file_path]  # type: ignore[arg-type]
        self._run = _AudioRun(show_progress, settings)

    @property
    def audio(self) -> FoxAPIAudio:
        """The framework-free helper doing the work (its clients, options and limits)."""
        return self._run.audio

    @property
    def task_ids(self) -> dict[str, str]:
        """Document id -> the FoxAPI task that produced it (latest run)."""
        return self._run.task_ids

    def lazy_load(self) -> Iterator[Document]:
        """Yield one Document per file (per segment when split), in the order of the sources."""
        yield from self._run.iter_documents(self.sources, "FoxAPI audio")

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Natively async :meth:`lazy_load`: up to ``max_concurrency`` files at once, in order."""
        async for doc in self._run.aiter_documents(self.sources, "FoxAPI audio"):
            yield doc


class FoxAPIAudioParser(BaseBlobParser):
    """Parse audio blobs into transcript Documents, e.g. with ``GenericLoader``.

    Takes the same options as :class:`FoxAPIAudioLoader` (except the sources). A blob with a
    path and no data is streamed from disk; otherwise its bytes are used. ``metadata["source"]``
    is the blob's source.

    Example:
        >>> from langchain_community.document_loaders.generic import GenericLoader
        >>> loader = GenericLoader.from_filesystem(
        ...     "calls/", glob="**/*.mp3", parser=FoxAPIAudioParser()
        ... )
    """

    def __init__(self, **settings: Unpack[AudioSettings]) -> None:
        self._run = _AudioRun(False, settings)

    @property
    def audio(self) -> FoxAPIAudio:
        """The framework-free helper doing the work."""
        return self._run.audio

    @property
    def task_ids(self) -> dict[str, str]:
        """Document id -> the FoxAPI task that produced it (latest run)."""
        return self._run.task_ids

    def lazy_parse(self, blob: Blob) -> Iterator[Document]:
        """Transcribe one blob (several Documents when split)."""
        source: Any
        if blob.data is None and blob.path is not None:
            source = str(blob.path)
        else:
            source = NamedAudio(blob.as_bytes(), str(blob.source or blob.path or "<blob>"))
        yield from self._run.iter_documents([source], "FoxAPI audio")
