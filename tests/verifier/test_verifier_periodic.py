"""verifier/periodic.py: a job now, then again every interval, stepped without real waiting."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from verifier.periodic import every


class Stop(Exception):
    """Ends a loop under test from its sleep, as cancelling its task would."""


def stepper(log: list[object], sleeps: int) -> Callable[[float], Awaitable[None]]:
    """A ``sleep`` that records each wait and stops the loop at the ``sleeps``-th one."""

    async def sleep(seconds: float) -> None:
        log.append(seconds)
        if log.count(seconds) >= sleeps:
            raise Stop

    return sleep


async def test_the_job_runs_now_then_after_each_interval() -> None:
    log: list[object] = []

    async def job() -> None:
        log.append("run")

    with pytest.raises(Stop):
        await every(3600.0, job, sleep=stepper(log, sleeps=3))
    assert log == ["run", 3600.0, "run", 3600.0, "run", 3600.0]


async def test_what_the_job_raises_ends_the_loop() -> None:
    log: list[object] = []

    async def job() -> None:
        log.append("run")
        if log.count("run") == 2:
            raise ValueError("broken")

    with pytest.raises(ValueError, match="broken"):
        await every(5.0, job, sleep=stepper(log, sleeps=10))
    assert log == ["run", 5.0, "run"]
