"""yzt elder cards verified as a kiosk and ``yzt qr verify`` do: tokens made by the verifier's own
issuer (verifier/qrcards/token.py), so the two sides of the layout are held together here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import pytest
from base45 import b45decode, b45encode
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from qrkit import qr_image
from typer.testing import CliRunner

from readers.qr import VerifyContext, register_format, verify_text
from readers.qr.cli import qr_app
from readers.qr.formats import YZT_PREFIX
from readers.qr.yztcard import (
    CardKeyError,
    key_id,
    load_card_keys,
    read_card,
    revocation_key,
    serial_text,
    verify_yzt_card,
)
from verifier.qrcards.token import CardClaims, revocation_prefix, sign_token
from verifier.qrcards.token import key_id as issuer_key_id
from verifier.qrcards.token import serial_text as issuer_serial_text

ISSUED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
SUBJECT = "ab" * 32
SERIAL = bytes.fromhex("3f9a71c20b4ed815")
runner = CliRunner()


@pytest.fixture(autouse=True)
def shipped_registry() -> Iterator[None]:
    """The registry as shipped, whatever an earlier test registered for ``YZT1:``."""
    register_format("yzt", YZT_PREFIX, verify_yzt_card)
    yield


def pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)


def claims(**changes: object) -> CardClaims:
    fields: dict[str, object] = {
        "serial": SERIAL,
        "subject": SUBJECT,
        "issued_at": ISSUED,
        "expires_at": ISSUED + timedelta(days=365),
        "card_type": "hkmt_residence",
        "age_band": "60+",
    }
    return CardClaims(**(fields | changes))  # type: ignore[arg-type]


def at(when: datetime, key: bytes | None, revoked: set[bytes] | None = None) -> VerifyContext:
    check = None if revoked is None else revoked.__contains__
    return VerifyContext(at=when, public_key=key, revoked=check)


KEY = Ed25519PrivateKey.generate()
TOKEN = sign_token(claims(), KEY)
LATER = ISSUED + timedelta(days=30)


def test_a_genuine_card_gives_its_holder_and_no_verdict_of_its_own() -> None:
    reading = read_card(TOKEN, at(LATER, pem(KEY)))
    assert reading.result.to_json() == {
        "format": "yzt",
        "signature": "valid",
        "expired": False,
        "kind": "identity",
        "verdict": None,
        "reasons": ["QR_VALID"],
    }
    card = reading.card
    assert card is not None
    assert (card.subject, card.serial_text) == (SUBJECT, "3F9A-71C2-0B4E-D815")
    assert (card.issued_at, card.expires_at) == (ISSUED, ISSUED + timedelta(days=365))
    assert (card.card_type, card.age_band) == ("hkmt_residence", "60+")
    assert card.key_id == key_id(KEY.public_key()) == issuer_key_id(KEY.public_key())


def test_the_token_is_small_and_all_qr_alphanumeric() -> None:
    assert TOKEN.startswith("YZT1:")
    assert len(TOKEN) == 5 + (54 + 64) // 2 * 3
    assert set(TOKEN) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def test_every_card_type_and_age_band_survives_the_round_trip() -> None:
    for card_type in ("resident", "foreign_permanent", "foreign_permanent_2023", "hkmt_residence"):
        for band in ("0-17", "18-59", "60+"):
            token = sign_token(claims(card_type=card_type, age_band=band), KEY)
            card = read_card(token, at(LATER, pem(KEY))).card
            assert card is not None and (card.card_type, card.age_band) == (card_type, band)


def test_a_changed_byte_breaks_the_signature_and_the_card_is_not_used() -> None:
    raw = bytearray(b45decode(TOKEN[5:]))
    raw[20] ^= 0x01  # a subject byte: someone else's identity
    forged = "YZT1:" + b45encode(bytes(raw)).decode()
    reading = read_card(forged, at(LATER, pem(KEY)))
    assert (reading.result.signature, reading.result.verdict) == ("invalid", "CHECK")
    assert reading.result.reasons == ("QR_INVALID_SIGNATURE",)
    assert reading.card is None


def test_a_card_from_another_key_or_with_no_key_pinned_is_unknown_key() -> None:
    other = Ed25519PrivateKey.generate()
    for key in (pem(other), None):
        result = verify_yzt_card(TOKEN, at(LATER, key))
        assert (result.signature, result.verdict, result.reasons) == (
            "unknown_key",
            "CHECK",
            ("QR_UNKNOWN_KEY",),
        )


def test_old_and_new_keys_pinned_together_both_verify() -> None:
    new = Ed25519PrivateKey.generate()
    both = pem(KEY) + pem(new)
    for token in (TOKEN, sign_token(claims(), new)):
        assert verify_yzt_card(token, at(LATER, both)).signature == "valid"


def test_expiry_and_issue_time_bound_the_card_with_five_minutes_for_clocks() -> None:
    expiry = ISSUED + timedelta(days=365)
    assert not verify_yzt_card(TOKEN, at(expiry, pem(KEY))).expired
    late = verify_yzt_card(TOKEN, at(expiry + timedelta(seconds=1), pem(KEY)))
    assert (late.signature, late.expired, late.verdict, late.reasons) == (
        "valid",
        True,
        "CHECK",
        ("QR_EXPIRED",),
    )
    assert not verify_yzt_card(TOKEN, at(ISSUED - timedelta(minutes=5), pem(KEY))).expired
    early = verify_yzt_card(TOKEN, at(ISSUED - timedelta(minutes=6), pem(KEY)))
    assert early.expired and early.reasons == ("QR_EXPIRED",)


def test_expiry_is_reported_whatever_the_signature() -> None:
    other = pem(Ed25519PrivateKey.generate())
    result = verify_yzt_card(TOKEN, at(ISSUED + timedelta(days=400), other))
    assert (result.signature, result.expired) == ("unknown_key", True)


def test_a_revoked_serial_is_refused_and_its_risk_list_key_matches_the_issuer() -> None:
    reading = read_card(TOKEN, at(LATER, pem(KEY), revoked={SERIAL}))
    assert (reading.result.verdict, reading.result.reasons) == ("CHECK", ("QR_REVOKED",))
    assert reading.card is not None, "a genuine revoked card still names its holder for events"
    late = read_card(TOKEN, at(ISSUED + timedelta(days=400), pem(KEY), revoked={SERIAL}))
    assert late.result.reasons == ("QR_EXPIRED", "QR_REVOKED")
    assert revocation_key(SERIAL).hex() == revocation_prefix(SERIAL)
    assert serial_text(SERIAL) == issuer_serial_text(SERIAL)


@pytest.mark.parametrize(
    ("text", "signature", "reason"),
    [
        ("YZT1:", "invalid", "QR_INVALID_SIGNATURE"),
        ("YZT1:not base45!", "invalid", "QR_INVALID_SIGNATURE"),
        ("YZT1:" + b45encode(b"\x01" + bytes(40)).decode(), "invalid", "QR_INVALID_SIGNATURE"),
        ("YZT1:" + b45encode(b"\x02" + bytes(117)).decode(), "unknown_key", "QR_UNKNOWN_KEY"),
    ],
    ids=["empty", "not-base45", "cut-short", "future-version"],
)
def test_texts_that_are_no_card_are_checks_not_errors(
    text: str, signature: str, reason: str
) -> None:
    result = verify_text(text, at(LATER, pem(KEY)))
    assert (result.format, result.signature, result.verdict) == ("yzt", signature, "CHECK")
    assert result.reasons == (reason,)


def test_a_key_file_without_an_ed25519_key_is_an_error_naming_the_block() -> None:
    rsa_like = b"-----BEGIN PUBLIC KEY-----\nMAo=\n-----END PUBLIC KEY-----\n"
    with pytest.raises(CardKeyError, match="no '-----BEGIN PUBLIC KEY-----' block"):
        load_card_keys(b"not a key")
    with pytest.raises(CardKeyError, match="block 2 is not a PEM public key"):
        load_card_keys(pem(KEY) + rsa_like)


def test_cli_verifies_a_printed_card_photo_with_the_pinned_key(tmp_path: Path) -> None:
    key_file = tmp_path / "card-signing.pub"
    key_file.write_bytes(pem(KEY))
    photo = tmp_path / "card.png"
    cv2.imwrite(str(photo), qr_image(TOKEN))
    when = "2026-04-01T08:00:00+08:00"
    result = runner.invoke(qr_app, [str(photo), "--public-key", str(key_file), "--at", when])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert (answer["signature"], answer["verdict"], answer["reasons"]) == (
        "valid",
        None,
        ["QR_VALID"],
    )
    assert SUBJECT not in result.output and "3F9A" not in result.output

    past = ["--at", "2027-03-01T09:00:01"]  # no offset: UTC, one second after the expiry
    expired = runner.invoke(qr_app, ["--text", TOKEN, "--public-key", str(key_file), *past])
    assert json.loads(expired.stdout)["reasons"] == ["QR_EXPIRED"]


def test_cli_refuses_an_unusable_key_file_with_one_line(tmp_path: Path) -> None:
    key_file = tmp_path / "card-signing.pub"
    key_file.write_text("garbage")
    result = runner.invoke(qr_app, ["--text", TOKEN, "--public-key", str(key_file)])
    assert result.exit_code == 2
    assert "card key file" in result.stderr and "Traceback" not in result.output
