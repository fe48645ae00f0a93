"""Config loading: the generated default file, every problem at once, environment overrides,
secrets from files, paths relative to the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pydantic import BaseModel
from sqlalchemy.engine import make_url
from verifier_helpers import write_config

from verifier.config import (
    SIGNING_KEY_NAME,
    ConfigError,
    PolicyConfig,
    PrivacyConfig,
    RisklistConfig,
    StoreConfig,
    VerifierConfig,
    default_config_text,
    load_config,
)


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
            "store: read_urls: replicas are PostgreSQL standbys; store.url must be PostgreSQL too",
        ),
        (
            "postgresql+psycopg://yzt@db/yzt",
            '["sqlite:///x.db"]',
            "store.read_urls: expected postgresql+psycopg:// URLs, got 'sqlite:///x.db'",
        ),
        (
            "postgresql+psycopg://yzt@db/yzt",
            '["db2:5432"]',
            "store.read_urls: expected postgresql+psycopg:// URLs, got 'db2:5432'",
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


def test_every_problem_is_reported_at_once_naming_each_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_config(tmp_path, f"sqlite:///{tmp_path}/a.db")
    text = path.read_text().replace("rate_per_s = 20.0", "rate_per_s = -1")
    text = text.replace("port = 8081", 'port = 8081\ncolour = "blue"')
    path.write_text(text.replace("keep_versions = 1000", "keep_versions = 0"))
    monkeypatch.setenv("YZT_VERIFIER_FLEET__REFRESH_S", "1")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: ") and "\n" not in message
    assert message.split(": ", 1)[1].split("; ") == [
        "limits.rate_per_s: Input should be greater than 0 (got -1)",
        "server.colour: is not a known key (the file `yzt verifier init` writes lists them all)",
        "risklist.keep_versions: Input should be greater than or equal to 1 (got 0)",
        "fleet.refresh_s: Input should be greater than or equal to 5 (got '1') "
        "(from YZT_VERIFIER_FLEET__REFRESH_S)",
    ]


def test_a_missing_section_is_named(tmp_path: Path) -> None:
    path = tmp_path / "verifier.toml"
    path.write_text('[store]\nurl = "sqlite:///v.db"\n')
    with pytest.raises(ConfigError, match=r"privacy: is required but missing$"):
        load_config(path)


def written_default(folder: Path) -> Path:
    path = folder / "verifier.toml"
    path.write_text(default_config_text(folder), encoding="utf-8")
    return path


def test_the_generated_file_loads_as_the_models_defaults(tmp_path: Path) -> None:
    config = load_config(written_default(tmp_path))
    folder = tmp_path.resolve()
    chosen = {
        "store": StoreConfig(url=f"sqlite:///{folder / 'verifier.db'}"),
        "privacy": PrivacyConfig(pepper_file=folder / "pepper"),
        "policy": PolicyConfig(dir=folder / "policies"),
        "risklist": RisklistConfig(signing_key_file=folder / SIGNING_KEY_NAME),
    }
    for name, field in VerifierConfig.model_fields.items():
        expected = chosen.get(name) or field.get_default(call_default_factory=True)
        assert getattr(config, name) == expected, name


def test_the_generated_file_lists_every_key_with_its_description(tmp_path: Path) -> None:
    """A key added to a model shows up in ``yzt verifier init``'s file by itself; this keeps
    the models described well enough for that (no key without a description)."""
    lines = written_default(tmp_path).read_text().splitlines()
    text = " ".join(line.removeprefix("# ") for line in lines if line.startswith("# "))
    for name, section in VerifierConfig.model_fields.items():
        assert f"[{name}]" in lines and section.description in text, name
        model = section.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        for key, field in model.model_fields.items():
            assert field.description, f"{name}.{key} has no description"
            assert " ".join(field.description.split()) in text, f"{name}.{key}"
            shown = (f"{key} = ", f"# {key} = ", f"# {key}: environment only", f"[{name}.{key}]")
            assert any(line.startswith(shown) for line in lines), f"{name}.{key} is not listed"


def test_relative_paths_are_taken_from_the_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "etc" / "verifier.toml"
    path.parent.mkdir()
    path.write_text(
        '[store]\nurl = "sqlite:///v.db"\npassword_file = "pw"\n\n[privacy]\npepper_file = "pepper"'
        '\n\n[qr]\ntrust_list = "../trust.json"\n'
    )
    monkeypatch.chdir(tmp_path)
    config = load_config(path)
    folder = path.parent.resolve()
    assert config.privacy.pepper_file == folder / "pepper"
    assert config.store.password_file == folder / "pw"
    assert config.qr.trust_list == folder / ".." / "trust.json"
    assert config.risklist.signing_key_file == folder / SIGNING_KEY_NAME
    assert config.policy.dir is None
