"""Reviving serialized ``ChatFoxAPI`` objects (and chains holding them) safely.

langchain-core's ``loads`` needs three arguments for a third-party class (``valid_namespaces``,
``allowed_objects`` and a secret source), and when ``valid_namespaces`` is forgotten its error
message prints the constructor's kwargs with the substituted key. :func:`revive` passes the
right arguments and never lets a key reach an error message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["revive"]

_NAMESPACES = ["langchain_foxapi"]


def revive(
    serialized: str | Mapping[str, Any],
    *,
    allowed_objects: Iterable[type] = (),
    secrets_map: Mapping[str, str] | None = None,
) -> Any:
    """Revive the output of ``langchain_core.load.dumps`` / ``dumpd`` holding ``ChatFoxAPI``.

    The same as ``load(data, valid_namespaces=["langchain_foxapi"], allowed_objects=[ChatFoxAPI,
    *allowed_objects], secrets_map=secrets_map, secrets_from_env=True)``; the key is read from
    ``FOXAPI_API_KEY`` unless ``secrets_map`` has it.

    Args:
        serialized: A JSON string or the dict from ``dumpd``.
        allowed_objects: The other classes the data holds (a chain's prompts and runnables),
            e.g. ``[ChatPromptTemplate, HumanMessagePromptTemplate, PromptTemplate,
            RunnableSequence]``.
        secrets_map: Secret values by environment-variable name (``{"FOXAPI_API_KEY": ...}``).

    Raises:
        ValueError: langchain-core's refusal (a class not allowed, ...), with every secret
            value replaced by ``**********``.

    Example:
        >>> from langchain_core.load import dumps
        >>> llm = revive(dumps(ChatFoxAPI(model="gpt-5.5")))
    """
    from langchain_core.load import load

    from .chat_models import ChatFoxAPI

    data = json.loads(serialized) if isinstance(serialized, str) else dict(serialized)
    secrets = dict(secrets_map or {})
    try:
        return load(
            data,
            valid_namespaces=_NAMESPACES,
            allowed_objects=[ChatFoxAPI, *allowed_objects],
            secrets_map=secrets,
            secrets_from_env=True,
        )
    except ValueError as exc:
        raise ValueError(_redact(str(exc), secrets.values())) from None


def _redact(text: str, secrets: Iterable[str]) -> str:
    import os

    from foxapi_core import API_KEY_ENV

    values = [*secrets, os.environ.get(API_KEY_ENV) or ""]
    for value in values:
        if value:
            text = text.replace(value, "**********")
    return text
