"""``OfflineState`` as the daemon uses it, against a real verifier over TCP: sync, decide,
remember, status — and ``yzt kiosk sync`` / ``yzt kiosk outbox`` as staff run them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from offline_helpers import LiveVerifier, kiosk_config, subject
from typer.testing import CliRunner

from kiosk.cardcheck import CardCheck
from kiosk.decision import Decision
from kiosk.offline import OfflineConfig, OfflineState
from kiosk.offline.cli import offline_app
from kiosk.outbox import Outbox

pytest_plugins = ("offline_fixtures",)
OK = CardCheck("ok", ("CARD_VALID",), "60+")


def state_for(live: LiveVerifier, data: Path, **config: object) -> OfflineState:
    return OfflineState(
        OfflineConfig(**config),
        data,
        verifier_url=live.url,
        token=live.token,
        public_key_file=live.public_key_file,
    )


async def test_decides_from_the_synced_list_and_reports_status(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    live_verifier.set_codes({1: "red", 2: "green"})
    live_verifier.publish()
    state = state_for(live_verifier, tmp_path)
    assert state.status()["risklist"] == {
        "version": None,
        "entries": None,
        "age_s": None,
        "sync_age_s": None,
        "fresh": False,
        "last_error": None,
    }
    await state.sync_now()
    red, green = state.decide(subject(1), OK), state.decide(subject(2), OK)
    assert red == Decision("DENY", ("CODE_RED",), "risklist", red.data_age_s)
    assert green == Decision("PASS", ("CARD_VALID",), "risklist", green.data_age_s)
    assert red.data_age_s is not None and 0 <= red.data_age_s <= green.data_age_s  # since sync
    state.remember(subject(1), "PASS", ["CODE_GREEN", "CARD_VALID"])
    cached = state.decide(subject(1), OK)
    assert cached.source == "cache" and cached.data_age_s is not None
    status = state.status()
    assert status["risklist"]["version"] == 1 and status["risklist"]["entries"] == 1
    assert status["risklist"]["fresh"] is True and 0 <= status["risklist"]["age_s"] < 60
    assert status["cache"] == {"entries": 1}
    assert status["clock"]["alarm"] is False
    await state.aclose()


async def test_restart_keeps_cache_list_and_freshness(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    live_verifier.set_codes({1: "red"})
    live_verifier.publish()
    first = state_for(live_verifier, tmp_path)
    await first.sync_now()
    first.remember(subject(3), "CHECK", ["CODE_YELLOW"])
    await first.aclose()
    second = state_for(live_verifier, tmp_path)
    assert second.decide(subject(3), OK).source == "cache"
    red = second.decide(subject(1), OK)
    assert red == Decision("DENY", ("CODE_RED",), "risklist", red.data_age_s)
    assert red.data_age_s is not None  # the age of the sync before the restart, kept
    assert second.status()["risklist"]["fresh"] is True
    await second.aclose()


async def test_sync_loop_runs_on_start_and_survives_a_dead_verifier(
    tmp_path: Path, live_verifier
) -> None:
    state = OfflineState(
        OfflineConfig(sync_interval_s=5),
        tmp_path,
        verifier_url="http://127.0.0.1:9",
        token="t",
        public_key_file=live_verifier.public_key_file,
    )
    await state.start()
    for _ in range(100):
        if state.last_error:
            break
        await asyncio.sleep(0.05)
    assert state.last_error is not None and "ConnectError" in state.last_error
    assert state.decide(subject(1), OK) == Decision("CHECK", ("VERIFY_UNAVAILABLE",), "none")
    await state.aclose()


runner = CliRunner()
kiosk_app = typer.Typer()  # mounted as the lead mounts them under `yzt kiosk`
kiosk_app.command("sync")(offline_app.registered_commands[0].callback)  # type: ignore[arg-type]
kiosk_app.command("outbox")(offline_app.registered_commands[1].callback)  # type: ignore[arg-type]


def test_kiosk_sync_command(live_verifier: LiveVerifier, tmp_path: Path) -> None:
    live_verifier.red_range(1000, 500)
    live_verifier.publish()
    config = kiosk_config(live_verifier, tmp_path / "k")
    result = runner.invoke(kiosk_app, ["sync", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "Risk list version 1: 500 subjects listed (snapshot" in result.stdout
    assert "signature verified" in result.stdout and "Next:" in result.stdout


def test_kiosk_sync_command_with_a_bad_key_keeps_the_list(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    live_verifier.publish()
    config = kiosk_config(live_verifier, tmp_path / "k")
    live_verifier.public_key_file.write_text("not a key")
    result = runner.invoke(kiosk_app, ["sync", "--config", str(config)])
    assert result.exit_code == 2
    assert "is not a PEM public key" in result.stderr and "Traceback" not in result.output


def test_kiosk_outbox_command(live_verifier: LiveVerifier, tmp_path: Path) -> None:
    config = kiosk_config(live_verifier, tmp_path / "k")
    empty = runner.invoke(kiosk_app, ["outbox", "--config", str(config)])
    assert empty.exit_code == 0 and "No outbox yet" in empty.stdout
    box = Outbox(tmp_path / "k" / "data" / "outbox.sqlite3")
    box.add({"event_id": "e1", "verdict": "PASS"})
    box.add({"event_id": "e2", "verdict": "CHECK"})
    box.close()
    result = runner.invoke(kiosk_app, ["outbox", "--config", str(config)])
    assert result.exit_code == 0 and "2 event(s) waiting" in result.stdout
