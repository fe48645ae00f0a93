"""``create_app(config)``: the FastAPI application. Nothing connects at import time; the store is
opened (and migrated) here; the purge task, and the risk-list publisher when this host holds the
signing key, run for the app's lifetime."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from cachetools import TTLCache
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.types import ASGIApp

from verifier.api import events, feeds, health, lookup, openapi, problems, stats, verify
from verifier.api.deps import Services
from verifier.api.headers import SecurityHeaders
from verifier.api.limits import BodyLimit, FailedAuth, RateLimiter
from verifier.api.metrics import Metrics, MetricsMiddleware
from verifier.api.replica_metrics import ReplicaCollector
from verifier.api.verify_fast import VerifyFastPath
from verifier.config import VerifierConfig
from verifier.console import session, stats_csv, stats_page
from verifier.console.auth import SignInRequired, sign_in_redirect
from verifier.console.templating import STATIC
from verifier.fleet import page as fleet_page
from verifier.fleet import routes as fleet
from verifier.policy import PolicyError, load_profiles
from verifier.qrcards import routes as trustlist
from verifier.qrcards.trustlist import TrustListServer
from verifier.retention import purge_periodically
from verifier.risklist import routes as risklist
from verifier.risklist.publisher import Publisher
from verifier.risklist.schedule import publish_periodically
from verifier.store import open_store
from verifier.store.people import SqliteFacts
from verifier.store.pg_reads import PgReads
from verifier.store.read_engines import ReadEngines, replica_engine

log = logging.getLogger("verifier.risklist")


def build_services(config: VerifierConfig, engine: Engine | None = None) -> Services:
    """Open the store and load what requests need; raises ConfigError/StoreError/PolicyError."""
    pepper = config.pepper_bytes()
    profiles = load_profiles(config.policy.dir)
    missing = {config.policy.default, *config.policy.sites.values()} - set(profiles)
    if missing:
        raise PolicyError(f"policy: no profile named {sorted(missing)[0]!r}")
    limits, store = config.limits, config.store
    engine = engine or open_store(config.database_url())
    read_urls = config.read_urls()
    publisher = Publisher.from_config(config, engine)
    if publisher.problem is not None:
        log.warning(
            "the risk list is NOT published by this verifier (fine on a replica when another "
            "host publishes): %s",
            publisher.problem,
        )
    pg_reads = (
        PgReads.build(
            engine.url.render_as_string(hide_password=False),
            read_urls,
            size=store.pool_size,
            timeout_s=store.pool_timeout_s,
            lag_max_s=store.replica_lag_max_s,
            retry_s=store.replica_retry_s,
        )
        if engine.dialect.name == "postgresql"
        else None
    )
    metrics = Metrics(engine)
    if pg_reads is not None and pg_reads.replicas:
        metrics.registry.register(ReplicaCollector(pg_reads))
    return Services(
        config=config,
        engine=engine,
        pepper=pepper,
        profiles=profiles,
        limiter=RateLimiter(limits.rate_per_s, limits.burst),
        auth_failures=FailedAuth(
            limits.auth_failures_per_min,
            limits.auth_failure_burst,
            max_addresses=limits.auth_failure_addresses,
        ),
        metrics=metrics,
        publisher=publisher,
        token_cache=TTLCache(maxsize=10_000, ttl=max(limits.token_cache_s, 0.001)),
        sqlite_facts=SqliteFacts(engine) if engine.dialect.name == "sqlite" else None,
        pg_facts=pg_reads,
        reads=ReadEngines(
            [replica_engine(url) for url in read_urls], retry_s=store.replica_retry_s
        ),
        trust_list=None
        if config.qr.trust_list is None
        else TrustListServer(config.qr.trust_list, publisher.key),
    )


class VerifierApp(FastAPI):
    """The FastAPI app with the kiosks' hot path in front of its whole middleware stack."""

    def build_middleware_stack(self) -> ASGIApp:
        services: Services = self.state.services
        docs = (self.docs_url, self.redoc_url, self.swagger_ui_oauth2_redirect_url)
        return VerifyFastPath(
            super().build_middleware_stack(),
            services=services,
            limit=services.config.limits.body_bytes,
            docs_paths=[path for path in docs if path],
        )


def create_app(
    config: VerifierConfig, *, services: Services | None = None, publishes: bool = True
) -> FastAPI:
    """The verifier app for ``config`` (``services`` to share an already opened store;
    ``publishes=False`` for all but one worker of a server: they still publish after an import,
    but the start-up and periodic publish, seconds of CPU at 10^6 people, runs once)."""
    services = services or build_services(config)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks: list[asyncio.Task[None]] = []
        if services.pg_facts is not None:
            await services.pg_facts.open()  # connected before the first verify, or no start
            if services.pg_facts.replicas:
                tasks.append(asyncio.create_task(services.pg_facts.watch()))
        gc.collect()
        gc.freeze()  # startup objects leave the collector's view: no long full-GC pauses later
        tasks.append(
            asyncio.create_task(
                purge_periodically(
                    services.engine,
                    days=config.privacy.retention_days,
                    interval_s=config.privacy.purge_interval_s,
                    on_purged=services.metrics.purged.inc,
                )
            )
        )
        if publishes and services.publisher.key is not None:
            interval_s = config.risklist.publish_interval_s
            tasks.append(
                asyncio.create_task(publish_periodically(services.publisher, interval_s=interval_s))
            )
        try:
            yield
        finally:
            if services.sqlite_facts is not None:
                services.sqlite_facts.close()
            if services.pg_facts is not None:
                await services.pg_facts.close()
            if services.reads is not None:
                services.reads.dispose()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    app = VerifierApp(
        title="yzt verifier",
        version="1",
        summary="Health-code verification for ID-card kiosks (一证通行)",
        lifespan=lifespan,
    )
    app.state.services = services
    problems.install(app)
    openapi.install(app)
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    for module in (
        verify,
        events,
        fleet,
        stats,
        lookup,
        feeds,
        health,
        risklist,
        trustlist,
        session,
        fleet_page,
        stats_page,
        stats_csv,
    ):
        app.include_router(module.router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")
    limits = config.limits
    app.add_middleware(BodyLimit, limit=limits.body_bytes, feed_limit=limits.feed_body_bytes)
    app.add_middleware(
        MetricsMiddleware, metrics=services.metrics, access_log=config.server.access_log
    )
    docs = (app.docs_url, app.redoc_url, app.swagger_ui_oauth2_redirect_url)
    app.add_middleware(SecurityHeaders, docs_paths=[path for path in docs if path])
    return app
