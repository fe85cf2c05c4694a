"""The ``foxapi`` command line, run in-process against the emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import write_wav

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
    # nemotron-3-nano-omni takes one image (claude without max_tokens now gets the default).
    two = ["--image", "https://example.com/a.png", "--image", "https://example.com/b.png"]
    assert main(["chat", "hi", "--model", "nemotron-3-nano-omni", *two]) == EXIT_INVALID
    assert "image" in capsys.readouterr().err
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


@pytest.mark.parametrize(
    "command", [[], ["demo"], ["chat"], ["transcribe"], ["models"], ["task"], ["emulator"]]
)
def test_help_for_every_command(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([*command, "--help"])
    assert info.value.code == EXIT_OK
    out = capsys.readouterr().out
    assert f"usage: foxapi {' '.join(command)}".rstrip() in out


def _help(command: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    return capsys.readouterr().out


def test_help_lists_every_command_and_option(capsys: pytest.CaptureFixture[str]) -> None:
    top = _help([], capsys)
    for name in ("demo", "chat", "transcribe", "models", "task", "emulator"):
        assert name in top
    assert "130 interrupted" in top
    transcribe = _help(["transcribe"], capsys)
    for option in ("--model", "--prompt", "--concurrency", "--out", "FILE", "gemini-2.5-pro"):
        assert option in transcribe
    chat = _help(["chat"], capsys)
    for option in ("--model", "--stream", "--reasoning", "--image", "--json", "--max-tokens"):
        assert option in chat
    assert "refreshed from the service" in _help(["models"], capsys)
    task = _help(["task"], capsys)
    assert "--wait" in task and "--stream" in task and "--offset" in task
    assert "--port" in _help(["emulator"], capsys)


def test_transcribe_ten_files_with_progress(
    foxapi_env: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [str(write_wav(tmp_path / f"clip{i:02d}.wav", 0.05 * (i + 1))) for i in range(10)]
    out = tmp_path / "out"
    assert main(["transcribe", *files, "--out", str(out), "--concurrency", "3"]) == EXIT_OK
    written = sorted(out.glob("*.txt"))
    assert [p.name for p in written] == [f"clip{i:02d}.txt" for i in range(10)]
    for path in written:
        assert "Transcription" in path.read_text(encoding="utf-8")
    # each file's transcript is its own (the emulator reports the audio's duration)
    assert "0.050 s" in (out / "clip00.txt").read_text(encoding="utf-8")
    assert "0.500 s" in (out / "clip09.txt").read_text(encoding="utf-8")
    err = capsys.readouterr().err
    # stderr is not a terminal here: plain progress lines, no bar frames
    assert "[10/10] " in err and f"transcribing {files[0]} ..." in err and "\r" not in err
    assert foxapi_env.emulator.counters.submits == 10


def test_transcribe_one_file_prints_to_stdout(
    foxapi_env: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wav = write_wav(tmp_path / "a.wav", 0.1)
    assert main(["transcribe", str(wav), "--prompt", "Who speaks?"]) == EXIT_OK
    captured = capsys.readouterr()
    assert "You said: Who speaks?" in captured.out
    assert "==>" not in captured.out  # no header for a single file
    assert f"transcribing {wav} ..." in captured.err  # one file shows progress too
    assert "SIMULATED" not in captured.err  # a key is set: no emulator fallback


def test_transcribe_failure_keeps_the_others_and_sets_the_exit_code(
    foxapi_env: RunningEmulator, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_wav(tmp_path / "good.wav", 0.1)
    out = tmp_path / "out"
    code = main(["transcribe", str(good), str(tmp_path / "missing.wav"), "-o", str(out)])
    assert code == EXIT_INVALID
    assert [p.name for p in out.glob("*.txt")] == ["good.txt"]
    assert "missing.wav: No such audio file" in capsys.readouterr().err


def test_transcribe_same_stem_twice_gets_distinct_files(
    foxapi_env: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one, two = write_wav(tmp_path / "a" / "x.wav", 0.1), write_wav(tmp_path / "b" / "x.wav", 0.2)
    out = tmp_path / "out"
    assert main(["transcribe", str(one), str(two), "-o", str(out), "--no-progress"]) == EXIT_OK
    assert sorted(p.name for p in out.glob("*.txt")) == ["x-2.txt", "x.txt"]


def test_transcribe_without_tqdm_has_no_bar(
    foxapi_env: RunningEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm -> ImportError
    files = [str(write_wav(tmp_path / f"{i}.wav", 0.05)) for i in range(2)]
    assert main(["transcribe", *files]) == EXIT_OK
    captured = capsys.readouterr()
    assert captured.out.count("==> ") == 2
    assert "\r" not in captured.err and "it/s" not in captured.err


def test_transcribe_bad_concurrency_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as info:
        main(["transcribe", "--concurrency", "0", str(tmp_path / "a.wav")])
    assert info.value.code == EXIT_USAGE


def test_models_refreshed_from_the_service_when_a_key_is_set(
    foxapi_env: RunningEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "--json"]) == EXIT_OK
    rows = json.loads(capsys.readouterr().out)
    assert {"kimi-k2.6", "gemini-2.5-pro"} <= {row["model"] for row in rows}
    assert foxapi_env.emulator.counters.requests >= 1  # GET /v1/configs/llm_generations_models


def test_models_without_key_needs_no_network(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("FOXAPI_API_KEY", raising=False)
    monkeypatch.setenv("FOXAPI_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    assert main(["models"]) == EXIT_OK
    assert "gemini-2.5-pro" in capsys.readouterr().out


def test_usage_error_exit_code() -> None:
    with pytest.raises(SystemExit) as info:
        main(["no-such-command"])
    assert info.value.code == EXIT_USAGE


def _foxapi(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the installed command line in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "foxapi_core.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _env_without_key() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOXAPI_")}
    env["FOXAPI_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    return env


def test_chat_without_key_is_a_configuration_error_not_a_simulated_answer(
    tmp_path: Path,
) -> None:
    result = _foxapi(["chat", "hello"], _env_without_key(), tmp_path)
    assert result.returncode == EXIT_CONFIG
    assert "FOXAPI_API_KEY" in result.stderr
    assert "SIMULATED" not in result.stdout + result.stderr
    assert result.stdout == ""


def test_transcribe_out_without_key_writes_nothing(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "a.wav", 0.1)
    out = tmp_path / "out"
    result = _foxapi(["transcribe", str(wav), "--out", str(out)], _env_without_key(), tmp_path)
    assert result.returncode == EXIT_CONFIG
    assert "FOXAPI_API_KEY" in result.stderr
    assert list(out.glob("*.txt")) == []


def test_chat_with_emulator_flag_says_simulated(tmp_path: Path) -> None:
    result = _foxapi(["chat", "hello", "--emulator"], _env_without_key(), tmp_path)
    assert result.returncode == EXIT_OK
    assert "SIMULATED" in result.stderr
    assert result.stdout.strip()


# --- the first hour: no tracebacks, stdin, help, streamed reasoning (issue 16) -----------------


def _env_for(emu: RunningEmulator) -> dict[str, str]:
    env = _env_without_key()
    env.update(FOXAPI_API_KEY=emu.api_key, FOXAPI_BASE_URL=emu.base_url)
    return env


def test_chat_dash_reads_the_prompt_from_stdin(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "foxapi_core.cli", "chat", "-", "--model", "gpt-5.5"],
        input="hello from a pipe\n",
        env=_env_for(foxapi_emulator),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == EXIT_OK, done.stderr
    assert "You said: hello from a pipe" in done.stdout


def test_missing_image_is_a_usage_error_without_traceback(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    done = _foxapi(["chat", "hi", "--image", "missing.png"], _env_for(foxapi_emulator), tmp_path)
    assert done.returncode == EXIT_USAGE
    assert "missing.png" in done.stderr and "Traceback" not in done.stderr
    assert foxapi_emulator.emulator.counters.requests == 0


def test_out_of_range_port_is_a_usage_error(tmp_path: Path) -> None:
    done = _foxapi(["emulator", "--port", "99999"], _env_without_key(), tmp_path)
    assert done.returncode == EXIT_USAGE
    assert "not a TCP port" in done.stderr and "Traceback" not in done.stderr


def test_demo_help_describes_the_demo(tmp_path: Path) -> None:
    done = _foxapi(["demo", "--help"], _env_without_key(), tmp_path)
    assert done.returncode == EXIT_OK
    assert "SIMULATED" in done.stdout and "kimi-k2.6" in done.stdout


def test_output_piped_to_a_closed_reader_exits_quietly(tmp_path: Path) -> None:
    """`foxapi models | head -1`: the reader closes early; no BrokenPipeError traceback."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "foxapi_core.cli", "models"],
        env=_env_without_key(),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head` exiting before the table is written
    stderr = proc.stderr.read()
    assert proc.wait(timeout=120) == EXIT_OK
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_streamed_reasoning_and_answer_are_separated(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    done = _foxapi(
        ["chat", "Is 17 prime?", "--model", "kimi-k2.6", "--stream", "--reasoning"],
        _env_for(foxapi_emulator),
        tmp_path,
    )
    assert done.returncode == EXIT_OK, done.stderr
    reasoning, _, answer = done.stdout.partition("[answer]")
    assert reasoning.lstrip().startswith("[reasoning]")
    assert "Thinking about" in reasoning and "Thinking about" not in answer
    assert "Emulated answer from kimi-k2.6" in answer


def test_unknown_model_advice_names_the_cli_switch_and_the_switch_works(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = _env_for(foxapi_emulator)
    refused = _foxapi(["chat", "hi", "--model", "kimi-k2"], env, tmp_path)
    assert refused.returncode == EXIT_INVALID
    assert "--no-validate" in refused.stderr and "validate=False" not in refused.stderr
    assert "Did you mean kimi-k2.6" in refused.stderr
    assert foxapi_emulator.emulator.counters.submit_attempts == 0  # refused before sending
    sent = _foxapi(["chat", "hi", "--model", "kimi-k2", "--no-validate"], env, tmp_path)
    assert foxapi_emulator.emulator.counters.submit_attempts == 1  # the checks were skipped
    assert sent.returncode == EXIT_INVALID  # and the server had its own say (422)


def test_insecure_base_url_advice_names_the_cli_flag_and_the_flag_lifts_the_check(
    tmp_path: Path,
) -> None:
    # 192.0.2.1 is TEST-NET-1 (RFC 5737); nothing is ever sent there: both runs end before I/O.
    env = _env_without_key()
    env["FOXAPI_BASE_URL"] = "http://192.0.2.1"
    env["FOXAPI_API_KEY"] = "sk-test"
    refused = _foxapi(["chat", "hi"], env, tmp_path)
    assert refused.returncode == EXIT_CONFIG
    assert "--allow-insecure-http" in refused.stderr and "allow_insecure_http" not in refused.stderr
    del env["FOXAPI_API_KEY"]  # with the flag the URL passes; the missing key then stops it
    allowed = _foxapi(["chat", "hi", "--allow-insecure-http"], env, tmp_path)
    assert allowed.returncode == EXIT_CONFIG
    assert "No FoxAPI API key" in allowed.stderr and "plain http" not in allowed.stderr


def test_a_refused_key_names_the_variable_and_the_url(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = _env_for(foxapi_emulator)
    env["FOXAPI_API_KEY"] = "sk-not-the-emulators"
    done = _foxapi(["chat", "hi", "--model", "gpt-5.5"], env, tmp_path)
    assert done.returncode == EXIT_CONFIG
    assert "FOXAPI_API_KEY" in done.stderr and foxapi_emulator.base_url in done.stderr
    assert "sk-not-the-emulators" not in done.stderr


def test_a_connection_error_names_the_url_tried(tmp_path: Path) -> None:
    env = _env_without_key()  # FOXAPI_BASE_URL is a loopback port where nothing listens
    env["FOXAPI_API_KEY"] = "sk-test"
    done = _foxapi(["chat", "hi", "--model", "gpt-5.5"], env, tmp_path)
    assert done.returncode != EXIT_OK
    assert "http://127.0.0.1:9" in done.stderr and "Traceback" not in done.stderr
