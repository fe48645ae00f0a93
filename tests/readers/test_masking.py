"""Masked names: the holder recognises their own, a bystander learns little."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readers.masking import mask_name


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张明", "张*"),
        ("张三明", "张*明"),
        ("欧阳小明", "欧**明"),
        ("司马相如文", "司***文"),
        ("张", "*"),
        ("买买提·艾力", "买**·*力"),
        ("ZHANG SAN", "Z**** S**"),
        ("SMITH, JOHN", "S****, J***"),
        ("O'NEIL, MARY-ANN", "O'N***, M***-A**"),
        ("Müller Anna", "M***** A***"),
        ("  张三明 ", "张*明"),
        ("", ""),
    ],
)
def test_names_are_masked_by_the_documented_rules(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@given(st.text(alphabet="张王李欧阳小明华", min_size=3, max_size=10))
def test_chinese_names_keep_length_and_hide_the_middle(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked[0] == name[0] and masked[-1] == name[-1]
    assert set(masked[1:-1]) == {"*"}


@given(st.from_regex(r"[A-Z]{2,8}( [A-Z]{2,8}){0,3}", fullmatch=True))
def test_latin_names_keep_only_initials(name: str) -> None:
    masked = mask_name(name)
    assert [word[0] for word in masked.split()] == [word[0] for word in name.split()]
    assert sum(ch != "*" and ch != " " for ch in masked) == len(name.split())
