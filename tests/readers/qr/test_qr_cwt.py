"""CWT claims: the validity window is required, and 'expired' covers both of its ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cbor2
import pytest

from readers.qr.cwt import parse_cwt
from readers.qr.errors import CwtError

IAT = datetime(2021, 5, 1, 12, 0, tzinfo=UTC)
EXP = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
HCERT = {"ver": "1.3.0"}


def _claims(**changes: object) -> bytes:
    claims: dict[int, object] = {1: "AT", 4: int(EXP.timestamp()), 6: int(IAT.timestamp())}
    claims[-260] = {1: HCERT}
    for key, value in changes.items():
        number = {"iss": 1, "exp": 4, "iat": 6, "hcert": -260}[key]
        if value is None:
            del claims[number]
        else:
            claims[number] = value
    return cbor2.dumps(claims)


def test_claims_are_read() -> None:
    claims = parse_cwt(_claims())
    assert (claims.issuer, claims.issued_at, claims.expires_at) == ("AT", IAT, EXP)
    assert claims.hcert == HCERT


@pytest.mark.parametrize(
    ("at", "expired"),
    [
        (IAT - timedelta(seconds=1), True),
        (IAT, False),
        (EXP, False),
        (EXP + timedelta(seconds=1), True),
        (datetime(2021, 6, 1, 20, 0, tzinfo=UTC) - timedelta(hours=8), False),
    ],
)
def test_expired_outside_issue_and_expiry(at: datetime, expired: bool) -> None:
    assert parse_cwt(_claims()).expired(at) is expired


def test_before_issue_is_also_not_yet_valid() -> None:
    claims = parse_cwt(_claims())
    assert claims.not_yet_valid(IAT - timedelta(seconds=1))
    assert not claims.not_yet_valid(EXP + timedelta(days=1))


def test_the_certificate_is_not_in_the_repr() -> None:
    assert "1.3.0" not in repr(parse_cwt(_claims()))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"exp": None}, r"claim 4 \(exp\) is missing: expected seconds since 1970"),
        ({"iat": "2021-05-01"}, r"claim 6 \(iat\) is not a number"),
        ({"iat": True}, r"claim 6 \(iat\) is not a number"),
        ({"exp": 10**20}, r"claim 4 \(exp\) = 100000000000000000000 is not a representable time"),
        ({"iss": 7}, r"claim 1 \(iss\) is not text"),
        ({"hcert": None}, r"claim -260 \(hcert\) is missing or not a map"),
        ({"hcert": {2: {}}}, r"claim -260 \(hcert\) has no key 1"),
    ],
)
def test_bad_claims_name_the_claim(changes: dict[str, object], message: str) -> None:
    with pytest.raises(CwtError, match=message) as caught:
        parse_cwt(_claims(**changes))
    assert str(caught.value).startswith("cwt: ")


@pytest.mark.parametrize("payload", [cbor2.dumps([1, 2]), b"\xff", b""])
def test_a_payload_that_is_not_a_claims_map(payload: bytes) -> None:
    with pytest.raises(CwtError, match="COSE payload"):
        parse_cwt(payload)
