"""The risk-list signing key pair, ``[risklist] signing_key_file`` (default beside the config).

The private key (PKCS#8 PEM, mode 0600) signs at publish time only; serving replicas need no key.
The public key, the same name with ``.pub`` (SubjectPublicKeyInfo PEM), is what kiosks pin in
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

from verifier.config import ConfigError, VerifierConfig, write_private

HOW_TO_MAKE = "make the pair with: yzt verifier keys init --config VERIFIER.TOML"


def public_key_file(private: Path) -> Path:
    """Where the public half of ``private`` is written."""
    return private.with_suffix(".pub")


def signing_key_file(config: VerifierConfig) -> Path:
    """The configured private key's path; ConfigError when none is set."""
    if config.risklist.signing_key_file is None:
        raise ConfigError(f"risk-list key: [risklist] signing_key_file is not set; {HOW_TO_MAKE}")
    return config.risklist.signing_key_file


def init_keys(config: VerifierConfig) -> Path:
    """Make a new pair (never overwriting one); the public key file's path."""
    private = signing_key_file(config)
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
        raise ConfigError(f"risk-list key: cannot write {exc.filename}: {exc.strerror}") from None
    return public


def load_signing_key(config: VerifierConfig) -> Ed25519PrivateKey:
    """The private key; a plain ConfigError when it is missing, open to others or not Ed25519."""
    private = signing_key_file(config)
    try:
        mode = private.stat().st_mode
        data = private.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"risk-list key: cannot read {private}: {exc.strerror}; {HOW_TO_MAKE}"
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
