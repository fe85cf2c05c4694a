"""LlamaIndex integration of FoxAPI: ``FoxAPI``, a function-calling LLM over the task protocol.

Example:
    >>> from llama_index.core.llms import ChatMessage
    >>> from llama_index_foxapi import FoxAPI
    >>> llm = FoxAPI(model="kimi-k2.6")  # key from FOXAPI_API_KEY
    >>> llm.chat([ChatMessage(role="user", content="Hi")]).message.content
"""

try:
    import llama_index.core as _llama_index_core
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        "llama_index_foxapi needs LlamaIndex: pip install 'foxapi-integrations[llama-index]'"
    ) from exc

from .llms import FoxAPI, FoxAPIReasoningWarning
from .readers import FoxAPIAudioReader
from .tools import FoxAPIToolSpec

del _llama_index_core

__all__ = ["FoxAPI", "FoxAPIAudioReader", "FoxAPIReasoningWarning", "FoxAPIToolSpec"]
