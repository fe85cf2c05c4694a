"""Packaging promises: adapters without their framework say which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

BLOCK = """
import importlib.abc, sys
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == {blocked!r} or name.startswith({blocked!r} + "."):
            raise ImportError(f"No module named {{name!r}}")
        return None
sys.meta_path.insert(0, Block())
try:
    import {package}
except ImportError as exc:
    print(exc)
else:
    print("imported")
"""


@pytest.mark.parametrize(
    ("package", "blocked", "extra"),
    [
        ("langchain_foxapi", "langchain_core", "foxapi-integrations[langchain]"),
        ("llama_index_foxapi", "llama_index", "foxapi-integrations[llama-index]"),
    ],
)
def test_adapter_without_its_framework_names_the_extra(
    package: str, blocked: str, extra: str
) -> None:
    code = BLOCK.format(package=package, blocked=blocked)
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert extra in out


def test_core_imports_without_any_framework() -> None:
    code = BLOCK.format(package="foxapi_core", blocked="langchain_core").replace(
        "sys.meta_path.insert(0, Block())",
        "sys.meta_path.insert(0, Block())\n"
        "import foxapi_core, foxapi_core.emulator\n"
        "assert 'llama_index' not in sys.modules",
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert "imported" in out
