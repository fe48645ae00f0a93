"""Valid synthetic cards of every type, for tests across the project.

``make_card()`` is an elder's resident card; ``make_card(CardType.HKMT_RESIDENCE, name="李四")``
any other type with any field changed. Unless ``id_number`` is given, the number is rebuilt to
agree with the birth date, gender (and nationality), so overrides never yield an invalid card.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from readers.card import WLT_HEADER, CardType, Gender, IdCard, Photo
from readers.idnumber import check_digit

PHOTO = Photo(wlt=WLT_HEADER + bytes((i * 37 + 11) % 256 for i in range(1024 - len(WLT_HEADER))))
FOREIGN_NUMERIC = {"USA": "840", "DEU": "276", "GBR": "826", "FRA": "250", "JPN": "392"}

_DEFAULTS: dict[CardType, dict[str, Any]] = {
    CardType.RESIDENT: {
        "name": "张三",
        "gender": Gender.MALE,
        "ethnicity_code": "01",
        "ethnicity": "汉",
        "birth_date": dt.date(1950, 3, 7),
        "address": "广东省广州市天河区体育西路123号",
        "issuer": "广州市公安局天河分局",
        "valid_from": dt.date(2016, 5, 20),
        "valid_until": None,
    },
    CardType.HKMT_RESIDENCE: {
        "name": "陈大文",
        "gender": Gender.MALE,
        "birth_date": dt.date(1955, 8, 21),
        "address": "广东省深圳市福田区福华三路88号",
        "issuer": "深圳市公安局",
        "valid_from": dt.date(2024, 3, 1),
        "valid_until": dt.date(2029, 3, 1),
        "pass_number": "H60123456",
        "issue_count": 1,
    },
    CardType.FOREIGN_PERMANENT: {
        "name": "史密斯约翰",
        "name_en": "SMITH, JOHN",
        "gender": Gender.MALE,
        "nationality": "USA",
        "birth_date": dt.date(1958, 11, 2),
        "valid_from": dt.date(2019, 7, 1),
        "valid_until": dt.date(2029, 7, 1),
        "card_version": "01",
        "issuing_office": "1500",
    },
    CardType.FOREIGN_PERMANENT_2023: {
        "name": "安娜",
        "name_en": "MUELLER, ANNA MARIA",
        "gender": Gender.FEMALE,
        "nationality": "DEU",
        "birth_date": dt.date(1962, 4, 15),
        "valid_from": dt.date(2024, 1, 10),
        "valid_until": dt.date(2034, 1, 10),
        "renewal_count": 0,
    },
}
_REGIONS = {CardType.RESIDENT: "440106", CardType.HKMT_RESIDENCE: "810000"}


def make_id_number(
    region: str = "440106", birth: dt.date = dt.date(1950, 3, 7), seq: int = 12, male: bool = True
) -> str:
    """An 18-character number with a valid check digit.

    ``region`` is the 6-digit prefix (``440106`` Guangzhou, ``810000`` Hong Kong, ``9PPNNN`` a
    2023 foreigner); ``seq`` the 3-digit sequence, its last digit moved up by one when its parity
    disagrees with ``male``.
    """
    if seq % 2 != int(male):
        seq += 1
    body = f"{region}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + check_digit(body)


def make_foreign_2017_number(
    nationality: str = "USA", birth: dt.date = dt.date(1958, 11, 2), seq: int = 1
) -> str:
    """A 15-character 2017 foreigner number: nationality, province 44, YYMMDD, sequence."""
    return f"{nationality}44{birth:%y%m%d}{seq % 10000:04d}"


def make_card(card_type: CardType = CardType.RESIDENT, **overrides: Any) -> IdCard:
    """A valid card of ``card_type`` with a WLT photo and any field replaced by ``overrides``."""
    fields: dict[str, Any] = {"card_type": card_type, "photo": PHOTO, **_DEFAULTS[card_type]}
    fields.update(overrides)
    if "id_number" not in overrides:
        fields["id_number"] = _number_for(card_type, fields)
    return IdCard(**fields)


def _number_for(card_type: CardType, fields: dict[str, Any]) -> str:
    birth: dt.date = fields["birth_date"]
    if card_type is CardType.FOREIGN_PERMANENT:
        return make_foreign_2017_number(fields["nationality"], birth)
    male = fields["gender"] is not Gender.FEMALE
    if card_type is CardType.FOREIGN_PERMANENT_2023:
        region = "911" + FOREIGN_NUMERIC.get(fields["nationality"], "276")
    else:
        region = _REGIONS[card_type]
    return make_id_number(region, birth, male=male)


def replace(card: IdCard, **changes: Any) -> IdCard:
    """``card`` with fields changed, no re-validation (to build deliberately bad cards)."""
    return dataclasses.replace(card, **changes)
