"""Package attributes imported on first access (PEP 562), shared by the three packages.

``import langchain_foxapi`` should cost what a chat model costs, not the audio loaders, httpx and
``langchain_text_splitters`` behind them; the names stay importable exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

__all__ = ["lazy_attributes"]


def lazy_attributes(
    namespace: MutableMapping[str, Any], table: Mapping[str, str], public: Sequence[str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose ``table`` maps names to submodules.

    Args:
        namespace: The package's ``globals()``; a loaded name is cached there, so later lookups
            no longer reach ``__getattr__``.
        table: Attribute name -> submodule (relative, e.g. ``"document_loaders"``).
        public: The package's ``__all__``, listed by ``dir()`` before anything is loaded.

    Example:
        >>> if not typing.TYPE_CHECKING:  # a misspelt name must stay a type error
        ...     __getattr__, __dir__ = lazy_attributes(globals(), {"Loader": "loaders"}, __all__)
    """
    package = namespace["__name__"]

    def __getattr__(name: str) -> object:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        # __import__, unlike importlib.import_module, shows in python -X importtime.
        value = getattr(__import__(module, namespace, None, [name], 1), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *public})

    return __getattr__, __dir__
