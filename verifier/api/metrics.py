"""Prometheus metrics, one registry per app. Labels are routes, sites, verdicts, kinds, kiosks —
never a subject or an ID number. The fleet's per-kiosk gauges are read from the store at each
scrape (verifier/fleet/metrics.py)."""

from __future__ import annotations

import logging
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifier.fleet.metrics import FleetCollector
from verifier.logs import ACCESS_LOGGER, client_address, request_label


class Metrics:
    """The verifier's metrics."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(FleetCollector(engine))
        self.requests = Counter(
            "yzt_verifier_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "yzt_verifier_request_seconds",
            "HTTP request time by route template",
            ["route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
            registry=self.registry,
        )
        self.verdicts = Counter(
            "yzt_verifier_verdicts",
            "Verdicts given by /v1/verify",
            ["site", "verdict"],
            registry=self.registry,
        )
        self.feed_rows = Counter(
            "yzt_verifier_feed_rows",
            "Feed rows received over HTTP",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.events = Counter(
            "yzt_verifier_events",
            "Kiosk events received",
            ["outcome"],
            registry=self.registry,
        )
        self.purged = Counter(
            "yzt_verifier_events_purged",
            "Events deleted by the retention job",
            registry=self.registry,
        )


class RequestRecord:
    """Counts and times one request by its route template (``/v1/feeds/{kind}``) and, with
    ``access_log``, writes its access line (client, route template, status, time: never the
    path or query, which may carry an ID number) through the log queue."""

    def __init__(self, metrics: Metrics, *, access_log: bool) -> None:
        self.metrics = metrics
        self.access = logging.getLogger(ACCESS_LOGGER) if access_log else None

    def record(self, scope: Scope, route: str, status: int, elapsed: float) -> None:
        self.metrics.requests.labels(scope["method"], route, str(status)).inc()
        self.metrics.latency.labels(route).observe(elapsed)
        if self.access is not None:
            self.access.info(
                "%s %s %d %.1fms",
                client_address(scope),
                request_label(scope),
                status,
                elapsed * 1000,
            )


class MetricsMiddleware:
    """``RequestRecord`` for every HTTP request: one pass for metrics and access log."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, access_log: bool = False) -> None:
        self.app = app
        self.record = RequestRecord(metrics, access_log=access_log).record

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.record(scope, route, status, time.perf_counter() - started)
