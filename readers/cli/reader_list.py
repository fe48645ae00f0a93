"""``yzt reader list``: every PC/SC reader and serial port, each probed, with the URI to use.

PC/SC readers are listed through pcscd with their card state and the profile the card's ATR
matches. Serial ports (pyserial's ``list_ports`` plus any ``--serial PATH``) are opened briefly
and sent the SAM status command; a SAM answers SW3 ``90`` within half a second.
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.parse
from typing import Annotated, Any

import serial
import typer
from rich.console import Console
from rich.table import Table
from serial.tools import list_ports

from readers.sam.frames import FrameDecoder, encode_request

SAM_STATUS = encode_request(0x11, 0xFF)
SAM_OK = 0x90
PROBE_TIMEOUT_S = 0.5
DEFAULT_BAUD = 115200


@dataclasses.dataclass(slots=True)
class Found:
    """One row: ``probe`` is ``ok``, ``no_card``, ``no_answer``, ``bad_answer``, ``busy`` or
    ``error``; ``detail`` says the same in words."""

    kind: str
    name: str
    uri: str
    probe: str
    detail: str
    card_present: bool | None = None
    atr: str | None = None
    profile: str | None = None


def pcsc_uri(name: str, profile: str | None) -> str:
    """The ``pcsc://`` URI naming exactly this reader (and its profile when not the default)."""
    from readers.pcsc.profiles import DEFAULT_PROFILE

    uri = "pcsc://" + urllib.parse.quote(name, safe=" ()-_.,:")
    return uri if profile in (None, DEFAULT_PROFILE) else f"{uri}?profile={profile}"


def find_pcsc() -> tuple[list[Found], str | None]:
    """PC/SC readers, or a note on why there are none (pcscd not running, no pyscard)."""
    try:
        from readers.pcsc.context import PcscError, ServiceGone
        from readers.pcsc.discovery import list_pcsc_readers
    except ImportError as error:
        return [], f"PC/SC: pyscard or libpcsclite is not usable ({error})"
    try:
        infos = list_pcsc_readers()
    except ServiceGone:
        return [], "PC/SC: pcscd is not running (start it: systemctl start pcscd.socket)"
    except PcscError as error:
        return [], f"PC/SC: {error}"
    rows = []
    for info in infos:
        if info.problem:
            probe, detail = "error", info.problem
        elif info.card_present:
            probe, detail = "ok", f"card present, profile {info.profile or 'none matches'}"
        else:
            probe, detail = "no_card", "reader answers, no card on it"
        uri = pcsc_uri(info.name, info.profile)
        card = (info.card_present, info.atr, info.profile)  # Found's last three fields
        rows.append(Found("pcsc", info.name, uri, probe, detail, *card))
    return rows, None if infos else "PC/SC: pcscd runs but sees no reader"


def probe_serial(device: str, baud: int = DEFAULT_BAUD) -> tuple[str, str]:
    """Send the SAM status command; (probe, detail) from the answer within 0.5 s."""
    try:
        with serial.Serial(device, baud, timeout=0.05, exclusive=True) as port:
            port.reset_input_buffer()
            port.write(SAM_STATUS)
            return _await_status(port)
    except serial.SerialException as error:
        text = str(error)
        if "lock" in text or "busy" in text.lower():
            return "busy", "in use by another program (a running kiosk?)"
        return "error", text
    except OSError as error:
        return "error", f"{device}: {error.strerror or error}"


def _await_status(port: serial.Serial) -> tuple[str, str]:
    decoder = FrameDecoder()
    deadline = time.monotonic() + PROBE_TIMEOUT_S
    got = False
    while time.monotonic() < deadline:
        chunk = port.read(64)
        got = got or bool(chunk)
        for frame in decoder.feed(chunk):
            if frame.sw3 == SAM_OK:
                return "ok", "SAM answers (status 90)"
            return "bad_answer", f"SAM answers status {frame.sw3:02X}, expected 90"
    if got:
        return "bad_answer", "answered, but not with a SAM frame"
    return "no_answer", f"no answer within {PROBE_TIMEOUT_S:g} s (not a SAM reader, or wrong baud)"


def find_serial(extra: list[str]) -> list[Found]:
    devices = {port.device: port.description for port in list_ports.comports()}
    for device in extra:
        devices.setdefault(device, "")
    rows = []
    for device, description in devices.items():
        probe, detail = probe_serial(device)
        name = f"{device} ({description})" if description and description != "n/a" else device
        rows.append(Found("serial", name, f"serial://{device}?baud={DEFAULT_BAUD}", probe, detail))
    return rows


def _table(rows: list[Found]) -> Table:
    table = Table(title="Card readers")
    for column in ("kind", "reader", "URI", "probe", "detail"):
        table.add_column(column, overflow="fold")
    for row in rows:
        style = "green" if row.probe in ("ok", "no_card") else "yellow"
        table.add_row(row.kind, row.name, row.uri, f"[{style}]{row.probe}[/]", row.detail)
    return table


def list_readers(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
    serial_ports: Annotated[
        list[str] | None,
        typer.Option("--serial", help="Also probe this serial device (repeatable), e.g. a pty."),
    ] = None,
) -> None:
    """List PC/SC readers and serial ports, each with a probe result and its reader URI."""
    pcsc_rows, pcsc_note = find_pcsc()
    rows = pcsc_rows + find_serial(serial_ports or [])
    notes = [pcsc_note] if pcsc_note else []
    if as_json:
        document: dict[str, Any] = {"readers": [dataclasses.asdict(r) for r in rows]}
        typer.echo(json.dumps(document | {"notes": notes}, ensure_ascii=False, indent=2))
        return
    console = Console()
    console.print(_table(rows))
    for note in notes:
        console.print(f"[yellow]{note}[/]")
    working = [row for row in rows if row.probe in ("ok", "no_card")]
    if working:
        console.print(f"Next: yzt card read --reader '{working[0].uri}'")
    else:
        console.print("Next: plug in a reader, or start pcscd, then run yzt reader list again")
