"""The ``yzt doctor`` command: run every check, print one row each, exit 1 on any failure."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from kiosk.cli_kit import ConfigOption
from kiosk.doctor.devices import (
    check_camera,
    check_display,
    check_pcscd,
    check_reader,
    check_sound,
)
from kiosk.doctor.findings import Finding, skip
from kiosk.doctor.host import check_config, check_disk, check_secrets
from kiosk.doctor.link import check_daemon, check_verifier

DEFAULT_CONFIG = Path("/etc/yzt/kiosk.toml")
DEFAULT_DATA_DIR = Path("/var/lib/yzt")
MARKS = {
    "ok": "[green]✓ ok[/]",
    "warn": "[yellow]! warn[/]",
    "fail": "[red]✗ FAIL[/]",
    "skip": "· skip",
}
CHECKS = (
    "config", "secrets", "disk", "pcscd", "reader", "camera", "display", "sound",
    "verifier", "token", "clock", "daemon", "risklist",
)  # fmt: skip
NEEDS_CONFIG = (
    "secrets", "reader", "camera", "sound", "verifier", "token", "clock", "daemon", "risklist",
)  # fmt: skip


def run_checks(config_path: Path, timeout_s: float) -> list[Finding]:
    """Every check in the order ops would fix things: config first, the network last."""
    config_finding, config = check_config(config_path)
    findings = [config_finding]
    if config is None:
        findings += [skip(name, "needs a valid config") for name in NEEDS_CONFIG]
        findings += [check_pcscd(None), check_display(), check_disk(DEFAULT_DATA_DIR)]
        return sorted(findings, key=lambda finding: CHECKS.index(finding.check))
    findings += [
        check_secrets(config_path, config),
        check_disk(config.data.dir),
        check_pcscd(config),
        check_reader(config),
        check_camera(config),
        check_display(),
        check_sound(config),
        *check_verifier(config, timeout_s),
        *check_daemon(config, timeout_s),
    ]
    return findings


def doctor(
    config: ConfigOption = DEFAULT_CONFIG,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document for tooling.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for each HTTP answer.")] = 5.0,
    skip_checks: Annotated[
        list[str] | None,
        typer.Option("--skip", help="Leave out a check, e.g. --skip display on a bench box."),
    ] = None,
) -> None:
    """Check this box: config, reader, pcscd, camera, display, sound, verifier, clock, disk."""
    console = Console()
    unknown = sorted(set(skip_checks or ()) - set(CHECKS))
    if unknown:
        typer.echo(
            f"--skip {unknown[0]}: not a check; expected one of {', '.join(CHECKS)}", err=True
        )
        raise typer.Exit(2)
    with console.status("Checking this kiosk…", spinner="dots"):
        findings = [
            skip(f.check, "left out (--skip)") if f.check in (skip_checks or ()) else f
            for f in run_checks(config, timeout)
        ]
    failed = [f for f in findings if f.status == "fail"]
    if as_json:
        document = {"ok": not failed, "checks": [dataclasses.asdict(f) for f in findings]}
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
    else:
        console.print(_table(findings))
        _summary(console, failed, findings)
    if failed:
        raise typer.Exit(1)


def _table(findings: list[Finding]) -> Table:
    """Details and fixes are plain text: ``[face]`` or a reader named ``[Vendor] X`` must show."""
    table = Table(title="yzt doctor", show_lines=False)
    for column in ("check", "result", "detail", "fix"):
        table.add_column(column, overflow="fold")
    for finding in findings:
        table.add_row(
            finding.check, MARKS[finding.status], escape(finding.detail), escape(finding.fix)
        )
    return table


def _summary(console: Console, failed: list[Finding], findings: list[Finding]) -> None:
    warned = sum(1 for f in findings if f.status == "warn")
    if failed:
        names = ", ".join(f.check for f in failed)
        console.print(f"[red]{len(failed)} check(s) failed: {names}.[/] Fix them, then run again.")
    else:
        console.print(f"[green]Ready.[/] {warned} warning(s). Status page: yzt kiosk status")
