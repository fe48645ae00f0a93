"""A verification's inputs: the trusted time must carry its zone, the defaults know no key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from readers.qr import CertPolicy, VerifyContext


def test_defaults_are_an_empty_trust_list_no_card_key_and_the_default_policy() -> None:
    context = VerifyContext(at=datetime(2021, 6, 1, tzinfo=UTC))
    assert len(context.trust_list) == 0
    assert context.public_key is None
    assert context.policy == CertPolicy()


def test_a_time_without_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        VerifyContext(at=datetime(2021, 6, 1))


def test_the_card_key_is_not_in_the_repr() -> None:
    context = VerifyContext(at=datetime(2021, 6, 1, tzinfo=UTC), public_key=b"-----BEGIN KEY")
    assert "BEGIN" not in repr(context)
