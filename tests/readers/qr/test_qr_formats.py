"""Format detection and the verifier registry the yzt card verifier will plug into."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from readers.qr import (
    QrResult,
    Reason,
    UnknownFormatError,
    VerifyContext,
    detect_format,
    register_format,
    verify_text,
)
from readers.qr.formats import find_format

CONTEXT = VerifyContext(at=datetime(2021, 6, 1, tzinfo=UTC))


def test_prefixes_pick_the_format() -> None:
    assert detect_format("HC1:NCF").name == "hc1"
    assert detect_format("YZT1:abc").name == "yzt"


@pytest.mark.parametrize(
    "text", ["HC2:NCF", "hc1:NCF", "https://example.org", "", "11010519491231002X"]
)
def test_other_texts_are_unknown_and_not_echoed(text: str) -> None:
    with pytest.raises(
        UnknownFormatError, match="expected it to start with HC1: \\(hc1\\) or YZT1:"
    ) as caught:
        detect_format(text)
    assert text not in str(caught.value) or not text


def test_a_yzt_card_without_the_public_key_has_no_usable_key() -> None:
    result = verify_text("YZT1:payload", CONTEXT)
    assert result.to_json() == {
        "format": "yzt",
        "signature": "unknown_key",
        "expired": False,
        "kind": "identity",
        "verdict": "CHECK",
        "reasons": ["QR_UNKNOWN_KEY"],
    }


@pytest.fixture
def yzt_restored() -> Iterator[None]:
    """The ``YZT1:`` verifier registered before the test, registered again after it."""
    before = find_format("YZT1:")
    yield
    assert before is not None
    register_format("yzt", "YZT1:", before.verifier)


def test_a_registered_verifier_replaces_the_formats_one(yzt_restored: None) -> None:
    seen: list[tuple[str, VerifyContext]] = []

    def verify_card(text: str, context: VerifyContext) -> QrResult:
        seen.append((text, context))
        return QrResult("yzt", "valid", False, "identity", None, (Reason.QR_UNKNOWN_KEY,))

    register_format("yzt", "YZT1:", verify_card)
    assert verify_text("YZT1:card", CONTEXT).signature == "valid"
    assert seen == [("YZT1:card", CONTEXT)]
