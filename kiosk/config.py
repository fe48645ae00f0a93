"""The kiosk's one TOML file plus ``YZT_*`` environment overrides (docs/kiosk.md lists every key).

Each section is its own model with ``extra="forbid"`` so a mistyped key is an error, not a
silently ignored setting. Relative paths are taken relative to the config file.
"""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AnyHttpUrl,
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
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from kiosk.face.config import FaceConfig
from kiosk.offline.config import OfflineConfig
from kiosk.qr.config import QrConfig
from readers import open_reader

PEPPER_MIN_BYTES = 32
ENV_PREFIX = "YZT_"
ENV_DELIMITER = "__"


class Section(BaseModel):
    """Base of every config table: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid")


class KioskSection(Section):
    id: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", title="kiosk id"
    )
    site: str = Field(min_length=1, max_length=64, title="site whose policy applies")


class ReaderSection(Section):
    uri: str = Field(title="reader URI: tcp://, serial://, pcsc:// or sim://")

    @field_validator("uri")
    @classmethod
    def _backend_accepts(cls, value: str) -> str:
        """Parse as ``kiosk run`` will (nothing is opened), so a bad URI fails here, not in a loop.

        ``ReaderURIError`` is a ``ValueError`` naming the bad part and what is expected.
        """
        open_reader(value)
        return value


class VerifierSection(Section):
    url: AnyHttpUrl = Field(title="base URL of the verifier")
    token: SecretStr | None = Field(default=None, title="kiosk bearer token")
    token_file: Path | None = Field(default=None, title="file holding the kiosk token")
    public_key_file: Path | None = Field(default=None, title="pinned risk-list signing key")
    deadline_s: float = Field(default=1.5, gt=0.05, le=10, title="total time for one tap")
    connect_timeout_s: float = Field(default=0.5, gt=0, le=10)
    retries: int = Field(default=1, ge=0, le=3, title="extra attempts within the deadline")
    upload_interval_s: float = Field(default=2.0, gt=0, le=3600)
    upload_batch: int = Field(default=100, ge=1, le=1000)
    heartbeat_interval_s: float = Field(default=30.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _one_token_source(self) -> VerifierSection:
        if (self.token is None) == (self.token_file is None):
            raise ValueError("set exactly one of token and token_file")
        return self


class PrivacySection(Section):
    pepper_file: Path = Field(title="file with the secret pepper (≥ 32 bytes)")


class UiSection(Section):
    host: str = Field(default="127.0.0.1", min_length=1)
    port: int = Field(default=8080, ge=0, le=65535)
    result_hold_s: float = Field(default=6.0, gt=0, le=120, title="result shown at most this long")
    removal_hold_s: float = Field(default=1.0, ge=0, le=30, title="result kept after removal")


class VoiceSection(Section):
    enabled: bool = True
    language: Literal["cmn", "yue"] = "cmn"
    speed_wpm: int = Field(default=140, ge=80, le=400)
    player: list[str] = Field(default=["play", "-q"], min_length=1, title="command + args; file")


class GateSection(Section):
    kind: Literal["none", "serial"] = "none"
    port: str | None = Field(default=None, title="serial device of the relay board")
    baud: int = Field(default=9600, ge=300, le=921600)
    open_hex: str = Field(default="", title="bytes that close the relay (open the gate)")
    close_hex: str = Field(default="", title="bytes that release the relay")
    pulse_ms: int = Field(default=500, ge=10, le=10000)

    @field_validator("open_hex", "close_hex")
    @classmethod
    def _hex(cls, value: str) -> str:
        try:
            bytes.fromhex(value)
        except ValueError:
            raise ValueError("expected hex bytes such as 'A0 01 01 A2'") from None
        return value

    @model_validator(mode="after")
    def _serial_needs_port(self) -> GateSection:
        if self.kind == "serial" and (not self.port or not self.open_hex):
            raise ValueError("a serial gate needs port and open_hex")
        return self


class DataSection(Section):
    dir: Path = Field(title="directory for the outbox and voice files")


class KioskConfig(BaseSettings):
    """The whole kiosk config; the TOML file is the lowest-priority source, env overrides it."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_DELIMITER,
        extra="forbid",
        case_sensitive=False,
    )

    kiosk: KioskSection
    reader: ReaderSection
    verifier: VerifierSection
    privacy: PrivacySection
    ui: UiSection = UiSection()
    voice: VoiceSection = VoiceSection()
    gate: GateSection = GateSection()
    data: DataSection
    face: FaceConfig = FaceConfig()
    offline: OfflineConfig = OfflineConfig()
    qr: QrConfig = QrConfig()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return env_settings, init_settings

    def token(self) -> str:
        """The bearer token, from the file when ``token_file`` is used."""
        if self.verifier.token is not None:
            return self.verifier.token.get_secret_value()
        assert self.verifier.token_file is not None
        return self.verifier.token_file.read_text(encoding="utf-8").strip()

    def pepper(self) -> bytes:
        return self.privacy.pepper_file.read_bytes()


class ConfigError(Exception):
    """A config that cannot be used; ``problems`` holds one plain sentence per problem."""

    def __init__(self, path: Path, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


Key = tuple[str, ...]


def load_config(path: Path) -> KioskConfig:
    """Read, validate and resolve ``path``; raise ``ConfigError`` listing every problem at once.

    The named files are checked even when the schema has errors, so one run shows everything.
    """
    raw = _read_toml(path)
    base = path.resolve().parent
    env = env_names()
    try:
        values = _merge(raw, EnvSettingsSource(KioskConfig)())
    except SettingsError as exc:
        # The message names the field ('... for field "reader" ...'); name its variables.
        names = sorted(name for key, name in env.items() if f'"{key[0]}"' in str(exc))
        detail = f"{exc.__cause__ or 'not JSON'}; a table or list must be given as JSON"
        raise ConfigError(path, [f"{', '.join(names) or 'the environment'}: {detail}"]) from None
    try:
        config = KioskConfig(**raw)
    except ValidationError as exc:
        failed = {tuple(map(str, error["loc"])) for error in exc.errors()}
        raise ConfigError(
            path, explain(exc, env) + check_files(values, base, env, failed)
        ) from None
    problems = check_files(values, base, env)
    if problems:
        raise ConfigError(path, problems)
    return _resolve_paths(config, base)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(path, ["the file does not exist"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"cannot read the file: {exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"not valid TOML: {exc}"]) from None


def env_names() -> dict[Key, str]:
    """Config keys set by ``YZT_*`` variables → the variable's name, so a problem can name it."""
    names: dict[Key, str] = {}
    for name in os.environ:
        if name.upper().startswith(ENV_PREFIX):
            key = tuple(name[len(ENV_PREFIX) :].lower().split(ENV_DELIMITER))
            if key[0] in KioskConfig.model_fields:
                names[key] = name
    return names


def _merge(low: Mapping[str, Any], high: Mapping[str, Any]) -> dict[str, Any]:
    """``high`` over ``low`` table by table, as pydantic-settings lays env over the file."""
    merged = dict(low)
    for key, value in high.items():
        below = merged.get(key)
        if isinstance(below, Mapping) and isinstance(value, Mapping):
            value = _merge(below, value)
        merged[key] = value
    return merged


def _beside(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path


def _resolve_paths(config: KioskConfig, base: Path) -> KioskConfig:
    def rel(p: Path | None) -> Path | None:
        return None if p is None else _beside(base, p)

    verifier = config.verifier.model_copy(
        update={
            "token_file": rel(config.verifier.token_file),
            "public_key_file": rel(config.verifier.public_key_file),
        }
    )
    offline = config.offline.model_copy(
        update={"public_key_file": rel(config.offline.public_key_file)}
    )
    qr = config.qr.model_copy(
        update={
            "card_key_file": rel(config.qr.card_key_file),
            "trust_list": rel(config.qr.trust_list),
        }
    )
    privacy = PrivacySection(pepper_file=_beside(base, config.privacy.pepper_file))
    data = DataSection(dir=_beside(base, config.data.dir))
    return config.model_copy(
        update={
            "verifier": verifier,
            "offline": offline,
            "qr": qr,
            "privacy": privacy,
            "data": data,
        }
    )


def _secret_problem(path: Path) -> str | None:
    """A secret file must exist and be the owner's alone (mode 0600), as ``yzt doctor`` wants."""
    if not path.is_file():
        return f"{path} does not exist"
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"{path} is readable by others; run chmod 600 {path}"
    return None


def _pepper_problem(path: Path) -> str | None:
    if problem := _secret_problem(path):
        return problem
    if path.stat().st_size < PEPPER_MIN_BYTES:
        return f"{path} must hold at least {PEPPER_MIN_BYTES} bytes"
    return None


def _token_file_problem(path: Path) -> str | None:
    if problem := _secret_problem(path):
        return problem
    try:
        empty = not path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot read {path}: {getattr(exc, 'strerror', None) or 'not UTF-8 text'}"
    return f"{path} is empty" if empty else None


def _public_key_problem(path: Path) -> str | None:
    """The pinned risk-list key must be there and be one; ``kiosk run`` would refuse it later."""
    from kiosk.offline.risklist import RiskListError, load_public_key

    if not path.is_file():
        return f"{path} does not exist"
    try:
        load_public_key(path)
    except RiskListError as exc:
        return str(exc).removeprefix("public_key_file: ")
    return None


def _data_dir_problem(path: Path) -> str | None:
    return f"{path} exists but is not a directory" if path.exists() and not path.is_dir() else None


def _card_key_problem(path: Path) -> str | None:
    from kiosk.qr.codes import QrSetupError, card_keys

    try:
        card_keys(path)
    except QrSetupError as exc:
        return str(exc).removeprefix("qr.card_key_file: ")
    return None


def _trust_list_problem(path: Path) -> str | None:
    from kiosk.qr.codes import QrSetupError, trust_list

    try:
        trust_list(path)
    except QrSetupError as exc:
        return str(exc).removeprefix("qr.trust_list: ")
    return None


FILE_CHECKS = {
    ("privacy", "pepper_file"): _pepper_problem,
    ("verifier", "token_file"): _token_file_problem,
    ("verifier", "public_key_file"): _public_key_problem,
    ("offline", "public_key_file"): _public_key_problem,
    ("data", "dir"): _data_dir_problem,
    ("qr", "card_key_file"): _card_key_problem,
    ("qr", "trust_list"): _trust_list_problem,
}


def check_files(
    values: Mapping[str, Any], base: Path, env: Mapping[Key, str], skip: Collection[Key] = ()
) -> list[str]:
    """Problems with the files the raw ``values`` name (secrets, keys, data dir, QR files).

    Keys in ``skip`` already failed validation; a missing or non-text value is that check's job.
    """
    problems: list[str] = []
    for key, check in FILE_CHECKS.items():
        section = values.get(key[0])
        value = section.get(key[1]) if isinstance(section, Mapping) else None
        if key in skip or not isinstance(value, str) or not value:
            continue
        problem = check(_beside(base, Path(value)))
        if problem:
            problems.append(f"{'.'.join(key)}: {problem}{_origin(key, env)}")
    return problems


_PLAIN: dict[str, str] = {
    "missing": "is required but missing",
    "extra_forbidden": "is not a known key (check its spelling in docs/kiosk.md)",
    "url_parsing": "expected a URL such as http://127.0.0.1:8081",
    "url_scheme": "expected an http:// or https:// URL",
}


def explain(exc: ValidationError, env: Mapping[Key, str]) -> list[str]:
    """One line per validation error: the key path, what was expected, what was given and where."""
    lines: list[str] = []
    for error in exc.errors(include_url=False):
        loc = tuple(map(str, error["loc"]))
        where = ".".join(loc) or "(top level)"
        message = _PLAIN.get(error["type"], str(error["msg"]).removeprefix("Value error, "))
        lines.append(f"{where}: {message}{_given(error, message)}{_origin(loc, env)}")
    return lines


def _given(error: Any, message: str) -> str:
    if error["type"] in {"missing", "model_type"} or "token" in str(error["loc"]):
        return ""
    value = error.get("input")
    if isinstance(value, dict | list) or value is None or str(value) in message:
        return ""
    return f" (got {value!r})"


def _origin(loc: Key, env: Mapping[Key, str]) -> str:
    """``(from YZT_…)`` when the environment, not the file, set the value at ``loc``."""
    names = [name for key, name in sorted(env.items()) if loc[: len(key)] == key]
    return f" (from {names[-1]})" if names else ""
