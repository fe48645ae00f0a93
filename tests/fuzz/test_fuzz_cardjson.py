"""Card JSON files (readers/cardjson.py): whatever a file holds, a ``CardDataError`` naming a key.

A card that is accepted must survive being written back as a file and read again unchanged, and
no message may repeat an ID number.
"""

from __future__ import annotations

from typing import Any

import pytest
from fuzzing import (
    JSON_VALUES,
    check_card_error,
    corpus,
    corpus_json,
    mutated_bytes,
    mutated_json,
)
from hypothesis import given
from hypothesis import strategies as st

from readers.cardjson import (
    FILE_KEYS,
    card_from_file_bytes,
    card_from_json,
    card_to_file_json,
)
from readers.errors import CardDataError

SEEDS = corpus_json("cardjson")
VALID = [seed for seed in SEEDS if isinstance(seed, dict) and seed.keys() <= FILE_KEYS]
ID_NUMBERS = {seed["id_number"] for seed in VALID if isinstance(seed.get("id_number"), str)}


def _check_error(error: CardDataError) -> None:
    check_card_error(error)
    assert str(error).startswith(f"{error.field}: ")
    assert not any(number in str(error) for number in ID_NUMBERS)


def check_file(data: bytes) -> None:
    """The property: a card, or a ``CardDataError`` that names a key and leaks nothing."""
    try:
        card = card_from_file_bytes(data)
    except CardDataError as error:
        _check_error(error)
    else:
        assert card_from_json(card_to_file_json(card)) == card


@pytest.mark.parametrize("data", corpus("cardjson"))
def test_the_corpus(data: bytes) -> None:
    check_file(data)


@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data: bytes) -> None:
    check_file(data)


@given(mutated_bytes("cardjson"))
def test_files_with_bytes_changed(data: bytes) -> None:
    check_file(data)


@given(mutated_json("cardjson"))
def test_files_with_a_value_changed(text: str) -> None:
    """Changed anywhere: a lone surrogate, NUL, a huge number, a value nested 100,000 deep..."""
    check_file(text.encode())


@given(st.sampled_from(VALID), st.dictionaries(st.sampled_from(sorted(FILE_KEYS)), JSON_VALUES))
def test_any_value_under_any_key(seed: dict[str, Any], changes: dict[str, Any]) -> None:
    """``card_from_json`` itself, given Python values JSON cannot even hold (NaN, 2**70)."""
    try:
        card = card_from_json(seed | changes)
    except CardDataError as error:
        _check_error(error)
    else:
        assert card_from_json(card_to_file_json(card)) == card
