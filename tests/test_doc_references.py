"""Every test that a page of docs/ (or README.md) names as proof of a claim exists, so a claim
cannot outlive the test that proved it by a rename or a deletion."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
# `tests/x/test_y.py::test_z`, or `test_y::test_z` (test file basenames are unique under tests/).
REFERENCE = re.compile(r"(?<![\w/])((?:tests/[\w/]+/)?test_\w+)(?:\.py)?::(test_\w+)")


def _tests_in(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.name.startswith("test_")
    }


def _references() -> list[tuple[str, str, str]]:
    found = []
    for page in PAGES:
        for module, name in REFERENCE.findall(page.read_text(encoding="utf-8")):
            if module.startswith("tests/"):
                file = f"{module}.py"
            else:
                matches = sorted(ROOT.glob(f"tests/**/{module}.py"))
                file = str(matches[0].relative_to(ROOT)) if len(matches) == 1 else module
            found.append((page.name, file, name))
    return found


def test_the_docs_name_tests() -> None:
    assert len(_references()) >= 10  # the pattern still matches how the pages cite tests


@pytest.mark.parametrize(("page", "file", "name"), _references())
def test_every_test_named_in_the_docs_exists(page: str, file: str, name: str) -> None:
    path = ROOT / file
    assert path.is_file(), f"{page} cites {file}, which does not exist"
    assert name in _tests_in(path), f"{page} cites {file}::{name}, which does not exist"
