"""Placeholder until its owner lands it."""

from readers.errors import ReaderURIError


def open_reader(uri: str):  # noqa: ANN201
    """Not built yet."""
    raise ReaderURIError(f"no reader backends yet: {uri}")
