"""The store's streaming replicas on ``/metrics``, as this worker's last check found them
(verifier/store/pg_reads.py): whether each answers, and how far behind the primary it is.
Labelled by ``replica`` (host:port); absent when ``[store] read_urls`` is empty. The alerts on
them are deploy/prometheus/yzt-alerts.yml's ``StoreReplicaDown`` and ``StoreReplicaLagging``."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from verifier.store.pg_reads import PgReads


class ReplicaCollector(Collector):
    """``yzt_store_replica_up`` and ``yzt_store_replica_lag_seconds`` per replica."""

    def __init__(self, reads: PgReads) -> None:
        self.reads = reads

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "yzt_store_replica_up",
            "1 when the replica answered this worker's last check, 0 while it is skipped",
            labels=["replica"],
        )
        lag = GaugeMetricFamily(
            "yzt_store_replica_lag_seconds",
            "How long the replica has lacked WAL the primary had (0 when caught up; "
            "missing while it does not answer)",
            labels=["replica"],
        )
        for replica in self.reads.replicas:
            up.add_metric([replica.name], int(replica.up))
            if replica.lag_s is not None:
                lag.add_metric([replica.name], replica.lag_s)
        yield up
        yield lag
