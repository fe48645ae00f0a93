"""``pcsc://`` URIs: free-text reader names, the profile option, and one-line errors."""

from __future__ import annotations

import pytest

from readers.errors import ReaderURIError
from readers.pcsc.uri import parse_pcsc_uri


@pytest.mark.parametrize(
    ("uri", "name", "profile"),
    [
        (
            "pcsc://ACS ACR122U PICC Interface 00 00",
            "ACS ACR122U PICC Interface 00 00",
            "sam-record",
        ),
        ("pcsc://acr122?profile=serial-only", "acr122", "serial-only"),
        ("pcsc://Reader%20%5BCCID%5D", "Reader [CCID]", "sam-record"),
        ("pcsc://", "", "sam-record"),
    ],
)
def test_names_and_profiles(uri: str, name: str, profile: str) -> None:
    target = parse_pcsc_uri(uri)
    assert (target.name, target.profile.name) == (name, profile)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        (
            "pcsc://x?profile=acr-9000",
            "profile='acr-9000': expected one of sam-record, serial-only",
        ),
        ("pcsc://x?baud=9600", "does not take option 'baud'"),
        ("pcsc://x?profile=sam-record&profile=serial-only", "'profile' given twice"),
        ("serial:///dev/ttyUSB0", "is not a pcsc:// reader URI"),
    ],
)
def test_bad_uris_say_what_is_wrong(uri: str, message: str) -> None:
    with pytest.raises(ReaderURIError) as caught:
        parse_pcsc_uri(uri)
    assert message in str(caught.value)
