"""``OfflineState``: the one object the kiosk daemon owns for offline tolerance.

It holds the result cache, the risk list, freshness and clock drift, runs the sync loop, and
is the daemon's ``kiosk.decision.OfflineData``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from typing import Any

import httpx

from kiosk.cardcheck import CardCheck
from kiosk.decision import Decision
from kiosk.offline.cache import ResultCache
from kiosk.offline.clock import ClockDrift
from kiosk.offline.config import OfflineConfig
from kiosk.offline.decider import OfflineDecider
from kiosk.offline.freshness import Freshness
from kiosk.offline.risklist import QR_REVOKED, RiskListError, RiskListStore, load_public_key
from kiosk.offline.sync import (
    Progress,
    SyncError,
    SyncParts,
    SyncResult,
    run_sync_once,
    sync_periodically,
    sync_trust_list,
)
from kiosk.offline.trustlist import TrustListRefused, TrustListStore
from kiosk.verdict import Verdict
from readers.qr import TrustList

log = logging.getLogger(__name__)


class OfflineState:
    """Files in ``data_dir``: results.sqlite3, risklist.sqlite3, risklist.fresh, risklist.part,
    trustlist.signed."""

    def __init__(
        self,
        config: OfflineConfig,
        data_dir: Path,
        *,
        verifier_url: str,
        token: str,
        public_key_file: Path | None = None,
    ) -> None:
        key_file = config.public_key_file or public_key_file
        if key_file is None:
            raise RiskListError("public_key_file: not set; pin the verifier's risk-list key")
        key = load_public_key(key_file)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.cache = ResultCache(
            data_dir / "results.sqlite3", maxsize=config.cache_size, ttl_s=config.cache_ttl_s
        )
        self.risklist = RiskListStore(data_dir / "risklist.sqlite3")
        self.freshness = Freshness(data_dir / "risklist.fresh")
        self.trust = TrustListStore(data_dir / "trustlist.signed", key)
        self.trust_error: str | None = None
        self.clock = ClockDrift(config.clock_drift_alarm_s)
        self.decider = OfflineDecider(config, self.cache, self.risklist, self.freshness)
        self.client = httpx.AsyncClient(
            base_url=verifier_url.rstrip("/"),
            headers={"Authorization": f"Bearer {token}"},
            timeout=httpx.Timeout(60.0, connect=5.0),
        )
        self.parts = SyncParts(
            self.client,
            self.risklist,
            key,
            self.freshness,
            self.clock,
            data_dir / "risklist.part",
        )
        self.last_error: str | None = None
        self._loop: asyncio.Task[None] | None = None
        self._closed = False
        self._sync_lock = asyncio.Lock()

    @classmethod
    def from_kiosk(cls, config: Any) -> OfflineState:
        """From the kiosk's config: its ``offline`` table (defaults if absent), verifier, data."""
        offline = getattr(config, "offline", None) or OfflineConfig()
        return cls(
            offline,
            config.data.dir,
            verifier_url=str(config.verifier.url),
            token=config.token(),
            public_key_file=config.verifier.public_key_file,
        )

    def decide(self, subject: str, card: CardCheck) -> Decision:
        """The verdict without the verifier, with its data age."""
        return self.decider.decide(subject, card)

    def card_revoked(self, key: bytes) -> bool:
        """Whether the risk list marks this elder card revoked (``key``: its serial's
        ``readers.qr.yztcard.revocation_key``), however old the list: a revocation never goes
        stale."""
        return bool(self.risklist.flags(key.hex()) & QR_REVOKED)

    def trust_list(self) -> TrustList | None:
        """The last good health-certificate trust list from the verifier; None before one."""
        held = self.trust.current
        return None if held is None else held.trust

    def remember(self, subject: str, verdict: Verdict, reasons: tuple[str, ...]) -> None:
        """Keep the verifier's online answer for offline reuse."""
        self.cache.remember(subject, verdict, reasons)

    async def sync_now(self, progress: Progress | None = None) -> SyncResult:
        """One sync; concurrent calls wait for each other (they share the partial download)."""
        async with self._sync_lock:
            return await self._sync_once(progress)

    async def _sync_once(self, progress: Progress | None) -> SyncResult:
        await self._sync_trust_list()
        try:
            result = await run_sync_once(self.parts, progress)
        except (SyncError, RiskListError) as exc:
            self.last_error = str(exc)
            raise
        self.last_error = None
        return result

    async def _sync_trust_list(self) -> None:
        """The trust list's part of a sync: its failure never fails the risk list's."""
        try:
            outcome, _ = await sync_trust_list(self.client, self.trust)
        except (SyncError, TrustListRefused, OSError) as exc:
            self.trust_error = str(exc)
            log.warning("trust-list sync failed, keeping the list we have: %s", exc)
            return
        self.trust_error = None
        log.debug("trust list %s", outcome)

    def trust_status(self) -> dict[str, Any]:
        """The held trust list for ``yzt kiosk sync``: when it was issued, how many signers,
        and why the last sync did not renew it (None when it did)."""
        held = self.trust.current
        return {
            "issued_at": None if held is None else held.issued_at,
            "signers": None if held is None else len(held.trust),
            "last_error": self.trust_error,
        }

    def status(self) -> dict[str, Any]:
        """The ``risklist`` part of ``/api/status`` (+ cache and clock for the staff page):
        ``age_s`` is how old the list's data is, ``sync_age_s`` the time since the last good
        sync — far apart when the verifier answers but nobody publishes."""
        info = self.risklist.info()
        age, since = self.freshness.age_s(), self.freshness.sync_age_s()
        return {
            "risklist": {
                "version": None if info is None else info.version,
                "entries": None if info is None else info.entries,
                "age_s": None if age is None else round(age, 1),
                "sync_age_s": None if since is None else round(since, 1),
                "fresh": self.freshness.is_fresh(self.config.freshness_window_s),
                "last_error": self.last_error,
            },
            "cache": {"entries": len(self.cache)},
            "clock": self.clock.status(),
        }

    async def start(self) -> None:
        """Sync now and every ``sync_interval_s`` in the background; once, however often called
        (the daemon that owns this state starts it)."""
        if self._loop is not None:
            return
        self._loop = asyncio.create_task(
            sync_periodically(self.sync_now, self.config.sync_interval_s), name="risklist-sync"
        )

    async def aclose(self) -> None:
        """Stop syncing and close the files; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        await self.client.aclose()
        self.cache.close()
        self.risklist.close()
