"""The first hour of a new user with the ``foxapi`` command (issue 16): every refusal says what
to do, in the CLI's own terms, without a traceback.

Each test runs the command in a subprocess (``python -m foxapi_core.cli``, the installed entry
point's module), as a user would.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import write_wav

from foxapi_core.cli import (
    EXIT_CONFIG,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    main,
)
from foxapi_core.emulator import RunningEmulator


def _env_without_key() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FOXAPI_")}
    env["FOXAPI_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens there
    return env


def _env_for(emu: RunningEmulator) -> dict[str, str]:
    env = _env_without_key()
    env.update(FOXAPI_API_KEY=emu.api_key, FOXAPI_BASE_URL=emu.base_url)
    return env


def _foxapi(
    args: list[str], env: dict[str, str], cwd: Path, *, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "foxapi_core.cli", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- 1. foxapi emulator: the missing extra, a port in use ------------------------------------

#: Installed as ``sitecustomize`` on PYTHONPATH: the interpreter then behaves as if the
#: ``emulator`` extra (uvicorn, starlette) had not been installed.
_WITHOUT_EMULATOR_EXTRA = """
import importlib.abc
import sys


class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("uvicorn", "starlette"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
"""


def test_emulator_without_the_extra_names_the_pip_command(tmp_path: Path) -> None:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(_WITHOUT_EMULATOR_EXTRA, encoding="utf-8")
    env = _env_without_key()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), env.get("PYTHONPATH")]))
    # the shim really hides the extra in that interpreter
    probe = subprocess.run(
        [sys.executable, "-c", "import uvicorn"], env=env, capture_output=True, text=True
    )
    assert probe.returncode != 0 and "uvicorn" in probe.stderr

    done = _foxapi(["emulator", "--port", "0"], env, tmp_path)
    assert done.returncode == EXIT_USAGE
    assert "pip install 'foxapi-integrations[emulator]'" in done.stderr
    assert "Traceback" not in done.stderr
    assert "export" not in done.stdout
    simulated = _foxapi(["chat", "hi", "--emulator"], env, tmp_path)  # the same for --emulator
    assert simulated.returncode == EXIT_CONFIG
    assert "pip install 'foxapi-integrations[emulator]'" in simulated.stderr
    assert "Traceback" not in simulated.stderr


def test_emulator_on_a_port_in_use_refuses_before_the_export_lines(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _foxapi(["emulator", "--port", str(port)], _env_without_key(), tmp_path)
    assert done.returncode == EXIT_USAGE
    assert f"port {port}" in done.stderr and "--port" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""  # no `export FOXAPI_BASE_URL=...` for a server that never ran


# -- 2. transcribe: errors once, stop after a 401, progress lines, completion order ----------


def test_transcribe_prints_each_error_once(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "notes.wav").write_text("not audio at all", encoding="utf-8")
    good = write_wav(tmp_path / "good.wav")
    done = _foxapi(
        ["transcribe", "missing.wav", "notes.wav", str(good)], _env_for(foxapi_emulator), tmp_path
    )
    assert done.returncode == EXIT_INVALID
    assert done.stderr.count("No such audio file") == 1, done.stderr
    assert done.stderr.count("content is not WAV audio") == 1, done.stderr
    assert "==> " + str(good) in done.stdout  # the good one still ran


def test_transcribe_stops_after_an_authentication_failure(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    files = [str(write_wav(tmp_path / f"clip{i}.wav")) for i in range(5)]
    env = _env_for(foxapi_emulator)
    env["FOXAPI_API_KEY"] = "sk-not-the-emulators"
    done = _foxapi(["transcribe", *files, "--concurrency", "1"], env, tmp_path)
    assert done.returncode == EXIT_CONFIG
    assert done.stderr.count("error: ") == 2, done.stderr  # the 401 once, then the stop
    assert "FOXAPI_API_KEY" in done.stderr
    assert "4 of 5 files were not tried" in done.stderr
    assert foxapi_emulator.emulator.counters.requests == 1  # nothing after the refusal
    assert done.stdout == ""


def test_transcribe_progress_is_plain_lines_when_stderr_is_not_a_terminal(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    files = [str(write_wav(tmp_path / f"clip{i}.wav")) for i in range(3)]
    done = _foxapi(["transcribe", *files], _env_for(foxapi_emulator), tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    assert "\r" not in done.stderr and "file/s" not in done.stderr  # no tqdm frames
    lines = done.stderr.splitlines()
    for file in files:
        assert f"transcribing {file} ..." in lines
    assert sorted(line.split()[0] for line in lines if line.startswith("[")) == [
        "[1/3]",
        "[2/3]",
        "[3/3]",
    ]


def test_transcribe_draws_a_bar_when_stderr_is_a_terminal(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    pty = pytest.importorskip("pty")
    pytest.importorskip("tqdm")
    files = [str(write_wav(tmp_path / f"clip{i}.wav")) for i in range(3)]
    leader, follower = pty.openpty()
    # A new pty is 0 columns wide, where tqdm draws nothing: give it a terminal's size.
    fcntl = pytest.importorskip("fcntl")
    termios = pytest.importorskip("termios")
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "foxapi_core.cli", "transcribe", *files],
            env=_env_for(foxapi_emulator),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=120,
            check=False,
        )
        os.close(follower)
        drawn = b""
        with contextlib.suppress(OSError):  # EIO once everything written has been read
            while chunk := os.read(leader, 65536):
                drawn += chunk
    finally:
        os.close(leader)
    assert done.returncode == EXIT_OK
    text = drawn.decode(errors="replace")
    assert "3/3" in text and "\r" in text  # a tqdm bar, redrawn in place
    assert f"transcribing {files[0]} ..." not in text  # no plain lines under the bar


def test_transcribe_one_file_shows_that_it_is_working(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    wav = write_wav(tmp_path / "long-meeting.wav")
    done = _foxapi(["transcribe", str(wav)], _env_for(foxapi_emulator), tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    assert done.stderr.splitlines()[0] == f"transcribing {wav} ..."  # before the answer came
    assert "Transcription" in done.stdout


class _Gate(io.StringIO):
    """Standard output that opens ``event`` once ``text`` has been written to it."""

    def __init__(self, text: str, event: threading.Event) -> None:
        super().__init__()
        self.text, self.event = text, event

    def write(self, s: str) -> int:
        written = super().write(s)
        if self.text in self.getvalue():
            self.event.set()
        return written


def test_transcribe_prints_a_fast_file_before_a_slow_first_one(
    foxapi_env: RunningEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slow file is held until the fast one has been PRINTED: a run that keeps output in
    argument order can only time out here (and then prints in the wrong order)."""
    from foxapi_core import FoxAPIAudio
    from foxapi_core._audio_source import AudioResult

    slow, fast = str(write_wav(tmp_path / "slow.wav")), str(write_wav(tmp_path / "fast.wav"))
    printed_fast = threading.Event()

    def iter_results(self: FoxAPIAudio, sources: list[str], **_: object) -> Iterator[AudioResult]:
        for source in sources:
            if source == slow:
                printed_fast.wait(timeout=10)
            yield AudioResult(f"text of {Path(source).name}", {"source": source}, source)

    monkeypatch.setattr(FoxAPIAudio, "iter_results", iter_results)
    out = _Gate(f"==> {fast} <==", printed_fast)
    monkeypatch.setattr(sys, "stdout", out)
    assert main(["transcribe", slow, fast, "--no-progress"]) == EXIT_OK
    assert printed_fast.is_set()
    text = out.getvalue()
    assert text.index(f"==> {fast} <==") < text.index(f"==> {slow} <==")
    assert "text of slow.wav" in text


# -- 4. Ctrl-C and `foxapi task`: the next step in CLI terms ---------------------------------


def test_ctrl_c_during_chat_names_the_foxapi_task_command_that_resumes(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    # The stream stalls after 3 chunks: the command is surely mid-answer when Ctrl-C comes.
    foxapi_emulator.emulator.faults.stall_stream(after_chunks=3, seconds=60)
    env = _env_for(foxapi_emulator)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "foxapi_core.cli",
            "chat",
            "[[words:40]] go",
            "-m",
            "gpt-5.5",
            "--stream",
        ],
        env={**env, "PYTHONUNBUFFERED": "1"},
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,  # unbuffered bytes: what is read here is exactly what was printed so far
    )
    assert proc.stdout is not None
    seen = b""
    while b"You said: go" not in seen:  # the three chunks before the stall are shown
        byte = proc.stdout.read(1)
        assert byte, "the command ended before the stall"
        seen += byte
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(timeout=60)
    shown, stderr = (seen + rest).decode(), err.decode()
    assert proc.returncode == EXIT_INTERRUPTED
    assert (
        "client.stream(" not in stderr
        and "client.wait(" not in stderr
        and "Traceback" not in stderr
    )
    found = re.search(r"foxapi task (\S+) --stream --offset (\d+)", stderr)
    assert found, stderr
    task_id, offset = found.group(1), int(found.group(2))
    assert offset == 3 and f"foxapi task {task_id} --wait" in stderr

    # The advice works: what was shown plus the resumed rest is the whole answer, exactly.
    resumed = _foxapi(["task", task_id, "--stream", "--offset", str(offset)], env, tmp_path)
    assert resumed.returncode == EXIT_OK, resumed.stderr
    whole = _foxapi(["task", task_id, "--wait"], env, tmp_path)
    answer = json.loads(whole.stdout)["results"][0]["choices"][0]["message"]["content"]
    assert shown + resumed.stdout.rstrip("\n") == answer


def test_task_with_an_unknown_id_does_not_send_you_back_to_the_same_command(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    done = _foxapi(["task", "task-llmrouter-1-nosuchid"], _env_for(foxapi_emulator), tmp_path)
    assert done.returncode != EXIT_OK
    assert "foxapi task task-llmrouter-1-nosuchid" not in done.stderr  # not the failed command
    assert f"unknown to {foxapi_emulator.base_url}" in done.stderr
    assert "FOXAPI_API_KEY" in done.stderr and "task-llmrouter-" in done.stderr
    assert "Traceback" not in done.stderr


# -- 3. foxapi models: the rules, and where the list comes from ------------------------------


def test_models_without_key_says_built_in_and_shows_the_rules(tmp_path: Path) -> None:
    done = _foxapi(["models"], _env_without_key(), tmp_path)
    assert done.returncode == EXIT_OK, done.stderr
    first, _, table = done.stdout.partition("\n")
    assert first.startswith("The built-in catalog") and "not asked" in first
    blocks = {b.split("\n", 1)[0].split()[0]: b for b in table.strip().split("\n\n")}
    assert "max_tokens required by the server (the client sends 8,192" in blocks["claude-opus-4-7"]
    assert "max_tokens ≥ 16" in blocks["gpt-5.5"]
    gemini = blocks["gemini-2.5-pro"]
    assert "body ≤ 20 MB" in gemini and "audio:   aac, aiff, flac, m4a, mp3, ogg, wav" in gemini
    assert "forms:   text, vision, audio, video" in gemini and "no tools" in gemini
    assert "audio:   mp3, wav" in blocks["nemotron-3-nano-omni"]
    assert "output up to 32,768" in blocks["kimi-k2.6"]


def test_models_with_a_key_says_live_and_from_where(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = _env_for(foxapi_emulator)
    live = _foxapi(["models"], env, tmp_path)
    assert live.returncode == EXIT_OK, live.stderr
    assert live.stdout.startswith(f"Live from {foxapi_emulator.base_url}")
    assert foxapi_emulator.emulator.counters.requests == 1
    rows = json.loads(_foxapi(["models", "--json"], env, tmp_path).stdout)
    assert {row["source"] for row in rows} == {"live"}
    claude = next(row for row in rows if row["model"] == "claude-opus-4-7")
    assert claude["max_tokens_required"] and claude["default_max_tokens"] == 8192
    builtin = _foxapi(["models", "--builtin", "--json"], env, tmp_path)
    assert {row["source"] for row in json.loads(builtin.stdout)} == {"builtin"}
    assert foxapi_emulator.emulator.counters.requests == 2  # --builtin asked nothing


# -- 5. an oversize recording; the server's word on an unknown model -------------------------


def test_oversize_audio_refusal_names_split_and_the_models_without_the_limit(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    big = write_wav(tmp_path / "all-hands.wav", seconds=16 * 1024 * 1024 / 16_000, rate=8000)
    env = _env_for(foxapi_emulator)
    refused = _foxapi(["transcribe", str(big)], env, tmp_path)
    assert refused.returncode == EXIT_INVALID
    assert "--split" in refused.stderr and "split=True" not in refused.stderr
    assert "gemini-3.1-pro-preview" in refused.stderr  # a model without the 20 MB limit
    assert foxapi_emulator.emulator.counters.requests == 0  # refused before sending
    split = _foxapi(["transcribe", str(big), "--split"], env, tmp_path)
    assert split.returncode == EXIT_OK, split.stderr  # the advice works
    segments = split.stdout.count("Transcription")
    assert segments >= 2  # one per segment
    # progress inside the one long file: a line per segment as it ends (stderr is not a TTY)
    lines = [line for line in split.stderr.splitlines() if ": segment " in line]
    assert lines == [f"{big}: segment {k}/{segments} done" for k in range(1, segments + 1)]


def test_the_servers_unknown_model_answer_gives_no_client_advice(
    foxapi_emulator: RunningEmulator, tmp_path: Path
) -> None:
    done = _foxapi(
        ["chat", "hi", "--model", "kimi-k2", "--no-validate"], _env_for(foxapi_emulator), tmp_path
    )
    assert done.returncode == EXIT_INVALID
    assert foxapi_emulator.emulator.counters.submit_attempts == 1  # the server answered
    assert "Model kimi-k2 is not in the catalog" in done.stderr
    assert "validate=False" not in done.stderr and "--no-validate" not in done.stderr
    assert "`foxapi models`" in done.stderr  # the CLI's own next step
