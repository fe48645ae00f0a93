"""Capped exponential back-off for loops that never give up (reopen a reader, a camera, a task).

tenacity's ``Retrying`` owns a whole retry loop and cannot be told "that worked, start again
from the first delay" while it runs, which is what a device that comes back and vanishes later
needs. So the loops keep their shape and take each delay from tenacity's ``wait_exponential``;
only the attempt count lives here.
"""

from __future__ import annotations

from tenacity import RetryCallState, Retrying, wait_exponential


class Backoff:
    """Delays of ``initial * factor**n`` seconds, never above ``cap``; ``reset`` after a success."""

    def __init__(self, initial: float = 0.1, cap: float = 5.0, factor: float = 2.0) -> None:
        self._wait = wait_exponential(multiplier=initial, max=cap, exp_base=factor)
        self._state = RetryCallState(Retrying(), None, (), {})

    def next(self) -> float:
        """The delay before the next attempt (each call is one more attempt)."""
        delay = self._wait(self._state)
        self._state.attempt_number += 1
        return delay

    def reset(self) -> None:
        self._state.attempt_number = 1
