"""Content rules for health certificates: a site's thresholds and the reasons they give.

The defaults follow the EU's common acceptance rules for travel (Council Recommendation
(EU) 2022/107): a PCR (NAAT) test counts for 72 hours, a rapid antigen test for 48, a complete
primary vaccination from 14 days after the last dose (a booster at once), a recovery for
180 days after the first positive test and within the dates the certificate states.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from readers.qr.certificate import Entry, LabTest, Recovery, Vaccination
from readers.qr.reasons import Reason

PRIMARY_SERIES_MAX_DOSES = 2


@dataclass(frozen=True)
class CertPolicy:
    """Thresholds a site applies to a certificate's content."""

    max_naat_test_age_hours: int = 72
    max_rat_test_age_hours: int = 48
    vaccination_wait_days: int = 14
    max_recovery_days: int = 180


def rule_reasons(entry: Entry, at: datetime, policy: CertPolicy) -> list[Reason]:
    """The reasons ``entry`` fails the policy at ``at`` (empty when it passes)."""
    if isinstance(entry, Vaccination):
        return _vaccination(entry, at, policy)
    if isinstance(entry, LabTest):
        return _test(entry, at, policy)
    return _recovery(entry, at, policy)


def _vaccination(entry: Vaccination, at: datetime, policy: CertPolicy) -> list[Reason]:
    if entry.dose < entry.doses:
        return [Reason.CERT_VACCINATION_INCOMPLETE]
    booster = entry.dose > entry.doses or entry.dose > PRIMARY_SERIES_MAX_DOSES
    wait = timedelta(days=0 if booster else policy.vaccination_wait_days)
    if _day(at) < entry.given_on + wait:
        return [Reason.CERT_NOT_YET_VALID]
    return []


def _test(entry: LabTest, at: datetime, policy: CertPolicy) -> list[Reason]:
    reasons = [Reason.CERT_TEST_POSITIVE] if entry.positive else []
    hours = policy.max_rat_test_age_hours if entry.rapid else policy.max_naat_test_age_hours
    if at < entry.sampled_at:
        reasons.append(Reason.CERT_NOT_YET_VALID)
    elif at - entry.sampled_at > timedelta(hours=hours):
        reasons.append(Reason.CERT_TEST_TOO_OLD)
    return reasons


def _recovery(entry: Recovery, at: datetime, policy: CertPolicy) -> list[Reason]:
    day = _day(at)
    latest = min(entry.valid_until, entry.first_positive + timedelta(days=policy.max_recovery_days))
    if day < entry.valid_from or day > latest:
        return [Reason.CERT_RECOVERY_OUT_OF_RANGE]
    return []


def _day(at: datetime) -> date:
    return at.astimezone(UTC).date()
