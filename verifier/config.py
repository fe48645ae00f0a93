"""The verifier's TOML config (``DIR/verifier.toml``), with ``YZT_VERIFIER_*`` environment
overrides (nested with ``__``, e.g. ``YZT_VERIFIER_STORE__URL``). Unknown keys are errors.

Secrets never sit in the TOML: the pepper and the database password come from files with tight
permissions (``pepper_file``, ``password_file``) or from the environment
(``YZT_VERIFIER_PRIVACY__PEPPER``, ``YZT_VERIFIER_STORE__PASSWORD``).
"""

from __future__ import annotations

import ipaddress
import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from verifier.config_template import render

MIN_PEPPER_BYTES = 32
SIGNING_KEY_NAME = "risklist-signing.key"


class ConfigError(Exception):
    """A config that cannot be used; the message is one plain line for the operator."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Section):
    url: str = Field(description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://…")
    password_file: Path | None = Field(
        None,
        description="file holding the database password (mode 0600), read at start",
        examples=["/etc/yzt/verifier-db-password"],
    )
    password: SecretStr | None = Field(None, description="database password")
    pool_size: int = Field(
        4, ge=1, le=100, description="PostgreSQL: connections per worker for /v1/verify reads"
    )
    pool_timeout_s: float = Field(
        0.5, gt=0, le=30, description="PostgreSQL: a verify waits this long for one, then 503"
    )
    read_urls: list[str] = Field(
        default_factory=list,
        description="PostgreSQL streaming replicas for /v1/verify reads and token lookups "
        "(password as url's; libpq multi-host URLs work)",
        examples=[["postgresql+psycopg://yzt@standby.example/yzt"]],
    )
    replica_lag_max_s: float = Field(
        30.0, gt=0, description="a replica further behind serves no verify (and alerts)"
    )
    replica_retry_s: float = Field(
        30.0, gt=0, le=3600, description="a replica (or primary) that failed is skipped this long"
    )

    @field_validator("read_urls")
    @classmethod
    def _postgresql(cls, value: list[str]) -> list[str]:
        for entry in value:
            if _backend(entry) != "postgresql":
                raise ValueError(f"expected postgresql+psycopg:// URLs, got {entry!r}")
        return value

    @model_validator(mode="after")
    def _replicas_need_postgresql(self) -> StoreConfig:
        if self.read_urls and _backend(self.url) != "postgresql":
            raise ValueError(
                "read_urls: replicas are PostgreSQL standbys; store.url must be PostgreSQL too"
            )
        return self


def _backend(url: str) -> str | None:
    try:
        return make_url(url).get_backend_name()
    except ArgumentError:
        return None


class PrivacyConfig(_Section):
    pepper_file: Path = Field(
        description="secret HMAC key for subjects (≥ 32 bytes, mode 0600; the kiosks' same bytes)"
    )
    pepper: SecretStr | None = Field(None, description="the pepper itself")
    retention_days: int = Field(30, ge=1, le=3650, description="events older than this are purged")
    purge_interval_s: float = Field(3600.0, gt=0, description="how often serve purges")


class PolicyConfig(_Section):
    dir: Path | None = Field(
        None, description="extra site profiles (*.toml), beside the shipped", examples=["policies"]
    )
    default: str = Field(
        "default", description="profile for the sites [policy.sites] does not name"
    )
    sites: dict[str, str] = Field(
        default_factory=dict,
        description="site → profile name",
        examples=[{"hospital-a": "hospital", "metro-line-2": "metro"}],
    )


class LimitsConfig(_Section):
    rate_per_s: float = Field(20.0, gt=0, description="requests per second per token (sustained)")
    burst: int = Field(60, ge=1, description="requests a token may make at once")
    body_bytes: int = Field(1_048_576, ge=1024, description="largest JSON request body")
    feed_body_bytes: int = Field(2_147_483_648, ge=1024, description="largest PUT /v1/feeds body")
    token_cache_s: float = Field(5.0, ge=0, description="how long a token check is reused")
    clock_skew_s: float = Field(
        3600.0,
        ge=0,
        le=86_400,
        description="how far ahead of the server's clock a kiosk's event time may be (422 past)",
    )
    auth_failures_per_min: float = Field(
        10.0, gt=0, description="failed token/sign-in attempts per client address per minute"
    )
    auth_failure_burst: int = Field(
        20, ge=1, description="failed attempts an address may make at once before 429"
    )
    auth_failure_addresses: int = Field(
        50_000, ge=100, description="client addresses whose failures are tracked (memory bound)"
    )


class FleetConfig(_Section):
    offline_after_s: float = Field(120.0, gt=0, description="no heartbeat this long: offline")
    risklist_warn_s: float = Field(6 * 3600.0, gt=0, description="risk list this old: warning")
    risklist_stale_s: float = Field(
        24 * 3600.0, gt=0, description="risk list this old: stale (offline taps all get CHECK)"
    )
    outbox_pending_max: int = Field(100, ge=0, description="more events waiting than this: alert")
    outbox_oldest_max_s: float = Field(600.0, gt=0, description="oldest waiting event older: alert")
    clock_drift_max_s: float = Field(30.0, gt=0, description="kiosk clock further off: alert")
    expected_version: str | None = Field(
        None,
        description="version every kiosk should run (unset: the fleet's most common)",
        examples=["0.1.0"],
    )
    refresh_s: int = Field(15, ge=5, le=3600, description="the /fleet page reloads this often")

    @model_validator(mode="after")
    def _warn_before_stale(self) -> FleetConfig:
        if self.risklist_warn_s > self.risklist_stale_s:
            raise ValueError("risklist_warn_s must not exceed risklist_stale_s")
        return self


class RisklistConfig(_Section):
    signing_key_file: Path | None = Field(
        None,
        description=f"Ed25519 private key from `yzt verifier keys init` (unset: {SIGNING_KEY_NAME}"
        " beside the config); without the key nothing is published",
        examples=[SIGNING_KEY_NAME],
    )
    publish_interval_s: float = Field(600.0, ge=1, description="serve publishes this often")
    travel_window_days: int = Field(14, ge=0, le=365, description="trips this recent are listed")
    keep_versions: int = Field(1000, ge=1, description="deltas kept for kiosks that are behind")


class QrConfig(_Section):
    trust_list: Path | None = Field(
        None,
        description='{"certificates": [...]} served at GET /v1/trustlist, signed with the '
        "risk-list key (re-read when the file changes)",
        examples=["/etc/yzt/dcc-trust.json"],
    )


class ServerConfig(_Section):
    host: str = Field("127.0.0.1", description="listen address (--host wins)")
    port: int = Field(8081, ge=1, le=65535, description="listen port (--port wins)")
    workers: int = Field(1, ge=1, le=64, description="processes; one per core (--workers wins)")
    max_connections: int = Field(
        1000, ge=1, le=100_000, description="open connections per worker; past it: 503"
    )
    header_timeout_s: float = Field(
        10.0, gt=0, le=300, description="request line and headers must arrive within this"
    )
    keepalive_timeout_s: int = Field(
        5, ge=1, le=300, description="an idle keep-alive connection is closed after this"
    )
    access_log: bool = Field(False, description="a line per request (route template, no path)")
    forwarded_allow_ips: list[str] = Field(
        default_factory=lambda: ["127.0.0.1"],
        description="proxies (addresses or networks) whose X-Forwarded-For names the client; "
        'nginx on this host by default, never "*"',
    )

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"expected IP addresses or networks like 127.0.0.1 or 10.0.0.0/8, got {entry!r}"
                ) from None
        return value


class VerifierConfig(BaseSettings):
    """The whole file; each section's description heads its table in the generated file."""

    model_config = SettingsConfigDict(
        env_prefix="YZT_VERIFIER_", env_nested_delimiter="__", extra="forbid"
    )

    store: StoreConfig = Field(
        description="The database: SQLite on one machine, PostgreSQL for several replicas"
    )
    privacy: PrivacyConfig = Field(
        description="Subjects are HMAC(pepper, ID number); verdict events are kept this long"
    )
    policy: PolicyConfig = Field(
        default_factory=PolicyConfig, description="Which site profile judges a tap (policy.md)"
    )
    limits: LimitsConfig = Field(
        default_factory=LimitsConfig,
        description="Request limits per token and per client address, counted per replica",
    )
    server: ServerConfig = Field(
        default_factory=ServerConfig,
        description="How serve listens, and its bounds for slow or too many clients",
    )
    risklist: RisklistConfig = Field(
        default_factory=RisklistConfig,
        description="Publishing the signed risk list from serve and after each import (offline.md)",
    )
    fleet: FleetConfig = Field(
        default_factory=FleetConfig,
        description="When the staff console (/fleet) calls a kiosk offline or raises an alert",
    )
    qr: QrConfig = Field(
        default_factory=QrConfig,
        description="Health-certificate signers this verifier serves to kiosks (qr.md)",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """The environment wins over the file."""
        return env_settings, init_settings

    def database_url(self) -> str:
        """The store URL with the password from its file or the environment filled in."""
        return self._with_password(self.store.url)

    def read_urls(self) -> list[str]:
        """The replicas' URLs, each with the store's password filled in as ``database_url``."""
        return [self._with_password(url) for url in self.store.read_urls]

    def _with_password(self, text: str) -> str:
        url = make_url(text)
        secret = self.store.password.get_secret_value() if self.store.password else None
        if secret is None and self.store.password_file is not None:
            secret = _read_secret(self.store.password_file, "store.password_file").decode().strip()
        return (
            url.set(password=secret).render_as_string(hide_password=False) if secret else str(url)
        )

    def pepper_bytes(self) -> bytes:
        """The subject key, checked for length (and the file for its permissions)."""
        if self.privacy.pepper is not None:
            pepper = self.privacy.pepper.get_secret_value().encode()
        else:
            pepper = _read_secret(self.privacy.pepper_file, "privacy.pepper_file")
        if len(pepper) < MIN_PEPPER_BYTES:
            raise ConfigError(f"privacy.pepper_file: expected at least {MIN_PEPPER_BYTES} bytes")
        return pepper


def _read_secret(path: Path, field: str) -> bytes:
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{field}: cannot read {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{field}: {path} is readable by others; run chmod 600 {path}")
    return data


PATHS = (
    ("store", "password_file"),
    ("privacy", "pepper_file"),
    ("policy", "dir"),
    ("risklist", "signing_key_file"),
    ("qr", "trust_list"),
)
"""Keys naming files; relative ones are taken relative to the config file's folder."""


def load_config(path: Path) -> VerifierConfig:
    """Read, validate and resolve relative paths; a ConfigError lists every problem at once."""
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = VerifierConfig(**raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: " + "; ".join(explain(exc, env_names()))) from None
    except SettingsError as exc:
        names = ", ".join(sorted(env_names().values())) or "the environment"
        raise ConfigError(f"{names}: {exc.__cause__ or exc}; give a list as JSON") from None
    return _resolved(config, path.resolve().parent)


def _resolved(config: VerifierConfig, base: Path) -> VerifierConfig:
    """A copy with every path in ``PATHS`` absolute; the loaded model is left as it was read."""
    updates: dict[str, dict[str, Path | None]] = {}
    for section, key in PATHS:
        value: Path | None = getattr(getattr(config, section), key)
        updates.setdefault(section, {})[key] = None if value is None else base / value
    risklist = updates["risklist"]
    risklist["signing_key_file"] = risklist["signing_key_file"] or base / SIGNING_KEY_NAME
    return config.model_copy(
        update={name: getattr(config, name).model_copy(update=u) for name, u in updates.items()}
    )


Key = tuple[str, ...]

_PLAIN = {
    "missing": "is required but missing",
    "extra_forbidden": "is not a known key (the file `yzt verifier init` writes lists them all)",
}


def env_names() -> dict[Key, str]:
    """Config keys set by ``YZT_VERIFIER_*`` variables → the variable, so a problem can name it."""
    prefix = str(VerifierConfig.model_config["env_prefix"])
    return {
        tuple(name[len(prefix) :].lower().split("__")): name
        for name in os.environ
        if name.upper().startswith(prefix)
    }


def explain(exc: ValidationError, env: Mapping[Key, str]) -> list[str]:
    """One plain line per problem: the key, what was expected, what was given, and the
    environment variable when one set it."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(str(part) for part in error["loc"])
        message = _PLAIN.get(error["type"], error["msg"].removeprefix("Value error, "))
        given = error.get("input")
        shown = isinstance(given, str | int | float) and error["type"] not in _PLAIN
        secret = set(loc) & {"password", "pepper"}
        got = f" (got {given!r})" if shown and not secret and str(given) not in message else ""
        origin = [name for key, name in sorted(env.items()) if loc[: len(key)] == key]
        source = f" (from {origin[-1]})" if origin else ""
        lines.append(f"{'.'.join(loc) or '(top level)'}: {message}{got}{source}")
    return lines


def default_config_text(data_dir: Path) -> str:
    """The file ``yzt verifier init`` writes: every key with its description and default, and
    the store, pepper, policies and signing key under ``data_dir``."""
    data_dir = data_dir.resolve()
    chosen: dict[str, dict[str, object]] = {
        "store": {"url": f"sqlite:///{data_dir / 'verifier.db'}"},
        "privacy": {"pepper_file": data_dir / "pepper"},
        "policy": {"dir": data_dir / "policies"},
        "risklist": {"signing_key_file": data_dir / SIGNING_KEY_NAME},
    }
    title = (
        "yzt verifier config (docs/verifier.md), written by `yzt verifier init`. Every key is "
        "here with its default; commented-out keys are unset. Environment overrides: "
        "YZT_VERIFIER_<SECTION>__<KEY>. Relative paths are relative to this file's folder."
    )
    return render(VerifierConfig, chosen, title)


def write_private(path: Path, data: bytes) -> None:
    """Create ``path`` readable by its owner only, from the first byte on."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
