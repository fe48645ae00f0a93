"""The elder's screen after a QR code, in real headless Chromium: a badge says a QR card stood in
for the ID card, and a refused card says what to do, in big type, Chinese and English."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser

from kiosk.screen import Screen, ScreenState
from kiosk.ui.app import create_ui_app

pytestmark = pytest.mark.browser


@contextmanager
def showing(state: ScreenState) -> Iterator[str]:
    """The kiosk page on a loopback port, showing ``state``."""
    screen = Screen()
    screen.show(state)
    app = create_ui_app(screen=screen, status=dict, metrics=bytes)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < end, "the page server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"
    finally:
        server.should_exit = True
        thread.join(10)


def test_a_revoked_card_says_what_to_do(browser: Browser, artifacts_dir: Path) -> None:
    state = ScreenState(
        state="result", verdict="CHECK", reasons=["QR_REVOKED"], source="risklist", data_age_s=60
    )
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    with showing(state) as url:
        page.goto(url)
        page.wait_for_selector("body[data-state=result][data-verdict=CHECK]")
        assert page.inner_text("#identity") == "长者健康码卡 · Elder QR card"
        assert page.inner_text("#reason-zh") == "此卡已停用"
        assert page.inner_text("#advice-zh") == "请出示身份证或找工作人员"
        assert page.inner_text("#advice-en") == "Show your ID card or ask staff"
        size = page.eval_on_selector("#advice-zh", "e => parseFloat(getComputedStyle(e).fontSize)")
        assert size >= 56
        page.screenshot(path=artifacts_dir / "kiosk-qr-revoked.png")
    page.close()


def test_a_card_tap_shows_no_qr_badge_and_no_advice(browser: Browser) -> None:
    state = ScreenState(state="result", verdict="PASS", reasons=["CODE_GREEN"], source="online")
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    with showing(state) as url:
        page.goto(url)
        page.wait_for_selector("body[data-state=result][data-verdict=PASS]")
        assert not page.is_visible("#identity")
        assert page.inner_text("#advice-zh") == ""
    page.close()
