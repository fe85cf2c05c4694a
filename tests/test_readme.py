"""README.md promises: every Python snippet runs; docs/reference.md's tables are the code.

Each ```python block runs in a fresh interpreter with ``FOXAPI_API_KEY`` / ``FOXAPI_BASE_URL``
pointed at the emulator (the ``foxapi_env`` fixture), as a user would paste it; a block that
defines ``test_*`` functions is run by pytest instead, with the plugin's fixtures, as it would
be in a user's test suite. There are no "illustrative only" blocks: each one must pass.

The reference tables (models, configuration, errors, the ``foxapi`` command) live in
docs/reference.md; the tests below compare each with the code it describes.
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
REFERENCE = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
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
    found = re.search(
        re.escape(module.START) + r"\n(.*?)\n" + re.escape(module.END), REFERENCE, re.S
    )
    assert found, "docs/reference.md lost its models-table markers"
    assert found.group(1) == module.table(), (
        "docs/reference.md's Models table is out of date: run `.venv/bin/python "
        "scripts/models_table.py --write docs/reference.md`"
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


def _section(title: str, text: str = REFERENCE) -> str:
    """From ``title`` to the next heading (of any level)."""
    start = text.index(title)
    end = text.find("\n#", start + len(title))
    return text[start : end if end != -1 else None]


def test_configuration_covers_every_constructor_argument() -> None:
    from langchain_foxapi import ChatFoxAPI
    from llama_index_foxapi import FoxAPI

    client = _section("### `FoxAPIClient` / `AsyncFoxAPIClient`")
    names = set(inspect.signature(FoxAPIClient.__init__).parameters) - {"self", "settings"}
    from foxapi_core._client_base import _ClientBase

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


def test_model_rows_state_the_default_not_required() -> None:
    from langchain_foxapi import ChatFoxAPI
    from llama_index_foxapi import FoxAPI

    for title, cls in (
        ("### `ChatFoxAPI` (LangChain)", ChatFoxAPI),
        ("### `FoxAPI` (LlamaIndex)", FoxAPI),
    ):
        row = next(line for line in _section(title).splitlines() if line.startswith("| `model`"))
        default = cls.model_fields["model_name" if cls is ChatFoxAPI else "model"].default
        assert f'"{default}"' in row and "required" not in row, row


# -- the CLI table: every command and flag of the parser ----------------------------------------


def _commands() -> dict[str, list[str]]:
    """``{"chat": ["--model", ...], "batch run": [...]}``: each command's long options."""
    import argparse

    from foxapi_core.cli import _parser

    found: dict[str, list[str]] = {}

    def walk(parser: argparse.ArgumentParser, path: str) -> None:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subs and path:
            found[path] = [
                option
                for action in parser._actions
                for option in action.option_strings
                if option.startswith("--") and option != "--help"
            ]
        for sub in subs:
            for name, child in sub.choices.items():
                walk(child, f"{path} {name}".strip())

    walk(_parser(), "")
    return found


def test_cli_table_lists_every_command_and_flag() -> None:
    table = _section("## The `foxapi` command")
    rows = [line for line in table.splitlines() if line.startswith("| `foxapi ")]
    commands = _commands()
    assert {"chat", "transcribe", "models", "task", "emulator", "batch run"} <= set(commands)
    for command, options in commands.items():
        row = next((r for r in rows if r.startswith(f"| `foxapi {command}")), None)
        assert row is not None, f"`foxapi {command}` has no row in docs/reference.md"
        usage = re.split(r"(?<!\\)\|", row)[1]  # the first cell (``\|`` is a literal bar)
        for option in options:
            assert re.search(re.escape(option) + r"(?![\w-])", usage), (
                f"`foxapi {command}` row lacks {option}"
            )


# -- shell snippets, diagram, installation, links -------------------------------------------

SHELL = re.compile(r"^```(?:bash|sh|shell)\n(.*?)^```", re.DOTALL | re.MULTILINE)
#: Tools that live in the virtual environment: a shell line must call them by path.
VENV_TOOLS = ("foxapi", "python", "python3", "pip", "pytest", "ruff", "mypy")


def _bare_venv_tools(line: str) -> list[str]:
    """Commands of ``line`` that name a venv tool without a path (``python3 -m venv``, which
    makes the venv, is the exception)."""
    code = line.split("#", 1)[0]
    found = []
    for command in re.split(r"&&|\|\||[;|&]", code):
        words = command.split()
        while words and "=" in words[0]:  # VAR=value prefixes
            words = words[1:]
        if words and words[0] in VENV_TOOLS and words[:3] != ["python3", "-m", "venv"]:
            found.append(words[0])
    return found


def test_the_rule_for_shell_lines_catches_a_bare_tool() -> None:
    assert _bare_venv_tools("foxapi emulator --port 8765 &") == ["foxapi"]
    assert _bare_venv_tools("export A=1 && python examples/x.py") == ["python"]
    assert _bare_venv_tools(".venv/bin/foxapi models | head -3  # python here is a comment") == []
    assert _bare_venv_tools("python3 -m venv .venv && .venv/bin/pip install -q .") == []


def test_shell_snippets_after_the_quickstart_work_without_activation() -> None:
    """Rule: after the Quickstart, every shell line calls foxapi / python / pip / pytest by a
    path (``.venv/bin/...``), so it works in a shell where the venv is not activated."""
    after = TEXT[TEXT.index("## Installation") :]
    blocks = SHELL.findall(after)
    assert len(blocks) >= 4
    for block in blocks:
        for line in block.splitlines():
            assert not _bare_venv_tools(line), f"README shell line needs .venv/bin/: {line!r}"


def test_quickstart_commands_are_unchanged() -> None:
    """.ci/run reads the test command after its marker; both stay verbatim."""
    demo = "python3 -m venv .venv && .venv/bin/pip install -q '.[all]' && .venv/bin/foxapi demo"
    test = (
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/ruff check "
        "src tests examples scripts benchmarks && .venv/bin/mypy --strict src examples && "
        ".venv/bin/pytest -q"
    )
    assert f"<!-- quickstart-demo -->\n```bash\n{demo}\n```" in TEXT
    assert f"<!-- quickstart-test -->\n```bash\n{test}\n```" in TEXT


def test_the_protocol_is_drawn_as_a_mermaid_sequence_diagram() -> None:
    diagrams = re.findall(r"^```mermaid\n(.*?)^```", TEXT, re.DOTALL | re.MULTILINE)
    assert diagrams and diagrams[0].startswith("sequenceDiagram\n")
    for step in ("POST /v1/llm/generations", "/stream?offset=", "GET /v1/tasks/{id}"):
        assert step in diagrams[0]


def test_installation_names_every_extra_and_the_supported_pythons() -> None:
    from importlib.metadata import metadata

    meta = metadata("foxapi-integrations")  # what pyproject.toml declares, as installed
    section = _section("## Installation", TEXT)
    extras = meta.get_all("Provides-Extra") or []
    assert {"langchain", "llama-index", "emulator"} <= set(extras)
    for extra in extras:
        assert f"`{extra}`" in section, f"extra {extra} missing from README's Installation"
    versions = [
        c.rsplit(" ", 1)[1]
        for c in meta.get_all("Classifier") or []
        if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ]
    assert versions == ["3.10", "3.11"]
    assert "Python 3.10 or 3.11" in section
    assert "pip install '/path/to/foxapi-integrations[langchain]'" in section
    assert "pip wheel" in section and "python -m build" in section


def test_readme_links_every_docs_page() -> None:
    for page in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name})" in TEXT, f"README does not link docs/{page.name}"


def test_async_snippets_for_both_frameworks_are_run() -> None:
    codes = [code for _, code in BLOCKS]
    assert any("await llm.ainvoke(" in c and "llm.astream(" in c for c in codes)
    assert any("await llm.achat(" in c and "await llm.astream_chat(" in c for c in codes)


def test_audio_rag_snippet_keeps_two_documents(foxapi_env: RunningEmulator, tmp_path: Path) -> None:
    line, code = next((n, c) for n, c in BLOCKS if "FoxAPIAudioLoader(" in c)
    script = tmp_path / "rag.py"
    script.write_text(code, encoding="utf-8")
    done = _run([sys.executable, str(script)], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2 documents in the store" in done.stdout, f"block at line {line}: {done.stdout}"


def test_a_task_submitted_without_stream_is_refused_a_resume_offset(
    foxapi_emulator: RunningEmulator,
) -> None:
    """README: `stream(task_id, offset=N)` on a `stream=False` task raises StreamError naming
    `wait`, instead of returning the whole answer as if it were the rest."""
    from foxapi_core import StreamError, TextRequest

    emu = foxapi_emulator
    assert "`stream=False` can only be polled" in TEXT
    with FoxAPIClient(api_key=emu.api_key, base_url=emu.base_url) as client:
        task = client.submit(TextRequest(model="gpt-5.5", prompt="hello"), stream=False)
        with pytest.raises(StreamError) as info:
            list(client.stream(task.id, offset=2))
        assert "wait(task_id)" in str(info.value)
        assert client.wait(task.id).status == "completed"
