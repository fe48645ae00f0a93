"""``yzt demo`` as staff see it, then with its verifier stopped. Real demo process, real headless
Chromium.

First, while the verifier runs: the staff console URL and token the demo printed sign in, and
``/fleet`` lists the demo kiosk online from its heartbeats. Then the verifier is killed: taps are
decided from the signed risk list the demo published and the kiosk synced — the demo made the keys
and pinned the public one itself — and the screen's offline badge says how old that data is.

Cards here are tapped only after the verifier is gone, so no cached online answer exists for
them: every verdict comes from the risk list.
"""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from demotools import Demo, running_demo
from playwright.sync_api import Browser, Page

from kiosk.texts import REASON_TEXTS, VERDICT_WORDS

pytestmark = pytest.mark.browser
SHOWN_TIMEOUT_MS = 5000
SYNC_TIMEOUT_S = 30
HEARTBEAT_TIMEOUT_S = 45  # the kiosk sends one on start and every 30 s

# Default [offline] policy (docs/offline.md): flags map to these; anyone unlisted passes.
OFFLINE: dict[str, tuple[str, str | None]] = {
    "red": ("DENY", "CODE_RED"),
    "yellow": ("CHECK", "CODE_YELLOW"),
    "lost": ("CHECK", "CARD_REPORTED_LOST"),
    "travel": ("CHECK", "TRAVEL_RISK_AREA"),
    "green": ("PASS", None),
}


class OfflineDemo:
    def __init__(self, demo: Demo, synced_age_s: float) -> None:
        self.demo = demo
        self.synced_age_s = synced_age_s


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("demo-offline"), people=50) as demo:
        yield demo


def test_staff_console_lists_the_demo_kiosk_online(
    demo: Demo, browser: Browser, artifacts_dir: Path
) -> None:
    """Defined first so it runs while the verifier is up (pytest keeps the file's order)."""
    console = re.search(r"staff console\s+(http://\S+/fleet)", demo.printed)
    token = re.search(r"staff token (\S+), kept in (\S+)\)", demo.printed)
    assert console is not None and token is not None, demo.printed
    assert Path(token[2]).stat().st_mode & 0o777 == 0o600
    page = browser.new_page(viewport={"width": 1400, "height": 700}, locale="zh-CN")
    page.goto(console[1])
    page.fill("#token", token[1])  # /fleet sent the browser to the sign-in form
    page.click("button[type=submit]")
    row = page.locator("tr[data-kiosk=demo-lane-1]")
    end = time.monotonic() + HEARTBEAT_TIMEOUT_S
    while row.count() == 0 or row.get_attribute("data-state") != "online":
        assert time.monotonic() < end, (
            f"/fleet never showed the kiosk online:\n{page.inner_text('body')}"
        )
        time.sleep(1)
        page.reload()
    assert page.url == console[1]
    assert row.get_attribute("data-site") == "demo-hospital"
    page.screenshot(path=artifacts_dir / "demo-staff-fleet.png")
    page.close()


@pytest.fixture(scope="module")
def offline_demo(demo: Demo) -> OfflineDemo:
    end = time.monotonic() + SYNC_TIMEOUT_S
    while (risklist := demo.status()["risklist"])["version"] is None:
        assert time.monotonic() < end, f"the demo kiosk never synced: {risklist}"
        time.sleep(0.2)
    assert risklist["entries"] >= 4 and risklist["fresh"]
    os.kill(demo.verifier_pid(), signal.SIGKILL)
    while verifier_answers(demo):
        assert time.monotonic() < end, "the killed verifier still answers"
        time.sleep(0.05)
    return OfflineDemo(demo, risklist["age_s"])


def verifier_answers(demo: Demo) -> bool:
    try:
        httpx.get(f"{demo.verifier_url}/healthz", timeout=1)
    except httpx.TransportError:
        return False
    return True


@pytest.fixture(scope="module")
def page(offline_demo: OfflineDemo, browser: Browser) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(offline_demo.demo.url)
    page.wait_for_selector("body[data-state=idle] #idle-zh")
    yield page
    page.close()


@pytest.mark.parametrize("card", list(OFFLINE))
def test_offline_tap_is_decided_from_the_risk_list(
    page: Page, offline_demo: OfflineDemo, card: str, artifacts_dir: Path
) -> None:
    demo = offline_demo.demo
    verdict, reason = OFFLINE[card]
    demo.tap(card)
    page.wait_for_selector(
        f"body[data-state=result][data-verdict={verdict}] #offline", timeout=SHOWN_TIMEOUT_MS
    )
    screen = demo.screen()
    assert (screen["verdict"], screen["source"]) == (verdict, "risklist")
    if reason is not None:
        assert screen["reasons"][0] == reason
        assert page.inner_text("#reason-zh") == REASON_TEXTS[reason][0]
    assert screen["data_age_s"] >= offline_demo.synced_age_s  # the age of the last sync, growing
    assert page.inner_text("#verdict-zh") == VERDICT_WORDS[verdict][0]
    age = page.evaluate("s => ageWords(s)", screen["data_age_s"])
    badge = f"离线核验（名单） · {age['zh']}\nOffline (risk list) · {age['en']}"
    assert page.inner_text("#offline") == badge
    page.screenshot(path=artifacts_dir / f"kiosk-offline-{card}.png")
    demo.remove()
    page.wait_for_selector("body[data-state=idle]", timeout=SHOWN_TIMEOUT_MS)


@pytest.mark.parametrize(
    ("seconds", "zh", "en"),
    [
        (0, "数据刚刚更新", "data under 1 min old"),
        (59.9, "数据刚刚更新", "data under 1 min old"),
        (125, "数据 2 分钟前", "data 2 min old"),
        (3 * 3600 + 5, "数据 3 小时前", "data 3 h old"),
        (47 * 3600, "数据 47 小时前", "data 47 h old"),
        (3 * 86400 + 7, "数据 3 天前", "data 3 days old"),
    ],
)
def test_badge_says_the_data_age_in_plain_words(
    page: Page, seconds: float, zh: str, en: str
) -> None:
    assert page.evaluate("s => ageWords(s)", seconds) == {"zh": zh, "en": en}


def test_status_shows_the_verifier_down_and_the_list_kept(offline_demo: OfflineDemo) -> None:
    status = offline_demo.demo.status()
    assert status["verifier"]["state"] == "error"
    assert status["risklist"]["version"] is not None and status["risklist"]["fresh"]
