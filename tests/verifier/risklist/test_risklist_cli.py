"""``yzt verifier keys init`` and ``yzt verifier risklist publish`` as an operator runs them."""

from __future__ import annotations

import stat
from pathlib import Path

import typer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from risklist_rows import write_verifier_config
from typer.testing import CliRunner

from verifier.risklist.cli import keys_app, risklist_app

runner = CliRunner()
verifier_app = typer.Typer()  # mounted as the lead mounts them under `yzt verifier`
verifier_app.add_typer(keys_app, name="keys")
verifier_app.add_typer(risklist_app, name="risklist")


def test_keys_init_makes_a_private_pair_and_prints_the_public_path_last(tmp_path: Path) -> None:
    config = write_verifier_config(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    result = runner.invoke(verifier_app, ["keys", "init", "--config", str(config)])
    assert result.exit_code == 0, result.output
    public = Path(result.stdout.split()[-1])
    assert public.is_file()
    assert isinstance(load_pem_public_key(public.read_bytes()), Ed25519PublicKey)
    private = tmp_path / "risklist-signing.key"
    assert stat.S_IMODE(private.stat().st_mode) == 0o600

    again = runner.invoke(verifier_app, ["keys", "init", "--config", str(config)])
    assert again.exit_code == 2
    assert "exists" in again.stderr and "Traceback" not in again.output


def test_publish_without_keys_says_how_to_make_them(tmp_path: Path) -> None:
    config = write_verifier_config(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    result = runner.invoke(verifier_app, ["risklist", "publish", "--config", str(config)])
    assert result.exit_code == 2
    assert "yzt verifier keys init" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_publish_reports_the_new_version(tmp_path: Path) -> None:
    config = write_verifier_config(tmp_path, f"sqlite:///{tmp_path / 'v.db'}")
    assert runner.invoke(verifier_app, ["keys", "init", "--config", str(config)]).exit_code == 0
    first = runner.invoke(verifier_app, ["risklist", "publish", "--config", str(config)])
    second = runner.invoke(verifier_app, ["risklist", "publish", "--config", str(config)])
    assert first.exit_code == 0 and "Published version 1: 0 subjects" in first.stderr
    assert "Published version 2" in second.stderr
