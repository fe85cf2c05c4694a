"""The public surface: every package's ``__all__`` is sorted and names what it exports."""

from __future__ import annotations

import importlib

import pytest

PACKAGES = ["foxapi_core", "foxapi_core.emulator"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_sorted_and_complete(name: str) -> None:
    module = importlib.import_module(name)
    exported = module.__all__
    assert exported == sorted(exported, key=lambda n: (not n.isupper(), n)) or exported == sorted(
        exported
    )
    public = {
        attr
        for attr, value in vars(module).items()
        if not attr.startswith("_")
        and getattr(value, "__module__", name).startswith(name.split(".")[0])
        and not isinstance(value, type(importlib))
    }
    assert public - {"annotations"} <= set(exported)
    for attr in exported:
        assert hasattr(module, attr), attr
