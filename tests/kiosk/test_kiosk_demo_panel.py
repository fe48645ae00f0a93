"""``yzt demo``'s panel and printed commands as a new user meets them. Real demo process, real
headless Chromium.

The commands the demo prints are run exactly as printed; the verifier is stopped with the printed
``yzt demo verifier stop`` and started again with the panel's button, and offline taps are told
the way the banner tells them: a card seen online gets its saved result, any other card the
signed risk list's verdict.
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from demotools import Demo, running_demo
from playwright.sync_api import Browser, Page

from kiosk.demo.run import _remove_unless_used, processes_using, yzt_as_typed

pytestmark = pytest.mark.browser
SHOWN_TIMEOUT_MS = 5000
VERIFIER_TIMEOUT_S = 60


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with running_demo(tmp_path_factory.mktemp("demo-panel"), people=50) as demo:
        yield demo


@pytest.fixture(scope="module")
def panel(browser: Browser, demo: Demo) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page.goto(f"{demo.url}demo")
    page.wait_for_selector("button[data-card=green]")
    page.frame_locator("iframe").locator("body[data-state=idle]").wait_for()
    yield page
    page.close()


def printed_command(demo: Demo, pattern: str) -> list[str]:
    """A command the demo printed, split as a shell would."""
    match = re.search(pattern, demo.printed)
    assert match is not None, demo.printed
    return shlex.split(match[1])


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def verifier_answers(demo: Demo) -> bool:
    try:
        return httpx.get(f"{demo.verifier_url}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_screen(demo: Demo, verdict: str) -> dict[str, object]:
    end = time.monotonic() + SHOWN_TIMEOUT_MS / 1000
    while (screen := demo.screen())["verdict"] != verdict:
        assert time.monotonic() < end, f"the screen never showed {verdict}: {screen}"
        time.sleep(0.05)
    return screen


def test_panel_fits_1280x800_with_the_kiosk_screen_in_view(
    panel: Page, artifacts_dir: Path
) -> None:
    height = panel.evaluate("document.documentElement.scrollHeight")
    width = panel.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280 and height <= 800, (width, height)
    for selector in ("#screen", "#remove", "#verifier-stop", "#verifier-start"):
        box = panel.locator(selector).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 800, (selector, box)
    screen = panel.locator("#screen").bounding_box()
    assert screen is not None and screen["width"] >= 600
    panel.screenshot(path=artifacts_dir / "demo-panel.png")


def test_printed_tap_command_works_as_written(demo: Demo) -> None:
    tap = printed_command(demo, r"Tap a card: (.+?)   ·")
    done = run(tap)
    assert done.returncode == 0, done.stderr
    assert wait_screen(demo, "PASS")["source"] == "online"
    remove = printed_command(demo, r"(?m)·   (.+ demo remove.*)$")
    assert run(remove).returncode == 0


def test_panel_says_what_happened_in_words(panel: Page, demo: Demo) -> None:
    panel.click("button[data-card=red]")
    panel.wait_for_selector("#message:has-text('red')")
    message = panel.inner_text("#message")
    assert message == "已放卡 red · card 'red' on the reader"
    assert "{" not in message
    wait_screen(demo, "DENY")
    panel.click("#remove")
    panel.wait_for_selector("#message:has-text('taken away')")


def test_printed_stop_then_offline_taps_as_the_banner_says(demo: Demo, panel: Page) -> None:
    assert verifier_answers(demo)
    assert panel.is_disabled("#verifier-start") and panel.is_enabled("#verifier-stop")
    stop = printed_command(demo, r"offline\s+(.+? demo verifier stop(?: --url \S+)?) ")
    stopped = run(stop)
    assert stopped.returncode == 0, stopped.stderr
    assert "核验服务已停止" in stopped.stdout and "offline" in stopped.stdout
    assert not verifier_answers(demo)
    assert "saved result" in demo.printed and "signed risk list" in demo.printed

    demo.tap("green")  # seen online by the tap above: its saved answer
    screen = wait_screen(demo, "PASS")
    assert screen["source"] == "cache"
    demo.remove()
    demo.tap("yellow")  # never seen: the risk list names it
    screen = wait_screen(demo, "CHECK")
    assert (screen["source"], screen["reasons"][0]) == ("risklist", "CODE_YELLOW")
    demo.remove()


def test_panel_button_starts_the_verifier_again(demo: Demo, panel: Page) -> None:
    panel.reload()
    panel.wait_for_selector("#verifier-state:has-text('核验服务已停止')")
    assert panel.is_enabled("#verifier-start") and panel.is_disabled("#verifier-stop")
    panel.click("#verifier-start")
    panel.wait_for_selector(
        "#verifier-state:has-text('核验服务运行中'), #message.error",
        timeout=VERIFIER_TIMEOUT_S * 1000,
    )
    assert (
        panel.inner_text("#message")
        == "核验服务运行中 · verifier running: taps are verified online"
    )
    assert verifier_answers(demo)
    assert panel.is_disabled("#verifier-start")
    demo.tap("lost")
    screen = wait_screen(demo, "CHECK")
    assert screen["source"] == "online"
    demo.remove()


def test_a_data_dir_in_use_is_kept_and_a_free_one_removed(tmp_path: Path) -> None:
    used = tmp_path / "used"
    used.mkdir()
    (used / "verifier.db").write_bytes(b"")
    with (used / "verifier.db").open("rb") as handle:
        holder = subprocess.Popen(["sleep", "60"], stdin=handle)
    try:
        assert processes_using(used) == [holder.pid]
        _remove_unless_used(used)
        assert used.exists()
    finally:
        holder.kill()
        holder.wait()
    _remove_unless_used(used)
    assert not used.exists()


def test_yzt_is_printed_as_the_shell_finds_it(monkeypatch: pytest.MonkeyPatch) -> None:
    script = Path(sys.executable).with_name("yzt")
    venv = script.parent.parent
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.chdir("/")
    assert yzt_as_typed() == str(script)  # not on PATH: the full path
    monkeypatch.chdir(venv.parent)
    assert yzt_as_typed() == f"{venv.name}/bin/yzt"  # from the checkout: .venv/bin/yzt
    monkeypatch.setenv("PATH", f"{script.parent}:/usr/bin:/bin")
    assert yzt_as_typed() == "yzt"  # after . .venv/bin/activate
