"""The elder-card signing pair: ``card-signing.key`` (0600) and ``card-signing.pub`` beside the
risk-list key, made by ``yzt verifier keys init``. Kiosks pin the ``.pub`` in ``[qr]
card_key_file``; only the host that issues cards needs the private key."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from verifier.config import VerifierConfig
from verifier.risklist.keys import (
    load_private_key,
    make_key_pair,
    public_key_file,
    signing_key_file,
)

CARD_KEY_NAME = "card-signing.key"
CARD_KEY = "card key"


def card_key_file(config: VerifierConfig) -> Path:
    """The card private key's path: beside the risk-list signing key."""
    return signing_key_file(config).parent / CARD_KEY_NAME


def card_public_key_file(config: VerifierConfig) -> Path:
    """What kiosks pin in ``[qr] card_key_file``."""
    return public_key_file(card_key_file(config))


def init_card_keys(config: VerifierConfig) -> Path:
    """Make the card pair (never overwriting one); the public key file's path."""
    return make_key_pair(card_key_file(config), CARD_KEY)


def load_card_key(config: VerifierConfig) -> Ed25519PrivateKey:
    """The card private key; a plain ConfigError when it is missing or unusable."""
    return load_private_key(card_key_file(config), CARD_KEY)
