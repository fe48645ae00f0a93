"""The GB 3304 table: every code a resident card can carry, with its printed name."""

from __future__ import annotations

import pytest

from readers.ethnicity import ETHNICITIES, ethnicity_code, ethnicity_name


def test_the_table_holds_56_ethnicities_and_two_special_codes() -> None:
    assert list(ETHNICITIES)[:56] == [f"{n:02d}" for n in range(1, 57)]
    assert set(ETHNICITIES) - {f"{n:02d}" for n in range(1, 57)} == {"97", "98"}
    assert len(set(ETHNICITIES.values())) == 58


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("01", "汉"),
        ("02", "蒙古"),
        ("05", "维吾尔"),
        ("10", "朝鲜"),
        ("15", "土家"),
        ("29", "柯尔克孜"),
        ("43", "乌孜别克"),
        ("55", "珞巴"),
        ("56", "基诺"),
        ("97", "其他"),
        ("98", "外国血统"),
    ],
)
def test_codes_map_to_names_and_back(code: str, name: str) -> None:
    assert ethnicity_name(code) == name
    assert ethnicity_code(name) == code
    assert ethnicity_code(name + "族") == code


@pytest.mark.parametrize("code", ["00", "57", "96", "99", "1", "汉"])
def test_unknown_codes_have_no_name(code: str) -> None:
    assert ethnicity_name(code) is None


def test_the_table_cannot_be_changed_by_accident() -> None:
    with pytest.raises(TypeError):
        ETHNICITIES["99"] = "x"  # type: ignore[index]
