"""Reason codes a QR verification gives; docs/qr.md says what each means to staff."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why a code got its verdict; several may apply at once."""

    CERT_VALID = "CERT_VALID"
    CERT_EXPIRED = "CERT_EXPIRED"
    CERT_NOT_YET_VALID = "CERT_NOT_YET_VALID"
    CERT_INVALID_SIGNATURE = "CERT_INVALID_SIGNATURE"
    CERT_UNKNOWN_KEY = "CERT_UNKNOWN_KEY"
    CERT_KEY_USAGE = "CERT_KEY_USAGE"
    CERT_TEST_TOO_OLD = "CERT_TEST_TOO_OLD"
    CERT_TEST_POSITIVE = "CERT_TEST_POSITIVE"
    CERT_VACCINATION_INCOMPLETE = "CERT_VACCINATION_INCOMPLETE"
    CERT_RECOVERY_OUT_OF_RANGE = "CERT_RECOVERY_OUT_OF_RANGE"
    CERT_MALFORMED = "CERT_MALFORMED"
    QR_UNKNOWN_KEY = "QR_UNKNOWN_KEY"
