"""The installed yzt version, read from the package metadata.

kiosk/ reads it here rather than from the ``yzt`` package, which is the CLI root that imports
kiosk/ (docs/architecture.md, the dependency rule).
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import PackageNotFoundError, version


@cache
def kiosk_version() -> str:
    """``yzt``'s distribution version, or ``0.0.0+unknown`` when run from an uninstalled tree."""
    try:
        return version("yzt")
    except PackageNotFoundError:
        return "0.0.0+unknown"
