"""Policy profiles and the verdict function (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from verifier.checks import CardSeen, PersonSeen, evaluate
from verifier.policy import PolicyError, load_profiles
from verifier.store.people import CardRecord, CodeRecord, Facts, Visit

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
PROFILES = load_profiles()
CARD = CardSeen(date(2020, 1, 1), None, True)


def code(color: str, nat_hours: float | None = 1) -> CodeRecord:
    nat = None if nat_hours is None else NOW - timedelta(hours=nat_hours)
    return CodeRecord(color, "", NOW - timedelta(hours=1), nat, 2)


def visit(days_ago: int, risk: str) -> Visit:
    return Visit("440106", "天河", (NOW - timedelta(days=days_ago)).date(), risk, NOW)


def verdict(facts: Facts, profile: str = "default", **kw: object) -> tuple[str, list[str]]:
    result = evaluate(
        facts,
        PROFILES[profile],
        now=NOW,
        card=kw.get("card", CARD),  # type: ignore[arg-type]
        person=kw.get("person"),
    )  # type: ignore[arg-type]
    return result[0], result[1]


@pytest.mark.parametrize(
    ("facts", "expected"),
    [
        (Facts(code("green"), None), ("PASS", ["CODE_GREEN", "CARD_VALID"])),
        (Facts(code("red"), None), ("DENY", ["CODE_RED"])),
        (Facts(code("yellow"), None), ("CHECK", ["CODE_YELLOW"])),
        (Facts(None, None), ("CHECK", ["CODE_NO_RECORD"])),
        (Facts(code("green"), CardRecord("revoked", NOW)), ("CHECK", ["CARD_REPORTED_LOST"])),
        (Facts(code("green"), CardRecord("ok", NOW)), ("PASS", ["CODE_GREEN", "CARD_VALID"])),
        (Facts(code("green"), None, [visit(3, "medium")], True), ("CHECK", ["TRAVEL_RISK_AREA"])),
        (
            Facts(code("green"), None, [visit(3, "low")], True),
            ("PASS", ["CODE_GREEN", "CARD_VALID", "TRAVEL_CLEAR"]),
        ),
        (
            Facts(code("red"), CardRecord("lost", NOW), [visit(1, "high")], True),
            ("DENY", ["CODE_RED", "CARD_REPORTED_LOST", "TRAVEL_RISK_AREA"]),
        ),
    ],
)
def test_default_profile(facts: Facts, expected: tuple[str, list[str]]) -> None:
    assert verdict(facts) == expected


def test_card_dates_and_check_digit() -> None:
    expired = CardSeen(date(2010, 1, 1), date(2026, 11, 27), True)
    assert verdict(Facts(code("green"), None), card=expired) == ("CHECK", ["CARD_EXPIRED"])
    future = CardSeen(date(2026, 12, 1), None, False)
    assert verdict(Facts(code("green"), None), card=future) == (
        "CHECK",
        ["CARD_BAD_ID_NUMBER", "CARD_NOT_YET_VALID"],
    )
    assert verdict(Facts(code("green"), None), card=None)[0] == "PASS"


def test_site_profiles_differ() -> None:
    stale = Facts(code("green", nat_hours=72), None)
    assert verdict(stale) == ("PASS", ["CODE_GREEN", "CARD_VALID"])
    assert verdict(stale, "hospital") == ("CHECK", ["CODE_NAT_STALE"])
    assert verdict(Facts(code("green", nat_hours=None), None), "hospital")[0] == "CHECK"
    assert verdict(Facts(code("yellow"), None), "metro") == ("DENY", ["CODE_YELLOW"])
    old_trip = Facts(code("green"), None, [visit(10, "high")], True)
    assert verdict(old_trip, "metro")[0] == "PASS"
    assert verdict(old_trip, "hospital")[0] == "DENY"


def test_face_result_from_the_kiosk() -> None:
    mismatch = PersonSeen("fail", ["FACE_MISMATCH"])
    assert verdict(Facts(code("green"), None), person=mismatch) == ("CHECK", ["FACE_MISMATCH"])
    match = PersonSeen("ok", ["FACE_MATCH"])
    assert verdict(Facts(code("green"), None), person=match) == (
        "PASS",
        ["CODE_GREEN", "CARD_VALID", "FACE_MATCH"],
    )


def test_deployment_profiles_override_and_inherit(tmp_path: Path) -> None:
    (tmp_path / "clinic.toml").write_text('[verdicts]\nCODE_NO_RECORD = "DENY"\n')
    profiles = load_profiles(tmp_path)
    assert profiles["clinic"].verdict_of("CODE_NO_RECORD") == "DENY"
    assert profiles["clinic"].verdict_of("CODE_RED") == "DENY"
    assert profiles["clinic"].verdict_of("CODE_YELLOW") == "CHECK"
    (tmp_path / "bad.toml").write_text('[verdicts]\nCODE_PURPLE = "DENY"\n')
    with pytest.raises(PolicyError, match=r"bad.toml: verdicts.CODE_PURPLE: not a reason code"):
        load_profiles(tmp_path)
    (tmp_path / "bad.toml").write_text('[travel]\nhigh = "MAYBE"\n')
    with pytest.raises(PolicyError, match=r"bad.toml: travel.high"):
        load_profiles(tmp_path)
