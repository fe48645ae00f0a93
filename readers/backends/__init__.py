"""Placeholder until its owner lands it."""

from readers.errors import ReaderURIError


def open_reader(uri: str):
    """Not built yet."""
    raise ReaderURIError(f"no reader backends yet: {uri}")
