"""Card records (readers/record.py): the data of a ``30 01``/``30 10`` answer and the ``30 03``
appended address give a card (an address) or a ``CardDataError`` naming the field."""

from __future__ import annotations

import dataclasses

import pytest
from fuzzing import check_card_error, corpus, mutated_bytes
from hypothesis import given
from hypothesis import strategies as st

from readers.errors import CardDataError
from readers.record import (
    ADDRESS_SIZE,
    encode_appended_address,
    encode_record,
    parse_appended_address,
    parse_record,
)

HEADERS = st.sampled_from(
    [bytes.fromhex(h) for h in ("01000400", "01000000", "010004000000", "010004000200")]
    + [bytes.fromhex("010004000400")]
)


def check_record(data: bytes) -> None:
    for with_fingerprint in (False, True):
        try:
            card = parse_record(data, with_fingerprint=with_fingerprint)
        except CardDataError as error:
            check_card_error(error)
        else:
            again = parse_record(
                encode_record(card, with_fingerprint=with_fingerprint),
                with_fingerprint=with_fingerprint,
            )
            assert dataclasses.replace(again, raw=b"") == dataclasses.replace(card, raw=b"")


def check_address(data: bytes) -> None:
    try:
        address = parse_appended_address(data)
    except CardDataError as error:
        check_card_error(error)
    else:
        assert parse_appended_address(encode_appended_address(address)) == address


@pytest.mark.parametrize("data", corpus("record"))
def test_the_record_corpus(data: bytes) -> None:
    check_record(data)


@pytest.mark.parametrize("data", corpus("appended_address"))
def test_the_address_corpus(data: bytes) -> None:
    check_address(data)


@given(st.binary(max_size=2400))
def test_arbitrary_records(data: bytes) -> None:
    check_record(data)


@given(HEADERS, st.binary(min_size=256, max_size=256), st.binary(max_size=2048))
def test_well_framed_records(header: bytes, text: bytes, rest: bytes) -> None:
    check_record(header + text + rest)


@given(mutated_bytes("record"))
def test_valid_records_with_bytes_changed(data: bytes) -> None:
    check_record(data)


@given(st.binary(min_size=ADDRESS_SIZE, max_size=ADDRESS_SIZE) | st.binary(max_size=100))
def test_arbitrary_addresses(data: bytes) -> None:
    check_address(data)


@given(mutated_bytes("appended_address"))
def test_valid_addresses_with_bytes_changed(data: bytes) -> None:
    check_address(data)
