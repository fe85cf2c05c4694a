"""``FoxAPIAudioReader``: audio files as LlamaIndex Documents (transcripts or answers).

Works on its own and as a ``SimpleDirectoryReader`` file extractor. A thin wrapper of
:class:`foxapi_core._audio.FoxAPIAudio`, which checks each source before anything is sent and
builds the metadata schema and deterministic ids shared with the LangChain loader.

Example:
    >>> from llama_index.core import SimpleDirectoryReader
    >>> from llama_index_foxapi.readers import FoxAPIAudioReader
    >>> reader = FoxAPIAudioReader()
    >>> docs = SimpleDirectoryReader(
    ...     "calls/", file_extractor={".mp3": reader, ".wav": reader}
    ... ).load_data()
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document

from foxapi_core._audio import (
    AudioInput,
    AudioResult,
    AudioSettings,
    FoxAPIAudio,
    NamedAudio,
    progress_bar,
)

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["EXCLUDED_EMBED_METADATA_KEYS", "EXCLUDED_LLM_METADATA_KEYS", "FoxAPIAudioReader"]

#: Keys that would only add noise to embeddings: ids, sizes, mime types, the prompt.
EXCLUDED_EMBED_METADATA_KEYS = (
    "model",
    "mime_type",
    "size_bytes",
    "duration_s",
    "segment",
    "start_s",
    "end_s",
    "prompt",
    "error",
    "error_type",
)
#: Keys the LLM does not need to answer from the text; ``source`` and the times stay visible
#: so answers can cite the file and the moment.
EXCLUDED_LLM_METADATA_KEYS = (
    "model",
    "mime_type",
    "size_bytes",
    "segment",
    "prompt",
    "error_type",
)


def _is_local_fs(fs: Any) -> bool:
    if fs is None:
        return True
    protocol = getattr(fs, "protocol", "file")
    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
    return "file" in protocols or "local" in protocols


class FoxAPIAudioReader(BaseReader):
    """Read audio (local files, bytes, file objects, http(s) URLs) into Documents.

    ``text`` is the model's answer (a transcription unless ``prompt`` is set). Metadata:
    ``source``, ``model``, ``mime_type``, ``size_bytes``, ``duration_s`` (when known),
    ``segment``/``start_s``/``end_s`` (when split), ``prompt`` (when not the default), plus
    ``extra_info`` (from ``SimpleDirectoryReader``, whose ``file_path``/``file_size`` then replace
    ``source``/``size_bytes``); bulky keys are excluded from embedding and LLM metadata. ``id_``
    is deterministic (hash of the audio or URL + model + prompt + segment) and the metadata holds
    no per-run value, so ``Document.hash`` is stable and an ``IngestionPipeline`` with a docstore
    skips unchanged files. The task ids are in :attr:`task_ids` (Document id -> task id).

    Args:
        show_progress: Show a tqdm bar.

    Keyword options (:class:`~foxapi_core._audio.AudioSettings`, given to ``FoxAPIAudio``):
        model: ``gemini-2.5-pro`` (default) or ``nemotron-3-nano-omni`` (WAV/MP3 only).
        prompt: Ask this about each file instead of transcribing.
        system_prompt, reasoning, max_tokens, temperature: Audio-form fields.
        split: Cut local files over the model's body limit into segments.
        max_segment_s: Also cut into segments of at most this many seconds.
        strict_format: Refuse files whose extension and content disagree.
        max_concurrency: Files (and segments) in flight at once, across concurrent calls.
        on_error: ``"raise"`` (default) or ``"record"`` (a Document with ``metadata["error"]``).
        api_key, base_url, client, async_client: Connection.

    Example:
        >>> docs = await FoxAPIAudioReader(max_concurrency=8).aload_data(paths)
    """

    def __init__(self, *, show_progress: bool = False, **settings: Unpack[AudioSettings]) -> None:
        self.show_progress = show_progress
        self.audio = FoxAPIAudio(**settings)
        #: Document id -> the FoxAPI task that produced it (latest run). Not in the metadata:
        #: ``Document.hash`` covers all metadata, and a per-run value would defeat de-duplication.
        self.task_ids: dict[str, str] = {}

    @staticmethod
    def _sources(file: Any, fs: Any) -> list[Any]:
        one = isinstance(file, (str, Path, bytes, bytearray, memoryview, NamedAudio))
        files = [file] if one or not isinstance(file, Sequence) else list(file)
        if _is_local_fs(fs):
            return files
        # A remote fsspec filesystem (SimpleDirectoryReader(fs=...)): read through it.
        out: list[Any] = []
        for item in files:
            with fs.open(str(item), "rb") as stream:
                out.append(NamedAudio(stream.read(), str(item)))
        return out

    def _document(self, result: AudioResult, extra_info: dict[str, Any] | None) -> Document:
        extra = extra_info or {}
        ours = dict(result.metadata)
        # SimpleDirectoryReader already gives the path (file_path, visible to embeddings and the
        # LLM) and the size: a second copy of a deep path would overflow small chunk sizes.
        if str(extra.get("file_path", "")) == ours.get("source"):
            del ours["source"]
        if extra.get("file_size") is not None and extra.get("file_size") == ours.get("size_bytes"):
            del ours["size_bytes"]
        if result.task_id:
            self.task_ids[result.id] = result.task_id
        return Document(
            id_=result.id,
            text=result.text,
            # Ours win over SimpleDirectoryReader's guesses (its file_type may be audio/x-wav).
            metadata={**extra, **ours},
            excluded_embed_metadata_keys=list(EXCLUDED_EMBED_METADATA_KEYS),
            excluded_llm_metadata_keys=list(EXCLUDED_LLM_METADATA_KEYS),
        )

    def lazy_load_data(
        self,
        file: AudioInput | NamedAudio | Sequence[AudioInput | NamedAudio],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> Iterator[Document]:
        """Yield Documents in source order (one per file, or per segment when split).

        Args:
            file: A path, URL, bytes, file object, or a list of them.
            extra_info: Metadata added to every Document.
            fs: An fsspec filesystem to read paths from (as ``SimpleDirectoryReader`` passes).
        """
        sources = self._sources(file, fs)
        with progress_bar(self.show_progress, len(sources), "FoxAPI audio") as progress:
            for result in self.audio.iter_results(sources, on_progress=progress):
                yield self._document(result, extra_info)

    def load_data(
        self,
        file: AudioInput | NamedAudio | Sequence[AudioInput | NamedAudio],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> list[Document]:
        """Load every Document; see :meth:`lazy_load_data`."""
        return list(self.lazy_load_data(file, extra_info=extra_info, fs=fs))

    async def astream_data(
        self,
        file: AudioInput | NamedAudio | Sequence[AudioInput | NamedAudio],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> AsyncIterator[Document]:
        """Natively async :meth:`lazy_load_data` (an async generator): up to
        ``max_concurrency`` requests in flight, Documents in source order.

        Example:
            >>> async for doc in reader.astream_data(paths):
            ...     index.insert(doc)
        """
        sources = self._sources(file, fs)
        with progress_bar(self.show_progress, len(sources), "FoxAPI audio") as progress:
            async for result in self.audio.aiter_results(sources, on_progress=progress):
                yield self._document(result, extra_info)

    async def aload_data(
        self,
        file: AudioInput | NamedAudio | Sequence[AudioInput | NamedAudio],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> list[Document]:
        """Async :meth:`load_data` on the event loop (no thread per call), what
        ``SimpleDirectoryReader.aload_data`` awaits; the concurrency bound holds across calls."""
        return [doc async for doc in self.astream_data(file, extra_info=extra_info, fs=fs)]

    async def alazy_load_data(
        self,
        file: AudioInput | NamedAudio | Sequence[AudioInput | NamedAudio],
        extra_info: dict[str, Any] | None = None,
        fs: Any = None,
    ) -> list[Document]:
        """LlamaIndex's contract for this name is a coroutine returning the Documents; it is
        :meth:`aload_data`. Use :meth:`astream_data` to receive them one by one."""
        return await self.aload_data(file, extra_info=extra_info, fs=fs)
