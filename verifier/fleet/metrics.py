"""The fleet on ``/metrics``: per-kiosk gauges read from the heartbeats table at scrape time, so
ops scrape one target (the verifier) instead of every kiosk, values are as fresh as the last
heartbeat, and a kiosk whose row is gone drops out.

One query per scrape. Labels are ``kiosk`` and ``site`` (``verdict`` for the verdict counts) —
never a subject. Every replica reads the same table, so rules and dashboards aggregate with
``min by (kiosk, site)`` / ``max by (kiosk, site)`` over the replicas' ``instance`` labels
(deploy/prometheus/yzt-alerts.yml).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from verifier.fleet.state import Vitals
from verifier.store.heartbeats import last_heartbeats
from verifier.timeutil import utcnow

log = logging.getLogger("verifier.metrics")

KIOSK = ["kiosk", "site"]
VERDICTS = ("PASS", "CHECK", "DENY")


class FleetCollector(Collector):
    """``yzt_fleet_*`` gauges, one sample per kiosk (a field the kiosk did not send: no sample)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily]:
        store_up = GaugeMetricFamily(
            "yzt_fleet_store_up",
            "1 when this scrape read the heartbeats table; 0 when the store failed "
            "(the per-kiosk yzt_fleet_* gauges are then missing)",
        )
        try:
            rows = last_heartbeats(self.engine)
        except SQLAlchemyError as exc:
            log.warning("fleet metrics: the store did not answer: %s", str(exc).splitlines()[0])
            store_up.add_metric([], 0)
            yield store_up
            return
        store_up.add_metric([], 1)
        yield store_up
        now = utcnow()
        gauges = _Gauges()
        for row in rows:
            since = max((now - row["received_at"]).total_seconds(), 0.0)
            gauges.add(row["kiosk_id"], row["site"], since, Vitals.from_doc(row["doc"]))
        yield from gauges.families()


class _Gauges:
    """The families of one scrape, filled kiosk by kiosk."""

    def __init__(self) -> None:
        def gauge(name: str, doc: str, labels: list[str] = KIOSK) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, labels=labels)

        self.heartbeat_age = gauge(
            "yzt_fleet_heartbeat_age_seconds",
            "Seconds since the kiosk's last heartbeat reached the verifier (verifier clock)",
        )
        self.risklist_age = gauge(
            "yzt_fleet_risklist_age_seconds",
            "Age of the kiosk's risk list: its age at the last heartbeat plus the time since",
        )
        self.outbox_pending = gauge(
            "yzt_fleet_outbox_pending", "Events waiting on the kiosk to be uploaded"
        )
        self.outbox_oldest = gauge(
            "yzt_fleet_outbox_oldest_age_seconds",
            "How long the oldest waiting event had waited, at the last heartbeat",
        )
        self.reader_ok = gauge(
            "yzt_fleet_reader_ok", "1 when the kiosk's card reader works, 0 when it does not"
        )
        self.clock_drift = gauge(
            "yzt_fleet_clock_drift_seconds",
            "Kiosk clock minus verifier clock (positive: the kiosk is ahead)",
        )
        self.taps = gauge("yzt_fleet_taps_today", "Cards read today (kiosk's local day)")
        self.elder_taps = gauge(
            "yzt_fleet_elder_taps_today", "Cards of elderly people read today (kiosk's local day)"
        )
        self.verdicts = gauge(
            "yzt_fleet_verdicts_today",
            "Verdicts shown today, online and offline (kiosk's local day)",
            [*KIOSK, "verdict"],
        )

    def add(self, kiosk: str, site: str, since: float, v: Vitals) -> None:
        labels = [kiosk, site]
        self.heartbeat_age.add_metric(labels, since)
        optional = (
            (self.risklist_age, None if v.risklist_age_s is None else v.risklist_age_s + since),
            (self.outbox_pending, v.outbox_pending),
            (self.outbox_oldest, v.outbox_oldest_s),
            (self.reader_ok, None if v.reader_state is None else int(v.reader_state == "ok")),
            (self.clock_drift, v.clock_drift_s),
            (self.taps, v.counts.get("total")),
            (self.elder_taps, v.counts.get("elder")),
        )
        for family, value in optional:
            if value is not None:
                family.add_metric(labels, value)
        for verdict in VERDICTS:
            if verdict in v.counts:
                self.verdicts.add_metric([*labels, verdict], v.counts[verdict])

    def families(self) -> Iterator[GaugeMetricFamily]:
        yield from (
            self.heartbeat_age,
            self.risklist_age,
            self.outbox_pending,
            self.outbox_oldest,
            self.reader_ok,
            self.clock_drift,
            self.taps,
            self.elder_taps,
            self.verdicts,
        )
