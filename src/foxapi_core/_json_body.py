"""Request bodies as bytes, or as pieces when they hold :class:`InlineMedia` (no network I/O).

A body without inline media is serialised exactly as httpx's ``json=`` would (compact, UTF-8, no
NaN). One with inline media becomes a :class:`StreamedJSON`: the serialised JSON around each
medium, and the medium's base64 payload produced piece by piece while the driver writes it, with
the exact total length known up front (so the request carries a ``Content-Length``, not chunked
encoding, which some proxies in front of the gateway refuse).
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from ._inline_media import InlineMedia

__all__ = ["StreamedJSON", "encode_json"]


class StreamedJSON:
    """A JSON document whose inline media are encoded while it is iterated; re-iterable (a
    retried submit sends it again from the start).

    Attributes:
        length: The document's exact size in bytes.
    """

    __slots__ = ("_parts", "length")

    def __init__(self, parts: list[bytes | InlineMedia]) -> None:
        self._parts = parts
        self.length = sum(
            len(part) if isinstance(part, bytes) else _payload_length(part) for part in parts
        )

    def __iter__(self) -> Iterator[bytes]:
        for part in self._parts:
            if isinstance(part, bytes):
                yield part
            else:
                yield _json_prefix(part)
                yield from part.iter_payload()
                yield b'"'

    def __repr__(self) -> str:
        media = [part for part in self._parts if isinstance(part, InlineMedia)]
        return f"StreamedJSON(length={self.length}, media={media!r})"


def _json_prefix(media: InlineMedia) -> bytes:
    # The opening quote and the URI header, escaped as JSON (a mime parameter may hold a quote).
    return json.dumps(media.prefix, ensure_ascii=False)[:-1].encode("utf-8")


def _payload_length(media: InlineMedia) -> int:
    # The header, the base64 payload (4 characters per 3 bytes, padded) and the closing quote.
    return len(_json_prefix(media)) + 4 * ((media.size + 2) // 3) + 1


def encode_json(body: Mapping[str, Any]) -> bytes | StreamedJSON:
    """Serialise ``body``: ``bytes`` when it holds no :class:`InlineMedia`, else a
    :class:`StreamedJSON` of the same document.

    Raises:
        TypeError: If a value is not JSON serialisable.
        ValueError: If a float is NaN or infinite.
    """
    media: list[InlineMedia] = []
    marker = ""

    def placeholder(value: Any) -> str:
        nonlocal marker
        if isinstance(value, InlineMedia):
            # A random marker per body, so that no user text can be mistaken for a placeholder;
            # made on the first medium only, not on every plain request (it costs a syscall).
            marker = marker or f"\x00foxapi-inline-{secrets.token_hex(8)}-"
            media.append(value)
            return f"{marker}{len(media) - 1}\x00"
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")

    text = json.dumps(
        body, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=placeholder
    )
    if not media:
        return text.encode("utf-8")
    escaped = json.dumps(marker, ensure_ascii=False)[1:-1]
    pattern = re.compile('"' + re.escape(escaped) + r"(\d+)\\u0000" + '"')
    parts: list[bytes | InlineMedia] = []
    pos = 0
    for match in pattern.finditer(text):
        parts.append(text[pos : match.start()].encode("utf-8"))
        parts.append(media[int(match.group(1))])
        pos = match.end()
    parts.append(text[pos:].encode("utf-8"))
    return StreamedJSON(parts)
