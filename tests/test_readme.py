"""README.md promises: every Python snippet runs as written, and the Models table is the catalog.

Each ```python block runs in a fresh interpreter with ``FOXAPI_API_KEY`` / ``FOXAPI_BASE_URL``
pointed at the emulator (the ``foxapi_env`` fixture), as a user would paste it; a block that
defines ``test_*`` functions is run by pytest instead, with the plugin's fixtures, as it would
be in a user's test suite. There are no "illustrative only" blocks: each one must pass.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from foxapi_core import FoxAPIClient
from foxapi_core.emulator import RunningEmulator

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
TEXT = README.read_text(encoding="utf-8")
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
BLOCKS = [(TEXT.count("\n", 0, m.start()) + 1, m.group(1)) for m in BLOCK.finditer(TEXT)]


def _heading(line: int) -> str:
    before = [h for h in re.findall(r"^#+ (.*)$", "\n".join(TEXT.splitlines()[:line]), re.M)]
    return before[-1] if before else "top"


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 6


@pytest.mark.parametrize(
    ("line", "code"), BLOCKS, ids=[f"L{line}-{_heading(line)}" for line, _ in BLOCKS]
)
def test_python_block_runs_against_the_emulator(
    line: int, code: str, foxapi_env: RunningEmulator, tmp_path: Path
) -> None:
    is_test = re.search(r"^def test_", code, re.MULTILINE) is not None
    script = tmp_path / ("test_readme_block.py" if is_test else "readme_block.py")
    script.write_text(code, encoding="utf-8")
    if is_test:
        args = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(script)]
    else:
        args = [sys.executable, str(script)]
    done = _run(args, tmp_path)
    where = f"README.md block at line {line}"
    assert done.returncode == 0, f"{where} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    if is_test:  # pytest ran it with its own emulator (the plugin's fixtures)
        assert " passed" in done.stdout and "failed" not in done.stdout, done.stdout
    else:
        assert done.stdout.strip(), f"{where} printed nothing"


# -- the Models table ------------------------------------------------------------------------


def _models_table_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("models_table", ROOT / "scripts/models_table.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_models_table_matches_the_catalog() -> None:
    module = _models_table_module()
    found = re.search(re.escape(module.START) + r"\n(.*?)\n" + re.escape(module.END), TEXT, re.S)
    assert found, "README.md lost its models-table markers"
    assert found.group(1) == module.table(), (
        "README.md's Models table is out of date: run `python scripts/models_table.py "
        "--write README.md`"
    )


def test_models_table_covers_every_model_and_detects_drift() -> None:
    from dataclasses import replace

    from foxapi_core import DEFAULT_CATALOG, Catalog

    module = _models_table_module()
    table = module.table()
    for name in DEFAULT_CATALOG.names:
        assert f"| `{name}` |" in table
    changed = Catalog(
        replace(s, max_images=3) if s.name == "gpt-5.5" else s for s in DEFAULT_CATALOG
    )
    assert module.table(changed) != table  # a rule change shows up in the table


# -- the Configuration tables ----------------------------------------------------------------


def _section(title: str) -> str:
    start = TEXT.index(title)
    end = TEXT.find("\n#", start + len(title))
    return TEXT[start : end if end != -1 else None]


def test_configuration_covers_every_constructor_argument() -> None:
    from langchain_foxapi import ChatFoxAPI
    from llama_index_foxapi import FoxAPI

    client = _section("### `FoxAPIClient` / `AsyncFoxAPIClient`")
    names = set(inspect.signature(FoxAPIClient.__init__).parameters) - {"self", "settings"}
    from foxapi_core._client import _ClientBase

    names |= set(inspect.signature(_ClientBase.__init__).parameters) - {"self"}
    for name in names:
        assert f"`{name}`" in client, f"FoxAPIClient argument {name} missing"
    for env in ("FOXAPI_API_KEY", "FOXAPI_BASE_URL"):
        assert env in client

    chat = _section("### `ChatFoxAPI` (LangChain)")
    own = {n for n in ChatFoxAPI.__annotations__ if not n.startswith("_")} - {"model_config"}
    for name in own:
        assert f"`{name}`" in chat, f"ChatFoxAPI argument {name} missing"

    fox = _section("### `FoxAPI` (LlamaIndex)")
    own = {n for n in FoxAPI.__annotations__ if not n.startswith("_")} - {"model_config"}
    for name in own:
        assert f"`{name}`" in fox, f"FoxAPI argument {name} missing"


def test_errors_table_covers_every_error_class() -> None:
    import foxapi_core

    errors = _section("## Errors")
    for name in foxapi_core.__all__:
        obj = getattr(foxapi_core, name)
        if (
            isinstance(obj, type)
            and issubclass(obj, foxapi_core.FoxAPIError)
            and obj is not foxapi_core.FoxAPIError
        ):
            assert f"| `{name}` |" in errors, f"{name} missing from the Errors table"
