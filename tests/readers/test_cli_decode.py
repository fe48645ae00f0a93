"""``yzt card decode`` run as users run it: a subprocess on files and stdin."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cardfactory import make_card

from readers.card import CardType, IdCard
from readers.cli.decode import decode_bytes
from readers.record import encode_record
from readers.sam.frames import encode_response
from readers.textblock import encode_text_block

YZT = str(Path(sys.executable).with_name("yzt"))
CARD = make_card(fingerprints=(bytes(512), bytes(range(256)) * 2))


def run(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [YZT, "card", "decode", *args], input=data, capture_output=True, timeout=60, check=False
    )


def decoded(*args: str, data: bytes | None = None) -> dict[str, Any]:
    result = run(*args, data=data)
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""
    return json.loads(result.stdout)


def frame(card: IdCard, *, with_fingerprint: bool) -> bytes:
    return encode_response(0x90, encode_record(card, with_fingerprint=with_fingerprint))


def as_hex(data: bytes) -> bytes:
    """Hex the way people paste it: mixed case, spaces, a line break every 16 bytes."""
    lines = [data[i : i + 16].hex(" ") for i in range(0, len(data), 16)]
    return "\n".join(line.upper() if n % 2 else line for n, line in enumerate(lines)).encode()


def test_a_binary_30_01_frame_prints_the_card_with_a_masked_number(tmp_path: Path) -> None:
    path = tmp_path / "answer.bin"
    path.write_bytes(frame(CARD, with_fingerprint=False))
    assert len(path.read_bytes()) == 1295
    out = decoded(str(path))
    assert out["name"] == "张三" and out["card_type"] == "resident" and out["fingerprints"] == 0
    assert out["id_number"] == CARD.id_number[:4] + "*" * 10 + CARD.id_number[-4:]
    assert out["has_photo"] is True


def test_output_is_indented_json_with_chinese_unescaped(tmp_path: Path) -> None:
    path = tmp_path / "answer.bin"
    path.write_bytes(frame(CARD, with_fingerprint=False))
    text = run(str(path)).stdout.decode()
    assert text.startswith('{\n  "card_type": "resident",') and '"name": "张三"' in text


def test_hex_text_of_a_30_10_frame_from_stdin_with_reveal() -> None:
    data = as_hex(frame(CARD, with_fingerprint=True))
    assert b"\n" in data and b" " in data
    out = decoded("--reveal", "-", data=data)
    assert out["fingerprints"] == 2 and out["id_number"] == CARD.id_number


@pytest.mark.parametrize("card_type", list(CardType))
def test_a_bare_text_block_of_each_card_type(card_type: CardType, tmp_path: Path) -> None:
    card = make_card(card_type)
    path = tmp_path / "block.hex"
    path.write_bytes(encode_text_block(card).hex().encode() + b"\n")
    out = decoded(str(path))
    assert out["card_type"] == card_type.value and out["has_photo"] is False
    assert out["birth_date"] == card.birth_date.isoformat()


def test_binary_blocks_and_the_1284_byte_pcsc_record_are_accepted() -> None:
    assert decoded("-", data=encode_text_block(CARD))["has_photo"] is False
    out = decoded("-", data=encode_record(CARD, with_fingerprint=False))
    assert out["name"] == "张三" and out["has_photo"] is True


def _bad_check_digit() -> bytes:
    block = bytearray(encode_text_block(CARD))
    block[156] = ord("0") if block[156] != ord("0") else ord("1")
    return bytes(block)


def _bad_checksum() -> bytes:
    data = bytearray(frame(CARD, with_fingerprint=False))
    data[-1] ^= 0xFF
    return bytes(data)


FULL = frame(CARD, with_fingerprint=False)
MALFORMED = [
    ("check digit", _bad_check_digit(), "id_number at byte 122: check digit does not match"),
    ("truncated", FULL[:700], "frame truncated"),
    ("checksum", _bad_checksum(), "checksum"),
    ("garbage", b"hello, this is not a card\n", "26 bytes: expected a SAM answer frame"),
    ("empty", b"", "0 bytes: expected a SAM answer frame"),
    ("odd hex", b"AA AA A", "hex text has an odd number of digits (5)"),
    ("sam error", encode_response(0x41), "SAM status 41"),
    ("wrong frame", encode_response(0x90, bytes(70)), "frame of 81 bytes is not an answer"),
    ("bad record", encode_response(0x90, b"\x01\x01" + FULL[12:-1]), "text_length"),
    ("hex check digit", _bad_check_digit().hex().encode(), "check digit does not match"),
]


@pytest.mark.parametrize(("case", "data", "message"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_input_exits_2_with_one_plain_line(case: str, data: bytes, message: str) -> None:
    result = run("-", data=data)
    assert result.returncode == 2, case
    assert result.stdout == b""
    err = result.stderr.decode()
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err
    assert CARD.id_number not in err and CARD.id_number[:10] not in err


def test_a_missing_file_exits_2_naming_it(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.bin"))
    assert result.returncode == 2
    assert (
        result.stderr.decode()
        == f"error: cannot read {tmp_path / 'nope.bin'}: No such file or directory\n"
    )


@pytest.mark.parametrize("fingers", [0, 1, 2])
def test_every_30_10_frame_size_is_recognised(fingers: int) -> None:
    card = make_card(fingerprints=(bytes(512),) * fingers)
    data = frame(card, with_fingerprint=True)
    assert len(data) == 1297 + 512 * fingers
    assert decode_bytes(data).fingerprints == card.fingerprints
