"""``yzt verifier keys init``, ``qr issue`` and ``qr revoke`` as an admin runs them: real store,
real keys, the printed card read back with zxing-cpp and verified by the kiosk's reader."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import select
from typer.testing import CliRunner, Result

from kiosk.offline.risklist import FORMAT, QR_REVOKED, RiskListStore, decode_all, load_public_key
from readers.qr import VerifyContext, read_image_file
from readers.qr.yztcard import read_card, revocation_key
from verifier.cli import app
from verifier.config import load_config
from verifier.qrcards.token import parse_serial
from verifier.risklist.build import publish
from verifier.risklist.keys import load_signing_key
from verifier.risklist.model import risklist_versions
from verifier.store import open_store
from verifier.store.schema import qr_cards
from verifier.subjects import subject_of

ELDER = "11010519491231002X"
runner = CliRunner()


def config_with_keys(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pepper = folder / "pepper"
    pepper.write_bytes(b"q" * 40)
    pepper.chmod(0o600)
    config = folder / "verifier.toml"
    config.write_text(
        f'[store]\nurl = "sqlite:///{folder / "v.db"}"\n\n[privacy]\npepper_file = "{pepper}"\n'
    )
    made = runner.invoke(app, ["keys", "init", "--config", str(config)])
    assert made.exit_code == 0, made.output
    return config


def issue(config: Path, *args: str, number: str = ELDER) -> Result:
    return runner.invoke(app, ["qr", "issue", "--config", str(config), *args], input=number + "\n")


def token_in(image: Path) -> str:
    (token,) = read_image_file(image)
    return token


def test_keys_init_makes_the_card_pair_and_keeps_the_risk_list_key_last(tmp_path: Path) -> None:
    config = config_with_keys(tmp_path)
    card_key, risklist_key = tmp_path / "card-signing.pub", tmp_path / "risklist-signing.pub"
    assert card_key.is_file() and risklist_key.is_file()
    assert (tmp_path / "card-signing.key").stat().st_mode & 0o077 == 0
    (tmp_path / "card-signing.key").unlink()
    card_key.unlink()
    again = runner.invoke(app, ["keys", "init", "--config", str(config)])
    assert again.exit_code == 0, again.output
    assert again.stdout.split() == [str(card_key)], "an older deployment gets only the card pair"
    assert "[qr] card_key_file" in again.stderr


def test_issue_prints_a_card_whose_code_verifies_as_the_holder(tmp_path: Path) -> None:
    config = config_with_keys(tmp_path / "v")
    card = tmp_path / "card.png"
    result = issue(config, "--out", str(card), "--name", "张三明", "--valid-days", "30")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["file"] == str(card)
    assert re.fullmatch(r"[0-9A-F]{4}(-[0-9A-F]{4}){3}", printed["serial"])
    assert ELDER not in result.output and "张三明" not in result.output

    image = cv2.imread(str(card))
    assert image.shape == (1748, 1240, 3), "A6 at 300 dpi"
    now = dt.datetime.now(dt.UTC)
    key = (tmp_path / "v" / "card-signing.pub").read_bytes()
    reading = read_card(token_in(card), VerifyContext(at=now, public_key=key))
    assert reading.result.signature == "valid" and reading.card is not None
    assert reading.card.subject == subject_of(b"q" * 40, ELDER)
    assert (reading.card.card_type, reading.card.age_band) == ("resident", "60+")
    assert reading.card.serial_text == printed["serial"]
    assert reading.card.expires_at - reading.card.issued_at == dt.timedelta(days=30)

    engine = open_store(load_config(config).database_url())
    with engine.connect() as conn:
        row = conn.execute(select(qr_cards)).one()
    engine.dispose()
    assert row.serial == parse_serial(printed["serial"]).hex()
    assert row.subject == reading.card.subject and row.revoked_at is None
    stored = (tmp_path / "v" / "v.db").read_bytes()
    assert ELDER.encode() not in stored and "张".encode() not in stored


def test_a_pdf_card_is_one_a6_page(tmp_path: Path) -> None:
    config = config_with_keys(tmp_path / "v")
    card = tmp_path / "card.pdf"
    result = issue(config, "--out", str(card), "--name", "李四")
    assert result.exit_code == 0, result.output
    body = card.read_bytes()
    assert body.startswith(b"%PDF-")
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", body)
    assert [(round(float(w)), round(float(h))) for w, h in boxes] == [(298, 420)]
    assert b"NotoSansCJK" in body, "the Chinese font is embedded"
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (Debian poppler-utils) is not installed: the page is not read back")
    subprocess.run(["pdftoppm", "-r", "200", "-png", str(card), str(tmp_path / "page")], check=True)
    token = token_in(tmp_path / "page-1.png")
    now = dt.datetime.now(dt.UTC)
    key = (tmp_path / "v" / "card-signing.pub").read_bytes()
    assert read_card(token, VerifyContext(at=now, public_key=key)).result.signature == "valid"


@pytest.mark.parametrize(
    ("args", "number", "message"),
    [
        ((), "11010519491231002Y", "ID_NUMBER: check digit does not match"),
        ((), "USA123456789012", "--age-band"),
        (("--out", "card.jpg"), ELDER, "must end in .png or .pdf"),
    ],
)
def test_what_cannot_be_issued_is_one_line_and_leaves_nothing(
    tmp_path: Path, args: tuple[str, ...], number: str, message: str
) -> None:
    config = config_with_keys(tmp_path / "v")
    result = runner.invoke(
        app,
        ["qr", "issue", "--config", str(config), *args],
        input=number + "\n",
    )
    assert result.exit_code == 2, result.output
    assert message in result.stderr and "Traceback" not in result.output
    assert number not in result.output
    engine = open_store(load_config(config).database_url())
    with engine.connect() as conn:
        assert conn.execute(select(qr_cards)).all() == []
    engine.dispose()
    assert not list(tmp_path.glob("card*"))


def test_issue_without_the_card_key_says_how_to_make_it(tmp_path: Path) -> None:
    config = config_with_keys(tmp_path)
    (tmp_path / "card-signing.key").unlink()
    result = issue(config, "--id-number", ELDER, number="")
    assert result.exit_code == 2
    assert "card key" in result.stderr and "yzt verifier keys init" in result.stderr


def test_the_id_number_may_be_given_as_an_option(tmp_path: Path) -> None:
    config = config_with_keys(tmp_path / "v")
    card = tmp_path / "card.png"
    result = issue(config, "--id-number", ELDER, "--out", str(card), number="")
    assert result.exit_code == 0, result.output
    assert ELDER not in result.output


def test_revoke_puts_the_serial_in_the_signed_list_old_kiosks_still_read(tmp_path: Path) -> None:
    config = config_with_keys(tmp_path / "v")
    card = tmp_path / "card.png"
    serial = json.loads(issue(config, "--out", str(card)).stdout)["serial"]

    result = runner.invoke(app, ["qr", "revoke", "--config", str(config), serial.lower()])
    assert result.exit_code == 0, result.output
    assert f"Revoked card {serial}" in result.stderr and "Risk list version 1" in result.stderr

    settings = load_config(config)
    engine = open_store(settings.database_url())
    with engine.connect() as conn:
        (body,) = conn.execute(select(risklist_versions.c.snapshot)).one()
    key = load_public_key(tmp_path / "v" / "risklist-signing.pub")
    (payload,) = decode_all(body, key)
    assert body[4] == FORMAT == 1, "the format old kiosks read"
    assert payload.subjects == revocation_key(parse_serial(serial))
    assert payload.flags == bytes([QR_REVOKED])
    store = RiskListStore(tmp_path / "kiosk.sqlite3")
    store.apply([payload])
    assert store.flags(revocation_key(parse_serial(serial)).hex()) == QR_REVOKED
    assert store.flags(subject_of(b"q" * 40, ELDER)) == 0, "the holder is not listed"
    store.close()

    again = runner.invoke(app, ["qr", "revoke", "--config", str(config), serial])
    assert again.exit_code == 0 and "already revoked" in again.stderr
    with engine.connect() as conn:
        assert len(conn.execute(select(risklist_versions.c.version)).all()) == 1

    far = dt.datetime.now(dt.UTC) + dt.timedelta(days=368)
    assert publish(engine, load_signing_key(settings), now=far).entries == 0, (
        "an expired card leaves the list"
    )
    engine.dispose()


def test_revoking_a_serial_nobody_issued_exits_1(tmp_path: Path) -> None:
    config = config_with_keys(tmp_path)
    result = runner.invoke(app, ["qr", "revoke", "--config", str(config), "0000-0000-0000-0000"])
    assert result.exit_code == 1
    assert "no card was issued with serial 0000-0000-0000-0000" in result.stderr
    bad = runner.invoke(app, ["qr", "revoke", "--config", str(config), "12-34"])
    assert bad.exit_code == 2 and "expected 16" in bad.stderr


def test_the_code_is_drawn_from_the_encoders_modules() -> None:
    from verifier.qrcards.render import qr_modules

    modules = qr_modules("YZT1:" + "0" * 177)
    assert modules.shape[0] == modules.shape[1] and modules.dtype == np.bool_
    assert modules[:7, :7].sum() == 33, "the finder pattern: 7x7 ring plus the 3x3 core"
