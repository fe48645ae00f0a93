"""kiosk/screen.py: results return to idle by themselves; every open page gets each change."""

from __future__ import annotations

import asyncio

from kiosk.screen import IDLE, READING, ReaderState, Screen, ScreenState

PASS = ScreenState(
    state="result", verdict="PASS", reasons=["CODE_GREEN"], name="张*", source="online"
)


async def test_result_goes_back_to_idle_by_itself() -> None:
    screen = Screen()
    screen.show(PASS, idle_after_s=0.05)
    assert screen.current == PASS
    await asyncio.sleep(0.2)
    assert screen.current == IDLE


async def test_a_new_card_cancels_the_old_timer() -> None:
    screen = Screen()
    screen.show(PASS, idle_after_s=0.05)
    screen.show(READING)
    await asyncio.sleep(0.2)
    assert screen.current == READING


async def test_subscribers_get_current_state_then_changes() -> None:
    screen = Screen()
    updates = screen.updates()
    assert await anext(updates) == ReaderState(ok=True)
    assert await anext(updates) == IDLE
    screen.set_reader_ok(False)
    screen.show(PASS)
    assert await anext(updates) == ReaderState(ok=False)
    assert await anext(updates) == PASS
    await updates.aclose()


def test_api_screen_shape_is_exactly_the_contract() -> None:
    assert IDLE.model_dump() == {
        "state": "idle",
        "verdict": None,
        "reasons": [],
        "name": None,
        "source": None,
        "data_age_s": None,
    }


async def test_removal_restarts_the_timer_without_repainting() -> None:
    screen = Screen()
    screen.show(PASS, idle_after_s=30)
    updates = screen.updates()
    await anext(updates), await anext(updates)
    screen.idle_after(0.05)
    assert await asyncio.wait_for(anext(updates), 1) == IDLE
    await updates.aclose()
