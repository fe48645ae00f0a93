"""deploy/patroni/: the Patroni pair's config and the verifier config that points at it
(docs/operations.md "Automatic fail-over") agree: the hosts and ports the verifier connects to
are the ones Patroni advertises, writes go to whichever host takes them, reads prefer the
standby, replication is set up for a hot standby, and no password sits in a shipped file."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml
from deploykit import DEPLOY
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.engine import make_url

from verifier.config import VerifierConfig
from verifier.store.pg_facts import conninfo
from verifier.store.pg_reads import replica_name

PATRONI = DEPLOY / "patroni"


def patroni() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((PATRONI / "patroni.yml").read_text(encoding="utf-8"))
    return loaded


def node_env(name: str) -> dict[str, str]:
    lines = (PATRONI / f"{name}.env").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def verifier() -> VerifierConfig:
    return VerifierConfig(**tomllib.loads((PATRONI / "verifier.toml").read_text(encoding="utf-8")))


def test_patroni_runs_a_hot_standby_that_can_take_over() -> None:
    config = patroni()
    assert config["scope"] == "yzt"
    assert len(config["etcd3"]["hosts"].split(",")) == 3, "an etcd quorum survives one loss"
    dcs = config["bootstrap"]["dcs"]
    parameters = dcs["postgresql"]["parameters"]
    assert parameters["wal_level"] == "replica" and parameters["hot_standby"] == "on"
    assert parameters["max_wal_senders"] >= 2 and parameters["wal_log_hints"] == "on"
    assert dcs["postgresql"]["use_pg_rewind"] is True
    assert 0 < dcs["maximum_lag_on_failover"] <= 16 * 1024 * 1024
    assert dcs["ttl"] > dcs["loop_wait"] + dcs["retry_timeout"] / 2
    postgresql = config["postgresql"]
    assert postgresql["bin_dir"] == "/usr/lib/postgresql/15/bin"
    assert postgresql["listen"].endswith(":5432") and config["restapi"]["listen"].endswith(":8008")
    assert any(rule.startswith("hostssl replication replicator") for rule in postgresql["pg_hba"])


def test_no_password_in_the_shipped_patroni_config() -> None:
    for role in patroni()["postgresql"]["authentication"].values():
        assert set(role) == {"username"}, "passwords come from PATRONI_*_PASSWORD"
    for name in ("db1", "db2"):
        env = node_env(name)
        assert all(v == "change-me" for k, v in env.items() if k.endswith("_PASSWORD")), name


def test_the_verifier_writes_to_the_primary_and_reads_from_the_standby_of_the_pair() -> None:
    advertised = [node_env(name)["PATRONI_POSTGRESQL_CONNECT_ADDRESS"] for name in ("db1", "db2")]
    assert advertised == ["db1:5432", "db2:5432"]
    assert [node_env(name)["PATRONI_NAME"] for name in ("db1", "db2")] == ["db1", "db2"]
    config = verifier()
    primary = make_url(config.store.url)
    assert list(primary.query["host"]) == advertised
    assert primary.query["target_session_attrs"] == "read-write"
    [reads] = config.store.read_urls
    assert list(make_url(reads).query["host"]) == advertised
    assert make_url(reads).query["target_session_attrs"] == "prefer-standby"
    assert replica_name(reads) == "db1:5432,db2:5432"
    for url, attrs in ((config.store.url, "read-write"), (reads, "prefer-standby")):
        libpq = conninfo_to_dict(conninfo(url))
        assert (libpq["host"], libpq["port"]) == ("db1,db2", "5432,5432")
        assert libpq["target_session_attrs"] == attrs and libpq["sslmode"] == "require"
    assert config.store.password is None and config.store.password_file == Path(
        "/etc/yzt/verifier-db-password"
    )
