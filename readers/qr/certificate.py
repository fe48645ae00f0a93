"""The certificate JSON inside the hcert claim: its structure checked, the facts rules need kept.

The EU DCC schema (1.0–1.3) requires ``ver``, ``nam``, ``dob`` and exactly one group ``v``
(vaccination), ``t`` (test) or ``r`` (recovery) holding exactly one entry, with these fields::

    v: tg vp mp ma dn sd dt co is ci     dn, sd: positive integers; dt: date
    t: tg tt sc tr co is ci              sc: date-time; tt: NAAT or RAT; tr: detected or not
    r: tg fr co is df du ci              fr, df, du: dates

This module checks that structure and the value sets the rules depend on (``tt``, ``tr``), not
the schema's other value sets or length limits. Like the schema's validators (which treat
``format`` as a note), it accepts what early issuers wrote: a date followed by a midnight time
(``2021-03-09T00:00:00``) and an empty group written as ``null``. Only what a verdict needs is
kept, and the name only masked: the certificate itself is never stored or printed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

from readers.masking import mask_name
from readers.qr.errors import CertificateError

Kind = Literal["vaccination", "test", "recovery"]
GROUPS: dict[str, Kind] = {"v": "vaccination", "t": "test", "r": "recovery"}
REQUIRED = {
    "v": ("tg", "vp", "mp", "ma", "dn", "sd", "dt", "co", "is", "ci"),
    "t": ("tg", "tt", "sc", "tr", "co", "is", "ci"),
    "r": ("tg", "fr", "co", "is", "df", "du", "ci"),
}
NAAT, RAT = "LP6464-4", "LP217198-3"
NOT_DETECTED, DETECTED = "260415000", "260373001"
_VERSION = re.compile(r"\d+\.\d+\.\d+")
_BIRTH_DATE = re.compile(r"((19|20)\d\d(-\d\d){0,2}(T\S*)?)?")
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})(T\S*)?")


@dataclass(frozen=True)
class Vaccination:
    """Dose ``dose`` of a series of ``doses``, given on ``given_on``."""

    dose: int
    doses: int
    given_on: date


@dataclass(frozen=True)
class LabTest:
    """A test of type NAAT (PCR) or RAT (rapid antigen), its sample time and result."""

    rapid: bool
    sampled_at: datetime
    positive: bool


@dataclass(frozen=True)
class Recovery:
    """Recovery after a positive test on ``first_positive``, valid between two dates."""

    first_positive: date
    valid_from: date
    valid_until: date


Entry = Vaccination | LabTest | Recovery


@dataclass(frozen=True)
class HealthCertificate:
    """What a verdict needs from a certificate: its kind, its one entry and the masked name."""

    kind: Kind
    entry: Entry
    masked_name: str


def parse_certificate(hcert: object) -> HealthCertificate:
    """The certificate in the hcert claim's JSON, checked against the schema's structure."""
    if not isinstance(hcert, dict):
        raise CertificateError("expected a JSON object (CBOR map)")
    _text(hcert, "ver", _VERSION, "a version such as 1.3.0")
    _text(hcert, "dob", _BIRTH_DATE, "a date YYYY, YYYY-MM or YYYY-MM-DD")
    masked_name = _masked_name(hcert.get("nam"))
    present = [group for group in GROUPS if hcert.get(group) is not None]
    if len(present) != 1:
        found = ", ".join(present) or "none"
        raise CertificateError(f"expected exactly one of the groups v, t, r; found {found}")
    group = present[0]
    entries = hcert[group]
    if (
        not isinstance(entries, list | tuple)
        or len(entries) != 1
        or not isinstance(entries[0], dict)
    ):
        raise CertificateError(f"group {group} must be a list of exactly one entry object")
    entry = entries[0]
    missing = [key for key in REQUIRED[group] if key not in entry]
    if missing:
        raise CertificateError(f"{group}[0] lacks {', '.join(missing)}")
    return HealthCertificate(GROUPS[group], _ENTRY_PARSERS[group](entry), masked_name)


def to_json(item: object) -> object:
    """CBOR-decoded certificate data as JSON values: tagged times become ISO 8601 text."""
    if isinstance(item, dict):
        return {key: to_json(value) for key, value in item.items()}
    if isinstance(item, list | tuple):
        return [to_json(value) for value in item]
    if isinstance(item, datetime):
        return item.isoformat().replace("+00:00", "Z")
    return item


def _vaccination(entry: dict[object, object]) -> Vaccination:
    dose, doses = _positive(entry, "dn"), _positive(entry, "sd")
    return Vaccination(dose=dose, doses=doses, given_on=_date(entry, "v", "dt"))


def _test(entry: dict[object, object]) -> LabTest:
    kind = entry["tt"]
    if kind not in (NAAT, RAT):
        raise CertificateError(f"t[0].tt: expected {NAAT} (NAAT) or {RAT} (RAT)")
    result = entry["tr"]
    if result not in (NOT_DETECTED, DETECTED):
        raise CertificateError(f"t[0].tr: expected {NOT_DETECTED} (not detected) or {DETECTED}")
    return LabTest(
        rapid=kind == RAT, sampled_at=_date_time(entry["sc"]), positive=result == DETECTED
    )


def _recovery(entry: dict[object, object]) -> Recovery:
    return Recovery(
        first_positive=_date(entry, "r", "fr"),
        valid_from=_date(entry, "r", "df"),
        valid_until=_date(entry, "r", "du"),
    )


_ENTRY_PARSERS: dict[str, Callable[[dict[object, object]], Entry]] = {
    "v": _vaccination,
    "t": _test,
    "r": _recovery,
}


def _masked_name(name: object) -> str:
    if not isinstance(name, dict):
        raise CertificateError("nam: expected an object with the holder's name")
    parts = [name.get(key) for key in ("fn", "gn")]
    if not any(parts):
        parts = [name.get(key) for key in ("fnt", "gnt")]
    texts = [part for part in parts if isinstance(part, str) and part]
    if not texts:
        raise CertificateError("nam: expected a family name (fn/fnt) or a given name (gn/gnt)")
    return mask_name(" ".join(texts))


def _text(where: dict[object, object], key: str, form: re.Pattern[str], want: str) -> None:
    value = where.get(key)
    if not isinstance(value, str) or not form.fullmatch(value):
        raise CertificateError(f"{key}: expected {want}")


def _positive(entry: dict[object, object], key: str) -> int:
    value = entry[key]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CertificateError(f"v[0].{key}: expected a positive whole number")
    return value


def _date(entry: dict[object, object], group: str, key: str) -> date:
    value = entry[key]
    match = _DATE.fullmatch(value) if isinstance(value, str) else None
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            pass
    raise CertificateError(f"{group}[0].{key}: expected a date YYYY-MM-DD")


def _date_time(value: object) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise CertificateError("t[0].sc: expected a date-time with offset") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise CertificateError("t[0].sc: expected a date-time with offset")
    return value.astimezone(UTC)
