"""deploy/systemd as systemd itself judges it, offline in a throwaway root: every unit verifies,
a broken one does not, the long-running services keep systemd's exposure score low, and a
verifier replica may hold as many connections as its config lets it take."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from deploykit import DEPLOY, need, systemd_tree, verify_units

from verifier.config import ServerConfig
from verifier.server import SPARE_FILES

UNITS = sorted(p.name for p in (DEPLOY / "systemd").iterdir())
STUBS = ("/opt/yzt/current/bin/yzt", "/opt/yzt/scripts/pg-backup.sh")
MAX_EXPOSURE = 5.0


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A root with systemd's units, our units, cage and chromium, and stand-in yzt scripts."""
    root = tmp_path_factory.mktemp("systemd-root")
    systemd_tree(root, ("/usr/bin/cage", "/usr/bin/chromium"))
    for stub in STUBS:
        path = root / stub.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n")
        path.chmod(0o755)
    units = root / "etc/systemd/system"
    units.mkdir(parents=True)
    for name in UNITS:
        shutil.copy2(DEPLOY / "systemd" / name, units / name)
    return root


def instance(name: str) -> str:
    return f"/etc/systemd/system/{name.replace('@.', '@8081.')}"


def test_every_unit_verifies(root: Path) -> None:
    assert {"yzt-kiosk.service", "yzt-kiosk-browser.service", "yzt-verifier@.service"} <= set(UNITS)
    result = verify_units(root, [instance(name) for name in UNITS])
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_unit_is_caught(root: Path) -> None:
    broken = root / "etc/systemd/system/yzt-broken.service"
    text = (DEPLOY / "systemd/yzt-kiosk.service").read_text()
    broken.write_text(text.replace("Type=notify", "Type=notiffy").replace("/bin/yzt", "/bin/yz"))
    result = verify_units(root, ["/etc/systemd/system/yzt-broken.service"])
    assert result.returncode != 0
    assert "/opt/yzt/current/bin/yz" in result.stderr


@pytest.mark.parametrize(
    "unit", ["yzt-kiosk.service", "yzt-kiosk-browser.service", "yzt-verifier@.service"]
)
def test_services_are_hardened(root: Path, unit: str) -> None:
    result = subprocess.run(
        [need("systemd-analyze"), "security", "--offline=true", f"--root={root}", instance(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    score = re.search(r"Overall exposure level for \S+: ([\d.]+)", result.stdout + result.stderr)
    assert score, result.stdout + result.stderr
    print(f"{unit}: systemd exposure {score.group(1)}")
    assert float(score.group(1)) <= MAX_EXPOSURE


def test_a_replica_has_open_files_for_every_connection_it_may_take() -> None:
    """1,100 slow clients under the default 1,024 open files stopped the verifier: the unit's
    limit must hold every worker's [server] max_connections of the shipped example config."""
    unit = (DEPLOY / "systemd/yzt-verifier@.service").read_text()
    limits = re.findall(r"^LimitNOFILE=(\d+)$", unit, re.MULTILINE)
    assert len(limits) == 1, "yzt-verifier@.service sets LimitNOFILE once"
    example = tomllib.loads((DEPLOY / "verifier.toml.example").read_text())
    server = ServerConfig.model_validate(example.get("server", {}))
    needed = server.workers * (server.max_connections + SPARE_FILES)
    assert int(limits[0]) >= needed
