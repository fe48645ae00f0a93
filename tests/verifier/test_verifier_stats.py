"""GET /v1/stats and /v1/stats.csv on SQLite and PostgreSQL: a few hundred generated events go in
through the real POST /v1/events, and every figure must equal what the test counts on its own
from the events table. Event times outside the server clock's window are refused, and a stats
answer is as large as the days with data, never one entry per calendar day."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from stats_sim import SITES, TALLIES, expected, generated_events, post_as_kiosks
from verifier_helpers import Api

from verifier.config import VerifierConfig
from verifier.store.events import (
    count_events,
    day_site_counts,
    latency_p95,
    purge_events,
    record_events,
)

pytest_plugins = ("verifier_fixtures",)
EVENTS = 320
FILTERS = [(None, None), (7, None), (None, "metro-2"), (7, "clinic-b"), (None, "nowhere")]
CSV_HEADER = [
    "日期 day",
    "场所 site",
    "核验 checks",
    "通过 PASS",
    "人工核验 CHECK",
    "拒绝 DENY",
    "60岁以上 60+",
    "离线判定 offline",
    "60+占比 elder share",
    "离线占比 offline share",
    "p95 毫秒 ms",
]


KioskAuth = Callable[[str, str], dict[str, str]]


async def post_generated(
    api: Api, kiosk_auth: KioskAuth, count: int = EVENTS
) -> list[dict[str, Any]]:
    """The generated events, each batch with its kiosk's own token."""
    rows = generated_events(count)
    batches: list[tuple[list[dict[str, Any]], str]] = []
    post_as_kiosks(lambda batch, kiosk: batches.append((batch, kiosk)), rows, 100)
    for batch, kiosk in batches:
        headers = kiosk_auth(*kiosk.split("@"))
        answer = await api.client.post("/v1/events", json={"events": batch}, headers=headers)
        assert answer.json() == {"accepted": len(batch), "duplicates": 0}
    return rows


def query(days: int | None, site: str | None) -> str:
    params = [f"days={days}"] * (days is not None) + [f"site={site}"] * (site is not None)
    return "?" + "&".join(params)


async def test_json_figures_equal_the_events_counted_independently(
    api: Api, kiosk_auth: KioskAuth
) -> None:
    sent = await post_generated(api, kiosk_auth)
    for days, site in FILTERS:
        answer = await api.client.get("/v1/stats" + query(days, site), headers=api.auth("staff"))
        assert answer.status_code == 200, answer.text
        stats = answer.json()
        want = expected(api.engine, days=days, site=site)
        assert stats["days"] == want["rows"], (days, site)
        assert stats["per_day"] == want["per_day"], (days, site)
        assert stats["totals"] == want["totals"], (days, site)
        assert stats["total"] == EVENTS
        assert (stats["counted"], stats["elder"]) == (
            want["totals"]["checks"],
            want["totals"]["elder"],
        )
        by_verdict = {v: want["totals"][v.lower()] for v in ("PASS", "CHECK", "DENY")}
        assert stats["by_verdict"] == by_verdict
    everything = (await api.client.get("/v1/stats", headers=api.auth("staff"))).json()
    totals = everything["totals"]
    assert totals["checks"] == len(sent) and {r["site"] for r in everything["days"]} == set(SITES)
    assert 0 < totals["elder"] < totals["checks"] and 0 < totals["offline"] < totals["checks"]
    with_data = sorted({r["day"] for r in everything["days"]})
    assert [d["day"] for d in everything["per_day"]] == with_data  # quiet days are not listed
    assert all(d["checks"] > 0 for d in everything["per_day"])
    recent = (await api.client.get("/v1/stats?days=7", headers=api.auth("staff"))).json()
    assert 0 < recent["totals"]["checks"] < totals["checks"]


async def test_csv_has_the_same_figures_for_excel(api: Api, kiosk_auth: KioskAuth) -> None:
    await post_generated(api, kiosk_auth)
    for days, site in FILTERS[:4]:
        answer = await api.client.get(
            "/v1/stats.csv" + query(days, site), headers=api.auth("admin")
        )
        assert answer.status_code == 200
        assert answer.headers["content-type"] == "text/csv; charset=utf-8"
        assert answer.headers["content-disposition"].startswith('attachment; filename="yzt-stats-')
        assert answer.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
        header, *rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
        assert header == CSV_HEADER
        want = [
            [
                r["day"],
                r["site"],
                *(str(r[name]) for name in TALLIES),
                f"{r['elder_share']:.4f}",
                f"{r['offline_share']:.4f}",
                "" if r["p95_ms"] is None else str(r["p95_ms"]),
            ]
            for r in expected(api.engine, days=days, site=site)["rows"]
        ]
        assert rows == want, (days, site)


async def test_no_subject_leaves_in_stats(api: Api, kiosk_auth: KioskAuth) -> None:
    sent = await post_generated(api, kiosk_auth, 60)
    answers = [
        (await api.client.get(path, headers=api.auth("staff"))).text
        for path in ("/v1/stats", "/v1/stats.csv")
    ]
    subjects = {e["subject"] for e in sent if e["subject"]}
    assert len(subjects) > 50 and all("hospital-a" in text for text in answers)
    assert not [s for s in subjects for text in answers if s in text]


async def test_csv_is_for_staff_only(api: Api) -> None:
    assert (await api.client.get("/v1/stats.csv")).status_code == 401
    for role in ("kiosk", "feeder"):
        refused = await api.client.get("/v1/stats.csv", headers=api.auth(role))
        assert refused.status_code == 403
    bad = await api.client.get("/v1/stats.csv?days=0", headers=api.auth("staff"))
    assert bad.status_code == 422 and "days" in bad.json()["detail"]


async def test_an_empty_store_has_zero_counts_and_no_shares(api: Api) -> None:
    stats = (await api.client.get("/v1/stats", headers=api.auth("staff"))).json()
    assert stats["days"] == [] and stats["per_day"] == []
    assert stats["totals"] == {
        **dict.fromkeys(TALLIES, 0),
        "elder_share": None,
        "offline_share": None,
        "p95_ms": None,
    }
    csv_text = (await api.client.get("/v1/stats.csv", headers=api.auth("staff"))).text
    assert csv_text.lstrip("\ufeff").splitlines() == [",".join(CSV_HEADER)]


def _latency_events(site: str, latencies: list[float | None]) -> list[dict[str, Any]]:
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    return [
        {
            "event_id": f"{site}-{i}",
            "kiosk_id": "k1",
            "site": site,
            "at": at + timedelta(seconds=i),
            "verdict": "PASS",
            "reasons": [],
            "source": "online",
            "latency_ms": ms,
        }
        for i, ms in enumerate(latencies)
    ]


@pytest.mark.parametrize(
    ("latencies", "p95"),
    [
        ([42.5], 42.5),
        ([float(n) for n in range(20, 0, -1)], 19.0),  # ⌈0.95·20⌉ = 19th
        ([float(n) for n in range(1, 22)], 20.0),  # ⌈0.95·21⌉ = ⌈19.95⌉ = 20th
        ([float(n) for n in range(1, 101)], 95.0),  # 95th of 100
        ([10.0] * 96 + [500.0] * 4 + [None] * 50, 10.0),  # no latency: left out
        ([10.0] * 94 + [500.0] * 6, 500.0),
    ],
)
def test_p95_is_the_nearest_rank_on_both_backends(
    engine: Engine, latencies: list[float | None], p95: float
) -> None:
    record_events(engine, _latency_events("s1", latencies))
    record_events(engine, _latency_events("s2", [1.0, 2.0, None]))
    record_events(engine, _latency_events("s3", [None]))
    assert latency_p95(engine, by=("site",)) == {("s1",): p95, ("s2",): 2.0}
    assert latency_p95(engine, by=("day", "site"), site="s1") == {("2026-03-02", "s1"): p95}
    assert latency_p95(engine, since_day="2026-03-03") == {}


def tap(n: int, at: str, site: str = "hospital-a") -> dict[str, Any]:
    """An event of kiosk k1 (the ``kiosk`` token's own) at ``at``."""
    return {
        "event_id": f"t-{n}",
        "kiosk_id": "k1",
        "site": site,
        "at": at,
        "verdict": "PASS",
        "reasons": ["CODE_GREEN"],
        "source": "online",
        "card_type": "resident",
        "age_band": "60+",
        "subject": None,
        "latency_ms": 50.0,
    }


def stored(n: int, at: datetime, **fields: Any) -> dict[str, Any]:
    """``tap`` as the store takes it (``at`` a datetime), for rows written around the API."""
    return {**tap(n, at.isoformat()), "at": at, **fields}


def ago(**delta: float) -> str:
    return (datetime.now(UTC) - timedelta(**delta)).isoformat()


@pytest.mark.parametrize(
    "sent",
    [
        "0001-01-01T00:00:00+00:00",  # the attack as found: year 1 …
        "9999-12-31T23:59:59+00:00",  # … and year 9999 — one stats entry per day in between
        "0001-01-01T00:30:00+01:00",  # year 0 in UTC
        "9999-12-31T23:59:59-23:59",
        timedelta(seconds=3600 + 300),  # five minutes past limits.clock_skew_s ahead
        timedelta(hours=3),
        -timedelta(days=30, hours=1),  # an hour older than privacy.retention_days
        -timedelta(days=400),
    ],
    ids=str,
)
async def test_event_times_outside_the_server_clock_window_are_refused(
    api: Api, sent: str | timedelta
) -> None:
    at = sent if isinstance(sent, str) else (datetime.now(UTC) + sent).isoformat()
    batch = [tap(0, ago(minutes=1)), tap(1, ago(hours=2)), tap(2, at), tap(3, ago(seconds=5))]
    answer = await api.client.post("/v1/events", json={"events": batch}, headers=api.auth("kiosk"))
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    detail = answer.json()["detail"]
    assert detail.startswith("body.events.2.at: must be within 30 days before and 3600 s after")
    assert "privacy.retention_days" in detail and "limits.clock_skew_s" in detail
    assert at not in detail and "9999" not in detail and "0001" not in detail  # never echoed
    stats = (await api.client.get("/v1/stats", headers=api.auth("staff"))).json()
    assert stats["total"] == 0 and stats["per_day"] == []  # nothing of the batch was stored


async def test_times_inside_the_window_are_kept_and_each_bad_one_is_named(api: Api) -> None:
    inside = [tap(0, ago(seconds=-3600 + 60)), tap(1, ago(days=30, minutes=-5))]
    answer = await api.client.post("/v1/events", json={"events": inside}, headers=api.auth("kiosk"))
    assert answer.json() == {"accepted": 2, "duplicates": 0}
    bad = [tap(2, "9999-01-01T00:00:00Z"), tap(3, ago(seconds=1)), tap(4, "0001-01-01T00:00:00Z")]
    refused = await api.client.post("/v1/events", json={"events": bad}, headers=api.auth("kiosk"))
    fields = [part.split(":")[0] for part in refused.json()["detail"].split("; ")]
    assert fields == ["body.events.0.at", "body.events.2.at"]


async def test_the_window_ahead_is_limits_clock_skew_s(api: Api, config: VerifierConfig) -> None:
    five_minutes_fast = {"events": [tap(0, ago(minutes=-5))]}
    config.limits.clock_skew_s = 60
    refused = await api.client.post("/v1/events", json=five_minutes_fast, headers=api.auth("kiosk"))
    assert refused.status_code == 422 and "3600" not in refused.json()["detail"]
    assert "30 days before and 60 s after" in refused.json()["detail"]
    config.limits.clock_skew_s = 600
    kept = await api.client.post("/v1/events", json=five_minutes_fast, headers=api.auth("kiosk"))
    assert kept.json() == {"accepted": 1, "duplicates": 0}


@pytest.mark.parametrize("days", ["1000000000", "31", "3650", "-1", "1e3"])
async def test_days_is_bounded_by_retention(api: Api, days: str) -> None:
    for path in ("/v1/stats", "/v1/stats.csv"):
        answer = await api.client.get(f"{path}?days={days}", headers=api.auth("staff"))
        assert answer.status_code == 422, (path, answer.text)
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["detail"].startswith("query.days: ")
    most = await api.client.get("/v1/stats?days=30", headers=api.auth("staff"))
    assert most.status_code == 200


async def test_per_day_lists_only_the_days_with_events(api: Api) -> None:
    first, last = datetime.now(UTC) - timedelta(days=29), datetime.now(UTC)
    sent = [tap(n, (first + timedelta(minutes=n)).isoformat()) for n in range(3)]
    sent.append(tap(3, last.isoformat()))
    answer = await api.client.post("/v1/events", json={"events": sent}, headers=api.auth("kiosk"))
    assert answer.json()["accepted"] == 4
    stats = (await api.client.get("/v1/stats", headers=api.auth("staff"))).json()
    days = [first.date().isoformat(), last.date().isoformat()]
    assert [(d["day"], d["checks"]) for d in stats["per_day"]] == [(days[0], 3), (days[1], 1)]
    assert [(r["day"], r["checks"]) for r in stats["days"]] == [(days[0], 3), (days[1], 1)]
    assert stats["since"] <= days[0] and stats["until"] >= days[1]


async def test_rows_stored_before_the_check_cannot_blow_up_an_answer(api: Api) -> None:
    """Events of year 1 and year 9999 already in the store (written before times were checked)
    stay out of every window, so the answers stay the size of the real data."""
    record_events(
        api.engine, [stored(n, datetime(y, 6, 1, tzinfo=UTC)) for n, y in ((0, 1), (1, 9999))]
    )
    today = await api.client.post(
        "/v1/events", json={"events": [tap(5, ago(minutes=1))]}, headers=api.auth("kiosk")
    )
    assert today.json()["accepted"] == 1
    for query in ("", "?days=30", "?days=1"):
        answer = await api.client.get(f"/v1/stats{query}", headers=api.auth("staff"))
        stats = answer.json()
        assert len(answer.content) < 10_000
        assert [d["checks"] for d in stats["per_day"]] == [1], query
        assert stats["total"] == 3  # every stored event, as documented
    csv_text = (await api.client.get("/v1/stats.csv", headers=api.auth("staff"))).text
    assert len(csv_text.splitlines()) == 2
    assert purge_events(api.engine, days=30) == 1  # year 1 goes at the next purge
    after = (await api.client.get("/v1/stats", headers=api.auth("staff"))).json()
    assert after["total"] == 2 and after["totals"]["checks"] == 1


def test_the_tallies_follow_inserts_duplicates_and_purges(engine: Engine) -> None:
    """The stats count from tallies kept beside the events: after inserts, a resent batch and a
    purge they must still agree with the events table, on both backends."""
    now = datetime.now(UTC) + timedelta(hours=1)  # ages 0 … 39 days, none on the cut-off
    rows = [
        stored(n, now - timedelta(days=n % 40), latency_ms=float(n % 7) if n % 3 else None)
        for n in range(120)
    ]
    assert record_events(engine, [dict(r) for r in rows[:80]]) == (80, 0)
    assert record_events(engine, [dict(r) for r in rows]) == (40, 80)
    assert purge_events(engine, days=30) == 3 * 9  # ages 31 … 39, three times
    by_day = latency_p95(engine, by=("day",))
    want = expected(engine, days=None, site=None)
    assert {d["day"]: d["p95_ms"] for d in want["per_day"] if d["p95_ms"] is not None} == {
        day: p95 for (day,), p95 in by_day.items()
    }
    assert count_events(engine) == want["totals"]["checks"] == 120 - 27
    timed = Counter(r["at"].date().isoformat() for r in rows if r["latency_ms"] is not None)
    assert [(c["day"], c["checks"], c["timed"]) for c in day_site_counts(engine)] == [
        (d["day"], d["checks"], timed[d["day"]]) for d in want["per_day"]
    ]
