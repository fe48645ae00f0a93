"""Finding PC/SC readers: by name substring for ``pcsc://``, and all of them for ``reader list``."""

from __future__ import annotations

import dataclasses

from readers.pcsc.context import Context, PcscError
from readers.pcsc.profiles import profile_for_atr

READER_SILENT = "the reader does not answer (unplugged, or its driver failed)"


def find_reader(names: list[str], wanted: str) -> str | None:
    """The first reader (pcscd's order) whose name contains ``wanted``, ignoring case."""
    needle = wanted.casefold()
    return next((name for name in names if needle in name.casefold()), None)


def not_found_message(wanted: str, names: list[str]) -> str:
    """Why ``find_reader`` found nothing, with the readers that are there."""
    seen = ", ".join(repr(name) for name in names) if names else "none"
    return f"no PC/SC reader name contains {wanted!r} (readers: {seen})"


@dataclasses.dataclass(frozen=True, slots=True)
class PcscReaderInfo:
    """One reader as ``yzt reader list`` shows it; ``profile`` is what the card's ATR matches."""

    name: str
    card_present: bool
    atr: str | None
    profile: str | None
    problem: str | None = None


def list_pcsc_readers() -> list[PcscReaderInfo]:
    """Every reader pcscd knows with its card state (raises ``PcscError`` without pcscd)."""
    with Context.establish() as context:
        return [_describe(context, name) for name in context.list_readers()]


def _describe(context: Context, name: str) -> PcscReaderInfo:
    try:
        state = context.status(name)
    except PcscError as error:
        return PcscReaderInfo(name, False, None, None, problem=str(error))
    if state.unavailable:
        return PcscReaderInfo(name, False, None, None, problem=READER_SILENT)
    if not state.present:
        return PcscReaderInfo(name, False, None, None)
    profile = profile_for_atr(state.atr)
    atr = state.atr.hex(" ").upper()
    problem = "the card does not answer (mute)" if state.mute else None
    return PcscReaderInfo(name, True, atr, profile.name if profile else None, problem)
