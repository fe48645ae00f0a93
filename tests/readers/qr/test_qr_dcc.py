"""Verifying HC1 certificates signed here: signature, window, rules and verdict together."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cbor2
from hypothesis import given
from hypothesis import strategies as st
from qrkit import (
    MadeSigner,
    claims,
    hc1_text,
    lab_test,
    make_signer,
    recovery_cert,
    sign_cose,
    signed_hc1,
    vaccination_cert,
)

from readers.qr import TrustList, VerifyContext
from readers.qr.dcc import verify_hc1
from readers.qr.reasons import Reason

NOW = datetime(2021, 6, 1, 12, 0, tzinfo=UTC)
IAT, EXP = NOW - timedelta(days=1), NOW + timedelta(days=30)
SIGNER = make_signer()
TRUST = TrustList.of([SIGNER.der])


def _verify(text: str, trust: TrustList = TRUST, at: datetime = NOW) -> tuple[object, ...]:
    result = verify_hc1(text, VerifyContext(at=at, trust_list=trust))
    return result.signature, result.expired, result.kind, result.verdict, result.reasons


def _vaccinated(signer: MadeSigner = SIGNER, **kwargs: object) -> str:
    return signed_hc1(signer, vaccination_cert(given_on="2021-03-01"), iat=IAT, exp=EXP, **kwargs)  # type: ignore[arg-type]


def test_a_valid_certificate_passes_with_its_masked_name() -> None:
    result = verify_hc1(_vaccinated(), VerifyContext(at=NOW, trust_list=TRUST))
    assert result.to_json() == {
        "format": "hc1",
        "signature": "valid",
        "expired": False,
        "kind": "vaccination",
        "verdict": "PASS",
        "reasons": ["CERT_VALID"],
    }
    assert result.masked_name == "M********* G*******"


def test_rsa_pss_signers_pass_too() -> None:
    rsa_signer = make_signer(rsa_key=True)
    trust = TrustList.of([rsa_signer.der])
    assert _verify(_vaccinated(rsa_signer), trust)[0] == "valid"


def test_a_forged_signature_is_denied() -> None:
    assert _verify(_vaccinated(tamper=True)) == (
        "invalid", False, "vaccination", "DENY", (Reason.CERT_INVALID_SIGNATURE,),
    )  # fmt: skip


def test_an_unknown_signer_is_for_staff_to_look_at() -> None:
    assert _verify(_vaccinated(), TrustList()) == (
        "unknown_key", False, "vaccination", "CHECK", (Reason.CERT_UNKNOWN_KEY,),
    )  # fmt: skip


def test_expiry_is_reported_whatever_the_signature() -> None:
    late = EXP + timedelta(seconds=1)
    assert _verify(_vaccinated(), at=late)[1:] == (
        True, "vaccination", "CHECK", (Reason.CERT_EXPIRED,),
    )  # fmt: skip
    assert _verify(_vaccinated(tamper=True), at=late) == (
        "invalid", True, "vaccination", "DENY",
        (Reason.CERT_INVALID_SIGNATURE, Reason.CERT_EXPIRED),
    )  # fmt: skip
    early = IAT - timedelta(seconds=1)
    assert _verify(_vaccinated(), at=early)[1] is True
    assert Reason.CERT_NOT_YET_VALID in _verify(_vaccinated(), at=early)[4]  # type: ignore[operator]


def test_a_signer_without_the_usage_is_a_reason_not_a_bad_signature() -> None:
    tests_only = make_signer(usages=("test",))
    text = _vaccinated(tests_only)
    assert _verify(text, TrustList.of([tests_only.der])) == (
        "valid", False, "vaccination", "CHECK", (Reason.CERT_KEY_USAGE,),
    )  # fmt: skip


def test_content_rules_give_their_reasons() -> None:
    positive = signed_hc1(SIGNER, lab_test("2021-06-01T08:00:00Z", positive=True), iat=IAT, exp=EXP)
    assert _verify(positive)[3:] == ("CHECK", (Reason.CERT_TEST_POSITIVE,))
    old_test = signed_hc1(SIGNER, lab_test("2021-05-20T08:00:00Z"), iat=IAT, exp=EXP)
    assert _verify(old_test)[3:] == ("CHECK", (Reason.CERT_TEST_TOO_OLD,))
    half = signed_hc1(SIGNER, vaccination_cert(dose=1, doses=2), iat=IAT, exp=EXP)
    assert _verify(half)[3:] == ("CHECK", (Reason.CERT_VACCINATION_INCOMPLETE,))
    gone = signed_hc1(
        SIGNER, recovery_cert("2020-01-01", "2020-01-11", "2020-06-29"), iat=IAT, exp=EXP
    )
    assert _verify(gone)[2:] == ("recovery", "CHECK", (Reason.CERT_RECOVERY_OUT_OF_RANGE,))


def test_a_signed_but_malformed_certificate_keeps_its_signature_state() -> None:
    broken = signed_hc1(SIGNER, {"ver": "1.3.0", "nam": {}}, iat=IAT, exp=EXP)
    assert _verify(broken) == ("valid", False, None, "CHECK", (Reason.CERT_MALFORMED,))
    no_window = hc1_text(sign_cose(SIGNER, b"\xa1\x01\x62AT"))
    assert _verify(no_window) == ("valid", False, None, "CHECK", (Reason.CERT_MALFORMED,))


def test_undecodable_payloads_are_malformed_and_never_pass() -> None:
    for text in ("HC1:", "HC1:NCF", "HC1:6BF+*", hc1_text(b"\x01\x02")):
        assert _verify(text) == ("invalid", False, None, "CHECK", (Reason.CERT_MALFORMED,))


def test_claims_made_for_another_key_order_still_verify() -> None:
    payload = claims(vaccination_cert(given_on="2021-03-01"), iat=IAT, exp=EXP)
    text = hc1_text(sign_cose(SIGNER, payload, tag=None))
    assert _verify(text)[3] == "PASS"


@given(st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_payload_gives_a_result_never_an_exception(data: bytes) -> None:
    for text in (hc1_text(data), "HC1:" + data.decode("latin-1")):
        result = verify_hc1(text, VerifyContext(at=NOW, trust_list=TRUST))
        assert result.verdict in ("CHECK", "DENY") and result.format == "hc1"


_leaves = st.none() | st.booleans() | st.integers() | st.text(max_size=12) | st.binary(max_size=8)
_values = st.recursive(
    _leaves,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["v", "t", "r", "nam", "dob", "ver", "dn", "sc"]), inner)
    ),
    max_leaves=15,
)
_window = {4: st.integers(-(2**40), 2**40), 6: st.integers(-(2**40), 2**40)}
_claims = st.fixed_dictionaries({**_window, -260: st.fixed_dictionaries({1: _values})}) | _values


@given(_claims)
def test_any_signed_claims_give_a_result_never_an_exception(claims_object: object) -> None:
    text = hc1_text(sign_cose(SIGNER, cbor2.dumps(claims_object)))
    result = verify_hc1(text, VerifyContext(at=NOW, trust_list=TRUST))
    assert result.signature == "valid" and result.verdict in ("PASS", "CHECK")
