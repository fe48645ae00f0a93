"""The risk-list signing key pair, kept beside the verifier config.

``risklist-signing.key`` (PKCS#8 PEM, mode 0600) signs at publish time only; serving replicas
need no key. ``risklist-signing.pub`` (SubjectPublicKeyInfo PEM) is what kiosks pin in
``[verifier] public_key_file``.
"""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from verifier.config import ConfigError, write_private

PRIVATE_NAME = "risklist-signing.key"
PUBLIC_NAME = "risklist-signing.pub"


def key_paths(config_path: Path) -> tuple[Path, Path]:
    """Private and public key files for the config at ``config_path``."""
    folder = config_path.resolve().parent
    return folder / PRIVATE_NAME, folder / PUBLIC_NAME


def init_keys(config_path: Path) -> Path:
    """Make a new pair (never overwriting one); the public key file's path."""
    private, public = key_paths(config_path)
    if private.exists():
        raise ConfigError(f"{private} exists; kiosks pin its public key {public}, keep it")
    key = Ed25519PrivateKey.generate()
    write_private(private, key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    public.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    return public


def load_signing_key(config_path: Path) -> Ed25519PrivateKey:
    """The private key; a plain ConfigError when it is missing, open to others or not Ed25519."""
    private, _ = key_paths(config_path)
    try:
        mode = private.stat().st_mode
        data = private.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"risk-list key: cannot read {private}: {exc.strerror}; "
            f"run yzt verifier keys init --config {config_path}"
        ) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"risk-list key: {private} is readable by others; chmod 600 {private}")
    try:
        key = load_pem_private_key(data, password=None)
    except ValueError:
        raise ConfigError(f"risk-list key: {private} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"risk-list key: {private} is not an Ed25519 key")
    return key
