"""Back-off for loops that never give up: doubling, capped, back to the start after a success."""

from __future__ import annotations

from readers.backoff import Backoff


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(initial=0.1, cap=0.5)
    assert [backoff.next() for _ in range(5)] == [0.1, 0.2, 0.4, 0.5, 0.5]
    backoff.reset()
    assert backoff.next() == 0.1


def test_backoff_grows_by_its_factor() -> None:
    backoff = Backoff(initial=1.0, cap=100.0, factor=3.0)
    assert [backoff.next() for _ in range(5)] == [1.0, 3.0, 9.0, 27.0, 81.0]


def test_a_first_delay_above_the_cap_is_the_cap() -> None:
    assert Backoff(initial=5.0, cap=2.0).next() == 2.0


def test_a_long_outage_stays_at_the_cap() -> None:
    backoff = Backoff(initial=0.1, cap=2.0)
    delays = [backoff.next() for _ in range(2000)]
    assert delays[-1] == 2.0
    assert max(delays) == 2.0
