"""A package's public names imported on first use (PEP 562), so that importing the package
for one name does not import every module behind the others."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(package: str, homes: Mapping[str, str],
               namespace: dict[str, Any]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: each name of ``homes`` (name → submodule)
    is imported from its submodule when first read, then kept in ``namespace`` (the package's
    globals) so the next read is an ordinary attribute."""
    def get(name: str) -> Any:
        home = homes.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{home}"), name)
        namespace[name] = value
        return value

    return get
