"""deploy/scripts/pg-backup.sh and pg-restore.sh against the real PostgreSQL on 127.0.0.1."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import in_ci
from deploykit import DEPLOY, need

pytestmark = pytest.mark.postgres
SERVER = "postgresql://postgres@127.0.0.1:5432"
BACKUP = str(DEPLOY / "scripts/pg-backup.sh")
RESTORE = str(DEPLOY / "scripts/pg-restore.sh")


def psql(database: str, sql: str) -> str:
    result = subprocess.run(
        [need("psql"), f"{SERVER}/{database}", "-XqtA", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.fixture
def database() -> Iterator[str]:
    """A fresh database holding a small events table, dropped afterwards."""
    try:
        psql("postgres", "select 1")
    except AssertionError as exc:
        if in_ci():
            raise
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not usable: {exc}")
    name = f"yzt_backup_{secrets.token_hex(4)}"
    psql("postgres", f"create database {name}")
    psql(name, "create table events (event_id text primary key, verdict text not null)")
    psql(name, "insert into events values ('e1', 'PASS'), ('e2', 'CHECK'), ('e3', 'DENY')")
    yield name
    psql("postgres", f"drop database if exists {name} with (force)")


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), capture_output=True, text=True, timeout=120, env={**os.environ, **env}
    )


def test_backup_then_restore_brings_back_the_rows(database: str, tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
    backup = run(BACKUP, url, str(tmp_path / "dumps"))
    assert backup.returncode == 0, backup.stderr
    dump = Path(backup.stdout.strip())
    assert dump.is_file() and dump.name.endswith(".dump")
    assert stat.S_IMODE(dump.stat().st_mode) == 0o600, "dumps hold subjects: owner only"

    psql(database, "delete from events where verdict <> 'PASS'")
    psql(database, "insert into events values ('e9', 'PASS')")
    restore = run(RESTORE, str(dump), url, "--yes")
    assert restore.returncode == 0, restore.stderr
    assert psql(database, "select string_agg(event_id, ',' order by event_id) from events") == (
        "e1,e2,e3"
    )


def test_restore_refuses_without_yes_and_rejects_a_non_dump(database: str, tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    not_a_dump = tmp_path / "notes.txt"
    not_a_dump.write_text("hello")
    refused = run(RESTORE, str(not_a_dump), url)
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    rejected = run(RESTORE, str(not_a_dump), url, "--yes")
    assert rejected.returncode == 2
    assert "not a pg_dump custom-format" in rejected.stderr
    assert psql(database, "select count(*) from events") == "3", "nothing was touched"


def test_backups_keep_only_the_newest(database: str, tmp_path: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:5432/{database}"
    folder = tmp_path / "dumps"
    folder.mkdir()
    for stamp in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        old = folder / f"yzt-{stamp}.dump"
        old.write_bytes(b"old")
        os.utime(old, (1_700_000_000 + int(stamp[6:8]), 1_700_000_000 + int(stamp[6:8])))
    backup = run(BACKUP, url, str(folder), YZT_BACKUP_KEEP="2")
    assert backup.returncode == 0, backup.stderr
    kept = sorted(p.name for p in folder.glob("yzt-*.dump"))
    assert len(kept) == 2
    assert "yzt-20260103T000000Z.dump" in kept
    assert Path(backup.stdout.strip()).name in kept


def test_backup_without_a_url_says_what_to_set(tmp_path: Path) -> None:
    result = run(BACKUP, YZT_PG_URL="")
    assert result.returncode == 2
    assert "YZT_PG_URL" in result.stderr
