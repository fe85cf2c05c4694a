"""The ``foxapi`` command line, run in-process against the emulator."""

from __future__ import annotations

import pytest

from foxapi_core.cli import EXIT_CONFIG, EXIT_INVALID, EXIT_OK, EXIT_USAGE, main
from foxapi_core.emulator import RunningEmulator


def test_demo_without_key_uses_the_emulator_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FOXAPI_API_KEY", raising=False)
    monkeypatch.delenv("FOXAPI_BASE_URL", raising=False)
    assert main(["demo"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "SIMULATED" in out
    assert "[reasoning] Thinking about" in out
    assert "RequestValidationError: claude-opus-4-7" in out


def test_demo_with_key_uses_the_configured_service(
    foxapi_env: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "SIMULATED" not in out
    assert foxapi_env.base_url in out
    assert foxapi_env.emulator.counters.submits == 2


def test_chat_json(foxapi_env: RunningEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "hello there", "--model", "gpt-5.5", "--json"]) == EXIT_OK
    assert '"object": "chat.completion"' in capsys.readouterr().out


def test_chat_invalid_request_exit_code(
    foxapi_env: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", "hi", "--model", "claude-opus-4-7"]) == EXIT_INVALID
    assert "max_tokens" in capsys.readouterr().err
    assert foxapi_env.emulator.counters.requests == 0


def test_wrong_key_exit_code(
    foxapi_env: RunningEmulator,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("FOXAPI_API_KEY", "sk-wrong-canary")
    assert main(["chat", "hi", "--model", "gpt-5.5"]) == EXIT_CONFIG
    assert "sk-wrong-canary" not in capsys.readouterr().err


def test_task_wait(foxapi_env: RunningEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    from foxapi_core import FoxAPIClient, TextRequest

    with FoxAPIClient() as client:
        task = client.submit(TextRequest(model="gemini-2.5-pro", prompt="hi"))
    assert main(["task", task.id, "--wait"]) == EXIT_OK
    assert '"status": "completed"' in capsys.readouterr().out


def test_models_lists_the_catalog(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "kimi-k2.6" in out and "(thinking)" in out


@pytest.mark.parametrize("command", [[], ["demo"], ["chat"], ["models"], ["task"], ["emulator"]])
def test_help_for_every_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == EXIT_OK
    assert "usage: foxapi" in capsys.readouterr().out


def test_usage_error_exit_code() -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == EXIT_USAGE
