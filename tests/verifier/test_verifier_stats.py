"""GET /v1/stats and /v1/stats.csv on SQLite and PostgreSQL: a few hundred generated events go in
through the real POST /v1/events, and every figure must equal what the test counts on its own
from the events table."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine
from stats_sim import SITES, TALLIES, expected, generated_events
from verifier_helpers import Api

from verifier.store.events import latency_p95, record_events

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


async def post_generated(api: Api, count: int = EVENTS) -> list[dict[str, Any]]:
    rows = generated_events(count)
    for start in range(0, len(rows), 100):
        batch = {"events": rows[start : start + 100]}
        answer = await api.client.post("/v1/events", json=batch, headers=api.auth("kiosk"))
        assert answer.json() == {"accepted": len(batch["events"]), "duplicates": 0}
    return rows


def query(days: int | None, site: str | None) -> str:
    params = [f"days={days}"] * (days is not None) + [f"site={site}"] * (site is not None)
    return "?" + "&".join(params)


async def test_json_figures_equal_the_events_counted_independently(api: Api) -> None:
    sent = await post_generated(api)
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
    quiet = [d for d in everything["per_day"] if d["checks"] == 0]
    assert quiet and all(d["p95_ms"] is None and d["offline_share"] is None for d in quiet)
    recent = (await api.client.get("/v1/stats?days=7", headers=api.auth("staff"))).json()
    assert 0 < recent["totals"]["checks"] < totals["checks"]


async def test_csv_has_the_same_figures_for_excel(api: Api) -> None:
    await post_generated(api)
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


async def test_no_subject_leaves_in_stats(api: Api) -> None:
    sent = await post_generated(api, 60)
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
