"""``yzt demo`` end to end in real headless Chromium: simulator → kiosk → real verifier → screen.

One demo (verifier subprocess with a seeded SQLite store, SAM simulator, kiosk) serves the
whole module; every demo card is tapped and the page is checked as an elder would see it.
Screenshots go to the artifacts dir.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from demotools import Demo, running_demo
from playwright.sync_api import Browser, Page

from kiosk.demo.run import yzt_command
from kiosk.texts import REASON_TEXTS, VERDICT_WORDS

pytestmark = pytest.mark.browser
SHOWN_TIMEOUT_MS = 5000

# Under the verifier's shipped default policy (verifier/policies/default.toml).
EXPECTED: dict[str, tuple[str, str, str]] = {
    "green": ("PASS", "CODE_GREEN", "resident"),
    "yellow": ("CHECK", "CODE_YELLOW", "resident"),
    "red": ("DENY", "CODE_RED", "resident"),
    "no-record": ("CHECK", "CODE_NO_RECORD", "resident"),
    "expired": ("CHECK", "CARD_EXPIRED", "resident"),
    "lost": ("CHECK", "CARD_REPORTED_LOST", "resident"),
    "travel": ("CHECK", "TRAVEL_RISK_AREA", "resident"),
    "foreigner-2017": ("PASS", "CODE_GREEN", "foreign_permanent"),
    "foreigner-2023": ("PASS", "CODE_GREEN", "foreign_permanent_2023"),
    "hkmt": ("PASS", "CODE_GREEN", "hkmt_residence"),
    "elder": ("PASS", "CODE_GREEN", "resident"),
}
SHAPES = {"PASS": "✓", "CHECK": "!", "DENY": "✕"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("demo"), people=300) as demo:
        yield demo


@pytest.fixture(scope="module")
def page(browser: Browser, demo: Demo) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(demo.url)
    page.wait_for_selector("body[data-state=idle] #idle-zh")
    yield page
    page.close()


def wait_idle(page: Page) -> None:
    page.wait_for_selector("body[data-state=idle]", timeout=SHOWN_TIMEOUT_MS)


def test_idle_screen_shows_where_to_put_the_card(page: Page, artifacts_dir: Path) -> None:
    assert page.inner_text("#idle-zh") == "请将身份证放在读卡区"
    assert page.is_visible("#idle-picture")
    assert page.get_attribute("#idle-picture", "role") == "img"
    assert font_px(page, "#idle-zh") >= 64
    assert contrast(page, "#idle-zh") >= 7
    page.screenshot(path=artifacts_dir / "kiosk-idle.png")


@pytest.mark.parametrize("card", list(EXPECTED))
def test_every_demo_card_end_to_end(page: Page, demo: Demo, card: str, artifacts_dir: Path) -> None:
    verdict, reason, _card_type = EXPECTED[card]
    demo.tap(card)
    page.wait_for_selector(
        f"body[data-state=result][data-verdict={verdict}]", timeout=SHOWN_TIMEOUT_MS
    )
    screen = demo.screen()
    assert screen["verdict"] == verdict
    assert reason in screen["reasons"]
    assert screen["source"] == "online"
    assert page.inner_text("#icon") == SHAPES[verdict]
    assert page.inner_text("#verdict-zh") == VERDICT_WORDS[verdict][0]
    assert page.inner_text("#verdict-en") == VERDICT_WORDS[verdict][1]
    assert page.inner_text("#reason-zh") == REASON_TEXTS[screen["reasons"][0]][0]
    name = page.inner_text("#name")
    assert name == screen["name"] and "*" in name
    assert not page.is_visible("#offline")
    assert font_px(page, "#verdict-zh") >= 64
    assert contrast(page, "#verdict-zh") >= 7
    assert contrast(page, "#icon") >= 7
    assert contrast(page, "#reason-zh") >= 7
    page.screenshot(path=artifacts_dir / f"kiosk-{card}.png")
    demo.remove()
    wait_idle(page)


def test_status_page_counts_the_taps(browser: Browser, demo: Demo, artifacts_dir: Path) -> None:
    status = demo.http.get("/api/status").json()
    counts = status["counts_today"]
    assert counts["total"] >= len(EXPECTED)
    assert counts["elder"] >= 1 and counts["DENY"] >= 1
    assert status["reader"]["state"] == "ok"
    assert status["verifier"]["state"] == "ok"
    page = browser.new_page()
    page.goto(f"{demo.url}status")
    page.wait_for_selector("#counts:has-text('total')")
    assert f"total {counts['total']}" in page.inner_text("#counts")
    taps = status["recent"]
    assert len(taps) == min(counts["total"], 20)
    rows = page.locator("#recent tbody tr")
    assert rows.count() == len(taps)
    newest = rows.first.locator("td").all_inner_texts()
    shown = [taps[0]["verdict"], taps[0]["name"] or "—", ", ".join(taps[0]["reasons"]) or "—"]
    assert newest[1:] == shown
    page.screenshot(path=artifacts_dir / "kiosk-status.png", full_page=True)
    page.close()

    printed = subprocess.run(
        [*yzt_command(), "kiosk", "status", "--url", demo.url],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert printed.returncode == 0, printed.stderr
    assert "demo-lane-1" in printed.stdout and f"total {counts['total']}" in printed.stdout


def test_events_and_heartbeats_reach_the_real_verifier(demo: Demo) -> None:
    end = time.monotonic() + 15
    while (outbox := demo.http.get("/api/status").json()["outbox"])["pending"]:
        assert time.monotonic() < end, f"outbox not drained: {outbox}"
        time.sleep(0.2)
    assert outbox["rejected"] == 0
    token = (demo.data / "verifier" / "admin-token").read_text().strip()
    verifier = demo.verifier_url
    headers = {"Authorization": f"Bearer {token}"}
    stats = httpx.get(f"{verifier}/v1/stats", headers=headers, timeout=5).json()
    assert stats["total"] >= len(EXPECTED)
    fleet = httpx.get(f"{verifier}/v1/fleet", headers=headers, timeout=5).json()
    assert "demo-lane-1" in json.dumps(fleet)


def test_demo_tap_and_remove_commands(page: Page, demo: Demo) -> None:
    yzt = yzt_command()
    tapped = subprocess.run(
        [*yzt, "demo", "tap", "red", "--url", demo.url], capture_output=True, text=True, timeout=30
    )
    assert tapped.returncode == 0, tapped.stderr
    assert f"yzt demo remove --url {demo.url}" in tapped.stdout
    page.wait_for_selector("body[data-verdict=DENY]", timeout=SHOWN_TIMEOUT_MS)
    removed = subprocess.run(
        [*yzt, "demo", "remove", "--url", demo.url], capture_output=True, text=True, timeout=30
    )
    assert removed.returncode == 0
    wait_idle(page)
    unknown = subprocess.run(
        [*yzt, "demo", "tap", "purple", "--url", demo.url],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert unknown.returncode == 1
    assert "no demo card 'purple'" in unknown.stderr and "green" in unknown.stderr


def test_demo_panel_buttons_place_cards(browser: Browser, demo: Demo, page: Page) -> None:
    panel = browser.new_page()
    panel.goto(f"{demo.url}demo")
    panel.click("button[data-card=elder]")
    page.wait_for_selector("body[data-verdict=PASS]", timeout=SHOWN_TIMEOUT_MS)
    panel.click("#remove")
    wait_idle(page)
    panel.close()


# computed-style checks ---------------------------------------------------------------------


def font_px(page: Page, selector: str) -> float:
    size = page.eval_on_selector(selector, "e => getComputedStyle(e).fontSize")
    return float(size.removesuffix("px"))


COLOURS_JS = """e => {
  const colour = getComputedStyle(e).color;
  let node = e;
  while (node) {
    const bg = getComputedStyle(node).backgroundColor;
    if (bg && bg !== 'rgba(0, 0, 0, 0)' && bg !== 'transparent') return [colour, bg];
    node = node.parentElement;
  }
  return [colour, 'rgb(255, 255, 255)'];
}"""


def contrast(page: Page, selector: str) -> float:
    """WCAG 2 contrast ratio of the element's text against its nearest painted background."""
    fg, bg = page.eval_on_selector(selector, COLOURS_JS)
    light, dark = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def luminance(css: str) -> float:
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b)


def test_contrast_helper_knows_black_on_white() -> None:
    assert (
        round((luminance("rgb(255, 255, 255)") + 0.05) / (luminance("rgb(0, 0, 0)") + 0.05)) == 21
    )
