"""``FoxAPIToolSpec``: audio and video tools for LlamaIndex agents (``FunctionAgent``...).

Example:
    >>> from llama_index.core.agent.workflow import FunctionAgent
    >>> from llama_index_foxapi import FoxAPI
    >>> from llama_index_foxapi.tools import FoxAPIToolSpec
    >>> agent = FunctionAgent(
    ...     tools=FoxAPIToolSpec(root_dir="recordings/").to_tool_list(),
    ...     llm=FoxAPI(model="gpt-5.5"),
    ... )
"""

from __future__ import annotations

import asyncio

from llama_index.core.tools.tool_spec.base import SPEC_FUNCTION_TYPE, BaseToolSpec

from foxapi_core import AsyncFoxAPIClient, FoxAPIClient, FoxAPIError
from foxapi_core._audio import (
    DEFAULT_AUDIO_MODEL,
    FoxAPIAudio,
    build_video_request,
    confine_path,
)

__all__ = ["FoxAPIToolSpec"]


class FoxAPIToolSpec(BaseToolSpec):
    """Tools that let an agent listen to audio and watch video through FoxAPI.

    ``transcribe_audio``, ``ask_about_audio`` and ``describe_video``, each sync and async. Errors
    the model can act on (missing file, wrong format, too large) come back as text starting with
    ``"Error:"`` so the agent can recover instead of the run ending.

    Security: the agent chooses the paths. ``root_dir`` confines local files to one directory
    (http(s) URLs pass as is); ``allow_local_files=False`` accepts URLs only.

    Args:
        model: Model for audio and video (``gemini-2.5-pro`` by default).
        split: Cut long local recordings into segments (answers joined with timestamps).
        root_dir: Only files under this directory may be read.
        allow_local_files: ``False`` accepts http(s) URLs only.
        api_key, base_url, client, async_client: Connection.

    Example:
        >>> spec = FoxAPIToolSpec()
        >>> spec.ask_about_audio("call.wav", "Who called?")
    """

    # (sync, async) pairs: FunctionTool gets a real coroutine for agents that await tools.
    spec_functions: list[SPEC_FUNCTION_TYPE] = [  # noqa: RUF012 - the base declares it so
        ("transcribe_audio", "atranscribe_audio"),
        ("ask_about_audio", "aask_about_audio"),
        ("describe_video", "adescribe_video"),
    ]

    def __init__(
        self,
        *,
        model: str = DEFAULT_AUDIO_MODEL,
        split: bool = False,
        root_dir: str | None = None,
        allow_local_files: bool = True,
        api_key: str | None = None,
        base_url: str | None = None,
        client: FoxAPIClient | None = None,
        async_client: AsyncFoxAPIClient | None = None,
    ) -> None:
        self.model = model
        self.root_dir = root_dir
        self.allow_local_files = allow_local_files
        self.audio = FoxAPIAudio(
            model,
            split=split,
            max_concurrency=1,
            api_key=api_key,
            base_url=base_url,
            client=client,
            async_client=async_client,
        )

    def _path(self, source: str) -> str:
        if not self.allow_local_files and not source.lower().startswith(("http://", "https://")):
            raise FoxAPIError(f"Only http(s) URLs are allowed, got {source!r}.")
        return confine_path(source, self.root_dir)

    @staticmethod
    def _error(exc: FoxAPIError) -> str:
        fix = getattr(exc, "fix", None)
        return f"Error: {exc}" + (f" {fix}" if fix else "")

    def transcribe_audio(self, source: str) -> str:
        """Transcribe an audio recording.

        Args:
            source: Local path or http(s) URL of the audio file.
        """
        try:
            return self.audio.transcribe(self._path(source))
        except FoxAPIError as exc:
            return self._error(exc)

    async def atranscribe_audio(self, source: str) -> str:
        """Transcribe an audio recording.

        Args:
            source: Local path or http(s) URL of the audio file.
        """
        try:
            return await self.audio.atranscribe(self._path(source))
        except FoxAPIError as exc:
            return self._error(exc)

    def ask_about_audio(self, source: str, question: str) -> str:
        """Answer a question about an audio recording (who speaks, what is said, its mood...).

        Args:
            source: Local path or http(s) URL of the audio file.
            question: The question about the audio.
        """
        try:
            return self.audio.ask(self._path(source), question)
        except FoxAPIError as exc:
            return self._error(exc)

    async def aask_about_audio(self, source: str, question: str) -> str:
        """Answer a question about an audio recording (who speaks, what is said, its mood...).

        Args:
            source: Local path or http(s) URL of the audio file.
            question: The question about the audio.
        """
        try:
            return await self.audio.aask(self._path(source), question)
        except FoxAPIError as exc:
            return self._error(exc)

    def describe_video(self, source: str, question: str = "Describe this video.") -> str:
        """Describe a video or answer a question about it.

        Args:
            source: http(s) URL (YouTube links work) or local .mp4/.mov/.webm/.mpeg file.
            question: What to ask about the video.
        """
        try:
            request = build_video_request(
                self._path(source), question, model=self.model, catalog=self.audio.options.catalog
            )
            return self.audio.client.generate(request).text
        except FoxAPIError as exc:
            return self._error(exc)

    async def adescribe_video(self, source: str, question: str = "Describe this video.") -> str:
        """Describe a video or answer a question about it.

        Args:
            source: http(s) URL (YouTube links work) or local .mp4/.mov/.webm/.mpeg file.
            question: What to ask about the video.
        """
        try:
            # Reading and encoding a local video is blocking file I/O: keep it off the loop.
            request = await asyncio.to_thread(
                build_video_request,
                self._path(source),
                question,
                model=self.model,
                catalog=self.audio.options.catalog,
            )
            return (await self.audio.async_client.generate(request)).text
        except FoxAPIError as exc:
            return self._error(exc)
