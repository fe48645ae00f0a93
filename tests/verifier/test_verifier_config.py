"""Config loading: defaults from init, environment overrides, secrets from files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
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
