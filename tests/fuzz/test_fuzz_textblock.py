"""Text blocks (readers/textblock.py): any bytes give a card or a ``CardDataError`` naming the
field and byte; a card that parses is laid out again as a block that parses to the same card."""

from __future__ import annotations

import dataclasses

import pytest
from fuzzing import check_card_error, corpus, mutated_bytes
from hypothesis import given
from hypothesis import strategies as st

from readers.errors import CardDataError
from readers.textblock import BLOCK_SIZE, MARKERS, encode_text_block, parse_text_block


def check_block(data: bytes) -> None:
    try:
        card = parse_text_block(data)
    except CardDataError as error:
        check_card_error(error, max(len(data), BLOCK_SIZE))
    else:
        again = parse_text_block(encode_text_block(card))
        assert dataclasses.replace(again, raw=b"") == dataclasses.replace(card, raw=b"")


@pytest.mark.parametrize("data", corpus("textblock"))
def test_the_corpus(data: bytes) -> None:
    check_block(data)


@given(st.binary(max_size=600))
def test_arbitrary_bytes(data: bytes) -> None:
    check_block(data)


@given(st.binary(min_size=248, max_size=248), st.sampled_from(sorted(MARKERS)))
def test_arbitrary_blocks_of_every_card_type(head: bytes, marker: bytes) -> None:
    check_block(head + marker + bytes(6))


@given(mutated_bytes("textblock", keep_size=True))
def test_valid_blocks_with_bytes_changed(data: bytes) -> None:
    check_block(data)


@given(st.sampled_from([param.values[0] for param in corpus("textblock")]), st.data())
def test_valid_blocks_with_one_field_garbled(block: bytes, data: st.DataObject) -> None:
    """A run of bytes overwritten with UTF-16 odd spots: lone surrogates, controls, NULs."""
    start = data.draw(st.integers(0, BLOCK_SIZE - 2).map(lambda at: at - at % 2))
    units = data.draw(
        st.lists(st.sampled_from([0x0000, 0x001B, 0x0085, 0xD800, 0xDC00, 0x0020, 0x0031, 0x5F20]))
    )
    garbled = b"".join(unit.to_bytes(2, "little") for unit in units)
    check_block((block[:start] + garbled + block[start + len(garbled) :])[:BLOCK_SIZE])
