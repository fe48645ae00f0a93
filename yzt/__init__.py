"""yzt — 一证通行."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("yzt")
except PackageNotFoundError:
    __version__ = "0.0.0+unknown"
