"""What the kiosk does with one QR text, and the ``[qr]`` config that sets it up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from kiosktools import write_config
from qrcam import public_pem

from kiosk.config import ConfigError, load_config
from kiosk.decision import Decision
from kiosk.qr.codes import CardCode, CodeReader, DecidedCode, QrSetupError
from kiosk.qr.config import QrConfig
from readers.qr.yztcard import revocation_key
from verifier.qrcards.issue import make_card

KEY = Ed25519PrivateKey.generate()
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
CARD = make_card(b"c" * 40, KEY, id_number="11010519491231002X", valid_days=30, now=NOW)


def reader(tmp_path: Path, *, revoked: frozenset[bytes] = frozenset(), days: int = 1) -> CodeReader:
    key_file = tmp_path / "card-signing.pub"
    key_file.write_bytes(public_pem(KEY))
    config = QrConfig(enabled=True, card_key_file=key_file)
    return CodeReader(config, revoked.__contains__, now=lambda: NOW + dt.timedelta(days=days))


def test_a_genuine_current_card_goes_to_the_tap_pipeline(tmp_path: Path) -> None:
    code = reader(tmp_path).read(CARD.token)
    assert isinstance(code, CardCode)
    assert code.card.subject == CARD.claims.subject
    assert (code.card.card_type, code.card.age_band) == ("resident", "60+")


def test_a_revoked_card_is_a_check_from_the_risk_list_naming_its_holder(tmp_path: Path) -> None:
    revoked = frozenset({revocation_key(CARD.claims.serial)})
    code = reader(tmp_path, revoked=revoked).read(CARD.token)
    assert isinstance(code, DecidedCode) and code.card is not None
    assert code.decision == Decision("CHECK", ("QR_REVOKED",), "risklist")
    assert code.card.subject == CARD.claims.subject


def test_an_expired_card_is_a_check_decided_here(tmp_path: Path) -> None:
    code = reader(tmp_path, days=31).read(CARD.token)
    assert isinstance(code, DecidedCode)
    assert code.decision == Decision("CHECK", ("QR_EXPIRED",), "none")


def test_a_card_of_another_issuer_names_no_one(tmp_path: Path) -> None:
    stranger = Ed25519PrivateKey.generate()
    other = make_card(b"c" * 40, stranger, id_number="11010519491231002X", valid_days=30, now=NOW)
    code = reader(tmp_path).read(other.token)
    assert isinstance(code, DecidedCode) and code.card is None
    assert code.decision == Decision("CHECK", ("QR_UNKNOWN_KEY",), "none")


def test_a_certificate_is_decided_here_and_other_codes_are_ignored(tmp_path: Path) -> None:
    code = reader(tmp_path).read("HC1:NOT-A-CERTIFICATE")
    assert isinstance(code, DecidedCode) and code.format == "hc1"
    assert code.decision == Decision("CHECK", ("CERT_MALFORMED",), "none")
    assert reader(tmp_path).read("https://pay.example/qr/123") is None


def test_an_unusable_card_key_file_stops_the_setup_with_its_key_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("not a key")
    with pytest.raises(QrSetupError, match=r"qr\.card_key_file: .*bad\.pub.*BEGIN PUBLIC KEY"):
        CodeReader(QrConfig(enabled=True, card_key_file=bad), lambda key: False)


def test_enabling_qr_needs_a_key_or_a_trust_list() -> None:
    with pytest.raises(ValueError, match="enabled needs card_key_file"):
        QrConfig(enabled=True)


def test_check_config_names_the_qr_file_that_is_wrong(tmp_path: Path) -> None:
    (tmp_path / "cards.pub").write_text("garbage")
    path = write_config(
        tmp_path,
        "http://127.0.0.1:1",
        "sim://x",
        '\n[qr]\nenabled = true\ncard_key_file = "cards.pub"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert any(p.startswith("qr.card_key_file: ") for p in caught.value.problems), caught.value


def test_qr_files_are_found_beside_the_config(tmp_path: Path) -> None:
    (tmp_path / "cards.pub").write_bytes(public_pem(KEY))
    path = write_config(
        tmp_path,
        "http://127.0.0.1:1",
        "sim://x",
        '\n[qr]\nenabled = true\ncard_key_file = "cards.pub"\n',
    )
    assert load_config(path).qr.card_key_file == tmp_path / "cards.pub"
