"""Client configuration: where to connect, with which key, and how long to wait."""

from __future__ import annotations

import ipaddress
import os
import unicodedata
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from ._errors import ConfigurationError
from ._policies import PollPolicy, RetryPolicy

if TYPE_CHECKING:  # imported where used: it costs ~100 ms, needed only once a client exists
    import httpx

__all__ = [
    "API_KEY_ENV",
    "BASE_URL_ENV",
    "DEFAULT_BASE_URL",
    "ClientConfig",
    "Timeouts",
    "is_loopback_host",
]

API_KEY_ENV = "FOXAPI_API_KEY"
BASE_URL_ENV = "FOXAPI_BASE_URL"
DEFAULT_BASE_URL = "https://api.foxapi.cc"


class Timeouts(BaseModel):
    """Separate limits, in seconds, for each way a call can hang.

    - ``connect``: opening a TCP/TLS connection.
    - ``read``: waiting for the answer to an ordinary request (submit, poll).
    - ``stream_idle``: silence allowed inside an SSE stream before it counts as stalled
      (heartbeat comments reset it).
    - ``deadline``: the whole task, from submit to result, retries and polls included.
    - ``sync``: the read limit of a ``transport="sync"`` request, which blocks until the model
      has finished.

    Example:
        >>> Timeouts(deadline=120, stream_idle=30)
    """

    model_config = ConfigDict(frozen=True)

    connect: float = Field(default=10.0, gt=0)
    read: float = Field(default=60.0, gt=0)
    write: float = Field(default=60.0, gt=0)
    stream_idle: float = Field(default=120.0, gt=0)
    deadline: float = Field(default=900.0, gt=0)
    sync: float = Field(default=600.0, gt=0)

    def for_request(self) -> httpx.Timeout:
        """httpx timeouts of an ordinary request."""
        return self.for_kind("request")

    def for_stream(self) -> httpx.Timeout:
        """httpx timeouts of an SSE stream: httpx applies ``read`` to each read, so it is the
        stream-idle limit."""
        return self.for_kind("stream")

    def for_sync(self) -> httpx.Timeout:
        """httpx timeouts of a blocking ``sync=true`` request."""
        return self.for_kind("sync")

    def for_kind(
        self, kind: Literal["request", "stream", "sync"], limit: float | None = None
    ) -> httpx.Timeout:
        """httpx timeouts of one request of ``kind``, each capped at ``limit`` seconds (what is
        left of a call's deadline) when given.

        Example:
            >>> Timeouts(stream_idle=30).for_kind("stream", limit=5.0).read
            5.0
        """
        import httpx

        read = self.stream_idle if kind == "stream" else self.sync if kind == "sync" else self.read
        connect, write = self.connect, self.write
        if limit is not None:
            read, connect, write = min(read, limit), min(connect, limit), min(write, limit)
        return httpx.Timeout(read, connect=connect, write=write, pool=connect)


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals; ``localhost.evil.com`` is not loopback."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_api_key(key: str) -> str:
    """The key without surrounding whitespace; ConfigurationError (which never shows the key)
    if what is left holds a character an HTTP header cannot carry as-is.

    A key read from a file usually ends in a newline; httpx would refuse the header only when
    the first request is built, and a non-ASCII character fails as a bare ``UnicodeEncodeError``
    whose repr holds the key. Both are caught here, before any I/O.

    Example:
        >>> check_api_key("sk-abc\\n")
        'sk-abc'
    """
    stripped = key.strip()
    # Printable ASCII but the space, \x21-\x7e, tested in C: every call asks for the key 3-5
    # times, and the loop below (which finds the culprit for the error) costs ~2 µs each.
    if stripped.isascii() and stripped.isprintable() and " " not in stripped:
        return stripped
    for position, char in enumerate(stripped):
        if not "\x21" <= char <= "\x7e":
            kind = (
                "a space"
                if char == " "
                else "a control character"
                if unicodedata.category(char).startswith("C")
                else "a non-ASCII character"
            )
            raise ConfigurationError(
                f"The FoxAPI API key holds {kind} (U+{ord(char):04X}) at position {position}; "
                "keys are printable ASCII (sk-...). Check how it was read: copy it again "
                f"from the FoxAPI console into {API_KEY_ENV} or api_key=..."
            )
    return stripped


class ClientConfig(BaseModel):
    """Everything a client needs; built by the client from its arguments and the environment.

    The key is held as a ``SecretStr``: it never appears in ``repr``, logs or errors.
    """

    model_config = ConfigDict(frozen=True)

    api_key: SecretStr | None = None
    base_url: str = DEFAULT_BASE_URL
    timeouts: Timeouts = Field(default_factory=Timeouts)
    retry: RetryPolicy = Field(default_factory=RetryPolicy)
    poll: PollPolicy = Field(default_factory=PollPolicy)
    allow_insecure_http: bool = False
    validate_requests: bool = True

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        **settings: object,
    ) -> ClientConfig:
        """Build a config from arguments, falling back to ``FOXAPI_API_KEY`` and
        ``FOXAPI_BASE_URL``; refuse an ``http://`` URL for a non-loopback host unless
        ``allow_insecure_http=True``.

        Raises:
            ConfigurationError: the base URL is malformed or insecure.
        """
        if api_key is None:
            api_key = os.environ.get(API_KEY_ENV) or None
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        if isinstance(api_key, str):
            # Stripped now; any other bad character is refused by require_key(), at the first
            # call (construction never fails for the key).
            api_key = SecretStr(api_key.strip()) if api_key.strip() else None
        url = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
        config = cls(api_key=api_key, base_url=url, **settings)
        config.check_base_url()
        return config

    def check_base_url(self) -> None:
        """Raise ConfigurationError unless the base URL is https, or http to loopback/allowed."""
        # Parsed by httpx, the parser that sends the requests: urllib disagrees with it on
        # malformed hosts such as "[::1].evil.com", which urllib reads as the loopback "::1".
        import httpx

        try:
            parts = httpx.URL(self.base_url)
        except httpx.InvalidURL:
            parts = httpx.URL()
        if parts.scheme not in ("http", "https") or not parts.host:
            raise ConfigurationError(
                f"base_url {self.base_url!r} is not an http(s) URL; "
                f"use e.g. {DEFAULT_BASE_URL!r} or set {BASE_URL_ENV}."
            )
        if (
            parts.scheme == "http"
            and not self.allow_insecure_http
            and not is_loopback_host(parts.host)
        ):
            raise ConfigurationError(
                f"base_url {self.base_url!r} uses plain http to a non-loopback host, which would "
                "send the API key unencrypted; use https, or pass allow_insecure_http=True if "
                "you really mean it."
            )

    def require_key(self) -> str:
        """The API key, or a ConfigurationError that says how to provide one."""
        if self.api_key is None or not self.api_key.get_secret_value():
            raise ConfigurationError(
                f"No FoxAPI API key: pass api_key=... or set the {API_KEY_ENV} environment "
                "variable. To work offline, start the emulator (`foxapi emulator`, or the "
                "`foxapi_emulator` pytest fixture) and point base_url at it."
            )
        return check_api_key(self.api_key.get_secret_value())
