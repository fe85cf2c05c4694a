"""Retry and poll policies: small immutable value objects with pure decision functions."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PollPolicy", "RetryPolicy", "parse_retry_after"]


class RetryPolicy(BaseModel):
    """When and how long to wait before retrying a request.

    Polls, stream reconnects and other reads are retried on ``retry_statuses`` and on connection
    errors. A submit (``POST /v1/llm/generations``) is retried only when the server certainly
    created no task: a connect-phase failure or ``submit_retry_statuses`` (429, 503). Waits are
    capped exponential backoff with jitter (as openai-python and anthropic-sdk do: 0.5 s doubling
    to 8 s, minus up to 25 %), or the server's ``retry-after-ms`` / ``retry-after`` when it sends
    one, capped at ``max_retry_after``.

    ``max_retries`` bounds the retries of a submit only. Idempotent requests (polls, stream
    connections, ``list_models``) are retried for as long as the next wait fits in the caller's
    deadline, so a short run of 5xx answers does not end a call that still has time left.

    Example:
        >>> RetryPolicy(max_retries=5, max_backoff=4.0)
    """

    model_config = ConfigDict(frozen=True)

    max_retries: int = Field(default=2, ge=0)  # submits only; reads are bounded by the deadline
    initial_backoff: float = Field(default=0.5, gt=0)
    max_backoff: float = Field(default=8.0, gt=0)
    jitter: float = Field(default=0.25, ge=0, le=1)
    max_retry_after: float = Field(default=60.0, gt=0)
    retry_statuses: frozenset[int] = frozenset({408, 409, 429, 500, 502, 503, 504})
    submit_retry_statuses: frozenset[int] = frozenset({429, 503})

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (0-based), without a server hint."""
        base = min(self.initial_backoff * (2.0**attempt), self.max_backoff)
        return base * (1.0 - self.jitter * (rng or random).random())

    def delay(
        self, attempt: int, headers: Mapping[str, str] | None, rng: random.Random | None = None
    ) -> float:
        """Seconds to wait: the server's hint when it gave one (capped), else the backoff."""
        hint = parse_retry_after(headers) if headers is not None else None
        if hint is not None:
            return min(hint, self.max_retry_after)
        return self.backoff(attempt, rng)


class PollPolicy(BaseModel):
    """The polling schedule of ``wait()``.

    The first poll comes ``initial_delay`` seconds after the submit; after that the interval grows
    with the task's age (``growth`` times the time elapsed), clamped to
    [``min_interval``, ``max_interval``]. With the defaults a task is polled at about 0.5, 0.75,
    1.1, 1.6, 2.3, 3.3, 4.8, 7.0, 10.1, 14.7, 21.3, 30.8 s and then every 10 s: completion is seen
    within 45 % of the task's age (for tasks of 0.5-10 s a median of about 21 %), and a 60-second
    task costs 15 polls. ``growth=0.45`` is the smallest growth that keeps a 60-second task within
    15 polls, so the lowest median latency that budget allows (docs/performance.md, figure 7).
    The overall deadline always gets one last poll exactly at the deadline.

    Example:
        >>> PollPolicy(initial_delay=1.0, max_interval=5.0)
    """

    model_config = ConfigDict(frozen=True)

    initial_delay: float = Field(default=0.5, ge=0)
    growth: float = Field(default=0.45, gt=0)
    min_interval: float = Field(default=0.25, gt=0)
    max_interval: float = Field(default=10.0, gt=0)
    null_result_retries: int = Field(default=3, ge=0)

    def next_interval(self, elapsed: float) -> float:
        """Seconds until the next poll of a task that has been running ``elapsed`` seconds."""
        return min(max(elapsed * self.growth, self.min_interval), self.max_interval)


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The server's retry hint in seconds, from ``retry-after-ms`` or ``retry-after``.

    ``retry-after`` may be a number of seconds or an HTTP date. Returns None when there is no
    usable hint (absent, malformed or negative).
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        return max(seconds, 0.0)
    return seconds if seconds >= 0 else None
