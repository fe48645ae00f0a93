"""Throwaway PostgreSQL clusters made with the server's own tools: a primary (``initdb``,
``pg_ctl``) on a free loopback port, and a hot standby of it (``pg_basebackup -R``, streaming
replication). As root the binaries run as the ``postgres`` user in a folder it owns. Skipped
when the binaries are missing, except under CI, where they must be there."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import psycopg
import pytest
from conftest import in_ci

BIN = Path(os.environ.get("YZT_PG_BIN", "/usr/lib/postgresql/15/bin"))
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "wal_level": "replica",
    "max_wal_senders": "5",
    "hot_standby": "on",
    "fsync": "off",  # a throwaway cluster: nothing to keep across a power cut
    "shared_buffers": "16MB",
}


def _as_owner() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


def _run(*args: str) -> str:
    result = subprocess.run([*_as_owner(), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{Path(args[0]).name}: {result.stderr[-2000:]}"
    return result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Cluster:
    """One server: its data folder, port, and start/stop through ``pg_ctl``."""

    def __init__(self, root: Path, name: str) -> None:
        self.data = root / name
        self.log = root / f"{name}.log"
        self.sockets = root
        self.port = _free_port()

    @property
    def conninfo(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres connect_timeout=3"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        options = f"-c port={self.port} -c unix_socket_directories={self.sockets}"
        _run(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
             "-t", "60", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """Stopped (a no-op when it is not running)."""
        if (self.data / "postmaster.pid").exists():
            _run(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def value(self, sql: str) -> object:
        """The first column of the first row ``sql`` returns (None for a statement)."""
        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            cursor = conn.execute(sql)
            row = cursor.fetchone() if cursor.description else None
        return None if row is None else row[0]


def _initdb(cluster: Cluster) -> None:
    _run(str(BIN / "initdb"), "-D", str(cluster.data), "-U", "postgres", "-A", "trust",
         "--no-sync")  # fmt: skip
    with (cluster.data / "postgresql.conf").open("a") as conf:
        conf.writelines(f"{key} = '{value}'\n" for key, value in SETTINGS.items())


def _basebackup(primary: Cluster, standby: Cluster) -> None:
    _run(str(BIN / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U",
         "postgres", "-D", str(standby.data), "-R", "-X", "stream", "--no-sync")  # fmt: skip


def wait_replayed(primary: Cluster, standby: Cluster, *, timeout_s: float = 60.0) -> None:
    """Until the standby has replayed everything the primary has written so far (by LSN)."""
    target = primary.value("SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout_s
    query = f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"
    while standby.value(query) is not True:
        assert time.monotonic() < deadline, f"the standby did not replay up to {target}"
        time.sleep(0.05)


@contextmanager
def primary_and_standby() -> Iterator[tuple[Cluster, Cluster]]:
    """A running primary and a hot standby streaming from it; both stopped and deleted after."""
    if not (BIN / "initdb").exists() or (os.geteuid() == 0 and not _has_postgres_user()):
        message = f"PostgreSQL server binaries (initdb, pg_ctl) are not in {BIN}"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    root = Path(tempfile.mkdtemp(prefix="yzt-pgcluster-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    primary, standby = Cluster(root, "primary"), Cluster(root, "standby")
    try:
        _initdb(primary)
        primary.start()
        _basebackup(primary, standby)
        standby.start()
        yield primary, standby
    finally:
        for cluster in (standby, primary):
            with suppress(AssertionError):  # already gone; the folder goes anyway
                cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


def _has_postgres_user() -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True
