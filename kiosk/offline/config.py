"""The kiosk config's ``[offline]`` table: result cache, sync, freshness and offline policy."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kiosk.verdict import Verdict


class OfflineConfig(BaseModel):
    """How the kiosk decides while the verifier is out of reach (docs/offline.md)."""

    model_config = ConfigDict(extra="forbid")

    cache_ttl_s: float = Field(
        6 * 3600, gt=0, le=7 * 86400, title="an online result is reused offline this long"
    )
    cache_size: int = Field(100_000, ge=1, le=10_000_000, title="most subjects kept in the cache")
    sync_interval_s: float = Field(600, ge=5, le=86400, title="risk-list sync every M seconds")
    freshness_window_s: float = Field(
        24 * 3600, gt=0, le=30 * 86400, title="a list older than this no longer lets people pass"
    )
    offline_pass: Verdict = Field(
        "PASS", title="verdict for someone not on a fresh list (CHECK: staff look at everyone)"
    )
    public_key_file: Path | None = Field(
        None, title="pinned risk-list key (default: [verifier] public_key_file)"
    )
    code_red: Verdict = "DENY"
    code_yellow: Verdict = "CHECK"
    travel_medium: Verdict = "CHECK"
    travel_high: Verdict = "CHECK"
    card_reported: Verdict = "CHECK"
    outbox_max_mb: float = Field(
        256, gt=0, le=1_000_000, title="outbox cap: alarm at 80 %, new events refused when full"
    )
    clock_drift_alarm_s: float = Field(
        60, gt=0, title="kiosk clock this far from the verifier's is flagged to staff"
    )
