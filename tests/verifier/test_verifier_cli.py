"""CLI contract: init, token add/list/revoke, import exit codes, seed, lookup, purge, bad config."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner
from verifier_helpers import csv_body, id_numbers, write_config

from verifier.cli import app
from verifier.config import load_config
from verifier.store import open_store
from verifier.store.events import record_events
from verifier.store.schema import events, health_codes
from verifier.store.tokens import find_token

pytest_plugins = ("verifier_fixtures",)
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_init_prints_an_admin_token_and_refuses_to_run_twice(tmp_path: Path) -> None:
    code, out, err = run("init", "--data", str(tmp_path / "d"))
    config_path = tmp_path / "d" / "verifier.toml"
    assert code == 0 and f"token add --config {config_path}" in " ".join(err.split())
    token = out.strip().splitlines()[-1]
    config = load_config(tmp_path / "d" / "verifier.toml")
    engine = open_store(config.database_url())
    assert find_token(engine, token).role == "admin"  # type: ignore[union-attr]
    assert len(config.pepper_bytes()) >= 32
    code, _, err = run("init", "--data", str(tmp_path / "d"))
    assert code == 2 and "exists" in err


def test_tokens_add_list_revoke(tmp_path: Path, store_url: str) -> None:
    config = str(write_config(tmp_path, store_url))
    code, out, _ = run("token", "add", "--config", config, "--role", "staff", "--name", "desk")
    token = out.strip()
    assert code == 0 and "\n" not in token and len(token) >= 40
    code, out, _ = run("token", "list", "--config", config)
    assert "desk" in out and token not in out
    engine = open_store(load_config(Path(config)).database_url())
    assert find_token(engine, token) is not None
    assert run("token", "revoke", "--config", config, "desk")[0] == 0
    assert find_token(engine, token) is None
    assert run("token", "revoke", "--config", config, "desk")[0] == 1
    code, _, _ = run("token", "add", "--config", config, "--role", "boss", "--name", "x")
    assert code == 2


def test_token_add_prints_the_token_alone_and_says_it_is_shown_once(
    tmp_path: Path, store_url: str
) -> None:
    """Scripts capture stdout (the token alone); the person reads stderr: shown once, and where
    the token goes next."""
    config = str(write_config(tmp_path, store_url))
    code, out, err = run(
        "token", "add", "--config", config, "--role", "kiosk", "--kiosk-id", "lane-1",
        "--site", "hospital-a",
    )  # fmt: skip
    assert code == 0 and out.count("\n") == 1 and len(out.strip()) >= 40
    said = " ".join(err.split())
    assert out.strip() not in err and "shown once" in said
    assert "Next: put it alone in the kiosk's token file (mode 0600)" in said
    assert "[verifier] token_file in kiosk.toml" in said
    code, out, err = run("token", "add", "--config", config, "--role", "staff", "--name", "desk")
    assert code == 0 and "shown once" in err and "yzt verifier fleet --token-file" in err


def test_serve_on_a_busy_port_says_so_before_claiming_to_run(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "verifier.cli", "serve", "--config", str(config),
             "--port", str(port)],
            capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"},
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"error: port {port} on 127.0.0.1 is in use (another yzt verifier serve?); pick "
        "another with --port N (or [server] port), or stop what holds it"
    ]


def test_import_exit_codes_0_1_2(tmp_path: Path, store_url: str) -> None:
    config = str(write_config(tmp_path, store_url))
    a, b = id_numbers(2)
    files = {
        "ok.csv": csv_body("id_number,color,updated_at", [f"{a},green,2026-11-01"]),
        "some.csv": csv_body("id_number,color,updated_at", [f"{b},green,2026-11-01", "x,y,z"]),
        "bad.csv": b"who,what\n",
    }
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
    assert run("import", "codes", "--config", config, str(tmp_path / "ok.csv"))[0] == 0
    code, out, err = run(
        "import", "codes", "--json", "--config", config, str(tmp_path / "some.csv")
    )
    assert code == 1 and json.loads(out)["rejected"] == 1 and "line 3" in err
    code, _, err = run("import", "codes", "--config", config, str(tmp_path / "bad.csv"))
    assert code == 2 and "unknown column 'who'" in err
    code, _, err = run("import", "codes", "--config", config, str(tmp_path / "missing.csv"))
    assert code == 2 and "cannot read" in err


def test_seed_makes_a_realistic_population(tmp_path: Path, store_url: str) -> None:
    config = str(write_config(tmp_path, store_url))
    code, out, _ = run("seed", "--config", config, "--people", "3000")
    assert code == 0 and out == ""
    engine = open_store(load_config(Path(config)).database_url())
    with engine.connect() as conn:
        mix = dict(
            conn.execute(
                select(health_codes.c.color, func.count()).group_by(health_codes.c.color)
            ).all()
        )
    assert 0.85 < mix["green"] / 3000 < 0.95 and mix["yellow"] > 50 and mix["red"] > 10
    assert sum(mix.values()) < 3000
    assert run("seed", "--config", config, "--people", "3000")[0] == 0


def test_lookup_prints_the_contract_json(tmp_path: Path, store_url: str) -> None:
    config = str(write_config(tmp_path, store_url))
    (a,) = id_numbers(1)
    (tmp_path / "c.csv").write_bytes(
        csv_body("id_number,color,updated_at", [f"{a},red,2026-11-01"])
    )
    run("import", "codes", "--config", config, str(tmp_path / "c.csv"))
    code, out, _ = run("lookup", "--config", config, "--site", "metro-2", a.lower())
    result = json.loads(out)
    assert code == 0 and result["verdict"] == "DENY"
    assert set(result["checks"]) == {"person", "card", "code", "travel"}
    assert result["checks"]["card"] == {"outcome": "ok", "reasons": ["CARD_VALID"]}
    assert a not in out


def test_purge_drops_old_events(tmp_path: Path, store_url: str) -> None:
    config = str(write_config(tmp_path, store_url))
    engine = open_store(load_config(Path(config)).database_url())
    now = datetime.now(UTC)
    rows = [
        {
            "event_id": f"e{i}",
            "kiosk_id": "k",
            "site": "s",
            "at": now - timedelta(days=age),
            "verdict": "PASS",
            "reasons": [],
            "source": "online",
            "card_type": "resident",
            "age_band": "60+",
            "subject": "ab" * 32,
            "latency_ms": None,
        }
        for i, age in enumerate([1, 10, 45])
    ]
    record_events(engine, rows)
    code, _, err = run("purge", "--config", config)
    assert code == 0 and "Purged 1 events older than 30 days" in err
    assert run("purge", "--config", config, "--days", "5")[0] == 0
    with engine.connect() as conn:
        assert conn.execute(select(events.c.event_id)).scalars().all() == ["e0"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("rate_per_s = 20.0", "rate_per_s = -1"), "limits.rate_per_s"),
        (lambda t: "colour = 1\n" + t, "colour"),
        (lambda t: t + "[store\n", "not valid TOML"),
        (lambda t: t.replace('pepper_file = "', 'pepper_file = "/nonexistent'), "pepper_file"),
    ],
)
def test_bad_config_is_one_line_and_exit_2(
    tmp_path: Path, edit: Callable[[str], str], message: str
) -> None:
    path = write_config(tmp_path, f"sqlite:///{tmp_path}/v.db")
    path.write_text(edit(path.read_text()))
    code, _, err = run("import", "codes", "--config", str(path), str(path))
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1
