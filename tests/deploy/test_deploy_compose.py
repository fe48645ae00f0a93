"""deploy/compose: the file Compose itself accepts, with two verifier replicas that start only
after migrations, on one PostgreSQL, behind nginx using the project's proxy settings."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from deploykit import DEPLOY


def compose_command() -> list[str] | None:
    docker = shutil.which("docker")
    if (
        docker
        and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0
    ):
        return [docker, "compose"]
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


@pytest.fixture
def stack(tmp_path: Path) -> Path:
    """A copy of deploy/compose and deploy/nginx with the secret files ops would create."""
    shutil.copytree(DEPLOY / "compose", tmp_path / "compose")
    shutil.copytree(DEPLOY / "nginx", tmp_path / "nginx")
    secrets = tmp_path / "compose/secrets"
    secrets.mkdir()
    for name in ("pepper", "db-password"):
        (secrets / name).write_text("x" * 40)
        (secrets / name).chmod(0o600)
    return tmp_path / "compose"


def test_compose_accepts_the_file(stack: Path) -> None:
    command = compose_command()
    if command is None:
        pytest.skip("neither docker compose nor docker-compose is installed; see the YAML test")
    result = subprocess.run(
        [*command, "-f", "compose.yaml", "config", "-q"], cwd=stack, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_replicas_migrate_first_share_postgres_and_sit_behind_nginx(stack: Path) -> None:
    spec: dict[str, Any] = yaml.safe_load((stack / "compose.yaml").read_text())
    services = spec["services"]
    replicas = [name for name in services if name.startswith("verifier-")]
    assert len(replicas) == 2
    for name in replicas:
        replica = services[name]
        assert replica["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "/readyz" in " ".join(replica["healthcheck"]["test"])
    assert services["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert set(services["nginx"]["depends_on"]) == set(replicas)
    assert all(port.startswith("127.0.0.1:") for port in services["nginx"]["ports"])
    upstream = (stack / "nginx.conf").read_text()
    assert all(f"server {name}:8081" in upstream for name in replicas)
    verifier_toml = (stack / "verifier.toml").read_text()
    assert "@db:5432/" in verifier_toml
    assert "/run/secrets/" in verifier_toml
