"""The offline verdict: cache first, then a fresh risk list, else CHECK — with source and age."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.offline.cache import ResultCache
from kiosk.offline.config import OfflineConfig
from kiosk.offline.decider import OfflineDecider
from kiosk.offline.freshness import Freshness
from kiosk.offline.risklist import RiskListStore, decode_all
from verifier.risklist import format as wire

KEY = Ed25519PrivateKey.generate()
RED, YELLOW, TRAVEL, LOST, CLEAR = (f"{n:02x}" * 32 for n in range(1, 6))
HOUR = 3600.0


@dataclass(frozen=True)
class Card:
    outcome: str = "ok"
    reasons: tuple[str, ...] = ("CARD_VALID",)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Kiosk:
    decider: OfflineDecider
    clock: Clock
    cache: ResultCache
    store: RiskListStore
    freshness: Freshness


def make(tmp_path: Path, **config: object) -> Kiosk:
    clock = Clock()
    cache = ResultCache(tmp_path / "c.sqlite3", maxsize=100, ttl_s=HOUR, clock=clock)
    store = RiskListStore(tmp_path / "r.sqlite3")
    freshness = Freshness(tmp_path / "f.json", clock=clock, boot=lambda: "b")
    decider = OfflineDecider(OfflineConfig(**config), cache, store, freshness)
    return Kiosk(decider, clock, cache, store, freshness)


def sync(kiosk: Kiosk, data_age_s: float = 0.0) -> None:
    listed = {
        bytes.fromhex(RED[:32]): wire.CODE_RED,
        bytes.fromhex(YELLOW[:32]): wire.CODE_YELLOW,
        bytes.fromhex(TRAVEL[:32]): wire.TRAVEL_HIGH,
        bytes.fromhex(LOST[:32]): wire.CARD_REPORTED | wire.TRAVEL_MEDIUM,
    }
    data = wire.encode(wire.Header(wire.SNAPSHOT, 0, 1, 4, 4, 0), listed, KEY)
    kiosk.store.apply(decode_all(data, KEY.public_key()))
    kiosk.freshness.mark_synced(data_age_s)


def test_fresh_risk_list_decides_with_its_flags(tmp_path: Path) -> None:
    kiosk = make(tmp_path)
    sync(kiosk)
    kiosk.clock.now += 2 * HOUR
    decide = kiosk.decider.decide
    assert decide(RED, Card()).verdict == "DENY"
    assert decide(RED, Card()).reasons == ("CODE_RED",)
    assert decide(YELLOW, Card()).verdict == "CHECK"
    assert decide(TRAVEL, Card()).reasons == ("TRAVEL_RISK_AREA",)
    lost = decide(LOST, Card())
    assert (lost.verdict, lost.reasons) == ("CHECK", ("CARD_REPORTED_LOST", "TRAVEL_RISK_AREA"))
    clear = decide(CLEAR, Card())
    assert (clear.verdict, clear.reasons, clear.source) == ("PASS", ("CARD_VALID",), "risklist")
    assert clear.data_age_s == pytest.approx(2 * HOUR)


def test_cache_comes_before_the_list(tmp_path: Path) -> None:
    kiosk = make(tmp_path)
    sync(kiosk)
    kiosk.cache.remember(RED, "PASS", ["CODE_GREEN", "CARD_VALID"])  # cleared since the list
    kiosk.clock.now += 600
    verdict = kiosk.decider.decide(RED, Card())
    assert (verdict.verdict, verdict.source, verdict.data_age_s) == ("PASS", "cache", 600)
    kiosk.clock.now += HOUR  # cache entry expired → the list again
    assert kiosk.decider.decide(RED, Card()).source == "risklist"


def test_stale_list_means_check_for_everyone(tmp_path: Path) -> None:
    kiosk = make(tmp_path, freshness_window_s=24 * HOUR)
    sync(kiosk)
    kiosk.clock.now += 24 * HOUR + 1
    verdict = kiosk.decider.decide(CLEAR, Card())
    assert verdict.verdict == "CHECK" and verdict.source == "none"
    assert verdict.reasons == ("VERIFY_UNAVAILABLE", "RISKLIST_STALE")
    assert kiosk.decider.decide(RED, Card()).verdict == "CHECK"  # never DENY from stale data


def test_a_list_already_old_when_synced_goes_stale_sooner(tmp_path: Path) -> None:
    kiosk = make(tmp_path, freshness_window_s=24 * HOUR)
    sync(kiosk, data_age_s=23 * HOUR)
    kiosk.clock.now += HOUR - 1
    on_list = kiosk.decider.decide(RED, Card())
    assert (on_list.verdict, on_list.source) == ("DENY", "risklist")
    assert on_list.data_age_s == pytest.approx(24 * HOUR - 1)
    kiosk.clock.now += 2
    stale = kiosk.decider.decide(RED, Card())
    assert (stale.verdict, stale.reasons) == ("CHECK", ("VERIFY_UNAVAILABLE", "RISKLIST_STALE"))
    assert stale.data_age_s == pytest.approx(24 * HOUR + 1)


def test_no_list_and_no_cache_is_could_not_verify(tmp_path: Path) -> None:
    verdict = make(tmp_path).decider.decide(CLEAR, Card())
    assert (verdict.verdict, verdict.reasons, verdict.source) == (
        "CHECK",
        ("VERIFY_UNAVAILABLE",),
        "none",
    )
    assert verdict.data_age_s is None


def test_site_policy_may_require_staff_for_every_offline_pass(tmp_path: Path) -> None:
    kiosk = make(tmp_path, offline_pass="CHECK", code_red="CHECK")
    sync(kiosk)
    clear = kiosk.decider.decide(CLEAR, Card())
    assert (clear.verdict, clear.reasons) == ("CHECK", ("VERIFY_UNAVAILABLE",))
    assert kiosk.decider.decide(RED, Card()).verdict == "CHECK"


def test_an_expired_card_is_named_first_and_never_passes(tmp_path: Path) -> None:
    kiosk = make(tmp_path)
    sync(kiosk)
    verdict = kiosk.decider.decide(CLEAR, Card("fail", ("CARD_EXPIRED",)))
    assert (verdict.verdict, verdict.reasons) == ("CHECK", ("CARD_EXPIRED",))
    red = kiosk.decider.decide(RED, Card("fail", ("CARD_EXPIRED",)))
    assert (red.verdict, red.reasons) == ("DENY", ("CARD_EXPIRED", "CODE_RED"))


def test_flags_from_a_newer_publisher_make_staff_look(tmp_path: Path) -> None:
    kiosk = make(tmp_path)
    data = wire.encode(
        wire.Header(wire.SNAPSHOT, 0, 1, 1, 1, 0), {bytes.fromhex(CLEAR[:32]): 0x80}, KEY
    )
    kiosk.store.apply(decode_all(data, KEY.public_key()))
    kiosk.freshness.mark_synced(0.0)
    verdict = kiosk.decider.decide(CLEAR, Card())
    assert (verdict.verdict, verdict.reasons) == ("CHECK", ("VERIFY_UNAVAILABLE",))
