"""A person problem can make the verdict stricter, never laxer; the policy picks how strict."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.face.checker import PersonCheck
from kiosk.face.combine import combine
from kiosk.face.config import PolicyConfig

MATCH = PersonCheck("ok", ("FACE_MATCH",), 0.6)
REVIEW = PersonCheck("warn", ("FACE_REVIEW",), 0.36)
MISMATCH = PersonCheck("fail", ("FACE_MISMATCH",), 0.1)
NO_FACE = PersonCheck("warn", ("FACE_NOT_FOUND",))
UNAVAILABLE = PersonCheck("unknown", ("FACE_UNAVAILABLE",))
SKIPPED = PersonCheck("unknown", ("FACE_SKIPPED",))
STRICT = {"PASS": 0, "CHECK": 1, "DENY": 2}


def test_match_keeps_the_verifiers_verdict_and_reasons() -> None:
    combined = combine("PASS", ["CODE_GREEN"], MATCH, PolicyConfig())
    assert (combined.verdict, combined.reasons) == ("PASS", ("CODE_GREEN",))


def test_mismatch_turns_pass_into_check_with_the_face_reason_first() -> None:
    combined = combine("PASS", ["CODE_GREEN"], MISMATCH, PolicyConfig())
    assert (combined.verdict, combined.reasons) == ("CHECK", ("FACE_MISMATCH", "CODE_GREEN"))


def test_a_site_may_deny_on_mismatch() -> None:
    combined = combine("PASS", ["CODE_GREEN"], MISMATCH, PolicyConfig(on_mismatch="DENY"))
    assert combined.verdict == "DENY"


def test_review_and_no_face_ask_staff_to_look() -> None:
    assert combine("PASS", [], REVIEW, PolicyConfig()).verdict == "CHECK"
    assert combine("PASS", [], NO_FACE, PolicyConfig()).reasons == ("FACE_NOT_FOUND",)


def test_unavailable_follows_policy_and_skipped_changes_nothing() -> None:
    assert combine("PASS", [], UNAVAILABLE, PolicyConfig()).verdict == "CHECK"
    lax = PolicyConfig(on_unavailable="PASS")
    assert combine("PASS", ["CODE_GREEN"], UNAVAILABLE, lax).reasons == ("CODE_GREEN",)
    assert combine("PASS", ["CODE_GREEN"], SKIPPED, PolicyConfig()).verdict == "PASS"


def test_a_deny_stays_deny_and_its_reasons_lead() -> None:
    combined = combine("DENY", ["CODE_RED"], MISMATCH, PolicyConfig(on_mismatch="DENY"))
    assert (combined.verdict, combined.reasons) == ("DENY", ("CODE_RED", "FACE_MISMATCH"))
    assert combine("DENY", ["CODE_RED"], MATCH, PolicyConfig()).verdict == "DENY"


def test_an_unknown_verdict_is_refused() -> None:
    with pytest.raises(ValueError, match="verdict: 'OK' is not one of PASS, CHECK, DENY"):
        combine("OK", [], MATCH, PolicyConfig())


@given(
    verdict=st.sampled_from(["PASS", "CHECK", "DENY"]),
    person=st.sampled_from([MATCH, REVIEW, MISMATCH, NO_FACE, UNAVAILABLE, SKIPPED]),
    on_mismatch=st.sampled_from(["CHECK", "DENY"]),
    on_review=st.sampled_from(["CHECK", "DENY"]),
    on_unavailable=st.sampled_from(["PASS", "CHECK"]),
)
def test_never_laxer_than_the_verifier(
    verdict: str, person: PersonCheck, on_mismatch: str, on_review: str, on_unavailable: str
) -> None:
    policy = PolicyConfig(
        on_mismatch=on_mismatch, on_review=on_review, on_unavailable=on_unavailable
    )
    combined = combine(verdict, ["X"], person, policy)
    assert STRICT[combined.verdict] >= STRICT[verdict]
    assert "X" in combined.reasons
    if person.outcome in ("warn", "fail"):
        assert combined.verdict != "PASS"
