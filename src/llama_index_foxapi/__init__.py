"""LlamaIndex integration of FoxAPI: ``FoxAPI``, a function-calling LLM over the task protocol.

Example:
    >>> from llama_index.core.llms import ChatMessage
    >>> from llama_index_foxapi import FoxAPI
    >>> llm = FoxAPI(model="kimi-k2.6")  # key from FOXAPI_API_KEY
    >>> llm.chat([ChatMessage(role="user", content="Hi")]).message.content
"""

import typing as _typing

try:
    import llama_index.core as _llama_index_core
except ImportError as exc:  # pragma: no cover - exercised only without the extra installed
    raise ImportError(
        "llama_index_foxapi needs LlamaIndex: pip install 'foxapi-integrations[llama-index]'"
    ) from exc

from .llms import FoxAPI, FoxAPIReasoningWarning

if _typing.TYPE_CHECKING:
    from .readers import FoxAPIAudioReader
    from .tools import FoxAPIToolSpec

del _llama_index_core

__all__ = ["FoxAPI", "FoxAPIAudioReader", "FoxAPIReasoningWarning", "FoxAPIToolSpec"]

# The audio reader and tool spec are imported on first access (PEP 562): they need the core
# client and httpx, which an LLM-only user should not pay for at import.
_LAZY = {"FoxAPIAudioReader": "readers", "FoxAPIToolSpec": "tools"}

# Hidden from type checkers, for which a misspelt name must stay an error.
if not _typing.TYPE_CHECKING:
    from foxapi_core._lazy import lazy_attributes as _lazy_attributes

    __getattr__, __dir__ = _lazy_attributes(globals(), _LAZY, __all__)
