"""kiosk/cli.py as a user runs it: ``yzt kiosk run`` starts (telling systemd), stops on SIGTERM,
and refuses a bad config or a taken port with one plain line; so does ``yzt demo``."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
from kiosktools import free_port, write_config

from kiosk.demo.run import yzt_command


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*yzt_command(), *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def test_run_serves_the_screen_tells_systemd_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(
        tmp_path, f"http://127.0.0.1:{free_port()}", f"tcp://127.0.0.1:{free_port()}"
    )
    config.write_text(config.read_text().replace("port = 0", f"port = {port}"))
    systemd = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    systemd.bind(str(tmp_path / "notify"))
    systemd.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify"), "WATCHDOG_USEC": "400000"}
    process = subprocess.Popen(
        [*yzt_command(), "kiosk", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        end = time.monotonic() + 30
        while True:
            try:
                screen = httpx.get(f"http://127.0.0.1:{port}/api/screen", timeout=1).json()
                break
            except httpx.TransportError:
                assert time.monotonic() < end, "the kiosk did not start"
                time.sleep(0.1)
        assert screen["state"] == "idle"
        told = [systemd.recv(4096).decode() for _ in range(2)]
        assert told[0].startswith("READY=1\nSTATUS=screen at http://127.0.0.1:")
        assert told[1] == "WATCHDOG=1"
        status = httpx.get(f"http://127.0.0.1:{port}/api/status", timeout=1).json()
        assert status["reader"]["state"] == "error"  # nothing listens on the reader's port
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Kiosk stopped." in out
    while (message := systemd.recv(4096).decode()) == "WATCHDOG=1":
        pass
    assert message == "STOPPING=1"
    systemd.close()
    assert "Traceback" not in err


def test_run_with_a_bad_config_says_what_to_do(tmp_path: Path) -> None:
    config = write_config(tmp_path, "not a url", "tcp://127.0.0.1:1")
    done = run("kiosk", "run", "--config", str(config))
    assert done.returncode == 2
    assert "verifier.url" in done.stderr and "yzt kiosk check-config" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_with_a_bad_reader_uri_exits_with_one_line(tmp_path: Path) -> None:
    config = write_config(tmp_path, "http://127.0.0.1:1", "serial:///dev/ttyUSB0?baud=12345")
    done = run("kiosk", "run", "--config", str(config))
    assert done.returncode == 2
    error, hint = done.stderr.splitlines()
    assert error == (
        f"{config}: reader.uri: serial:// option baud='12345': expected one of 9600, 19200, "
        "38400, 57600, 115200 (got 'serial:///dev/ttyUSB0?baud=12345')"
    )
    assert hint == f"Run: yzt kiosk check-config {config}"


def test_a_taken_port_is_one_plain_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = write_config(tmp_path, "http://127.0.0.1:1", "tcp://127.0.0.1:1")
        config.write_text(config.read_text().replace("port = 0", f"port = {port}"))
        kiosk = run("kiosk", "run", "--config", str(config))
        demo = run("demo", "--kiosk-port", str(port), "--verifier-port", str(free_port()))
    assert kiosk.returncode == 1
    assert f"ui.port: cannot listen on 127.0.0.1:{port}" in kiosk.stderr
    assert demo.returncode == 1
    assert f"port {port} (kiosk) is in use" in demo.stderr
    assert "Traceback" not in kiosk.stderr + demo.stderr


def test_status_without_a_kiosk(tmp_path: Path) -> None:
    done = run("kiosk", "status", "--url", f"http://127.0.0.1:{free_port()}")
    assert done.returncode == 1
    assert "Is the kiosk running?" in done.stderr


def test_run_with_an_unusable_risk_list_key_says_so(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, "http://127.0.0.1:1", "tcp://127.0.0.1:1", "", public_key="missing.pub"
    )
    done = run("kiosk", "run", "--config", str(config))
    assert done.returncode == 2
    assert f"verifier.public_key_file: {tmp_path / 'missing.pub'} does not exist" in done.stderr
    assert f"Run: yzt kiosk check-config {config}" in done.stderr
    assert "Traceback" not in done.stderr
