"""Reader profiles: how a PC/SC reader model shows a finished read and which APDUs give the card.

Profiles are data (``profiles.toml`` beside this module, plus the file named by the environment
variable ``YZT_PCSC_PROFILES``, whose tables add or replace profiles by name), so supporting a new
reader model is a config entry rather than code. docs/pcsc.md describes every key.
"""

from __future__ import annotations

import functools
import os
import tomllib
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

import pydantic

from readers.errors import ReaderURIError

DEFAULT_PROFILE = "sam-record"
PROFILES_ENV = "YZT_PCSC_PROFILES"


class ProfileError(ReaderURIError):
    """A profile file or profile name that cannot be used."""


def _hex_bytes(value: object) -> bytes:
    if not isinstance(value, str):
        raise ValueError('expected a hex string such as "90 00"')
    try:
        return bytes.fromhex(value)
    except ValueError:
        raise ValueError(f'{value!r} is not hex bytes such as "90 00"') from None


HexBytes = Annotated[bytes, pydantic.BeforeValidator(_hex_bytes)]


class Profile(pydantic.BaseModel):
    """One reader model. ``yields`` says what the APDU answers are: the 1284-byte record or the
    8-byte chip serial; ``page_byte`` makes the APDU repeat for pages ``0..pages-1``."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    atr_offset: int | None = pydantic.Field(default=None, ge=0, le=32)
    atr_bytes: HexBytes = b""
    apdu: HexBytes = pydantic.Field(min_length=4)
    page_byte: int | None = pydantic.Field(default=None, ge=0)
    pages: int = pydantic.Field(default=1, ge=1, le=255)
    page_size: int = pydantic.Field(default=256, ge=1, le=65536)
    length: int = pydantic.Field(ge=1)
    ok_status: HexBytes = pydantic.Field(default=b"\x90\x00", min_length=2, max_length=2)
    yields: Literal["record", "card_uid"]

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> Profile:
        if (self.atr_offset is None) != (not self.atr_bytes):
            raise ValueError("atr_offset and atr_bytes go together")
        if self.page_byte is not None and self.page_byte >= len(self.apdu):
            raise ValueError(f"page_byte {self.page_byte} is past the {len(self.apdu)}-byte apdu")
        if self.page_byte is None and self.pages != 1:
            raise ValueError("pages > 1 needs page_byte")
        if self.length > self.pages * self.page_size:
            raise ValueError(f"length {self.length} does not fit in {self.pages} pages")
        return self

    def matches_atr(self, atr: bytes) -> bool:
        """Whether a card's ATR shows this profile's signal (always, for profiles without one)."""
        if self.atr_offset is None:
            return True
        return atr[self.atr_offset : self.atr_offset + len(self.atr_bytes)] == self.atr_bytes

    def page_apdu(self, page: int) -> bytes:
        """The command APDU for one page (the plain APDU for unpaged profiles)."""
        if self.page_byte is None:
            return self.apdu
        apdu = bytearray(self.apdu)
        apdu[self.page_byte] = page
        return bytes(apdu)


def _parse(text: str, source: str) -> dict[str, Profile]:
    try:
        tables = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{source}: not valid TOML: {error}") from None
    profiles: dict[str, Profile] = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ProfileError(f"{source}: {name!r} must be a table ([{name}])")
        try:
            profiles[name] = Profile(name=name, **table)
        except pydantic.ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or name
            raise ProfileError(f"{source}: [{name}] {where}: {first['msg']}") from None
    return profiles


@functools.cache
def _load(extra_path: str | None) -> dict[str, Profile]:
    builtin = resources.files(__package__).joinpath("profiles.toml").read_text(encoding="utf-8")
    profiles = _parse(builtin, "built-in profiles.toml")
    if extra_path:
        try:
            text = Path(extra_path).read_text(encoding="utf-8")
        except OSError as error:
            raise ProfileError(f"{PROFILES_ENV}={extra_path}: {error.strerror}") from None
        profiles |= _parse(text, extra_path)
    return profiles


def load_profiles() -> dict[str, Profile]:
    """Every known profile by name: the built-in ones and those of ``$YZT_PCSC_PROFILES``."""
    return _load(os.environ.get(PROFILES_ENV) or None)


def get_profile(name: str) -> Profile:
    """The profile called ``name``; the error lists the known names."""
    profiles = load_profiles()
    if name not in profiles:
        known = ", ".join(sorted(profiles))
        raise ProfileError(f"unknown PC/SC reader profile {name!r} (known: {known})")
    return profiles[name]


def profile_for_atr(atr: bytes) -> Profile | None:
    """The first profile with an ATR signal that ``atr`` shows, else the first without one."""
    profiles = list(load_profiles().values())
    signalled = [p for p in profiles if p.atr_offset is not None and p.matches_atr(atr)]
    if signalled:
        return signalled[0]
    return next((p for p in profiles if p.atr_offset is None), None)
