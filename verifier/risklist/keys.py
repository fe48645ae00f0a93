"""The verifier's Ed25519 key pairs: the risk-list signing key, ``[risklist] signing_key_file``
(default beside the config), and the elder-card key beside it (verifier/qrcards/keys.py).

A private key (PKCS#8 PEM, mode 0600) signs on the publishing or issuing host only; serving
replicas need none. Its public key, the same name with ``.pub`` (SubjectPublicKeyInfo PEM), is
what kiosks pin: the risk-list key in ``[verifier] public_key_file``.
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

from verifier.config import ConfigError, VerifierConfig, write_private

HOW_TO_MAKE = "make the pair with: yzt verifier keys init --config VERIFIER.TOML"
RISKLIST = "risk-list key"


def public_key_file(private: Path) -> Path:
    """Where the public half of ``private`` is written."""
    return private.with_suffix(".pub")


def signing_key_file(config: VerifierConfig) -> Path:
    """The configured private key's path; ConfigError when none is set."""
    if config.risklist.signing_key_file is None:
        raise ConfigError(f"{RISKLIST}: [risklist] signing_key_file is not set; {HOW_TO_MAKE}")
    return config.risklist.signing_key_file


def init_keys(config: VerifierConfig) -> Path:
    """Make a new risk-list pair (never overwriting one); the public key file's path."""
    return make_key_pair(signing_key_file(config), RISKLIST)


def load_signing_key(config: VerifierConfig) -> Ed25519PrivateKey:
    """The risk-list private key; a plain ConfigError when it is missing, open to others or not
    Ed25519."""
    return load_private_key(signing_key_file(config), RISKLIST)


def make_key_pair(private: Path, what: str) -> Path:
    """Write a new Ed25519 pair at ``private`` (0600) and beside it; the public file's path.
    ``what`` names the key in errors."""
    public = public_key_file(private)
    if private.exists():
        raise ConfigError(f"{private} exists; kiosks pin its public key {public}, keep it")
    key = Ed25519PrivateKey.generate()
    try:
        write_private(private, key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
        public.write_bytes(
            key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
        )
    except OSError as exc:
        raise ConfigError(f"{what}: cannot write {exc.filename}: {exc.strerror}") from None
    return public


def load_private_key(private: Path, what: str) -> Ed25519PrivateKey:
    """The Ed25519 private key at ``private``; ConfigError naming ``what`` otherwise."""
    try:
        mode = private.stat().st_mode
        data = private.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {private}: {exc.strerror}; {HOW_TO_MAKE}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(f"{what}: {private} is readable by others; chmod 600 {private}")
    try:
        key = load_pem_private_key(data, password=None)
    except ValueError:
        raise ConfigError(f"{what}: {private} is not a PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{what}: {private} is not an Ed25519 key")
    return key
