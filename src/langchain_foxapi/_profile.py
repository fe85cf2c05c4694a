"""LangChain model profiles built from the core catalog (the one source of truth).

``ModelProfile`` (langchain-core >= 1.1) is a ``TypedDict``; on older langchain-core the profile
is a plain dict with the same keys, so nothing here imports it.
"""

from __future__ import annotations

from typing import Any

from foxapi_core import Catalog, ModelSpec

__all__ = ["profile_of", "profile_of_spec"]


def profile_of_spec(spec: ModelSpec) -> dict[str, Any]:
    """The ``ModelProfile`` keys of one catalog spec.

    Media inputs are those the model takes on the messages form (the form ``ChatFoxAPI`` uses
    for a messages-form model); a prompt-only model (gemini-2.5-pro, nemotron-3-nano-omni) gets
    its prompt-form media, no tools and no structured output.
    """
    if spec.takes_messages:
        image = "image_url" in spec.content_types
        audio = "audio_url" in spec.content_types
        video = "video_url" in spec.content_types
        pdf = "file_url" in spec.content_types
    else:
        image = "vision" in spec.forms
        audio = "audio" in spec.forms
        video = "video" in spec.forms
        pdf = False
    tools = spec.supports_tools and spec.takes_messages
    return {
        "name": spec.name,
        "max_input_tokens": spec.context_window,
        "max_output_tokens": spec.max_output_tokens,
        "text_inputs": True,
        "image_inputs": image,
        "image_url_inputs": image,
        "pdf_inputs": pdf,
        "audio_inputs": audio,
        "video_inputs": video,
        # Tool results travel as ordinary message content on the messages form.
        "image_tool_message": image and spec.takes_messages,
        "pdf_tool_message": pdf and spec.takes_messages,
        "reasoning_output": spec.thinking,
        "text_outputs": True,
        "image_outputs": False,
        "audio_outputs": False,
        "video_outputs": False,
        "tool_calling": tools,
        "tool_choice": tools,
        "tool_call_streaming": tools,
        "structured_output": tools,
        "temperature": True,
    }


def profile_of(model: str, catalog: Catalog) -> dict[str, Any] | None:
    """The profile of ``model``, or ``None`` for a model the catalog does not know."""
    spec = catalog.get(model)
    return None if spec is None else profile_of_spec(spec)
