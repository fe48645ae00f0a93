"""``pcsc://NAME-SUBSTRING[?profile=NAME]``: which reader, read with which profile.

Reader names are free text (spaces, brackets, slashes: ``ACS ACR122U PICC Interface 00 00``), so
the name is everything between ``pcsc://`` and ``?``, percent-decoded, rather than a URL host.
An empty name picks the first reader.
"""

from __future__ import annotations

import dataclasses
import urllib.parse

from readers.backends.uri import ReaderURI
from readers.errors import ReaderURIError
from readers.pcsc.profiles import DEFAULT_PROFILE, Profile, get_profile, load_profiles


@dataclasses.dataclass(frozen=True, slots=True)
class PcscTarget:
    """The reader name substring and the profile to read its cards with."""

    name: str
    profile: Profile


def _profile_option(name: str) -> Profile:
    profiles = load_profiles()
    if name not in profiles:
        raise ValueError(f"expected one of {', '.join(sorted(profiles))}")
    return profiles[name]


def parse_pcsc_uri(text: str) -> PcscTarget:
    """Split and check a ``pcsc://`` URI; errors are ``ReaderURIError`` naming the part."""
    scheme, separator, rest = text.partition("://")
    if scheme.lower() != "pcsc" or not separator:
        raise ReaderURIError(f"{text!r} is not a pcsc:// reader URI")
    name, _, query_text = rest.partition("?")
    query: dict[str, str] = {}
    for key, value in urllib.parse.parse_qsl(query_text, keep_blank_values=True):
        if key in query:
            raise ReaderURIError(f"reader URI option {key!r} given twice")
        query[key] = value
    uri = ReaderURI("pcsc", urllib.parse.unquote(name), query, text)
    options = uri.options({"profile": _profile_option})
    profile = options.get("profile") or get_profile(DEFAULT_PROFILE)
    return PcscTarget(uri.location, profile)
