"""GB 11643 numbers and subjects."""

from __future__ import annotations

import hashlib
import hmac
import random

from verifier.idnumber import check_digit, id_number_problem, synthetic_id_number
from verifier.subjects import is_subject, subject_of


def test_check_digit_known_numbers() -> None:
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"
    assert id_number_problem("11010519491231002X") is None
    assert id_number_problem("110105194912310021") == "check digit does not match (GB 11643)"


def test_shapes_are_explained_without_echo() -> None:
    for bad in ("12345", "1101051949123100２X", "ABC11010519491231"):
        problem = id_number_problem(bad)
        assert problem is not None and bad not in problem
    assert id_number_problem("USA330119720101") is None


def test_synthetic_numbers_are_valid() -> None:
    rng = random.Random(3)
    assert all(id_number_problem(synthetic_id_number(rng)) is None for _ in range(2000))


def test_subject_is_hmac_of_the_upper_case_number() -> None:
    pepper = b"k" * 32
    subject = subject_of(pepper, "11010519491231002x")
    assert subject == subject_of(pepper, "11010519491231002X") and is_subject(subject)
    expected = hmac.new(pepper, b"11010519491231002X", hashlib.sha256).hexdigest()
    assert subject == expected
    assert subject != subject_of(b"j" * 32, "11010519491231002X")
