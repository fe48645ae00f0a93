"""``yzt doctor`` (python -m kiosk.doctor) on this machine against real parts: a real verifier
process, a TCP reader, a pty serial port, a private pcscd with a virtual reader, a video file as
camera, espeak-ng; the kiosk's own status page is a small HTTP server on loopback."""

from __future__ import annotations

import json
import os
import pty
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import in_ci
from pcscd import PrivatePcscd, free_port_pair, missing_parts

from kiosk.doctor.devices import check_display, check_sound
from kiosk.doctor.host import check_disk

YZT = str(Path(sys.executable).parent / "yzt")
SITE = "hospital-a"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real ``yzt verifier serve`` (SQLite) and a kiosk token for SITE."""
    data = tmp_path_factory.mktemp("verifier")
    subprocess.run([YZT, "verifier", "init", "--data", str(data)], check=True, capture_output=True)
    config = str(data / "verifier.toml")
    token = subprocess.run(
        [
            YZT,
            "verifier",
            "token",
            "add",
            "--config",
            config,
            "--role",
            "kiosk",
            "--kiosk-id",
            "lane-1",
            "--site",
            SITE,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    server = subprocess.Popen(
        [YZT, "verifier", "serve", "--config", config, "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{url}/healthz")
        yield url, token
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for(url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


class KioskPage:
    """The running kiosk's ``/api/status`` with a risk list of a given age."""

    def __init__(self, risklist_age_s: float | None) -> None:
        self.document: dict[str, Any] = {
            "version": "0.1.0",
            "uptime_s": 12.0,
            "risklist": {"version": 7, "entries": 1200, "age_s": risklist_age_s},
        }
        page = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = json.dumps(page.document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def kiosk_page() -> Iterator[KioskPage]:
    page = KioskPage(risklist_age_s=120.0)
    yield page
    page.close()


@pytest.fixture
def tcp_reader() -> Iterator[str]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield f"tcp://127.0.0.1:{listener.getsockname()[1]}"


def write_config(
    folder: Path,
    *,
    verifier_url: str,
    token: str,
    reader: str,
    ui_port: int,
    extra: str = "",
) -> Path:
    (folder / "pepper").write_bytes(os.urandom(32))
    (folder / "pepper").chmod(0o600)
    (folder / "kiosk.token").write_text(token + "\n")
    (folder / "kiosk.token").chmod(0o600)
    config = folder / "kiosk.toml"
    config.write_text(
        f'[kiosk]\nid = "lane-1"\nsite = "{SITE}"\n'
        f'[reader]\nuri = "{reader}"\n'
        f'[verifier]\nurl = "{verifier_url}"\ntoken_file = "kiosk.token"\n'
        f'[privacy]\npepper_file = "pepper"\n'
        f"[ui]\nport = {ui_port}\n"
        f'[data]\ndir = "data"\n{extra}'
    )
    config.chmod(0o600)
    return config


def doctor(config: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    result = subprocess.run(
        [sys.executable, "-m", "kiosk.doctor", "--config", str(config), "--json", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert "Traceback" not in result.stderr, result.stderr
    document = json.loads(result.stdout)
    return result.returncode, {c["check"]: c for c in document["checks"]}


def test_a_ready_box_passes_and_exits_zero(
    tmp_path: Path, verifier: tuple[str, str], kiosk_page: KioskPage, tcp_reader: str
) -> None:
    url, token = verifier
    config = write_config(
        tmp_path, verifier_url=url, token=token, reader=tcp_reader, ui_port=kiosk_page.port
    )
    code, checks = doctor(config, "--skip", "display", "--skip", "sound")
    statuses = {name: check["status"] for name, check in checks.items()}
    assert statuses == {
        "config": "ok",
        "secrets": "ok",
        "disk": "ok",
        "pcscd": "skip",
        "reader": "ok",
        "camera": "skip",
        "display": "skip",
        "sound": "skip",
        "verifier": "ok",
        "token": "ok",
        "clock": "ok",
        "daemon": "ok",
        "risklist": "ok",
    }
    assert code == 0
    # the status page's measure (ClockDrift): milliseconds from X-Server-Time, not Date's seconds
    clock = checks["clock"]["detail"]
    assert re.fullmatch(
        r"[+-]\d+\.\d{3} s: kiosk clock minus the verifier's "
        r"\(X-Server-Time, half the round trip allowed\)",
        clock,
    ), clock


def test_a_rejected_token_fails_with_a_fix_and_is_never_printed(
    tmp_path: Path, verifier: tuple[str, str], kiosk_page: KioskPage, tcp_reader: str
) -> None:
    url, _ = verifier
    wrong = "not-a-real-token-0123456789"
    config = write_config(
        tmp_path, verifier_url=url, token=wrong, reader=tcp_reader, ui_port=kiosk_page.port
    )
    code, checks = doctor(config)
    assert code == 1
    assert checks["token"]["status"] == "fail"
    assert "401" in checks["token"]["detail"]
    assert "token" in checks["token"]["fix"]
    assert wrong not in json.dumps(checks)


def test_an_unreachable_verifier_and_a_stopped_daemon_are_failures(
    tmp_path: Path, tcp_reader: str
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    config = write_config(
        tmp_path, verifier_url=down, token="t", reader=tcp_reader, ui_port=free_port()
    )
    code, checks = doctor(config, "--timeout", "2")
    assert code == 1
    assert checks["verifier"]["status"] == "fail"
    assert "curl" in checks["verifier"]["fix"]
    assert (checks["token"]["status"], checks["clock"]["status"]) == ("skip", "skip")
    assert checks["daemon"]["status"] == "fail"
    assert "journalctl -u yzt-kiosk" in checks["daemon"]["fix"]


def test_a_stale_risk_list_fails(
    tmp_path: Path, verifier: tuple[str, str], kiosk_page: KioskPage, tcp_reader: str
) -> None:
    kiosk_page.document["risklist"]["age_s"] = 30 * 3600.0
    url, token = verifier
    config = write_config(
        tmp_path, verifier_url=url, token=token, reader=tcp_reader, ui_port=kiosk_page.port
    )
    code, checks = doctor(config, "--skip", "display", "--skip", "sound")
    assert code == 1
    assert checks["risklist"]["status"] == "fail"
    assert "stale" in checks["risklist"]["detail"]


def test_a_config_with_a_typo_fails_first_and_names_the_key(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, verifier_url="http://127.0.0.1:9", token="t", reader="tcp://x:1", ui_port=1
    )
    config.write_text(config.read_text() + "[kiosk_extra]\ncolour = 1\n")
    code, checks = doctor(config)
    assert code == 1
    assert checks["config"]["status"] == "fail"
    assert "kiosk_extra" in checks["config"]["detail"]
    assert checks["config"]["fix"] == f"yzt kiosk check-config {config}"
    assert checks["verifier"]["status"] == "skip"
    assert len(checks) == 13, "every check is listed, run or not"


def test_a_token_file_readable_by_everyone_fails_the_config_with_chmod(
    tmp_path: Path, tcp_reader: str
) -> None:
    """The same rule as ``yzt kiosk check-config``: an open token file makes the config unusable."""
    config = write_config(
        tmp_path, verifier_url="http://127.0.0.1:9", token="t", reader=tcp_reader, ui_port=1
    )
    token = tmp_path / "kiosk.token"
    token.chmod(0o644)
    code, checks = doctor(config, "--timeout", "1")
    assert code == 1
    assert checks["config"]["status"] == "fail"
    assert f"{token} is readable by others; run chmod 600 {token}" in checks["config"]["detail"]


def test_a_config_holding_the_token_must_be_private(tmp_path: Path, tcp_reader: str) -> None:
    config = write_config(
        tmp_path, verifier_url="http://127.0.0.1:9", token="t", reader=tcp_reader, ui_port=1
    )
    config.write_text(config.read_text().replace('token_file = "kiosk.token"', 'token = "t"'))
    config.chmod(0o644)
    _, checks = doctor(config, "--timeout", "1")
    assert (checks["config"]["status"], checks["secrets"]["status"]) == ("ok", "fail")
    assert checks["secrets"]["fix"] == f"chmod 600 {config}"


def test_serial_reader_on_a_real_pty_and_a_missing_port(tmp_path: Path) -> None:
    controller, device = pty.openpty()
    try:
        path = os.ttyname(device)
        config = write_config(
            tmp_path, verifier_url="http://127.0.0.1:9", token="t", reader=f"serial://{path}",
            ui_port=1,
        )  # fmt: skip
        _, checks = doctor(config, "--timeout", "1")
        assert checks["reader"]["status"] == "ok", checks["reader"]
    finally:
        os.close(controller)
        os.close(device)
    config.write_text(config.read_text().replace(path, "/dev/ttyUSB97"))
    _, checks = doctor(config, "--timeout", "1")
    assert checks["reader"]["status"] == "fail"
    assert "/dev/ttyUSB97 does not exist" in checks["reader"]["detail"]


@pytest.fixture(scope="module")
def private_pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivatePcscd]:
    problem = missing_parts()
    if problem:
        if in_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    daemon = PrivatePcscd(
        tmp_path_factory.mktemp("pcscd"), name="Yzt Doctor PCD", port=free_port_pair()
    )
    daemon.start()
    yield daemon
    daemon.stop()


def test_pcsc_reader_found_by_name_through_pcscd(
    tmp_path: Path, private_pcscd: PrivatePcscd
) -> None:
    config = write_config(
        tmp_path, verifier_url="http://127.0.0.1:9", token="t", reader="pcsc://Doctor PCD",
        ui_port=1,
    )  # fmt: skip
    env = private_pcscd.client_env()
    deadline = time.monotonic() + 10
    while True:
        _, checks = doctor(config, "--timeout", "1", env=env)
        if checks["pcscd"]["status"] == "ok" or time.monotonic() > deadline:
            break
    assert checks["pcscd"]["status"] == "ok", checks["pcscd"]
    assert checks["reader"]["status"] == "ok"
    assert "Yzt Doctor PCD 00 00" in checks["reader"]["detail"]

    config.write_text(config.read_text().replace("pcsc://Doctor PCD", "pcsc://Synjones"))
    _, checks = doctor(config, "--timeout", "1", env=env)
    assert checks["reader"]["status"] == "fail"
    assert "Yzt Doctor PCD 00 00" in checks["reader"]["detail"], "lists what pcscd does see"


def test_pcsc_reader_without_pcscd_fails_with_the_service_to_start(tmp_path: Path) -> None:
    config = write_config(
        tmp_path, verifier_url="http://127.0.0.1:9", token="t", reader="pcsc://Any", ui_port=1
    )
    env = {**os.environ, "PCSCLITE_CSOCK_NAME": str(tmp_path / "no-pcscd.comm")}
    _, checks = doctor(config, "--timeout", "1", env=env)
    assert checks["pcscd"]["status"] == "fail"
    assert "pcscd.socket" in checks["pcscd"]["fix"]


def test_camera_from_a_real_video_file_and_a_missing_device(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    video = tmp_path / "camera.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for shade in range(5):
        writer.write(np.full((240, 320, 3), shade * 40, dtype=np.uint8))
    writer.release()
    face = f'[face]\nenabled = true\n[face.camera]\nsource = "{video}"\n'
    config = write_config(
        tmp_path, verifier_url="http://127.0.0.1:9", token="t", reader="tcp://127.0.0.1:1",
        ui_port=1, extra=face,
    )  # fmt: skip
    _, checks = doctor(config, "--timeout", "1")
    assert checks["camera"]["status"] == "ok", checks["camera"]
    assert "320x240" in checks["camera"]["detail"]

    config.write_text(config.read_text().replace(str(video), "/dev/video42"))
    _, checks = doctor(config, "--timeout", "1")
    assert checks["camera"]["status"] == "fail"
    assert "/dev/video42" in checks["camera"]["detail"]


def test_display_needs_a_connected_monitor(tmp_path: Path) -> None:
    connector = tmp_path / "card0-HDMI-A-1"
    connector.mkdir()
    (connector / "status").write_text("disconnected\n")
    assert check_display(tmp_path).status == "fail"
    (connector / "status").write_text("connected\n")
    finding = check_display(tmp_path)
    assert (finding.status, finding.detail) == ("ok", "monitor on card0-HDMI-A-1")


def test_sound_speaks_with_espeak_and_needs_a_sound_card(tmp_path: Path) -> None:
    from kiosk.config import KioskConfig

    config = KioskConfig(
        kiosk={"id": "lane-1", "site": SITE},
        reader={"uri": "tcp://127.0.0.1:1"},
        verifier={"url": "http://127.0.0.1:9", "token": "t"},
        privacy={"pepper_file": "pepper"},
        data={"dir": str(tmp_path)},
    )
    cards = tmp_path / "cards"
    cards.write_text("--- no soundcards ---\n")
    assert check_sound(config, cards).status == "fail"
    cards.write_text(" 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n")
    assert check_sound(config, cards).status == "ok"


def test_disk_reports_free_space_of_the_data_dir(tmp_path: Path) -> None:
    finding = check_disk(tmp_path / "not-yet-created")
    assert finding.status in {"ok", "warn"}
    assert "MB free" in finding.detail


def test_the_table_shows_config_section_names_literally(tmp_path: Path) -> None:
    """Rich markup must not eat ``[face]`` in a detail or ``[face.camera]`` in a fix."""
    config = write_config(
        tmp_path, verifier_url="http://127.0.0.1:9", token="t", reader="tcp://127.0.0.1:1",
        ui_port=1,
    )  # fmt: skip
    wide = {**os.environ, "COLUMNS": "300"}
    command = [sys.executable, "-m", "kiosk.doctor", "--config", str(config), "--timeout", "1"]
    off = subprocess.run(command, capture_output=True, text=True, timeout=120, env=wide)
    assert "face check is off ([face] enabled = false)" in off.stdout, off.stdout

    config.write_text(
        config.read_text() + '[face]\nenabled = true\ncamera.source = "/dev/video42"\n'
    )
    lost = subprocess.run(command, capture_output=True, text=True, timeout=120, env=wide)
    assert "check the cable and [face.camera] source" in lost.stdout, lost.stdout
