"""Print the Models table of docs/reference.md, generated from ``foxapi_core.DEFAULT_CATALOG``.

docs/reference.md holds the output between ``<!-- models-table:start -->`` and
``<!-- models-table:end -->``; ``tests/test_readme.py`` fails when the two disagree. The rules
column uses the same phrases as ``foxapi models`` (``foxapi_core._cli_models.model_rules``).

Usage::

    .venv/bin/python scripts/models_table.py                          # print the table
    .venv/bin/python scripts/models_table.py --write docs/reference.md  # replace it there
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from foxapi_core import DEFAULT_CATALOG, Catalog, ModelSpec
from foxapi_core._catalog import CONTENT_TYPES, FORMS
from foxapi_core._cli_models import model_rules

START = "<!-- models-table:start -->"
END = "<!-- models-table:end -->"

HEADER = (
    "| model | forms | content blocks (messages form) | audio formats | rules "
    "| context / output tokens |",
    "|---|---|---|---|---|---|",
)


def _rules(spec: ModelSpec) -> str:
    # The same phrases as `foxapi models` prints: one source for both.
    return "; ".join(model_rules(spec))


def row(spec: ModelSpec) -> str:
    """One Markdown table row for ``spec``."""
    forms = ", ".join(f for f in FORMS if f in spec.forms)
    blocks = ", ".join(c for c in CONTENT_TYPES if c in spec.content_types) or "—"
    audio = ", ".join(sorted(spec.audio_formats)) or "—"
    sizes = f"{spec.context_window:,} / {spec.max_output_tokens:,}"
    return f"| `{spec.name}` | {forms} | {blocks} | {audio} | {_rules(spec)} | {sizes} |"


def table(catalog: Catalog = DEFAULT_CATALOG) -> str:
    """The whole table (header and one row per model, sorted by name), without markers."""
    return "\n".join([*HEADER, *(row(spec) for spec in catalog)])


def replace_in(text: str, catalog: Catalog = DEFAULT_CATALOG) -> str:
    """``text`` with the part between the markers replaced by the current table."""
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"no {START} ... {END} section found")
    return pattern.sub(lambda _: f"{START}\n{table(catalog)}\n{END}", text, count=1)


def main(argv: list[str] | None = None) -> int:
    """Print the table, or write it into a Markdown file between the markers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", metavar="FILE", help="replace the table in FILE")
    args = parser.parse_args(argv)
    if args.write is None:
        print(table())
        return 0
    path = Path(args.write)
    path.write_text(replace_in(path.read_text(encoding="utf-8")), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
