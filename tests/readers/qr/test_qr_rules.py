"""Content rules under the default policy and a site's own thresholds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from readers.qr.certificate import LabTest, Recovery, Vaccination
from readers.qr.reasons import Reason
from readers.qr.rules import CertPolicy, rule_reasons

SAMPLED = datetime(2021, 5, 1, 8, 0, tzinfo=UTC)
DEFAULT = CertPolicy()


@pytest.mark.parametrize(
    ("rapid", "hours", "reasons"),
    [
        (False, 72, []),
        (False, 72.01, [Reason.CERT_TEST_TOO_OLD]),
        (True, 48, []),
        (True, 48.01, [Reason.CERT_TEST_TOO_OLD]),
        (False, -1, [Reason.CERT_NOT_YET_VALID]),
    ],
)
def test_test_age_limits_for_pcr_and_rapid_tests(
    rapid: bool, hours: float, reasons: list[Reason]
) -> None:
    entry = LabTest(rapid=rapid, sampled_at=SAMPLED, positive=False)
    assert rule_reasons(entry, SAMPLED + timedelta(hours=hours), DEFAULT) == reasons


def test_a_positive_test_says_so_and_can_also_be_too_old() -> None:
    entry = LabTest(rapid=False, sampled_at=SAMPLED, positive=True)
    assert rule_reasons(entry, SAMPLED, DEFAULT) == [Reason.CERT_TEST_POSITIVE]
    late = SAMPLED + timedelta(days=5)
    assert rule_reasons(entry, late, DEFAULT) == [
        Reason.CERT_TEST_POSITIVE,
        Reason.CERT_TEST_TOO_OLD,
    ]


def test_a_site_policy_changes_the_thresholds() -> None:
    strict = CertPolicy(max_naat_test_age_hours=24)
    entry = LabTest(rapid=False, sampled_at=SAMPLED, positive=False)
    assert rule_reasons(entry, SAMPLED + timedelta(hours=30), strict) == [Reason.CERT_TEST_TOO_OLD]
    assert rule_reasons(entry, SAMPLED + timedelta(hours=30), DEFAULT) == []


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("dose", "doses", "days_after", "reasons"),
    [
        (1, 2, 100, [Reason.CERT_VACCINATION_INCOMPLETE]),
        (2, 2, 13, [Reason.CERT_NOT_YET_VALID]),
        (2, 2, 14, []),
        (1, 1, 13, [Reason.CERT_NOT_YET_VALID]),
        (3, 3, 0, []),
        (2, 1, 0, []),
    ],
)
def test_vaccination_complete_and_waited(
    dose: int, doses: int, days_after: int, reasons: list
) -> None:
    given = date(2021, 3, 1)
    entry = Vaccination(dose=dose, doses=doses, given_on=given)
    assert rule_reasons(entry, _at(given + timedelta(days=days_after)), DEFAULT) == reasons


@pytest.mark.parametrize(
    ("day", "reasons"),
    [
        (date(2021, 1, 19), [Reason.CERT_RECOVERY_OUT_OF_RANGE]),
        (date(2021, 1, 20), []),
        (date(2021, 7, 9), []),
        (date(2021, 7, 10), [Reason.CERT_RECOVERY_OUT_OF_RANGE]),
    ],
)
def test_recovery_between_its_dates(day: date, reasons: list[Reason]) -> None:
    entry = Recovery(
        date(2021, 1, 10), valid_from=date(2021, 1, 20), valid_until=date(2021, 12, 31)
    )
    assert rule_reasons(entry, _at(day), DEFAULT) == reasons


def test_recovery_certificate_dates_bound_it_too() -> None:
    entry = Recovery(date(2021, 1, 10), valid_from=date(2021, 1, 20), valid_until=date(2021, 3, 1))
    assert rule_reasons(entry, _at(date(2021, 3, 2)), DEFAULT) == [
        Reason.CERT_RECOVERY_OUT_OF_RANGE
    ]


def test_the_policy_is_frozen() -> None:
    with pytest.raises(AttributeError):
        DEFAULT.max_rat_test_age_hours = 1  # type: ignore[misc]
