"""Each alert rule of verifier/fleet/state.py on status documents shaped like the kiosk's, at
and just past its threshold, plus the fleet-wide parts: expected version, order, summary; and
stored documents that do not validate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fleet_sim import PCSCD_GONE, UNPLUGGED, reader_fault, status_doc

from verifier.config import FleetConfig
from verifier.fleet.state import KioskState, Vitals, assess, assess_fleet, summarize

NOW = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
CONFIG = FleetConfig()


def row(seen_s: float = 20, kiosk_id: str = "lane-1", site: str = "hospital-a", **changes: Any):
    return {
        "kiosk_id": kiosk_id,
        "site": site,
        "doc": status_doc(kiosk_id, site, **changes),
        "received_at": NOW - timedelta(seconds=seen_s),
    }


def judged(
    seen_s: float = 20, expected: str | None = "1.4.0", config: FleetConfig = CONFIG, **changes: Any
) -> KioskState:
    return assess(row(seen_s, **changes), now=NOW, config=config, expected_version=expected)


def codes(state: KioskState) -> list[str]:
    return [a.code for a in state.alerts]


def test_a_healthy_kiosk_is_online_without_alerts() -> None:
    state = judged()
    assert (state.state, state.alerts, state.last_seen_s) == ("online", (), 20)
    assert state.vitals.counts == {"total": 212, "elder": 61, "PASS": 201, "CHECK": 9, "DENY": 2}


def test_missed_heartbeats_make_it_offline_and_hide_its_old_troubles() -> None:
    assert judged(seen_s=120).state == "online"
    broken = {"reader": {"state": "error", "detail": "reader gone"}, "version": "0.9"}
    state = judged(seen_s=121, **broken)
    assert (state.state, codes(state)) == ("offline", ["OFFLINE"])
    assert "2 min" in state.alerts[0].cause.en and "2 分钟" in state.alerts[0].cause.zh
    assert state.vitals.reader_state == "error"  # still shown, greyed, as history


@pytest.mark.parametrize(
    ("code", "detail", "severity", "says"),
    [
        ("READER_JAMMED", "the reader stopped answering", "critical", "stuck card"),
        ("READER_UNPLUGGED", UNPLUGGED, "critical", "cable"),
        ("READER_SERVICE_DOWN", PCSCD_GONE, "critical", "restart pcscd"),
        ("READER_CARD_PULLED", "the card was taken away", "warning", "leave the card still"),
        ("READER_ERROR", "SAM status 0x6F00", "critical", "yzt doctor"),
    ],
)
def test_reader_faults_say_what_happened_and_what_to_do(
    code: str, detail: str, severity: str, says: str
) -> None:
    state = judged(**reader_fault(code, detail))
    (alert,) = state.alerts
    assert (state.state, alert.code, alert.severity) == ("degraded", code, severity)
    assert detail in alert.cause.en and detail in alert.cause.zh and says in alert.action.en


def test_the_kiosks_code_decides_the_alert_not_the_words() -> None:
    misleading = judged(**reader_fault("READER_JAMMED", "reader gone: pcscd not found"))
    assert [a.code for a in misleading.alerts] == ["READER_JAMMED"]
    older_kiosk = judged(reader={"state": "error", "detail": "reader gone: unplugged"})
    assert [a.code for a in older_kiosk.alerts] == ["READER_ERROR"], "no code: no guessing"


def test_a_reader_not_yet_opened_is_not_an_alert() -> None:
    assert judged(reader={"state": "unknown", "detail": "waiting for the reader"}).alerts == ()


@pytest.mark.parametrize(
    "camera",
    [
        {"state": "lost", "detail": "no new frame", "engine": "sface"},
        {"camera": "lost", "camera_detail": "no new frame", "engine": "sface"},  # kiosks before
    ],
)
def test_a_lost_camera_warns_that_face_checks_are_off(camera: dict[str, Any]) -> None:
    (alert,) = judged(camera=camera).alerts
    assert (alert.code, alert.severity) == ("CAMERA_FAULT", "warning")
    assert "no new frame" in alert.cause.en and "face checks are unavailable" in alert.cause.en


def test_a_silent_kiosk_warns_with_the_players_words() -> None:
    detail = "voice player failed (no sound device?): can't open output file `hw:99,0'"
    (alert,) = judged(voice={"state": "error", "detail": detail}).alerts
    assert (alert.code, alert.severity) == ("VOICE_FAULT", "warning")
    assert detail in alert.cause.en and "on screen only" in alert.cause.en
    assert judged(voice={"state": "off"}).alerts == judged(voice={"state": "ok"}).alerts == ()


def test_a_kiosk_without_a_camera_is_fine() -> None:
    assert judged(camera={"state": "off"}).alerts == ()
    assert judged(camera={"camera": "off", "engine": "off"}).alerts == ()


def test_a_down_verifier_link_means_deciding_offline() -> None:
    link = {"state": "error", "last_error": "ConnectError: refused", "latency_ms": None}
    (alert,) = judged(verifier=link).alerts
    assert alert.code == "VERIFIER_UNREACHABLE" and "ConnectError: refused" in alert.cause.en
    assert judged(verifier={"state": "unknown"}).alerts == ()


@pytest.mark.parametrize(
    ("age_h", "fresh", "code"),
    [
        (6.0, True, None),
        (6.01, True, "RISKLIST_AGING"),
        (24.0, True, "RISKLIST_AGING"),
        (24.01, True, "RISKLIST_STALE"),
        (1.0, False, "RISKLIST_STALE"),  # the kiosk's own window is shorter
    ],
)
def test_risk_list_age_warns_then_goes_stale(age_h: float, fresh: bool, code: str | None) -> None:
    state = judged(risklist={"version": 40, "entries": 9, "age_s": age_h * 3600, "fresh": fresh})
    assert codes(state) == ([code] if code else [])
    if code == "RISKLIST_STALE":
        assert state.alerts[0].severity == "critical" and "CHECK" in state.alerts[0].cause.en


@pytest.mark.parametrize(
    ("alarm", "refused", "severity"),
    [(True, 0, "warning"), (True, 4, "critical"), (False, 2, "critical")],
)
def test_an_outbox_near_its_cap_or_refusing_events_is_flagged(
    alarm: bool, refused: int, severity: str
) -> None:
    outbox = {"pending": 5, "oldest_age_s": 3.0, "alarm": alarm, "refused": refused}
    state = judged(outbox=outbox)
    assert codes(state) == ["OUTBOX_FULL"] and state.alerts[0].severity == severity
    assert f"{refused} new events" in state.alerts[0].cause.en
    assert codes(judged(outbox={**outbox, "alarm": False, "refused": 0})) == []


def test_a_kiosk_that_never_synced_has_no_risk_list() -> None:
    never = {"version": None, "entries": None, "age_s": None, "fresh": False, "last_error": "x"}
    assert codes(judged(risklist=never)) == ["RISKLIST_MISSING"]


@pytest.mark.parametrize(
    ("pending", "oldest_s", "alerted"),
    [(100, 600.0, False), (101, 5.0, True), (3, 601.0, True), (0, None, False)],
)
def test_outbox_backlog_by_count_or_age(
    pending: int, oldest_s: float | None, alerted: bool
) -> None:
    state = judged(outbox={"pending": pending, "oldest_age_s": oldest_s, "rejected": 0})
    assert codes(state) == (["OUTBOX_BACKLOG"] if alerted else [])
    if alerted:
        assert f"{pending} events" in state.alerts[0].cause.en


@pytest.mark.parametrize(
    ("drift", "words"), [(30.0, None), (30.5, "30.5 s ahead of"), (-45.0, "45.0 s behind")]
)
def test_clock_drift_either_way(drift: float, words: str | None) -> None:
    state = judged(clock_drift_s=drift)
    assert codes(state) == (["CLOCK_DRIFT"] if words else [])
    if words:
        assert words in state.alerts[0].cause.en


def test_clock_drift_from_the_offline_clock_when_the_top_level_is_missing() -> None:
    state = judged(clock_drift_s=None, clock={"drift_s": -80.0, "alarm": True})
    assert codes(state) == ["CLOCK_DRIFT"]


def test_another_version_than_expected() -> None:
    assert codes(judged(version="1.3.2")) == ["VERSION_MISMATCH"]
    assert judged(version="1.3.2", expected=None).alerts == ()


def test_the_expected_version_is_the_configured_one_else_the_clear_majority() -> None:
    def fleet(versions: list[str], config: FleetConfig = CONFIG) -> dict[str, list[str]]:
        rows = [row(kiosk_id=f"k{i}", version=v) for i, v in enumerate(versions)]
        return {s.kiosk_id: codes(s) for s in assess_fleet(rows, now=NOW, config=config)}

    assert fleet(["2.0", "2.0", "1.9"])["k2"] == ["VERSION_MISMATCH"]
    assert fleet(["2.0", "1.9"]) == {"k0": [], "k1": []}  # a rollout half done: no opinion
    pinned = FleetConfig(expected_version="2.1")
    assert set(fleet(["2.0", "2.0"], pinned)["k0"]) == {"VERSION_MISMATCH"}


def test_several_problems_at_once_are_all_listed() -> None:
    state = judged(
        **reader_fault("READER_JAMMED", "the reader stopped answering"),
        verifier={"state": "error", "last_error": "timeout"},
        outbox={"pending": 500, "oldest_age_s": 3600.0},
    )
    assert codes(state) == ["READER_JAMMED", "VERIFIER_UNREACHABLE", "OUTBOX_BACKLOG"]


def test_thresholds_come_from_the_config() -> None:
    strict = FleetConfig(offline_after_s=30, clock_drift_max_s=1, outbox_pending_max=0)
    assert judged(seen_s=31, config=strict).state == "offline"
    assert codes(judged(config=strict, outbox={"pending": 1})) == ["OUTBOX_BACKLOG"]
    assert codes(judged(config=strict, clock_drift_s=1.5)) == ["CLOCK_DRIFT"]
    with pytest.raises(ValueError, match="risklist_warn_s"):
        FleetConfig(risklist_warn_s=90_000, risklist_stale_s=86_400)


def nested(depth: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for _ in range(depth):
        doc = {"x": doc}
    return doc


@pytest.mark.parametrize(
    "doc",
    [
        {},
        None,
        "not a document",
        {"reader": "ok", "outbox": [1], "clock_drift_s": "fast", "counts_today": {"total": -3}},
        {"outbox": {"pending": True}, "risklist": {"age_s": float("nan")}, "version": 7},
        {"outbox": {"pending": 3, "deep": nested(253)}, "extra": nested(253)},
        {"outbox": nested(253), "risklist": {"age_s": "1e999"}, "clock": {"drift_s": 1e999}},
    ],
)
def test_a_broken_document_shows_dashes_not_an_error(doc: Any) -> None:
    state = assess(
        {"kiosk_id": "odd", "site": "s", "doc": doc, "received_at": NOW},
        now=NOW,
        config=CONFIG,
        expected_version="1.4.0",
    )
    assert state.state in ("online", "degraded")
    assert state.vitals.outbox_pending is None and state.vitals.counts == {}
    assert Vitals.from_doc(doc).clock_drift_s is None


def test_worst_first_and_the_summary() -> None:
    rows = [
        row(kiosk_id="fine"),
        row(kiosk_id="aging", risklist={"age_s": 7 * 3600.0, "fresh": True}),
        row(kiosk_id="jammed", reader={"state": "error", "detail": "timeout"}),
        row(kiosk_id="gone", seen_s=3600),
    ]
    states = assess_fleet(rows, now=NOW, config=CONFIG)
    assert [s.kiosk_id for s in states] == ["gone", "jammed", "aging", "fine"]
    assert summarize(states) == {
        "total": 4,
        "offline": 1,
        "degraded": 2,
        "online": 1,
        "with_alerts": 3,
    }


def test_a_stored_document_keeps_what_validates_and_drops_the_rest() -> None:
    doc = status_doc("lane-1", "hospital-a", outbox={"pending": "many"}, extra={"x": 1})
    doc["reader"] = {"state": "error", "detail": "id 11010519491231002X", "code": "READER_JAMMED"}
    state = assess(
        {"kiosk_id": "lane-1", "site": "hospital-a", "doc": doc, "received_at": NOW},
        now=NOW,
        config=CONFIG,
        expected_version="1.4.0",
    )
    assert state.vitals.outbox_pending is None and state.vitals.counts["total"] == 212
    assert state.vitals.reader_detail == "id [redacted]"
    assert "11010519491231002X" not in state.alerts[0].cause.en
