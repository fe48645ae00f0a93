"""``yzt demo`` as a user starts it: a real process with its verifier child, stopped with Ctrl-C,
checked to leave nothing behind. Shared by the demo test modules (each starts its own demo)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from kiosktools import free_port

from kiosk.demo.run import yzt_command

START_TIMEOUT_S = 120


class Demo:
    def __init__(
        self, process: subprocess.Popen[str], url: str, data: Path, verifier_url: str, printed: str
    ) -> None:
        self.process = process
        self.url = url
        self.data = data
        self.verifier_url = verifier_url
        self.printed = printed  # what ``yzt demo`` printed on start, up to "Ctrl-C stops …"
        self.http = httpx.Client(base_url=url, timeout=5)

    def tap(self, card: str) -> None:
        self.http.post(f"/demo/api/tap/{card}").raise_for_status()

    def remove(self) -> None:
        self.http.post("/demo/api/remove").raise_for_status()

    def screen(self) -> dict[str, Any]:
        return self.http.get("/api/screen").json()

    def status(self) -> dict[str, Any]:
        return self.http.get("/api/status").json()

    def verifier_pid(self) -> int:
        """The demo's ``yzt verifier serve`` child."""
        for pid in children_of(self.process.pid):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue  # a voice player that just finished
            if b"serve" in command:
                return pid
        raise AssertionError("the demo has no verifier child")


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(entry.name))
    return found


@contextmanager
def running_demo(data: Path, *, people: int) -> Iterator[Demo]:
    """``yzt demo`` until its URLs are printed; Ctrl-C afterwards, exit 0 and no orphans."""
    verifier_port = free_port()
    command = [
        *yzt_command(),
        "demo",
        "--data",
        str(data),
        "--kiosk-port",
        str(free_port()),
        "--verifier-port",
        str(verifier_port),
        "--people",
        str(people),
    ]
    env = {**os.environ, "COLUMNS": "200"}
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
    )
    assert process.stdout is not None
    output: list[str] = []
    end = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < end:
        line = process.stdout.readline()
        if not line:
            break
        output.append(line)
        if line.startswith("Ctrl-C stops everything"):
            break
    printed = "".join(output)
    match = re.search(r"kiosk screen\s+(http://\S+)", printed)
    if match is None or not output[-1].startswith("Ctrl-C"):
        process.kill()
        pytest.fail("yzt demo did not start:\n" + printed)
    children = children_of(process.pid)
    assert children, "the verifier runs as a child process"
    yield Demo(process, match.group(1), data, f"http://127.0.0.1:{verifier_port}", printed)

    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 0, rest
    assert "Traceback" not in rest
    alive = [pid for pid in children if Path(f"/proc/{pid}").exists()]
    assert not alive, f"processes left behind after Ctrl-C: {alive}"
