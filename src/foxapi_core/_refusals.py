"""What a refusal says: a :class:`Violation` (field, server code, message, fix), the
:class:`Surface` whose switches a fix may name, and the small helpers every check shares.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from ._catalog import _MIB, Catalog

__all__ = [
    "CORE_SURFACE",
    "Check",
    "Surface",
    "Violation",
    "brief",
    "joined",
    "megabytes",
    "suggest_models",
]


@dataclass(frozen=True)
class Violation:
    """One broken rule of a request body.

    Attributes:
        field: Wire field path, e.g. ``"max_tokens"``, ``"messages[1].content[0]"``,
            ``"image_urls"``, ``"audio_url"``.
        code: The server's 422 ``error.code`` this corresponds to (``model_not_supported``,
            ``model_not_found``, ``model_not_support_capability``, ``model_rule_violation``,
            ``invalid_param`` or ``invalid_request_error``).
        message: One sentence naming the model and what is wrong.
        fix: One sentence saying what to do.
    """

    field: str
    code: str
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message} {self.fix}"


@dataclass(frozen=True)
class Surface:
    """How the user turns client-side checks off where they are, for the "fix" of a refusal.

    Each surface (the core client, ``ChatFoxAPI``, the LlamaIndex ``FoxAPI`` LLM, the CLI) has its
    own switch; a refusal must name only the one that exists where the user is.

    Attributes:
        skip_checks: A phrase completing "or ...", e.g. ``"pass validate=False to FoxAPIClient"``.
        split: How to ask for an audio recording in segments where the user is, completing
            "or ... to send it in segments" (``split=True`` in Python, ``--split`` in the CLI).
    """

    skip_checks: str
    split: str = "split=True (FoxAPIAudio and the audio loaders)"


#: The core client's switch; adapters and the CLI pass their own :class:`Surface`.
CORE_SURFACE: Final = Surface("pass validate=False to FoxAPIClient / AsyncFoxAPIClient")


def suggest_models(name: str, names: Iterable[str]) -> list[str]:
    """Known names close to ``name`` ("did you mean"), best first; case is ignored.

    Example:
        >>> suggest_models("Kimi-K2.6", DEFAULT_CATALOG.names)
        ['kimi-k2.6']
    """
    by_folded: dict[str, str] = {}
    for known in names:
        by_folded.setdefault(known.casefold(), known)
    folded = name.casefold()
    if folded in by_folded:
        return [by_folded[folded]]
    close = difflib.get_close_matches(folded, list(by_folded), n=3, cutoff=0.6)
    # A prefix ("kimi-k2" of "kimi-k2.6") is a near miss even when the ratio is low.
    prefixed = [k for k in by_folded if k.startswith(folded) and k not in close] if folded else []
    return [by_folded[k] for k in [*close, *prefixed][:3]]


def brief(value: Any) -> str:
    """A short repr for messages; never renders a large string in full."""
    if isinstance(value, str) and len(value) > 40:
        return repr(value[:40]) + "..."
    text = repr(value) if isinstance(value, (str, int, float, bool)) or value is None else ""
    return text if text and len(text) <= 60 else f"a {type(value).__name__}"


def joined(names: Iterable[str]) -> str:
    listed = ", ".join(names)
    return listed or "(none)"


def megabytes(size: int) -> str:
    return f"{size / _MIB:.2f} MB"


class Check:
    """State of one :func:`check_body` run."""

    __slots__ = ("catalog", "label", "out", "sizes")

    def __init__(self, catalog: Catalog, label: str) -> None:
        self.catalog = catalog
        self.label = label
        self.out: list[Violation] = []
        # Characters per top-level field, for the body-size rule (2.1).
        self.sizes: dict[str, int] = {}

    def add(self, field: str, code: str, message: str, fix: str) -> None:
        self.out.append(Violation(field, code, message, fix))

    def invalid(self, field: str, message: str, fix: str) -> None:
        self.add(field, "invalid_request_error", message, fix)

    def count(self, field: str, size: int) -> None:
        self.sizes[field] = self.sizes.get(field, 0) + size
