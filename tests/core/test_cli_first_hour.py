"""The first hour of a new user with the ``foxapi`` command (issue 16): every refusal says what
to do, in the CLI's own terms, without a traceback.

Each test runs the command in a subprocess (``python -m foxapi_core.cli``, the installed entry
point's module), as a user would.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from foxapi_core.cli import EXIT_USAGE
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
_WITHOUT_EMULATOR_EXTRA = '''
import importlib.abc
import sys


class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("uvicorn", "starlette"):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NotInstalled())
'''


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
