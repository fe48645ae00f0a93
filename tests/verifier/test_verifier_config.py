"""Config loading: defaults from init, environment overrides, secrets from files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from verifier_helpers import write_config

from verifier.config import ConfigError, load_config


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, f"sqlite:///{tmp_path}/a.db")
    monkeypatch.setenv("YZT_VERIFIER_STORE__URL", f"sqlite:///{tmp_path}/b.db")
    monkeypatch.setenv("YZT_VERIFIER_LIMITS__RATE_PER_S", "5")
    config = load_config(path)
    assert config.store.url.endswith("/b.db") and config.limits.rate_per_s == 5
    monkeypatch.setenv("YZT_VERIFIER_PRIVACY__PEPPER", "p" * 40)
    assert load_config(path).pepper_bytes() == b"p" * 40


def test_pepper_must_be_private_and_long(tmp_path: Path) -> None:
    path = write_config(tmp_path, f"sqlite:///{tmp_path}/a.db")
    pepper = tmp_path / "pepper"
    os.chmod(pepper, 0o644)
    with pytest.raises(ConfigError, match="readable by others; run chmod 600"):
        load_config(path).pepper_bytes()
    pepper.write_bytes(b"short")
    os.chmod(pepper, 0o600)
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        load_config(path).pepper_bytes()


def test_password_file_fills_the_url(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    os.chmod(secret, 0o600)
    path = write_config(tmp_path, "postgresql+psycopg://yzt@db/yzt")
    path.write_text(path.read_text().replace("[privacy]", 'password_file = "pw"\n\n[privacy]'))
    assert load_config(path).database_url() == "postgresql+psycopg://yzt:s3cret@db/yzt"


def test_read_urls_get_the_password_and_multi_host_urls_pass_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, "postgresql+psycopg://yzt@/yzt?host=db1:5432&host=db2:5432")
    monkeypatch.setenv(
        "YZT_VERIFIER_STORE__READ_URLS",
        '["postgresql+psycopg://yzt@db2/yzt", '
        '"postgresql+psycopg://yzt@/yzt?host=db1&host=db2&target_session_attrs=prefer-standby"]',
    )
    monkeypatch.setenv("YZT_VERIFIER_STORE__PASSWORD", "s3cret")
    config = load_config(path)
    replica, either = (make_url(url) for url in config.read_urls())
    assert (replica.host, replica.password) == ("db2", "s3cret")
    assert either.query == {"host": ("db1", "db2"), "target_session_attrs": "prefer-standby"}
    assert make_url(config.database_url()).query["host"] == ("db1:5432", "db2:5432")


@pytest.mark.parametrize(
    ("url", "read_urls", "message"),
    [
        (
            "sqlite:///x.db",
            '["postgresql+psycopg://yzt@db2/yzt"]',
            "store: Value error, read_urls: replicas are PostgreSQL standbys; store.url must be "
            "PostgreSQL too",
        ),
        (
            "postgresql+psycopg://yzt@db/yzt",
            '["sqlite:///x.db"]',
            "store.read_urls: Value error, expected postgresql+psycopg:// URLs, got 'sqlite:///x.db'",
        ),
        (
            "postgresql+psycopg://yzt@db/yzt",
            '["db2:5432"]',
            "store.read_urls: Value error, expected postgresql+psycopg:// URLs, got 'db2:5432'",
        ),
    ],
)
def test_bad_read_urls_are_one_line_naming_the_field(
    tmp_path: Path, url: str, read_urls: str, message: str
) -> None:
    path = write_config(tmp_path, url)
    path.write_text(path.read_text().replace("[store]\n", f"[store]\nread_urls = {read_urls}\n"))
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(raised.value) == f"{path}: {message}"
