"""Every SW3 code of the protocol notes maps to its own error with a plain message."""

from __future__ import annotations

import pytest

from readers.errors import ReaderError
from readers.sam import status
from readers.sam.status import SamStatusError, UndocumentedStatusError, status_error

NOTES = {
    0x80: ("NoCardError", "no card"),
    0x81: ("SelectFailedError", "select failed"),
    0x41: ("ReadFailedError", "read failed"),
    0x10: ("SamChecksumError", "bad checksum"),
    0x11: ("SamLengthError", "bad length"),
    0x21: ("UnknownCommandError", "does not know this command"),
    0x23: ("UnauthorizedError", "not authorised"),
    0x24: ("SamUnknownError", "unknown error"),
    0x31: ("CardAuthSamError", "card failed to authenticate the SAM"),
    0x32: ("SamAuthCardError", "SAM failed to authenticate the card"),
    0x33: ("InfoCheckError", "information check failed"),
    0x40: ("UnknownCardTypeError", "unknown card type"),
    0x47: ("RandomFailedError", "get-random failed"),
    0x60: ("SelfTestError", "self-test failed"),
    0x66: ("SamNotAuthorizedError", "SAM not authorised"),
    0x91: ("NoContentError", "no content"),
}


def test_every_failure_code_of_the_notes_is_mapped() -> None:
    assert set(status.ERRORS) == set(NOTES)


@pytest.mark.parametrize("sw3", sorted(NOTES))
def test_code_gives_its_typed_error_with_a_plain_message(sw3: int) -> None:
    name, words = NOTES[sw3]
    error = status_error(sw3, "read card")
    assert type(error).__name__ == name
    assert isinstance(error, SamStatusError)
    assert isinstance(error, ReaderError)
    assert error.sw3 == sw3
    assert str(error).startswith(f"SAM status {sw3:02X} to read card: ")
    assert words in str(error)


def test_an_unlisted_code_still_names_itself() -> None:
    error = status_error(0x5A)
    assert isinstance(error, UndocumentedStatusError)
    assert str(error) == "SAM status 5A: status code not in the protocol notes"
