"""Shared helpers of the LangChain adapter tests (imported by conftest and test modules)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

DATA = Path(__file__).parent / "data"

#: The URLs langchain-tests 1.1.9 downloads, mapped to local files and their content types.
MEDIA: dict[str, tuple[str, str]] = {
    "https://raw.githubusercontent.com/langchain-ai/docs/4d11d08b6b0e210bd456943f7a22febbd168b543/"
    "src/images/agentic-rag-output.png": ("image.png", "image/png"),
    "https://upload.wikimedia.org/wikipedia/commons/6/6a/Northern_Flicker_202280456.wav": (
        "audio.wav",
        "audio/wav",
    ),
    "https://www.w3.org/WAI/ER/tests/xhtml/testfiles/resources/pdf/dummy.pdf": (
        "dummy.pdf",
        "application/pdf",
    ),
}


class _Endpoint:
    """Where the current test's emulator listens (set by the ``emulator`` fixture)."""

    base_url: str = "http://127.0.0.1:9"  # discard port: unusable until the fixture runs
    api_key: str = "sk-unset"


EMULATOR = _Endpoint()


def local_get(url: str | httpx.URL, *args: Any, **kwargs: Any) -> httpx.Response:
    entry = MEDIA.get(str(url))
    if entry is None:
        raise AssertionError(f"test tried to download {url}; add a local fixture to MEDIA")
    name, mime = entry
    return httpx.Response(
        200,
        content=(DATA / name).read_bytes(),
        headers={"content-type": mime},
        request=httpx.Request("GET", str(url)),
    )


def _normalized_body(body: bytes | str | None) -> Any:
    """A request body with tool-call ids replaced by their order of appearance.

    langchain-tests builds few-shot histories with random ``uuid4`` tool-call ids, so the same
    test sends different bytes on every run; everything else must match exactly.
    """
    if body is None:
        return None
    try:
        data = json.loads(body)
    except ValueError:
        return body
    ids: dict[str, str] = {}

    def rename(value: Any) -> Any:
        if isinstance(value, str):
            return ids.setdefault(value, f"tool-call-{len(ids)}")
        return value

    for message in data.get("messages") or () if isinstance(data, dict) else ():
        if not isinstance(message, dict):
            continue
        for call in message.get("tool_calls") or ():
            if isinstance(call, dict) and "id" in call:
                call["id"] = rename(call["id"])
        if "tool_call_id" in message:
            message["tool_call_id"] = rename(message["tool_call_id"])
    return data


def foxapi_body_matcher(r1: Any, r2: Any) -> None:
    """vcrpy matcher: bodies equal up to tool-call ids (see :func:`_normalized_body`)."""
    assert _normalized_body(r1.body) == _normalized_body(r2.body)
