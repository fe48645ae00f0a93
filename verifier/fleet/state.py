"""What staff should know about each kiosk, from its last heartbeat: a state and plain alerts.

Pure: a heartbeat row (``kiosk_id``, ``site``, ``doc``, ``received_at``) and the current instant
in, a :class:`KioskState` out. The stored document is read with
``verifier.fleet.heartbeat.read_status``: what does not validate is dropped, so an old or broken
kiosk shows as ``—``, never as an error.

States: ``offline`` (no heartbeat for ``[fleet] offline_after_s``), ``degraded`` (heartbeats
arrive but something needs a person), ``online``. An offline kiosk gets only the ``OFFLINE``
alert: the rest of its last document is history, shown greyed but not alerted on.

The rules below only decide which alert code to raise and with which facts; every alert's
words live in verifier/fleet/alerts.py. A reader alert is the code the kiosk reported (it knows
what failed; the verifier does not guess from words).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from verifier.config import FleetConfig
from verifier.fleet.alerts import AHEAD, BEHIND, READER_FALLBACK, Alert, Severity, age_text, alert
from verifier.fleet.heartbeat import KioskStatus, ReaderCode, read_status

State = Literal["online", "degraded", "offline"]
STATES: tuple[State, ...] = ("offline", "degraded", "online")
COUNT_KEYS = ("total", "elder", "PASS", "CHECK", "DENY")


@dataclass(frozen=True)
class Vitals:
    """The columns of one fleet row (``None`` = not reported)."""

    reader_state: str | None = None
    reader_code: ReaderCode | None = None
    reader_detail: str | None = None
    camera_state: str | None = None
    camera_detail: str | None = None
    voice_state: str | None = None
    voice_detail: str | None = None
    link_state: str | None = None
    link_error: str | None = None
    risklist_version: int | None = None
    risklist_age_s: float | None = None
    risklist_fresh: bool | None = None
    outbox_pending: int | None = None
    outbox_oldest_s: float | None = None
    outbox_alarm: bool = False
    outbox_refused: int = 0
    clock_drift_s: float | None = None
    version: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, status: KioskStatus) -> Vitals:
        reader, camera, voice, link = status.reader, status.camera, status.voice, status.verifier
        risk, outbox, counts = status.risklist, status.outbox, status.counts_today
        drift = status.clock_drift_s
        if drift is None and status.clock is not None:
            drift = status.clock.drift_s
        return cls(
            reader_state=reader.state if reader else None,
            reader_code=reader.code if reader else None,
            reader_detail=reader.detail if reader else None,
            camera_state=camera.state if camera else None,
            camera_detail=camera.detail if camera else None,
            voice_state=voice.state if voice else None,
            voice_detail=voice.detail if voice else None,
            link_state=link.state if link else None,
            link_error=link.last_error if link else None,
            risklist_version=risk.version if risk else None,
            risklist_age_s=risk.age_s if risk else None,
            risklist_fresh=risk.fresh if risk else None,
            outbox_pending=outbox.pending if outbox else None,
            outbox_oldest_s=outbox.oldest_age_s if outbox else None,
            outbox_alarm=bool(outbox and outbox.alarm),
            outbox_refused=(outbox and outbox.refused) or 0,
            clock_drift_s=drift,
            version=status.version,
            counts={
                key: n
                for key in COUNT_KEYS
                if counts is not None and (n := getattr(counts, key)) is not None
            },
        )

    @classmethod
    def from_doc(cls, doc: Any) -> Vitals:
        """The columns of a stored or served document, read as far as it validates."""
        return cls.of(read_status(doc))


@dataclass(frozen=True)
class KioskState:
    """One kiosk as the console shows it."""

    kiosk_id: str
    site: str
    state: State
    received_at: datetime
    last_seen_s: float
    status: KioskStatus
    vitals: Vitals
    alerts: tuple[Alert, ...]

    @property
    def worst(self) -> Severity | None:
        severities = {a.severity for a in self.alerts}
        return "critical" if "critical" in severities else ("warning" if severities else None)

    def sort_key(self) -> tuple[int, str, str]:
        """Worst first: offline, degraded with a critical alert, degraded, online."""
        rank = {"offline": 0, "degraded": 1 if self.worst == "critical" else 2, "online": 3}
        return rank[self.state], self.site, self.kiosk_id


def assess(
    row: Mapping[str, Any], *, now: datetime, config: FleetConfig, expected_version: str | None
) -> KioskState:
    """The state and alerts of one kiosk from its last heartbeat row."""
    status = read_status(row["doc"])
    last_seen_s = max((now - row["received_at"]).total_seconds(), 0.0)
    vitals = Vitals.of(status)
    if last_seen_s > config.offline_after_s:
        alerts: tuple[Alert, ...] = (alert("OFFLINE", age=age_text(last_seen_s)),)
        state: State = "offline"
    else:
        alerts = tuple(_alerts(vitals, config, expected_version))
        state = "degraded" if alerts else "online"
    return KioskState(
        row["kiosk_id"], row["site"], state, row["received_at"], last_seen_s, status, vitals, alerts
    )


def reference_version(docs: Iterable[Any], config: FleetConfig) -> str | None:
    """The version kiosks should run: the configured one, else the clear majority's (a tie
    names none, so a half-done rollout raises no alert either way)."""
    if config.expected_version:
        return config.expected_version
    versions = Counter(v for doc in docs if (v := read_status(doc).version))
    top = versions.most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        return None
    return top[0][0]


def assess_fleet(
    rows: Iterable[Mapping[str, Any]], *, now: datetime, config: FleetConfig
) -> list[KioskState]:
    """Every kiosk, worst first."""
    rows = list(rows)
    expected = reference_version((r["doc"] for r in rows), config)
    states = [assess(r, now=now, config=config, expected_version=expected) for r in rows]
    return sorted(states, key=KioskState.sort_key)


def summarize(states: Iterable[KioskState]) -> dict[str, int]:
    """Counts for the top of the page: by state, and how many have any alert."""
    states = list(states)
    counts = Counter(s.state for s in states)
    return {
        "total": len(states),
        **{state: counts[state] for state in STATES},
        "with_alerts": sum(1 for s in states if s.alerts),
    }


def _alerts(v: Vitals, config: FleetConfig, expected_version: str | None) -> Iterable[Alert]:
    if v.reader_state == "error":
        yield alert(v.reader_code or READER_FALLBACK, detail=v.reader_detail or "—")
    if v.camera_state == "lost":
        yield alert("CAMERA_FAULT", detail=v.camera_detail or v.camera_state)
    if v.voice_state == "error":
        yield alert("VOICE_FAULT", detail=v.voice_detail or "no detail")
    if v.link_state == "error":
        yield alert("VERIFIER_UNREACHABLE", error=v.link_error or "no answer")
    yield from _risklist(v, config)
    if v.outbox_alarm or v.outbox_refused:
        severity: Severity = "critical" if v.outbox_refused else "warning"
        yield alert("OUTBOX_FULL", severity=severity, refused=str(v.outbox_refused))
    pending, oldest = v.outbox_pending or 0, v.outbox_oldest_s or 0.0
    if pending > config.outbox_pending_max or oldest > config.outbox_oldest_max_s:
        yield alert("OUTBOX_BACKLOG", pending=str(pending), age=age_text(oldest))
    drift = v.clock_drift_s
    if drift is not None and abs(drift) > config.clock_drift_max_s:
        direction = AHEAD if drift > 0 else BEHIND
        yield alert("CLOCK_DRIFT", direction=direction, seconds=f"{abs(drift):.1f}")
    if expected_version and v.version and v.version != expected_version:
        yield alert("VERSION_MISMATCH", version=v.version, expected=expected_version)


def _risklist(v: Vitals, config: FleetConfig) -> Iterable[Alert]:
    age = v.risklist_age_s
    if age is None:
        if v.risklist_fresh is False:
            yield alert("RISKLIST_MISSING")
        return
    window = age_text(config.risklist_stale_s)
    if age > config.risklist_stale_s or v.risklist_fresh is False:
        yield alert("RISKLIST_STALE", age=age_text(age), window=window)
    elif age > config.risklist_warn_s:
        yield alert("RISKLIST_AGING", age=age_text(age), window=window)
