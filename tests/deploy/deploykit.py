"""Helpers for the deploy tests: the project's wheel, ansible runs into throwaway roots, a
systemd tree for ``systemd-analyze verify --root``, a stand-in kiosk status endpoint, and a
throwaway database on the machine's PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from conftest import in_ci

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
ANSIBLE = DEPLOY / "ansible"
VENV_BIN = Path(sys.executable).parent
SOURCES = ("pyproject.toml", "README.md", "LICENSE", "readers", "kiosk", "verifier", "yzt")


def need(program: str) -> str:
    """Path of ``program`` (the venv first); fail in CI, skip elsewhere, when it is missing."""
    local = VENV_BIN / program
    found = str(local) if local.exists() else shutil.which(program)
    if found is None:
        message = f"{program} is not installed (see the Makefile's deploy tools)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return found


def build_wheel(dest: Path) -> Path:
    """The project's wheel, built from a copy of the sources so the checkout gets no build/."""
    source = dest / "src"
    source.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in SOURCES:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(dest),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    return next(dest.glob("yzt-*.whl"))


def playbook(
    name: str, inventory: dict[str, Any], workdir: Path, *extra: str
) -> subprocess.CompletedProcess[str]:
    """Run deploy/ansible/NAME with a JSON inventory; ansible's state stays in ``workdir``."""
    inventory_file = workdir / "inventory.json"
    inventory_file.write_text(json.dumps(inventory))
    inherited = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env = {
        **inherited,
        "ANSIBLE_HOME": str(workdir / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(workdir / "ansible-tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    return subprocess.run(
        [need("ansible-playbook"), "-i", str(inventory_file), name, *extra],
        cwd=ANSIBLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def recap(output: str, host: str) -> dict[str, int]:
    """The PLAY RECAP counters of ``host``: ok, changed, failed, rescued …"""
    match = re.search(rf"^{re.escape(host)}\s+:\s+(.*)$", output, re.MULTILINE)
    assert match, f"no recap for {host} in:\n{output[-3000:]}"
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def local_host(root: Path, **host_vars: Any) -> dict[str, Any]:
    """Host vars that apply the role to ``root`` on this machine, without packages or systemd."""
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "yzt_root": str(root),
        "yzt_manage_system": False,
        "yzt_manage_services": False,
        "yzt_python": shutil.which("python3", path="/usr/bin") or "python3",
        "yzt_pip_extra_args": "--no-index --no-deps",
        **host_vars,
    }


def systemd_tree(root: Path, binaries: tuple[str, ...]) -> None:
    """Give ``root`` systemd's own units and copies of the Debian binaries our units run, so
    ``systemd-analyze verify --root`` resolves every dependency and ExecStart there."""
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for binary in binaries:
        target = root / binary.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(need(Path(binary).name), target)


def verify_units(root: Path, units: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [need("systemd-analyze"), "verify", f"--root={root}", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=60,
    )


PG_SERVER = "postgresql://postgres@127.0.0.1:5432"


def sh(*args: str) -> str:
    """Run a command; its stdout, or a failed assertion with its stderr."""
    result = subprocess.run(list(args), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"{args[:3]}: {result.stderr[-2000:]}"
    return result.stdout.strip()


@contextmanager
def throwaway_database(prefix: str) -> Iterator[str]:
    """A new database on the machine's PostgreSQL, dropped afterwards; its SQLAlchemy URL.
    Skips when PostgreSQL is not usable, except in CI."""
    psql = need("psql")
    try:
        sh(psql, f"{PG_SERVER}/postgres", "-XqtAc", "select 1")
    except AssertionError as exc:
        if in_ci():
            raise
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is not usable: {exc}")
    name = f"{prefix}_{secrets.token_hex(4)}"
    sh(psql, f"{PG_SERVER}/postgres", "-XqtAc", f"create database {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        sh(psql, f"{PG_SERVER}/postgres", "-XqtAc", f"drop database if exists {name} with (force)")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class KioskStatus:
    """A kiosk's ``/api/status`` on loopback reporting ``version``: what the rollout checks."""

    def __init__(self, version: str) -> None:
        self.version = version
        self.requests = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                owner.requests += 1
                body = json.dumps({"version": owner.version, "reader": {"state": "ok"}}).encode()
                code = 200 if self.path == "/api/status" else 404
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/status"

    @contextmanager
    def running(self) -> Iterator[KioskStatus]:
        thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.server.shutdown()
            self.server.server_close()
