"""Client configuration: where to connect, with which key, and how long to wait."""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING

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
        import httpx

        return httpx.Timeout(self.read, connect=self.connect, write=self.write, pool=self.connect)

    def for_stream(self) -> httpx.Timeout:
        """httpx timeouts of an SSE stream: httpx applies ``read`` to each read, so it is the
        stream-idle limit."""
        import httpx

        return httpx.Timeout(
            self.stream_idle, connect=self.connect, write=self.write, pool=self.connect
        )

    def for_sync(self) -> httpx.Timeout:
        """httpx timeouts of a blocking ``sync=true`` request."""
        import httpx

        return httpx.Timeout(self.sync, connect=self.connect, write=self.write, pool=self.connect)


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals; ``localhost.evil.com`` is not loopback."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


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

    @staticmethod
    def clean_key(value: str | SecretStr | None) -> SecretStr | None:
        """The key without surrounding whitespace.

        Raises:
            ConfigurationError: the key holds a control, inner whitespace or non-ASCII character.
        """
        # A key read from a file often ends in a newline; httpx would refuse the header only
        # at send time, with an error that quotes it. Strip whitespace and refuse what no key
        # can hold before any I/O; the message names the problem, never the key.
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if value is None:
            return None
        key = value.strip()
        for index, char in enumerate(key):
            if not char.isascii() or not char.isprintable() or char.isspace():
                kind = "a non-ASCII" if not char.isascii() else "a control or whitespace"
                raise ConfigurationError(
                    f"The FoxAPI API key holds {kind} character (U+{ord(char):04X}) at "
                    f"position {index}; keys are printable ASCII. Copy the key again from the "
                    f"FoxAPI console or check the file or {API_KEY_ENV} it was read from."
                )
        return SecretStr(key)

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
        api_key = cls.clean_key(api_key)
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
        return self.api_key.get_secret_value()
