"""The Ansible playbooks, applied for real (connection local) into throwaway roots: a kiosk and a
verifier host are installed, a second run changes nothing, a kiosk that fails its health check
after an upgrade is rolled back, and every unit they install passes ``systemd-analyze verify``."""

from __future__ import annotations

import os
import stat
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from deploykit import (
    ANSIBLE,
    KioskStatus,
    build_wheel,
    local_host,
    need,
    playbook,
    recap,
    systemd_tree,
    verify_units,
)

from kiosk.config import KioskConfig

# A playbook run builds the wheel and a venv: minutes on a busy box, so the suite's 120 s per
# test would decide by machine load, not by the playbooks.
pytestmark = pytest.mark.timeout(900)

PEPPER = "p" * 40
TOKEN = "kiosk-token-lane-1-do-not-print"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@dataclass
class Kiosk:
    root: Path
    work: Path
    status: KioskStatus
    wheel: Path
    first_run: subprocess.CompletedProcess[str]

    def inventory(self, version: str) -> dict[str, Any]:
        host = local_host(
            self.root,
            yzt_kiosk_user="root",
            yzt_kiosk_group="root",
            yzt_kiosk_id="hospital-a-lane-1",
            yzt_site="hospital-a",
            yzt_verifier_url="http://127.0.0.1:9",
            yzt_kiosk_token=TOKEN,
            yzt_pepper=PEPPER,
            yzt_risklist_public_key="-----BEGIN PUBLIC KEY-----\nMCow\n-----END PUBLIC KEY-----\n",
            yzt_version=version,
            yzt_artifact=str(self.wheel),
            yzt_kiosk_status_url=self.status.url,
            yzt_health_retries=2,
            yzt_health_delay=1,
        )
        return {"all": {"hosts": {"lane-1": host}}}

    def deploy(self, version: str) -> subprocess.CompletedProcess[str]:
        return playbook(
            "kiosk.yml", self.inventory(version), self.work, "-e", "yzt_kiosk_hosts=all"
        )

    @property
    def current(self) -> str:
        return os.readlink(self.root / "opt/yzt/current")


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Iterator[Kiosk]:
    work = tmp_path_factory.mktemp("kiosk-deploy")
    root = work / "root"
    root.mkdir()
    with KioskStatus("0.1.0").running() as status:
        box = Kiosk(root, work, status, wheel, subprocess.CompletedProcess([], 0))
        box.first_run = box.deploy("0.1.0")
        yield box


def test_playbooks_pass_syntax_check_and_ansible_lint() -> None:
    syntax = subprocess.run(
        [
            need("ansible-playbook"),
            "--syntax-check",
            "-i",
            "inventory.example.yml",
            "kiosk.yml",
            "verifier.yml",
        ],
        cwd=ANSIBLE,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert syntax.returncode == 0, syntax.stdout + syntax.stderr
    lint = subprocess.run(
        [need("ansible-lint"), "--offline", "--nocolor", "--profile", "production"],
        cwd=ANSIBLE,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_first_run_installs_the_kiosk(kiosk: Kiosk) -> None:
    assert kiosk.first_run.returncode == 0, kiosk.first_run.stdout[-4000:]
    assert recap(kiosk.first_run.stdout, "lane-1")["changed"] > 0
    assert kiosk.current == "releases/0.1.0"
    assert (kiosk.root / "opt/yzt/current/bin/yzt").exists()
    for name in ("kiosk.toml", "kiosk.token", "pepper"):
        mode = stat.S_IMODE((kiosk.root / "etc/yzt" / name).stat().st_mode)
        assert mode == 0o600, f"/etc/yzt/{name} has mode {mode:o}"
    config = KioskConfig(**tomllib.loads((kiosk.root / "etc/yzt/kiosk.toml").read_text()))
    assert (config.kiosk.id, config.kiosk.site) == ("hospital-a-lane-1", "hospital-a")
    assert config.verifier.token_file == Path("/etc/yzt/kiosk.token")
    assert (kiosk.root / "etc/yzt/kiosk.token").read_text() == TOKEN + "\n"
    assert TOKEN not in kiosk.first_run.stdout, "the token must not appear in ansible's output"
    assert (kiosk.root / "etc/udev/rules.d/70-yzt-readers.rules").exists()
    assert kiosk.status.requests >= 1, "the rollout never asked the kiosk for its status"


def test_second_run_changes_nothing(kiosk: Kiosk) -> None:
    again = kiosk.deploy("0.1.0")
    assert again.returncode == 0, again.stdout[-4000:]
    assert recap(again.stdout, "lane-1")["changed"] == 0, again.stdout[-4000:]


def test_installed_kiosk_units_pass_systemd_analyze_verify(kiosk: Kiosk) -> None:
    systemd_tree(kiosk.root, ("/usr/bin/cage", "/usr/bin/chromium"))
    units = [
        "/etc/systemd/system/yzt-kiosk.service",
        "/etc/systemd/system/yzt-kiosk-browser.service",
    ]
    result = verify_units(kiosk.root, units)
    assert result.returncode == 0, result.stdout + result.stderr


def test_failed_upgrade_rolls_back_then_a_good_one_goes_through(kiosk: Kiosk) -> None:
    kiosk.status.version = "0.1.0"
    failed = kiosk.deploy("0.2.0")
    assert failed.returncode != 0
    assert "rolled back to 0.1.0" in failed.stdout
    assert recap(failed.stdout, "lane-1")["rescued"] == 1
    assert kiosk.current == "releases/0.1.0"
    assert (kiosk.root / "opt/yzt/releases/0.2.0/bin/yzt").exists(), "the new release stays"

    kiosk.status.version = "0.2.0"
    upgraded = kiosk.deploy("0.2.0")
    assert upgraded.returncode == 0, upgraded.stdout[-4000:]
    assert kiosk.current == "releases/0.2.0"


def test_verifier_host_installs_idempotently_with_valid_units(tmp_path: Path, wheel: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    host = local_host(
        root,
        yzt_verifier_user="root",
        yzt_verifier_group="root",
        yzt_backup_owner="root",
        yzt_pepper=PEPPER,
        yzt_verifier_db_password="db-secret",
        yzt_verifier_ports=[8081, 8082, 8083],
        yzt_verifier_sites={"hospital-a": "hospital"},
        yzt_health_check=False,
        yzt_risklist_publisher=True,
        yzt_risklist_signing_key="-----BEGIN PRIVATE KEY-----\nsecret\n-----END PRIVATE KEY-----\n",
        yzt_version="0.1.0",
        yzt_artifact=str(wheel),
    )
    inventory = {"all": {"hosts": {"verifier-1": host}}}
    first = playbook("verifier.yml", inventory, tmp_path, "-e", "yzt_verifier_hosts=all")
    assert first.returncode == 0, first.stdout[-4000:]
    second = playbook("verifier.yml", inventory, tmp_path, "-e", "yzt_verifier_hosts=all")
    assert recap(second.stdout, "verifier-1")["changed"] == 0, second.stdout[-4000:]

    upstream = (root / "etc/nginx/conf.d/yzt-verifier-upstream.conf").read_text()
    assert all(f"127.0.0.1:{port}" in upstream for port in (8081, 8082, 8083))
    config = tomllib.loads((root / "etc/yzt/verifier.toml").read_text())
    assert config["policy"]["sites"] == {"hospital-a": "hospital"}
    for secret in ("verifier-db-password", "pepper", "risklist-signing.key"):
        assert stat.S_IMODE((root / "etc/yzt" / secret).stat().st_mode) == 0o600, secret

    systemd_tree(root, ())
    units = [
        "/etc/systemd/system/yzt-verifier@8081.service",
        "/etc/systemd/system/yzt-verifier-migrate.service",
        "/etc/systemd/system/yzt-pg-backup.service",
        "/etc/systemd/system/yzt-pg-backup.timer",
    ]
    result = verify_units(root, units)
    assert result.returncode == 0, result.stdout + result.stderr
