"""Check that an environment resolved at the floor really holds the floor of every declared range.

CI installs ``.[dev]`` with ``uv pip install --resolution lowest-direct`` and runs the whole suite
there. That proves the lower bounds only if each direct dependency was installed *at* its declared
lower bound: when another package forces a higher version (langchain-tests once pulled httpx up
from 0.27 to 0.28.1), the declared bound was never tested and is a promise nobody checked. This
script fails in that case and names the bound to raise.

Usage: ``python scripts/check_floor.py FREEZE [EXTRA ...]``: FREEZE is the floor environment's
``pip freeze`` (``name==version`` lines), EXTRA the extras installed there (default ``dev``). It
runs on any Python >= 3.11 (``tomllib``), so the floor environment itself may be older.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

PROJECT = "foxapi-integrations"


def _direct_requirements(pyproject: dict[str, object], extras: list[str]) -> list[Requirement]:
    """The project's dependencies plus those of ``extras``, following self-references
    (``foxapi-integrations[all]``) so that an extra built from others is expanded."""
    project = pyproject["project"]
    assert isinstance(project, dict)
    optional: dict[str, list[str]] = project.get("optional-dependencies", {})
    seen: set[str] = set()
    out: list[Requirement] = [Requirement(r) for r in project.get("dependencies", [])]
    todo = list(extras)
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for line in optional.get(extra, []):
            req = Requirement(line)
            if req.name == PROJECT:
                todo.extend(req.extras)
            else:
                out.append(req)
    return out


def _lower_bound(req: Requirement) -> Version | None:
    bounds = [Version(s.version) for s in req.specifier if s.operator in (">=", "==", "~=")]
    return max(bounds) if bounds else None


def _frozen(path: Path) -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in path.read_text().splitlines():
        name, sep, ver = line.partition("==")
        if sep:
            pins[canonicalize_name(name.strip())] = Version(ver.strip())
    return pins


def main(argv: list[str]) -> int:
    """Print each direct dependency's declared floor and installed version; exit 1 when one is
    installed above its floor (the floor is untested) or not installed."""
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    pins = _frozen(Path(argv[0]))
    extras = argv[1:] or ["dev"]
    problems: list[str] = []
    for req in sorted(_direct_requirements(pyproject, extras), key=lambda r: r.name.lower()):
        floor = _lower_bound(req)
        installed = pins.get(canonicalize_name(req.name))
        if installed is None:
            problems.append(f"{req.name}: not installed")
            continue
        print(f"{req.name:32} {req.specifier!s:20} {installed}")
        if floor is None:
            problems.append(f"{req.name}: no lower bound declared ({req})")
        elif installed != floor:
            problems.append(
                f"{req.name}: declared >= {floor} but the floor resolution installed {installed}; "
                "make the declared lower bound the version that is installed and tested "
                "(a bound nothing tests is not a promise)"
            )
    for line in problems:
        print(f"FLOOR: {line}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) < 2 or not all(re.fullmatch(r"[a-z0-9-]+", a) for a in sys.argv[2:]):
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
