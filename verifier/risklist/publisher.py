"""Who publishes the risk list in this process: ``serve`` (on start and every
``[risklist] publish_interval_s``) and every feed import, CLI or HTTP — when it holds the signing
key. Without one nothing is published here and ``problem`` says how to fix that; the app logs it
once and ``GET /v1/risklist`` answers with it until some host has published."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_incrementing

from verifier.config import ConfigError, RisklistConfig, VerifierConfig
from verifier.risklist.build import Published, publish
from verifier.risklist.keys import load_signing_key

log = logging.getLogger("verifier.risklist")
ATTEMPTS = 3
RETRY_PAUSE_S = 0.2
"""The pause after the first failed attempt; each next one waits this much longer."""


class Publisher:
    """Publishes one version at a time in this process; other replicas race through the store
    (the version is the primary key: a loser rolls back and tries again)."""

    def __init__(
        self,
        engine: Engine,
        settings: RisklistConfig,
        key: Ed25519PrivateKey | None,
        problem: str | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.engine = engine
        self.settings = settings
        self.key = key
        self.problem = problem
        self._lock = threading.Lock()
        self._sleep = sleep

    @classmethod
    def from_config(cls, config: VerifierConfig, engine: Engine) -> Publisher:
        """With the configured key, or without one and the reason (never raises for a key)."""
        try:
            key = load_signing_key(config)
        except ConfigError as exc:
            return cls(engine, config.risklist, None, str(exc))
        return cls(engine, config.risklist, key)

    def publish(self) -> Published | None:
        """A new version now; None without a key or when the store kept refusing (logged)."""
        if self.key is None:
            return None
        retrying = Retrying(
            stop=stop_after_attempt(ATTEMPTS),
            wait=wait_incrementing(start=RETRY_PAUSE_S, increment=RETRY_PAUSE_S),
            retry=retry_if_exception_type(SQLAlchemyError),
            reraise=True,
            sleep=self._sleep,
        )
        with self._lock:
            try:
                result: Published = retrying(
                    publish,
                    self.engine,
                    self.key,
                    travel_window_days=self.settings.travel_window_days,
                    keep_versions=self.settings.keep_versions,
                )
            except SQLAlchemyError as exc:
                error = type(exc).__name__
                log.warning(
                    "risk-list publish failed %d times (%s); the next run retries", ATTEMPTS, error
                )
                return None
        log.info(
            "risk list version %d published: %d listed, %d changed",
            result.version,
            result.entries,
            result.changes,
        )
        return result
