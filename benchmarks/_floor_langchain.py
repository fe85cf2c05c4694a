"""The LangChain floor: raw httpx + ``json.loads`` inside the smallest ``BaseChatModel``.

It does exactly the requests ``ChatFoxAPI`` does on the default transport (submit with
``stream``, the SSE, the task when usage is not in the stream) and yields one
``AIMessageChunk(content=...)`` per piece of content, then a last chunk with the usage: what
langchain-core itself costs per chunk (``BaseChatModel.stream``: run manager, callbacks, message
ids, keeping every chunk and merging them at the end) plus the wire. No validation, no resume,
no typed models: a chat model cannot be cheaper than this on the same requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from benchmarks._reference import RawResult, iter_raw_stream, raw_sync_generate

__all__ = ["FloorChatModel"]


class FloorChatModel(BaseChatModel):
    """The floor of a FoxAPI chat model: raw requests, langchain-core's own machinery."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: str
    base_url: str
    api_key: str
    _http: httpx.Client = PrivateAttr(default_factory=httpx.Client)

    @property
    def _llm_type(self) -> str:
        return "foxapi-floor"

    def _body(self, messages: list[BaseMessage]) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": [{"role": "user", "content": m.content} for m in messages],
        }

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        answer = raw_sync_generate(self._http, self.base_url, self.api_key, self._body(messages))
        content = answer["choices"][0]["message"]["content"]
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=content))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        result = RawResult()
        body = self._body(messages)
        for piece in iter_raw_stream(self._http, self.base_url, self.api_key, body, result):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        usage = result.usage or {}
        yield ChatGenerationChunk(
            message=AIMessageChunk(
                content="",
                usage_metadata={
                    "input_tokens": usage.get("prompt_tokens", 0),
                    "output_tokens": usage.get("completion_tokens", 0),
                    "total_tokens": usage.get("total_tokens", 0),
                },
                chunk_position="last",
            )
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()
