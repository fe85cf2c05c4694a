"""``InlineMedia``: a local file (or bytes) sent as a base64 ``data:`` URI, encoded on the wire.

Inline media can be 20 MB of request body (gemini-2.5-pro's limit, protocol doc 2.1). Held as a
``str``, a data URI costs 1.33x the file, and building it needs the encoded bytes and the ``str``
alive at once (about 2.7x); serialising the JSON body then adds another copy or two. An
``InlineMedia`` holds only the path (or the caller's own bytes) and the mime type; the client
encodes it piece by piece while the request body is being written (:mod:`foxapi_core._json_body`),
so the extra memory is one piece, whatever the file's size.
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ._media import _b64_len, _data_uri_prefix, _read_full, data_uri_from_bytes, data_uri_from_file

__all__ = ["PIECE_SIZE", "InlineMedia"]

#: Raw bytes encoded per piece while sending: a multiple of 3 (no padding inside the URI), about
#: 256 KiB of base64 per write.
PIECE_SIZE = 3 * 2**16
# Raw bytes behind ``head()``: enough for validation messages and format checks to see a payload.
_HEAD_BYTES = 48


class InlineMedia:
    """A file or bytes to send inline as a ``data:<mime>;base64,...`` URI, encoded while sent.

    Use it wherever a request takes a media URL (``AudioRequest.audio_url``,
    ``VisionRequest.image_urls``, ``VideoRequest.video_urls``). The client checks it like the
    equivalent data URI before sending, and streams the request body, so a 15 MB recording costs
    about one :data:`PIECE_SIZE` of extra memory instead of several copies of the file. A file is
    read when the request is sent (again if the submit is retried); if its size changed since the
    ``InlineMedia`` was made, sending stops with an ``OSError`` before the body is complete, so the
    server never accepts a truncated request.

    Args:
        source: A local file path, or the bytes themselves (kept by reference, not copied).
        mime: The mime type to declare, e.g. ``"audio/wav"``.

    Raises:
        ValueError: If ``mime`` is not a ``type/subtype`` mime type.
        OSError: If a path does not name a readable regular file.

    Example:
        >>> audio = InlineMedia("call.wav", "audio/wav")
        >>> client.generate(AudioRequest(model="gemini-2.5-pro", audio_url=audio))
    """

    __slots__ = ("_data", "_path", "mime", "size")

    def __init__(
        self, source: str | os.PathLike[str] | bytes | bytearray | memoryview, mime: str
    ) -> None:
        _data_uri_prefix(mime)  # validates
        self.mime = mime
        self._path: Path | None
        self._data: memoryview | None
        if isinstance(source, (bytes, bytearray, memoryview)):
            self._path = None
            self._data = memoryview(source).cast("B")
            self.size = self._data.nbytes
        else:
            self._path = Path(source)
            self._data = None
            stat = self._path.stat()
            if not self._path.is_file():
                raise IsADirectoryError(f"{str(self._path)!r} is not a regular file")
            self.size = stat.st_size

    @property
    def path(self) -> Path | None:
        """The file sent, or ``None`` for bytes."""
        return self._path

    @property
    def prefix(self) -> str:
        """``"data:<mime>;base64,"``."""
        return _data_uri_prefix(self.mime)

    @property
    def uri_length(self) -> int:
        """Characters of the whole data URI (what it adds to the request body, quotes aside)."""
        return len(self.prefix) + _b64_len(self.size)

    def head(self) -> str:
        """The URI's first characters: the header and the start of the payload (for checks and
        messages that look at a URI without needing all of it)."""
        return self.prefix + binascii.b2a_base64(self._read_head(), newline=False).decode("ascii")

    def to_data_uri(self) -> str:
        """The whole URI as one string (costs about 2.7x the media's size; rarely needed)."""
        if self._path is not None:
            return data_uri_from_file(self._path, self.mime)
        assert self._data is not None
        return data_uri_from_bytes(self._data, self.mime)

    def iter_encoded(self, piece_size: int = PIECE_SIZE) -> Iterator[bytes]:
        """The whole URI as ASCII bytes: the header, then :meth:`iter_payload`."""
        yield self.prefix.encode("ascii")
        yield from self.iter_payload(piece_size)

    def iter_payload(self, piece_size: int = PIECE_SIZE) -> Iterator[bytes]:
        """The base64 payload in pieces of ``piece_size`` raw bytes (a multiple of 3).

        Raises:
            OSError: If the file is missing, unreadable, or not ``size`` bytes long any more.
        """
        if self._data is not None:
            for start in range(0, self.size, piece_size):
                yield binascii.b2a_base64(self._data[start : start + piece_size], newline=False)
            return
        assert self._path is not None
        read = 0
        buffer = bytearray(min(piece_size, max(3, self.size)))
        with open(self._path, "rb") as stream, memoryview(buffer) as view:
            while read < self.size:
                got = _read_full(stream, view[: min(len(view), self.size - read)])
                if got == 0:
                    break
                read += got
                yield binascii.b2a_base64(view[:got], newline=False)
            if read != self.size or stream.read(1):
                raise OSError(
                    f"{str(self._path)!r} changed while it was being sent: {self.size:,} bytes "
                    f"were announced, {'fewer' if read < self.size else 'more'} were found. The "
                    "request body was cut short, so the server accepted nothing; send it again."
                )

    def _read_head(self) -> bytes:
        if self._data is not None:
            return bytes(self._data[:_HEAD_BYTES])
        assert self._path is not None
        with open(self._path, "rb") as stream:
            return stream.read(_HEAD_BYTES)

    def __repr__(self) -> str:
        what = repr(str(self._path)) if self._path is not None else f"<{self.size:,} bytes>"
        return f"InlineMedia({what}, mime={self.mime!r}, size={self.size})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, InlineMedia):
            return NotImplemented
        if self.mime != other.mime or self.size != other.size:
            return False
        if self._path is not None or other._path is not None:
            return self._path == other._path
        return self._data == other._data

    __hash__ = None  # type: ignore[assignment]  # equal values may hold mutable bytearrays

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        # Kept as the object in Python dumps (the client streams it); a JSON dump spells it out.
        from pydantic_core import core_schema

        return core_schema.is_instance_schema(
            cls,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: value.to_data_uri(), when_used="json"
            ),
        )
