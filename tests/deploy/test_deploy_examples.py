"""The shipped config examples load with the kiosk's and the verifier's own config models, so
what ops copy is what the programs accept."""

from __future__ import annotations

import tomllib

from deploykit import DEPLOY

from kiosk.config import KioskConfig
from verifier.config import VerifierConfig


def test_kiosk_example_is_a_valid_kiosk_config() -> None:
    raw = tomllib.loads((DEPLOY / "kiosk.toml.example").read_text())
    config = KioskConfig(**raw)
    assert config.reader.uri.startswith("serial:///dev/yzt-reader-0")
    assert config.verifier.token is None, "the token belongs in its own 0600 file"
    assert str(config.ui.host) == "127.0.0.1"


def test_verifier_examples_are_valid_verifier_configs() -> None:
    for path in (DEPLOY / "verifier.toml.example", DEPLOY / "compose/verifier.toml"):
        config = VerifierConfig(**tomllib.loads(path.read_text()))
        assert config.store.url.startswith("postgresql+psycopg://"), path
        assert config.store.password is None, f"{path}: the password belongs in a file"
