"""Checks of the hardware around the kiosk: pcscd, the card reader, camera, display, sound."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

from kiosk.config import KioskConfig
from kiosk.doctor.findings import Finding, fail, ok, skip, warn
from readers.backends.uri import parse_uri
from readers.errors import ReaderURIError

STABLE_READER_GLOB = "/dev/yzt-reader-*"
PCSCD_FIX = "systemctl enable --now pcscd.socket; journalctl -u pcscd -n 50"


class PcscUnavailable(Exception):
    """pcscd cannot be reached; the message is pyscard's reason."""


def pcsc_readers() -> list[str]:
    """Names of the readers pcscd sees (pyscard's own calls, so the same path as the daemon)."""
    from smartcard import scard

    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise PcscUnavailable(scard.SCardGetErrorMessage(hresult))
    try:
        hresult, names = scard.SCardListReaders(context, [])
    finally:
        scard.SCardReleaseContext(context)
    if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if hresult != scard.SCARD_S_SUCCESS:
        raise PcscUnavailable(scard.SCardGetErrorMessage(hresult))
    return list(names)


def check_pcscd(config: KioskConfig | None) -> Finding:
    uses_pcsc = config is not None and config.reader.uri.lower().startswith("pcsc://")
    try:
        names = pcsc_readers()
    except PcscUnavailable as exc:
        if uses_pcsc:
            return fail("pcscd", f"pcscd does not answer: {exc}", PCSCD_FIX)
        return skip("pcscd", "not running; the reader is not a pcsc:// reader")
    return ok("pcscd", f"answers; {len(names)} reader(s) attached")


def check_reader(config: KioskConfig) -> Finding:
    """The configured reader can be reached the way the daemon will reach it."""
    try:
        uri = parse_uri(config.reader.uri)
    except ReaderURIError as exc:
        return fail("reader", str(exc), "fix reader.uri in the kiosk config")
    checks = {"pcsc": _pcsc, "serial": _serial, "tcp": _tcp, "sim": _sim}
    check = checks.get(uri.scheme)
    if check is None:
        return fail("reader", f"unknown scheme {uri.scheme}://", "use pcsc://, serial://, tcp://")
    return check(uri.location)


def _pcsc(name: str) -> Finding:
    try:
        names = pcsc_readers()
    except PcscUnavailable as exc:
        return fail("reader", f"pcscd does not answer: {exc}", PCSCD_FIX)
    matching = [n for n in names if name.lower() in n.lower()]
    if matching:
        return ok("reader", f"PC/SC reader {matching[0]!r}")
    seen = ", ".join(repr(n) for n in names) or "none"
    return fail(
        "reader",
        f"no PC/SC reader named like {name!r} (pcscd sees: {seen})",
        "plug the reader in (lsusb), or set reader.uri to pcsc://<part of a name above>",
    )


def _serial(path: str) -> Finding:
    import serial

    stable = ", ".join(sorted(glob.glob(STABLE_READER_GLOB))) or "none"
    if not os.path.exists(path):
        return fail(
            "reader",
            f"{path} does not exist (stable reader names present: {stable})",
            "plug the reader in; check the udev rule: udevadm info -a -n /dev/ttyUSB0",
        )
    try:
        serial.Serial(path, timeout=0).close()
    except serial.SerialException as exc:
        return fail(
            "reader",
            f"cannot open {path}: {exc}",
            "the service user needs the dialout group (usermod -aG dialout yzt)",
        )
    return ok("reader", f"{path} opens (stable reader names: {stable})")


def _tcp(location: str) -> Finding:
    host, _, port = location.rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=2):
            pass
    except (OSError, ValueError) as exc:
        return fail(
            "reader", f"cannot connect to {location}: {exc}", "check the network reader's power"
        )
    return ok("reader", f"network reader at {location} accepts connections")


def _sim(directory: str) -> Finding:
    cards = sorted(Path(directory).glob("*.json"))
    if not cards:
        return fail("reader", f"no *.json virtual cards in {directory}", "yzt demo writes some")
    return warn("reader", f"simulated reader with {len(cards)} card(s)", "set a real reader.uri")


def check_camera(config: KioskConfig) -> Finding:
    """Only when the face check is on: the camera opens and gives a frame."""
    if not config.face.enabled:
        return skip("camera", "face check is off ([face] enabled = false)")
    import cv2

    source = config.face.camera.source
    capture = cv2.VideoCapture(int(source) if source.isdigit() else source)
    try:
        if not capture.isOpened():
            return fail("camera", f"cannot open {source}", _camera_fix())
        got, frame = capture.read()
    finally:
        capture.release()
    if not got or frame is None:
        return fail("camera", f"{source} opened but gave no frame", _camera_fix())
    height, width = frame.shape[:2]
    return ok("camera", f"{source} gives {width}x{height} frames")


def _camera_fix() -> str:
    devices = " ".join(sorted(glob.glob("/dev/video*"))) or "no /dev/video* device"
    return f"check the cable and [face.camera] source ({devices}; v4l2-ctl --list-devices)"


def check_display(drm: Path = Path("/sys/class/drm")) -> Finding:
    """Chromium is installed and a monitor is plugged into a connector."""
    if shutil.which("chromium") is None:
        return fail("display", "chromium is not installed", "apt-get install chromium cage")
    connected = [
        status.parent.name
        for status in sorted(drm.glob("card*-*/status"))
        if status.read_text().strip() == "connected"
    ]
    if not connected:
        return fail(
            "display",
            f"no monitor connected (looked in {drm})",
            "plug in the screen, then: systemctl restart yzt-kiosk-browser",
        )
    return ok("display", f"monitor on {', '.join(connected)}")


def check_sound(config: KioskConfig, cards: Path = Path("/proc/asound/cards")) -> Finding:
    """Voice prompts: espeak-ng speaks, the player exists, a sound card is there."""
    if not config.voice.enabled:
        return skip("sound", "voice prompts are off ([voice] enabled = false)")
    player = config.voice.player[0]
    missing = [p for p in ("espeak-ng", player) if shutil.which(p) is None]
    if missing:
        return fail("sound", f"not installed: {' '.join(missing)}", "apt-get install espeak-ng sox")
    spoken = _speak_to_file(config.voice.language)
    if spoken:
        return fail("sound", f"espeak-ng cannot speak: {spoken}", "apt-get install espeak-ng-data")
    has_card = cards.exists() and "no soundcards" not in cards.read_text()
    if not has_card:
        return fail("sound", "no sound card found", "plug in the speaker; aplay -l lists cards")
    return ok("sound", f"espeak-ng speaks {config.voice.language}; a sound card is present")


def _speak_to_file(language: str) -> str:
    """Empty when espeak-ng wrote a non-empty WAV, else its complaint."""
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "probe.wav"
        result = subprocess.run(
            ["espeak-ng", "-v", language, "-w", str(wav), "请刷身份证"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        if result.returncode != 0 or not wav.exists() or wav.stat().st_size < 1000:
            return result.stderr.strip() or f"exit code {result.returncode}"
    return ""
