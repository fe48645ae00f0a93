"""A verifier that answers but whose publisher has stopped: the kiosk syncs without error and
still counts the list as old as it really is — measured from the signed ``published_at`` and the
verifier's clock (``X-Server-Time``), never from the kiosk's wall clock.

The verifier is ``yzt verifier serve`` in its own process (so shifting the kiosk's wall clock here
leaves the verifier's alone) with no signing key: it publishes nothing and serves what the test
published into its store with a clock the test controls.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from offline_helpers import kiosk_config, subject
from sqlalchemy import Engine
from verifier_helpers import serving

from kiosk.cardcheck import CardCheck
from kiosk.demo.run import yzt_command
from kiosk.offline import OfflineConfig, OfflineState
from verifier.risklist.build import publish
from verifier.store import open_store
from verifier.store.schema import health_codes
from verifier.store.tokens import add_token

DAY = 86400.0
WINDOW_S = DAY
OK = CardCheck("ok", ("CARD_VALID",), "60+")
RED, CLEAR = subject(1), subject(2)


@dataclass
class StoppedPublisher:
    url: str
    engine: Engine
    key: Ed25519PrivateKey
    public_key_file: Path
    token: str

    def publish_aged(self, age_s: float) -> None:
        """A new version whose signed ``published_at`` is ``age_s`` in the past."""
        now = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=age_s)
        publish(self.engine, self.key, now=now)


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoppedPublisher]:
    folder = tmp_path_factory.mktemp("verifier")
    pepper = folder / "pepper"
    pepper.write_bytes(b"p" * 40)
    pepper.chmod(0o600)
    config = folder / "verifier.toml"
    url = f"sqlite:///{folder / 'v.db'}"
    config.write_text(f'[store]\nurl = "{url}"\n\n[privacy]\npepper_file = "{pepper}"\n')
    engine = open_store(url)  # migrated before serve starts
    with engine.begin() as conn:
        conn.execute(
            health_codes.insert().values(
                subject=RED, color="red", reason="feed", updated_at=dt.datetime.now(dt.UTC)
            )
        )
    key = Ed25519PrivateKey.generate()
    public = folder / "risklist-signing.pub"
    public.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    with serving(config, folder / "serve.log") as base:
        token = add_token(engine, name="lane-1", role="kiosk", kiosk_id="lane-1", site="hospital-a")
        yield StoppedPublisher(base, engine, key, public, token)
    engine.dispose()


def kiosk_state(verifier: StoppedPublisher, data: Path) -> OfflineState:
    return OfflineState(
        OfflineConfig(freshness_window_s=WINDOW_S),
        data,
        verifier_url=verifier.url,
        token=verifier.token,
        public_key_file=verifier.public_key_file,
    )


def shift_wall_clock(monkeypatch: pytest.MonkeyPatch, days: float) -> None:
    """The kiosk process's wall clock (time.time and datetime.now) moved by ``days``."""
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + days * DAY)

    class Shifted(dt.datetime):
        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Shifted:  # type: ignore[override]
            return super().now(tz) + dt.timedelta(days=days)

    monkeypatch.setattr(dt, "datetime", Shifted)


@pytest.mark.parametrize("kiosk_clock_days", [0, -3, 3])
async def test_an_old_list_synced_now_is_stale(
    verifier: StoppedPublisher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kiosk_clock_days: float,
) -> None:
    """Published two days ago and never renewed: the sync succeeds, the list is stale, taps get
    "could not verify" — even for the red code on it — whatever the kiosk's wall clock says."""
    verifier.publish_aged(2 * DAY)
    shift_wall_clock(monkeypatch, kiosk_clock_days)
    state = kiosk_state(verifier, tmp_path)
    result = await state.sync_now()
    assert result.info.entries == 1 and state.last_error is None
    status = state.status()["risklist"]
    assert status["fresh"] is False
    assert 2 * DAY <= status["age_s"] < 2 * DAY + 60
    assert 0 <= status["sync_age_s"] < 60
    for someone in (RED, CLEAR):
        tap = state.decide(someone, OK)
        assert (tap.verdict, tap.source) == ("CHECK", "none")
        assert tap.reasons == ("VERIFY_UNAVAILABLE", "RISKLIST_STALE")
        assert tap.data_age_s is not None and tap.data_age_s >= 2 * DAY
    await state.aclose()


@pytest.mark.parametrize("kiosk_clock_days", [0, -3, 3])
async def test_a_list_published_an_hour_ago_is_fresh_and_an_hour_old(
    verifier: StoppedPublisher,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kiosk_clock_days: float,
) -> None:
    verifier.publish_aged(3600)
    shift_wall_clock(monkeypatch, kiosk_clock_days)
    state = kiosk_state(verifier, tmp_path)
    await state.sync_now()
    status = state.status()["risklist"]
    assert status["fresh"] is True and 3600 <= status["age_s"] < 3660
    red = state.decide(RED, OK)
    assert (red.verdict, red.source) == ("DENY", "risklist")
    assert red.data_age_s is not None and red.data_age_s >= 3600
    await state.aclose()


async def test_you_are_current_after_a_reboot_still_tells_the_real_age(
    verifier: StoppedPublisher, tmp_path: Path
) -> None:
    """After a reboot the age is unknown; the next sync brings no newer version (a signed "you are
    current" delta) and yet sets the age from that version's published_at — stale, not new."""
    verifier.publish_aged(2 * DAY)
    state = kiosk_state(verifier, tmp_path)
    first = await state.sync_now()
    await state.aclose()
    fresh_file = tmp_path / "risklist.fresh"
    saved = json.loads(fresh_file.read_text())
    fresh_file.write_text(json.dumps({**saved, "boot_id": "an-earlier-boot"}))

    rebooted = kiosk_state(verifier, tmp_path)
    assert rebooted.status()["risklist"]["age_s"] is None
    again = await rebooted.sync_now()
    assert again.kind == "delta" and again.info.version == first.info.version
    status = rebooted.status()["risklist"]
    assert status["fresh"] is False and status["age_s"] >= 2 * DAY
    assert rebooted.decide(RED, OK).reasons == ("VERIFY_UNAVAILABLE", "RISKLIST_STALE")
    await rebooted.aclose()


def test_kiosk_sync_command_says_the_list_is_stale(
    verifier: StoppedPublisher, tmp_path: Path
) -> None:
    """Staff forcing a sync learn that it worked, yet the data is too old and why."""
    verifier.publish_aged(2 * DAY)
    config = kiosk_config(verifier, tmp_path / "k")  # type: ignore[arg-type]
    ran = subprocess.run(
        [*yzt_command(), "kiosk", "sync", "--config", str(config)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=60,
    )
    assert ran.returncode == 1, ran.stdout + ran.stderr
    assert "subjects listed" in ran.stdout and "signature verified" in ran.stdout
    assert re.search(r"published 48\.\d h ago, past the freshness window", ran.stdout)
    assert "publishes nothing new" in ran.stdout and "Traceback" not in ran.stderr
