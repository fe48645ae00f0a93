"""The kiosk screen's own command line from yzt-kiosk-browser.service, run for real: cage (on
wlroots' headless backend instead of tty7) shows Chromium in kiosk mode on a page served on
loopback; when Chromium dies, cage exits too, which is what lets systemd restart the screen."""

from __future__ import annotations

import os
import pwd
import shlex
import signal
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from deploykit import DEPLOY, need

PAGE_TIMEOUT_S = 60.0


def exec_start() -> list[str]:
    text = (DEPLOY / "systemd/yzt-kiosk-browser.service").read_text().replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


class Page:
    """The kiosk UI stand-in: records the paths Chromium asks for."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        self.loaded = threading.Event()
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                page.paths.append(self.path)
                body = "<!doctype html><title>yzt</title><h1>请刷卡</h1>".encode()
                self.send_response(200 if self.path == "/" else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)
                if self.path == "/":
                    page.loaded.set()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def page() -> Iterator[Page]:
    served = Page()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture
def screen_user_dir() -> Iterator[tuple[Path, pwd.struct_passwd | None]]:
    """A runtime dir owned by the user cage runs as (cage refuses to run as root)."""
    folder = Path(tempfile.mkdtemp(prefix="yzt-screen-"))
    user = pwd.getpwnam("nobody") if os.geteuid() == 0 else None
    if user is not None:
        os.chown(folder, user.pw_uid, user.pw_gid)
    folder.chmod(0o700)
    yield folder, user
    subprocess.run(["rm", "-rf", str(folder)], check=False)


def start_screen(
    page: Page, folder: Path, user: pwd.struct_passwd | None
) -> subprocess.Popen[bytes]:
    command = exec_start()
    assert command[0] == "/usr/bin/cage" and "/usr/bin/chromium" in command
    need("cage")
    need("chromium")
    command = [
        page.url if arg.startswith("http://127.0.0.1:8080") else arg
        for arg in command
        if not arg.startswith("--user-data-dir=")
    ]
    command.insert(-1, f"--user-data-dir={folder}/profile")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(folder),
        "XDG_RUNTIME_DIR": str(folder),
        "WLR_BACKENDS": "headless",
        "WLR_RENDERER": "pixman",
        "WLR_LIBINPUT_NO_DEVICES": "1",
    }
    log = open(folder / "screen.log", "wb")  # noqa: SIM115 - closed with the process
    as_user: dict[str, Any] = {}
    if user is not None:
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    return subprocess.Popen(
        command, env=env, stdout=log, stderr=log, start_new_session=True, **as_user
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def wait_for_page(page: Page, screen: subprocess.Popen[bytes]) -> bool:
    """True once Chromium asked for the page; False if cage died or the time ran out."""
    for _ in range(int(PAGE_TIMEOUT_S * 10)):
        if page.loaded.wait(0.1):
            return True
        if screen.poll() is not None:
            return False
    return False


def chromium_main_pid(cage_pid: int) -> int:
    children = Path(f"/proc/{cage_pid}/task/{cage_pid}/children").read_text().split()
    return int(children[0])


def test_chromium_in_cage_shows_the_kiosk_page_and_takes_cage_down_when_it_dies(
    page: Page, screen_user_dir: tuple[Path, pwd.struct_passwd | None]
) -> None:
    folder, user = screen_user_dir
    screen = start_screen(page, folder, user)
    try:
        loaded = wait_for_page(page, screen)
        log = (folder / "screen.log").read_text(errors="replace")
        assert loaded, f"Chromium never loaded the page; cage/chromium said:\n{log[-3000:]}"
        assert set(page.paths) <= {"/", "/favicon.ico"}
        assert screen.poll() is None, "the screen must stay up"

        os.kill(chromium_main_pid(screen.pid), signal.SIGKILL)
        screen.wait(timeout=30)
        assert screen.returncode is not None, "cage must exit so that systemd restarts the screen"
    finally:
        stop(screen)
