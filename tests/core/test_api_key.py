"""API keys as users really provide them: read from a file (trailing newline), pasted with a
stray character. Refused before any I/O with an error that names the problem, never the key."""

from __future__ import annotations

import traceback

import pytest

from foxapi_core import AsyncFoxAPIClient, ConfigurationError, FoxAPIClient, TextRequest
from foxapi_core.emulator import RunningEmulator

REQUEST = TextRequest(model="gemini-2.5-pro", prompt="hi")


@pytest.mark.parametrize("suffix", ["\n", "\r\n", " ", "\t\n"])
def test_surrounding_whitespace_is_stripped(foxapi_emulator: RunningEmulator, suffix: str) -> None:
    key = f"  {foxapi_emulator.api_key}{suffix}"
    with FoxAPIClient(api_key=key, base_url=foxapi_emulator.base_url) as client:
        assert client.generate(REQUEST, transport="poll").text
    assert foxapi_emulator.emulator.counters.submits == 1


async def test_surrounding_whitespace_is_stripped_async(foxapi_emulator: RunningEmulator) -> None:
    key = f"{foxapi_emulator.api_key}\n"
    async with AsyncFoxAPIClient(api_key=key, base_url=foxapi_emulator.base_url) as client:
        assert (await client.generate(REQUEST, transport="poll")).text


CANARY = "sk-canary-7Hq2"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (f"{CANARY}\x00zz", "a control character"),
        (f"{CANARY}\nzz", "a control character"),
        (f"{CANARY}é", "a non-ASCII character"),
        (f"{CANARY} zz", "a space"),
    ],
)
def test_bad_characters_are_refused_before_any_request(
    foxapi_emulator: RunningEmulator, key: str, problem: str
) -> None:
    with (
        FoxAPIClient(api_key=key, base_url=foxapi_emulator.base_url) as client,
        pytest.raises(ConfigurationError) as info,
    ):
        client.generate(REQUEST)
    assert problem in str(info.value)
    assert foxapi_emulator.emulator.counters.requests == 0
    rendered = "".join(traceback.format_exception(info.value)) + repr(info.value)
    assert CANARY not in rendered


async def test_bad_characters_are_refused_before_any_request_async(
    foxapi_emulator: RunningEmulator,
) -> None:
    async with AsyncFoxAPIClient(
        api_key=f"{CANARY}\u200bzz", base_url=foxapi_emulator.base_url
    ) as client:
        with pytest.raises(ConfigurationError) as info:
            await client.generate(REQUEST)
    assert foxapi_emulator.emulator.counters.requests == 0
    assert CANARY not in "".join(traceback.format_exception(info.value))
