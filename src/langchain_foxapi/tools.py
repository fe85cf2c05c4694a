"""``FoxAPIAudioTool``: lets a LangChain agent listen to an audio file or URL.

Example:
    >>> from langchain_foxapi.tools import FoxAPIAudioTool
    >>> tool = FoxAPIAudioTool(root_dir="recordings/")
    >>> tool.invoke({"source": "standup.wav", "question": "Who spoke first?"})
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr

from foxapi_core import AsyncFoxAPIClient, FoxAPIClient, FoxAPIError
from foxapi_core._audio import DEFAULT_AUDIO_MODEL, FoxAPIAudio, confine_path

__all__ = ["FoxAPIAudioInput", "FoxAPIAudioTool"]


class FoxAPIAudioInput(BaseModel):
    """Arguments of :class:`FoxAPIAudioTool`."""

    source: str = Field(description="Local path or http(s) URL of the audio file.")
    question: str | None = Field(
        default=None,
        description="A question about the audio; leave empty to get a transcription.",
    )


class FoxAPIAudioTool(BaseTool):
    """Transcribe an audio file, or answer a question about it, through FoxAPI.

    Sync and async. Errors the model can act on (missing file, wrong format, too large) are
    returned to the agent as text (``handle_tool_error=True``) instead of ending the run.

    Security: the agent chooses ``source``. Set ``root_dir`` to confine local paths to one
    directory (http(s) URLs are passed on as is), or ``allow_local_files=False`` for URLs only.

    Args:
        model: ``gemini-2.5-pro`` (default) or ``nemotron-3-nano-omni``.
        system_prompt: Sent with every call.
        split: Cut long local recordings into segments (answers are joined with timestamps).
        root_dir: Only files under this directory may be read.
        allow_local_files: ``False`` accepts http(s) URLs only.
        api_key, base_url, client, async_client: Connection.

    Example:
        >>> agent = create_agent(ChatFoxAPI(model="gpt-5.5"), tools=[FoxAPIAudioTool()])
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "foxapi_audio"
    description: str = (
        "Listen to an audio recording (local path or http(s) URL). Without a question it "
        "returns a transcription; with a question it returns the answer about the audio."
    )
    args_schema: type[BaseModel] = FoxAPIAudioInput
    handle_tool_error: bool = True

    model: str = DEFAULT_AUDIO_MODEL
    system_prompt: str | None = None
    split: bool = False
    root_dir: str | None = None
    allow_local_files: bool = True
    api_key: SecretStr | None = Field(default=None, repr=False)
    base_url: str | None = None
    client: FoxAPIClient | None = Field(default=None, exclude=True, repr=False)
    async_client: AsyncFoxAPIClient | None = Field(default=None, exclude=True, repr=False)

    _audio: FoxAPIAudio | None = PrivateAttr(default=None)

    @property
    def audio(self) -> FoxAPIAudio:
        """The helper doing the work (built on first use)."""
        if self._audio is None:
            self._audio = FoxAPIAudio(
                self.model,
                system_prompt=self.system_prompt,
                split=self.split,
                max_concurrency=1,
                api_key=self.api_key.get_secret_value() if self.api_key else None,
                base_url=self.base_url,
                client=self.client,
                async_client=self.async_client,
            )
        return self._audio

    def _source(self, source: str) -> str:
        try:
            if not self.allow_local_files and not source.lower().startswith(
                ("http://", "https://")
            ):
                raise ToolException(f"Only http(s) URLs are allowed, got {source!r}.")
            return confine_path(source, self.root_dir)
        except FoxAPIError as exc:
            raise ToolException(str(exc)) from exc

    @staticmethod
    def _tool_error(exc: FoxAPIError) -> ToolException:
        fix = getattr(exc, "fix", None)
        return ToolException(f"{exc} {fix}" if fix else str(exc))

    def _run(
        self,
        source: str,
        question: str | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> str:
        path = self._source(source)
        try:
            if question:
                return self.audio.ask(path, question)
            return self.audio.transcribe(path)
        except FoxAPIError as exc:
            raise self._tool_error(exc) from exc

    async def _arun(
        self,
        source: str,
        question: str | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
        **kwargs: Any,
    ) -> str:
        path = self._source(source)
        try:
            if question:
                return await self.audio.aask(path, question)
            return await self.audio.atranscribe(path)
        except FoxAPIError as exc:
            raise self._tool_error(exc) from exc
