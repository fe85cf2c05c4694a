"""``foxapi models``: the catalog with its rules, and where the list came from.

:func:`model_rules` is also what ``scripts/models_table.py`` writes into docs/reference.md, so the
command and the reference table state the same rules in the same words.
"""

from __future__ import annotations

import json
from typing import Any

from ._catalog import CONTENT_TYPES, FORMS, Catalog, ModelSpec

__all__ = ["model_rules", "print_models"]

_MIB = 1024 * 1024


def model_rules(spec: ModelSpec) -> list[str]:
    """The rules a request to ``spec`` is checked against, one phrase each (Markdown code
    spans in backticks)."""
    rules: list[str] = []
    if spec.max_tokens_required:
        rules.append(
            "`max_tokens` required by the server"
            + (
                f" (the client sends {spec.default_max_tokens:,} if none is given)"
                if spec.default_max_tokens
                else ""
            )
        )
    if spec.min_max_tokens is not None:
        rules.append(f"`max_tokens` ≥ {spec.min_max_tokens}")
    if spec.thinking:
        rules.append("thinking: reasoning only in the stream")
    rules.append("tools" if spec.supports_tools else "no tools")
    if "vision" in spec.forms:
        rules.append(f"≤ {spec.max_images} image{'s' if spec.max_images != 1 else ''}")
    if "video" in spec.forms:
        rules.append(f"≤ {spec.max_videos} video{'s' if spec.max_videos != 1 else ''}")
    if spec.max_body_bytes is not None:
        rules.append(f"body ≤ {spec.max_body_bytes // _MIB} MB")
    if spec.audio_mimes:
        rules.append("audio data URIs: " + ", ".join(f"`{m}`" for m in sorted(spec.audio_mimes)))
    return rules


def _row(spec: ModelSpec, source: str) -> dict[str, Any]:
    return {
        "model": spec.name,
        "source": source,
        "forms": [f for f in FORMS if f in spec.forms],
        "content": [c for c in CONTENT_TYPES if c in spec.content_types],
        "audio": sorted(spec.audio_formats),
        "thinking": spec.thinking,
        "tools": spec.supports_tools,
        "max_tokens_required": spec.max_tokens_required,
        "default_max_tokens": spec.default_max_tokens,
        "min_max_tokens": spec.min_max_tokens,
        "max_output_tokens": spec.max_output_tokens,
        "context_window": spec.context_window,
        "max_body_bytes": spec.max_body_bytes,
        "max_images": spec.max_images if "vision" in spec.forms else None,
        "max_videos": spec.max_videos if "video" in spec.forms else None,
        "rules": [rule.replace("`", "") for rule in model_rules(spec)],
    }


def print_models(catalog: Catalog, *, source: str, where: str, as_json: bool) -> None:
    """Print ``catalog``: JSON rows (each with ``source``), or a header saying where the list
    comes from followed by one block per model.

    Args:
        source: ``"builtin"`` or ``"live"``.
        where: The header's explanation of the source, for people.
    """
    rows = [_row(spec, source) for spec in catalog]
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    print(where)
    for row in rows:
        print()
        print(f"{row['model']}{'  (thinking)' if row['thinking'] else ''}")
        print(f"  forms:   {', '.join(row['forms'])}")
        if row["content"]:
            print(f"  content: {', '.join(row['content'])} (blocks on the messages form)")
        if row["audio"]:
            print(f"  audio:   {', '.join(row['audio'])}")
        print(f"  rules:   {'; '.join(row['rules'])}")
        print(
            f"  tokens:  context {row['context_window']:,}, output up to "
            f"{row['max_output_tokens']:,}"
        )
