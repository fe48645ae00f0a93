"""Checks of the box itself: the config file, its secrets' permissions, free disk space."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

from kiosk.config import ConfigError, KioskConfig, load_config
from kiosk.doctor.findings import Finding, fail, ok, warn

DISK_FAIL_BYTES = 200 * 1024 * 1024
DISK_WARN_FRACTION = 0.10


def check_config(path: Path) -> tuple[Finding, KioskConfig | None]:
    """The kiosk config loads and every file it names is there."""
    try:
        config = load_config(path)
    except ConfigError as exc:
        return fail("config", "; ".join(exc.problems), f"yzt kiosk check-config {path}"), None
    return ok("config", f"{path}: kiosk {config.kiosk.id} at site {config.kiosk.site}"), config


def check_secrets(path: Path, config: KioskConfig) -> Finding:
    """A config file that holds the token itself must be readable by its owner only.

    The pepper and token files' modes are ``load_config``'s to check: an open one fails the config.
    """
    if config.verifier.token is None:
        return ok("secrets", "token and pepper files are private (mode 0600)")
    mode = path.stat().st_mode
    if mode & stat.S_IRWXO:
        return fail(
            "secrets", f"holds the token, readable by every user: {path}", f"chmod 600 {path}"
        )
    if mode & stat.S_IRWXG:
        return warn(
            "secrets", f"holds the token, readable by the group: {path}", f"chmod 600 {path}"
        )
    return ok("secrets", f"{path} holds the token and is private (mode 0600)")


def check_disk(data_dir: Path) -> Finding:
    """The outbox must be able to grow while the verifier is out of reach."""
    where = data_dir if data_dir.exists() else _existing_parent(data_dir)
    usage = shutil.disk_usage(where)
    free_mb = usage.free // (1024 * 1024)
    detail = f"{free_mb} MB free of {usage.total // (1024 * 1024)} MB at {where}"
    fix = f"free space on the file system of {where} (old logs: journalctl --vacuum-size=100M)"
    if usage.free < DISK_FAIL_BYTES:
        return fail("disk", detail, fix)
    if usage.free < usage.total * DISK_WARN_FRACTION:
        return warn("disk", detail, fix)
    return ok("disk", detail)


def _existing_parent(path: Path) -> Path:
    for parent in path.absolute().parents:
        if parent.exists():
            return parent
    return Path("/")
