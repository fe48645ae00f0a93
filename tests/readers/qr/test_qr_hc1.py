"""The HC1 transport layers: each broken layer is named, with the position and what was expected."""

from __future__ import annotations

import zlib

import pytest
from base45 import b45encode

from readers.qr.errors import Base45Error, DecompressionError, PrefixError
from readers.qr.hc1 import MAX_INFLATED_BYTES, base45_decode, decode_hc1, decompress, unprefix


def test_a_whole_payload_comes_apart_layer_by_layer() -> None:
    cose = bytes(range(256)) * 3
    text = "HC1:" + b45encode(zlib.compress(cose)).decode()
    assert decode_hc1(text) == cose


@pytest.mark.parametrize("text", ["HC2:6BFOXN", "hc1:6BFOXN", "6BFOXN%TS3DH", ""])
def test_a_missing_or_other_prefix_is_a_prefix_error(text: str) -> None:
    with pytest.raises(PrefixError, match="expected the text to start with 'HC1:'") as caught:
        unprefix(text)
    assert caught.value.step == "prefix"
    assert str(caught.value).startswith("prefix: ")


def test_base45_examples_from_rfc_9285() -> None:
    assert base45_decode("BB8") == b"AB"
    assert base45_decode("%69 VD92EX0") == b"Hello!!"
    assert base45_decode("UJCLQE7W581") == b"base-45"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("BB8a", "character 'a' at position 3 is not in the Base45 alphabet"),
        ("BB8=", "character '=' at position 3"),
        ("BB8B", "4 characters leave one over: expected groups of three"),
        ("GGW", "group 'GGW' at position 0 encodes 65536: more than 65535"),
        ("BB8:Y", "group ':Y' at position 3 encodes 1574: more than 255"),
    ],
)
def test_bad_base45_names_the_character_length_or_group(text: str, message: str) -> None:
    with pytest.raises(Base45Error, match=message) as caught:
        base45_decode(text)
    assert str(caught.value).startswith("base45: ")


def test_a_truncated_zlib_stream_is_cut_short() -> None:
    data = zlib.compress(b"x" * 500 + bytes(range(200)))
    with pytest.raises(DecompressionError, match="cut short"):
        decompress(data[:-6])


def test_bytes_that_are_not_zlib_say_what_was_expected() -> None:
    with pytest.raises(DecompressionError, match=r"expected a zlib stream .* got d2 84") as caught:
        decompress(bytes.fromhex("d28443a10126a0"))
    assert str(caught.value).startswith("zlib: ")


def test_bytes_after_the_zlib_stream_are_refused() -> None:
    with pytest.raises(DecompressionError, match="3 bytes follow the end"):
        decompress(zlib.compress(b"cose") + b"abc")


def test_a_zip_bomb_stops_at_the_size_limit() -> None:
    bomb = zlib.compress(bytes(MAX_INFLATED_BYTES * 16))
    with pytest.raises(DecompressionError, match=f"inflates past {MAX_INFLATED_BYTES} bytes"):
        decompress(bomb)


def test_a_payload_at_the_size_limit_still_inflates() -> None:
    assert len(decompress(zlib.compress(bytes(MAX_INFLATED_BYTES)))) == MAX_INFLATED_BYTES
