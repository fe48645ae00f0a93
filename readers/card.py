"""The identity-card record every reader backend produces.

Kept free of parsing and I/O so that the kiosk, the CLI and the simulator share one shape.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum

WLT_HEADER = bytes.fromhex("574c66007e00")


class CardType(enum.StrEnum):
    """Card families told apart by the type marker at byte 248 of the text block."""

    RESIDENT = "resident"
    FOREIGN_PERMANENT = "foreign_permanent"
    FOREIGN_PERMANENT_2023 = "foreign_permanent_2023"
    HKMT_RESIDENCE = "hkmt_residence"


class Gender(enum.StrEnum):
    """GB/T 2261.1 gender codes, by their printed names."""

    UNKNOWN = "未知"
    MALE = "男"
    FEMALE = "女"
    UNSPECIFIED = "未说明"


@dataclasses.dataclass(frozen=True, slots=True)
class Photo:
    """The card photo: raw WLT always, a decoded image only when a decoder or reader gave one."""

    wlt: bytes
    image: bytes | None = None
    image_format: str | None = None

    @property
    def has_wlt_header(self) -> bool:
        """Whether ``wlt`` starts like WLT ("WL", 102×126); not enforced, vendors differ."""
        return self.wlt.startswith(WLT_HEADER)


@dataclasses.dataclass(frozen=True, slots=True, repr=False)
class IdCard:
    """One card as read. ``raw`` holds the bytes read, for audit in memory only.

    ``repr`` never shows the ID number or raw bytes, so a card that ends up in a log line or
    exception message leaks nothing.
    """

    card_type: CardType
    name: str
    gender: Gender
    birth_date: dt.date
    id_number: str
    valid_from: dt.date
    valid_until: dt.date | None
    name_en: str | None = None
    ethnicity_code: str | None = None
    ethnicity: str | None = None
    nationality: str | None = None
    address: str | None = None
    appended_address: str | None = None
    issuer: str | None = None
    pass_number: str | None = None
    issue_count: int | None = None
    renewal_count: int | None = None
    card_version: str | None = None
    issuing_office: str | None = None
    previous_card_link: str | None = None
    photo: Photo | None = None
    fingerprints: tuple[bytes, ...] = ()
    card_uid: str | None = None
    raw: bytes = b""

    def __repr__(self) -> str:
        return f"IdCard(card_type={self.card_type.value!r}, valid_until={self.valid_until!r})"

    @property
    def has_photo(self) -> bool:
        return self.photo is not None and bool(self.photo.wlt or self.photo.image)

    @property
    def has_fingerprint(self) -> bool:
        return bool(self.fingerprints)

    def age_on(self, day: dt.date) -> int:
        """Whole years of age on ``day``."""
        before_birthday = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before_birthday)
