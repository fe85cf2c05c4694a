"""An empty user turn is refused before anything is sent (it would be billed for no answer)."""

from __future__ import annotations

import pytest

from foxapi_core import FoxAPIClient, MessagesRequest, RequestValidationError
from foxapi_core._checks import check_body
from foxapi_core.emulator import RunningEmulator


@pytest.mark.parametrize("content", ["", "   \n", []], ids=["empty", "blank", "no-blocks"])
def test_empty_user_message_is_refused_before_sending(
    foxapi_emulator: RunningEmulator, content: object
) -> None:
    request = MessagesRequest(model="gpt-5.5", messages=[{"role": "user", "content": content}])
    with (
        FoxAPIClient(api_key=foxapi_emulator.api_key, base_url=foxapi_emulator.base_url) as c,
        pytest.raises(RequestValidationError) as info,
    ):
        c.generate(request)
    assert info.value.field == "messages[0].content"
    assert info.value.model == "gpt-5.5"
    assert info.value.fix and "user message" in info.value.fix
    assert foxapi_emulator.emulator.counters.requests == 0


def test_empty_assistant_turn_is_still_accepted() -> None:
    body = {
        "model": "gpt-5.5",
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": ""},
            {"role": "user", "content": "again"},
        ],
    }
    assert check_body(body) == []
