"""A real ``yzt verifier serve`` process and 50 simulated kiosks in mixed states, for the /fleet
page and ``yzt verifier fleet`` tests.

Every kiosk posts a status document shaped like kiosk/daemon.py's through the real
``/v1/heartbeat`` with its own kiosk token; the offline ones then have their ``received_at``
moved back in the database, as if they had stopped sending ten minutes ago.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import update
from verifier_helpers import serving, write_config

from verifier.config import load_config
from verifier.store import open_store
from verifier.store.schema import heartbeats
from verifier.store.tokens import add_token
from verifier.timeutil import utcnow

SITES = ("hospital-a", "metro-2", "clinic-b")
VERSION = "1.4.0"
OFFLINE_FOR = timedelta(minutes=10)
YZT = (sys.executable, "-m", "verifier.cli")
PCSCD_GONE = "the PC/SC service (pcscd) is not running or stopped; retrying"
UNPLUGGED = "reader gone: [Errno 19] No such device"


@dataclass(frozen=True)
class SimKiosk:
    kiosk_id: str
    site: str
    doc: dict[str, Any]
    state: str
    codes: frozenset[str]
    offline: bool = False


@dataclass
class Served:
    url: str
    tokens: dict[str, str]
    log: Path
    kiosks: list[SimKiosk] = field(default_factory=list)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def status_doc(kiosk_id: str, site: str, **changes: Any) -> dict[str, Any]:
    """A healthy kiosk's heartbeat; ``changes`` replaces whole sections."""
    doc: dict[str, Any] = {
        "kiosk_id": kiosk_id,
        "site": site,
        "version": VERSION,
        "uptime_s": 86_000.0,
        "sent_at": utcnow().isoformat(timespec="seconds"),
        "reader": {"state": "ok", "detail": "reading cards"},
        "clock_drift_s": 0.4,
        "counts_today": {"total": 212, "elder": 61, "PASS": 201, "CHECK": 9, "DENY": 2},
        "last_error": None,
        "last_error_at": None,
        "verifier": {
            "url": "http://verifier",
            "state": "ok",
            "latency_ms": 8.5,
            "last_error": None,
        },
        "outbox": {"pending": 0, "oldest_age_s": None, "rejected": 0},
        "risklist": {
            "version": 41,
            "entries": 5120,
            "age_s": 540.0,
            "fresh": True,
            "last_error": None,
        },
        "cache": {"entries": 1800},
        "clock": {"drift_s": 0.4, "alarm": False},
        "camera": {"state": "ok", "detail": None, "engine": "sface"},
        "voice": {"state": "ok", "detail": None},
        "gate": {"kind": "none"},
    }
    doc.update(changes)
    return doc


def reader_fault(code: str, detail: str) -> dict[str, Any]:
    """The ``reader`` section of a kiosk whose reader failed: what it says, and its code."""
    return {"reader": {"state": "error", "detail": detail, "code": code}}


def _problems() -> list[tuple[str, set[str], dict[str, Any], bool]]:
    """(state, alert codes, document changes, offline) for the 30 kiosks that are not fine."""
    stale = {"version": 38, "entries": 5000, "age_s": 30 * 3600.0, "fresh": False}
    aging = {"version": 40, "entries": 5100, "age_s": 8 * 3600.0, "fresh": True}
    camera_lost = {"state": "lost", "detail": "cannot open /dev/video0", "engine": "sface"}
    link_down = {"url": "http://verifier", "state": "error", "latency_ms": None}
    rows: list[tuple[str, set[str], dict[str, Any], bool]] = []
    rows += [("offline", {"OFFLINE"}, {}, True)] * 5
    rows += [("offline", {"OFFLINE"}, reader_fault("READER_UNPLUGGED", UNPLUGGED), True)]
    rows += [
        ("degraded", {code}, reader_fault(code, detail), False)
        for code, detail in [
            ("READER_JAMMED", "the reader stopped answering"),
            ("READER_JAMMED", "tcp://10.0.0.7:9000: no answer within 2 s"),
            ("READER_JAMMED", "the reader stopped answering"),
            ("READER_UNPLUGGED", UNPLUGGED),
            ("READER_SERVICE_DOWN", PCSCD_GONE),
            ("READER_UNPLUGGED", "no PC/SC reader name contains 'ACS' (readers: none)"),
            ("READER_CARD_PULLED", "the card was taken away during the read; put it back"),
            ("READER_ERROR", "the card on 'ACS' does not answer"),
        ]
    ]
    rows += [("degraded", {"CAMERA_FAULT"}, {"camera": camera_lost}, False)] * 3
    rows += [
        (
            "degraded",
            {"VERIFIER_UNREACHABLE"},
            {"verifier": {**link_down, "last_error": "ConnectError: connection refused"}},
            False,
        )
    ] * 3
    rows += [("degraded", {"RISKLIST_STALE"}, {"risklist": stale}, False)] * 2
    rows += [("degraded", {"RISKLIST_AGING"}, {"risklist": aging}, False)] * 2
    backlog = {"pending": 250, "oldest_age_s": 1800.0, "rejected": 0}
    rows += [("degraded", {"OUTBOX_BACKLOG"}, {"outbox": backlog}, False)] * 2
    rows += [
        ("degraded", {"CLOCK_DRIFT"}, {"clock_drift_s": drift}, False) for drift in (95.0, -47.0)
    ]
    rows += [("degraded", {"VERSION_MISMATCH"}, {"version": "1.3.2"}, False)] * 2
    return rows


def simulated_fleet() -> list[SimKiosk]:
    """50 kiosks over three sites: 30 with a problem each, 20 fine."""
    problems = _problems()
    kiosks = []
    for n in range(50):
        kiosk_id, site = f"lane-{n + 1:02d}", SITES[n % len(SITES)]
        state, codes, changes, offline = (
            problems[n] if n < len(problems) else ("online", set(), {}, False)
        )
        doc = status_doc(kiosk_id, site, **changes)
        kiosks.append(SimKiosk(kiosk_id, site, doc, state, frozenset(codes), offline))
    return kiosks


def _post_fleet(served: Served, kiosks: list[SimKiosk], config_path: Path) -> None:
    with httpx.Client(base_url=served.url) as client:
        for kiosk in kiosks:
            answer = client.post(
                "/v1/heartbeat", json=kiosk.doc, headers=served.auth(f"kiosk-{kiosk.kiosk_id}")
            )
            assert answer.status_code == 200, answer.text
    engine = open_store(load_config(config_path).database_url())
    offline = [k.kiosk_id for k in kiosks if k.offline]
    with engine.begin() as conn:
        conn.execute(
            update(heartbeats)
            .where(heartbeats.c.kiosk_id.in_(offline))
            .values(received_at=utcnow() - OFFLINE_FOR)
        )
    engine.dispose()


@contextmanager
def running_fleet(tmp: Path) -> Iterator[Served]:
    """``yzt verifier serve`` on a free port with tokens per role (a kiosk token per simulated
    kiosk, ``kiosk-<id>``, and one staff token bound to the first site) and the simulated fleet's
    heartbeats in its store."""
    config_path = write_config(tmp / "data", f"sqlite:///{tmp / 'verifier.db'}")
    engine = open_store(load_config(config_path).database_url())
    tokens = {role: add_token(engine, name=f"t-{role}", role=role) for role in ("staff", "admin")}
    kiosks = simulated_fleet()
    for k in [SimKiosk("lane-x", SITES[0], {}, "online", frozenset()), *kiosks]:
        tokens[f"kiosk-{k.kiosk_id}"] = add_token(
            engine, name=k.kiosk_id, role="kiosk", kiosk_id=k.kiosk_id, site=k.site
        )
    tokens["kiosk"] = tokens["kiosk-lane-x"]
    tokens[f"staff-{SITES[0]}"] = add_token(engine, name="s-site", role="staff", site=SITES[0])
    engine.dispose()
    with serving(config_path, tmp / "serve.log") as url:
        served = Served(url, tokens, tmp / "serve.log")
        served.kiosks = kiosks
        _post_fleet(served, served.kiosks, config_path)
        yield served
