"""Import cost: importing a package loads only what its main class needs (figure 10).

httpx (the client's transport), the audio modules and what they bring (langchain_text_splitters
through the document loader) load on first use of the names that need them, not on import; every
exported name still resolves, and type checkers still see each one.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import subprocess
import sys
import types
import typing
from pathlib import Path

import pytest

# Modules an import must not pull in (tqdm and the emulator's server stack included: the audio
# and emulator code would bring them).
HEAVY = (
    "httpx",
    "langchain_text_splitters",
    "tqdm",
    "foxapi_core.emulator",
    "uvicorn",
    "starlette",
    "foxapi_core._client",
    "foxapi_core._client_base",
    "foxapi_core._async_client",
    "foxapi_core._flows",
    "foxapi_core._generation",
    "foxapi_core._audio",
    "foxapi_core._audio_source",
    "foxapi_core._audio_split",
)

# Prints which of HEAVY the framework loads on its own, then which are loaded after `statement`.
PROBE = """
import json, sys
heavy = {heavy!r}
{framework}
before = sorted(m for m in heavy if m in sys.modules)
{statement}
after = sorted(m for m in heavy if m in sys.modules)
print(json.dumps({{"framework": before, "after": after}}))
"""

PACKAGES = ("foxapi_core", "langchain_foxapi", "llama_index_foxapi")
FRAMEWORKS = {"langchain_foxapi": "langchain_core", "llama_index_foxapi": "llama_index.core"}


def _probe(statement: str, framework: str = "") -> dict[str, list[str]]:
    code = PROBE.format(heavy=HEAVY, framework=framework, statement=statement)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    result: dict[str, list[str]] = json.loads(out.splitlines()[-1])
    return result


def test_import_foxapi_core_loads_nothing_heavy() -> None:
    assert _probe("import foxapi_core") == {"framework": [], "after": []}


def test_import_langchain_foxapi_loads_nothing_heavy() -> None:
    pytest.importorskip("langchain_core")
    # The chat model is imported eagerly and made without a key or network: still no httpx.
    result = _probe(
        "import langchain_foxapi\n"
        "from langchain_foxapi import ChatFoxAPI, FoxAPIRateLimitError\n"
        "ChatFoxAPI(model='gpt-5.5')"
    )
    assert result == {"framework": [], "after": []}


def test_import_llama_index_foxapi_adds_nothing_heavy() -> None:
    pytest.importorskip("llama_index.core")
    # llama_index.core imports tqdm itself: only what our import adds counts.
    result = _probe(
        "import llama_index_foxapi\nfrom llama_index_foxapi import FoxAPI\nFoxAPI(model='gpt-5.5')",
        framework="import llama_index.core",
    )
    assert result["after"] == result["framework"]
    assert "httpx" not in result["after"]


def _package(name: str) -> types.ModuleType:
    if name in FRAMEWORKS:
        pytest.importorskip(FRAMEWORKS[name])
    return importlib.import_module(name)


@pytest.mark.parametrize("name", PACKAGES)
def test_every_exported_name_resolves_and_is_listed(name: str) -> None:
    package = _package(name)
    listed = dir(package)
    lazy: dict[str, str] = getattr(package, "_LAZY", {})
    for attr in package.__all__:
        value = getattr(package, attr)
        assert attr in listed, attr
        if attr in lazy:  # the very object its module defines, not a copy
            assert value is getattr(importlib.import_module(f"{name}.{lazy[attr]}"), attr)
    namespace: dict[str, object] = {}
    exec(f"from {name} import *", namespace)
    assert set(package.__all__) <= set(namespace)


@pytest.mark.parametrize("name", PACKAGES)
def test_unknown_names_raise_attribute_error(name: str) -> None:
    package = _package(name)
    assert not hasattr(package, "NoSuchName")
    with pytest.raises(AttributeError, match="NoSuchName"):
        package.NoSuchName  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {name} import NoSuchName", {})


@pytest.mark.parametrize("name", PACKAGES)
def test_lazy_names_are_imported_for_type_checkers(name: str) -> None:
    """Each lazy name is also imported under ``TYPE_CHECKING``, from the module it loads from,
    so mypy and IDEs see its real type."""
    package = _package(name)
    lazy: dict[str, str] = getattr(package, "_LAZY", {})
    assert set(lazy) <= set(package.__all__)
    tree = ast.parse(Path(str(package.__file__)).read_text(encoding="utf-8"))
    seen: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            if ast.unparse(node.test).startswith("not"):
                continue
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom) and stmt.level == 1 and stmt.module:
                    for alias in stmt.names:
                        seen[alias.asname or alias.name] = stmt.module
    assert seen == lazy


def test_chat_model_public_annotations_resolve_at_run_time() -> None:
    """LangChain's ``RunnableWithFallbacks`` calls ``get_type_hints`` on the wrapped model's
    methods: names imported only for type checkers must stay out of public signatures."""
    pytest.importorskip("langchain_core")
    from langchain_foxapi import ChatFoxAPI

    for name in vars(ChatFoxAPI):
        member = getattr(ChatFoxAPI, name)
        if not name.startswith("_") and inspect.isroutine(member):
            typing.get_type_hints(member)

    def get_weather(city: str) -> str:
        """Weather of a city."""
        return "sunny"

    llm = ChatFoxAPI(model="gpt-5.5").with_fallbacks([ChatFoxAPI(model="kimi-k2.6")])
    assert llm.bind_tools([get_weather]) is not None
    assert llm.with_structured_output({"title": "Joke", "type": "object"}) is not None
