"""``yzt verifier …``: init, serve, token, seed, import, lookup, purge, migrate, fleet, qr.

Every command except ``init`` and ``fleet`` (HTTP to a running verifier) takes
``--config DIR/verifier.toml``. A config, store or policy problem is one plain line on stderr
and exit 2.
"""

from __future__ import annotations

import json
import secrets
import sys
from contextlib import AbstractContextManager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from sqlalchemy import Engine

from verifier.cli_kit import ConfigOpt, err, fail, one_line_errors
from verifier.config import (
    ConfigError,
    VerifierConfig,
    default_config_text,
    load_config,
    write_private,
)
from verifier.feeds import ImportReport, import_feed
from verifier.fleet.cli import fleet
from verifier.lookup import NotAnIdNumber, answer
from verifier.policy import PolicyError, load_profiles
from verifier.qrcards.cli import qr_app
from verifier.risklist.cli import keys_app, risklist_app
from verifier.risklist.publisher import Publisher
from verifier.store import StoreError, open_store
from verifier.store.events import purge_events
from verifier.store.sessions import purge_sessions
from verifier.store.tokens import (
    TokenFieldError,
    add_token,
    kiosk_sites,
    list_tokens,
    revoke_token,
)

app = typer.Typer(
    help="The central verifier: store, feeds, tokens, HTTP API.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
token_app = typer.Typer(help="Bearer tokens: add, list, revoke.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(keys_app, name="keys")
app.add_typer(risklist_app, name="risklist")
app.add_typer(qr_app, name="qr")
app.command("fleet")(fleet)

out = Console()


LISTEN_FIX = "pick another with --port N (or [server] port), or stop what holds it"
TOKEN_NEXT = {
    "kiosk": "put it alone in the kiosk's token file (mode 0600), named by [verifier] token_file "
    "in kiosk.toml, e.g. /etc/yzt/kiosk.token; then: yzt kiosk check-config KIOSK.toml",
    "feeder": "the feeder sends it as 'Authorization: Bearer TOKEN' with PUT /v1/feeds/KIND",
    "staff": "sign in at the verifier's /login with it, or: yzt verifier fleet --token-file FILE",
    "admin": "sign in at the verifier's /login with it; it may call every /v1 route",
}
"""What to do with a new token, by role (printed after it by ``token add``)."""


class Kind(StrEnum):
    codes = "codes"
    travel = "travel"
    cards = "cards"


class Role(StrEnum):
    kiosk = "kiosk"
    feeder = "feeder"
    staff = "staff"
    admin = "admin"


def plain_errors() -> AbstractContextManager[None]:
    """Config, store and policy problems become one line and exit 2."""
    return one_line_errors(ConfigError, StoreError, PolicyError)


def _open(config_path: Path) -> tuple[VerifierConfig, Engine]:
    config = load_config(config_path)
    return config, open_store(config.database_url())


@app.command()
def init(
    data: Annotated[Path, typer.Option("--data", help="folder for config, database, pepper")],
) -> None:
    """Create DATA/verifier.toml, the SQLite database and DATA/pepper (0600); print an admin
    token on the last line."""
    config_path = data / "verifier.toml"
    if config_path.exists():
        raise fail(
            f"{config_path} exists; to add a token: yzt verifier token add --config {config_path}"
        )
    with plain_errors():
        data.mkdir(parents=True, exist_ok=True)
        (data / "policies").mkdir(exist_ok=True)
        pepper = data / "pepper"
        if not pepper.exists():
            write_private(pepper, secrets.token_hex(32).encode())
        config_path.write_text(default_config_text(data), encoding="utf-8")
        config, engine = _open(config_path)
        config.pepper_bytes()
        token = add_token(engine, name="admin", role="admin")
    err.print(f"Wrote {config_path}, {pepper} (0600) and the database.", highlight=False)
    err.print(
        f"Next: yzt verifier token add --config {config_path} --role kiosk --kiosk-id lane-1 "
        "--site SITE",
        highlight=False,
    )
    err.print(f"      yzt verifier serve --config {config_path}")
    err.print("Admin token (shown once):")
    print(token)


@app.command()
def serve(
    config: ConfigOpt,
    host: Annotated[str | None, typer.Option(help="listen address [server.host]")] = None,
    port: Annotated[int | None, typer.Option(help="listen port [server.port]")] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, max=64, help="worker processes [server.workers]")
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs and /openapi.json); limits for slow or too many
    clients and the access log are in [server] (docs/verifier.md)."""
    from verifier.server import listen_problem
    from verifier.server import serve as run

    with plain_errors():
        cfg, engine = _open(config)
        cfg.pepper_bytes()
        load_profiles(cfg.policy.dir)
        engine.dispose()
        host = host or cfg.server.host
        port = port or cfg.server.port
        workers = workers or cfg.server.workers
        if problem := listen_problem(host, port):
            raise fail(f"{problem}; {LISTEN_FIX}")
        err.print(
            f"yzt verifier on http://{host}:{port} with {workers} worker(s) (docs: /docs) — "
            "Ctrl-C stops"
        )
        run(config, host=host, port=port, workers=workers)


@app.command()
def migrate(config: ConfigOpt) -> None:
    """Bring the database schema to the newest revision (serve and every command do it too)."""
    with plain_errors():
        _open(config)
    err.print("Schema is up to date.")


@token_app.command("add")
def token_add(
    config: ConfigOpt,
    role: Annotated[Role, typer.Option(help="kiosk | feeder | staff | admin")],
    name: Annotated[
        str | None, typer.Option(help="who holds it, e.g. duty-desk [kiosk: the kiosk id]")
    ] = None,
    kiosk_id: Annotated[
        str | None, typer.Option(help="kiosk tokens: the one kiosk it speaks for, e.g. lane-1")
    ] = None,
    site: Annotated[
        str | None, typer.Option(help="the site it speaks for (required for kiosk tokens)")
    ] = None,
) -> None:
    """Create a token and print it alone (it is stored hashed; it cannot be shown again).

    A kiosk token belongs to one kiosk and one site (--kiosk-id and --site): heartbeats and
    events naming another kiosk or site are refused with 403.
    """
    if role is Role.kiosk:
        name = name or kiosk_id or ""
    elif not name:
        raise fail(f"--name: required for a {role.value} token (who holds it, e.g. duty-desk)")
    with plain_errors():
        _, engine = _open(config)
        elsewhere = kiosk_sites(engine, kiosk_id) - {site} if kiosk_id else set()
        try:
            token = add_token(engine, name=name, role=role.value, site=site, kiosk_id=kiosk_id)
        except TokenFieldError as exc:
            option = "--" + exc.field.replace("_", "-")
            example = "e.g. --role kiosk --kiosk-id lane-1 --site hospital-a"
            raise fail(f"{option}: {exc.reason} ({example})") from None
    for other in sorted(elsewhere):
        err.print(
            f"warning: a live token binds kiosk {kiosk_id} to site {other} too; the fleet lists "
            "kiosks by id, so give each kiosk an id of its own",
            markup=False,
            highlight=False,
        )
    err.print(f"{role.value.capitalize()} token (shown once; only its hash is stored):")
    print(token)
    err.print(f"Next: {TOKEN_NEXT[role.value]}", markup=False, highlight=False)


@token_app.command("list")
def token_list(config: ConfigOpt) -> None:
    """Every token (never the token itself)."""
    with plain_errors():
        _, engine = _open(config)
        table = Table("id", "name", "role", "site", "kiosk", "created", "revoked")
        for t in list_tokens(engine):
            revoked = t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else ""
            created = t.created_at.isoformat(timespec="seconds")
            kiosk = t.kiosk_id or ("(unbound)" if t.role == "kiosk" else "")
            table.add_row(str(t.id), t.name, t.role, t.site or "", kiosk, created, revoked)
        out.print(table)


@token_app.command("revoke")
def token_revoke(
    config: ConfigOpt, key: Annotated[str, typer.Argument(help="token id or name")]
) -> None:
    """Revoke tokens by id or name (replicas notice within limits.token_cache_s)."""
    with plain_errors():
        _, engine = _open(config)
        count = revoke_token(engine, key=key)
    if not count:
        raise fail(f"no live token with id or name {key!r}; see yzt verifier token list", 1)
    err.print(f"Revoked {count} token(s).")


def _progress(console: Console = err) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )


def _print_report(report: ImportReport, file_name: str) -> None:
    if report.unusable is not None:
        err.print(f"error: {file_name}: {report.unusable}", markup=False, soft_wrap=True)
        return
    err.print(
        f"{report.kind}: {report.accepted} accepted ({report.changed} changed), "
        f"{report.rejected} rejected",
        highlight=False,
    )
    for rejected in report.errors[:20]:
        err.print(
            f"  line {rejected.row}: {rejected.field}: {rejected.reason}",
            markup=False,
            highlight=False,
        )
    if report.rejected > 20:
        err.print(f"  … {report.rejected - 20} more (use --json for up to 1000)")
    if report.rejected:
        err.print("Next: fix those lines and import the file again; accepted rows stay unchanged.")


@app.command("import")
def import_(
    kind: Annotated[Kind, typer.Argument(help="codes | travel | cards")],
    file: Annotated[
        Path, typer.Argument(help="CSV with a header row, or NDJSON (a first line starting {)")
    ],
    config: ConfigOpt,
    json_report: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Import a feed. Exit 0: all rows accepted; 1: some rejected (the rest committed);
    2: the file is unusable or unreadable, or the store failed (one line says which)."""
    with plain_errors():
        cfg, engine = _open(config)
        pepper = cfg.pepper_bytes()
        publisher = Publisher.from_config(cfg, engine)
    try:
        handle = file.open("rb")
        size = file.stat().st_size
    except OSError as exc:
        raise fail(f"{file}: cannot read: {exc.strerror}") from None
    with handle, plain_errors(), _progress() as progress:
        task = progress.add_task(f"import {kind.value}", total=size)
        try:
            report = import_feed(
                engine,
                pepper,
                kind.value,
                handle,
                on_progress=lambda done: progress.update(task, completed=done),
                publisher=publisher,
            )
        except OSError as exc:  # the disk or network share failed mid-file
            raise fail(f"{file}: cannot read: {exc.strerror}") from None
    if json_report:
        print(json.dumps(report.as_json(), ensure_ascii=False))
    _print_report(report, str(file))
    _print_published(report, publisher)
    raise typer.Exit(report.exit_code)


def _print_published(report: ImportReport, publisher: Publisher) -> None:
    if report.risklist_version is not None:
        err.print(f"Risk list version {report.risklist_version} published for kiosks.")
    elif report.accepted and publisher.problem is not None:
        err.print(f"Risk list not published: {publisher.problem}", markup=False, highlight=False)


@app.command()
def seed(
    config: ConfigOpt,
    people: Annotated[int, typer.Option(min=1, max=100_000_000, help="population size")],
    random_seed: Annotated[int, typer.Option(help="same seed, same population")] = 2026,
) -> None:
    """A synthetic population (valid ID numbers, ~90 % green, yellow/red, no-record, travel,
    lost cards), stored as an import of it would be. No ID number is printed or stored."""
    from verifier.seed import seed_population

    with plain_errors():
        cfg, engine = _open(config)
        pepper = cfg.pepper_bytes()
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    )
    with progress, plain_errors():
        task = progress.add_task("seed people", total=people)
        reports = seed_population(
            engine,
            pepper,
            count=people,
            seed=random_seed,
            on_people=lambda done: progress.update(task, completed=done),
        )
    for report in reports:
        err.print(f"{report.kind}: {report.accepted} rows ({report.changed} changed)")
    err.print(
        f"Next: yzt verifier serve --config {config}; staff see /fleet and /stats", highlight=False
    )


@app.command("lookup")
def lookup_cmd(
    config: ConfigOpt,
    site: Annotated[str, typer.Option(help="judge under this site's profile")],
    id_number: Annotated[
        str | None,
        typer.Argument(
            metavar="[ID_NUMBER]",
            help="the card's number; leave it out to type it unseen or pipe it in (an argument "
            "shows in ps and the shell's history)",
        ),
    ] = None,
) -> None:
    """Support desk: print the verdict and the four checks as JSON for one ID number (the same
    answer as POST /v1/lookup)."""
    if id_number is None:
        id_number = (
            typer.prompt("ID number", hide_input=True, err=True)
            if sys.stdin.isatty()
            else sys.stdin.readline()
        )
    with plain_errors():
        cfg, engine = _open(config)
        profiles = load_profiles(cfg.policy.dir)
        profile = profiles[cfg.policy.sites.get(site, cfg.policy.default)]
        try:
            result = answer(engine, cfg.pepper_bytes(), profile, site=site, id_number=id_number)
        except NotAnIdNumber as exc:
            raise fail(str(exc)) from None
    print(json.dumps(result, ensure_ascii=False, indent=2))


@app.command()
def purge(
    config: ConfigOpt,
    days: Annotated[
        int | None, typer.Option(min=1, help="keep this many days [privacy.retention_days]")
    ] = None,
) -> None:
    """Delete verdict events older than the retention period, and ended console sessions."""
    with plain_errors():
        cfg, engine = _open(config)
        keep = days or cfg.privacy.retention_days
        removed = purge_events(engine, days=keep)
        sessions = purge_sessions(engine)
    err.print(f"Purged {removed} events older than {keep} days and {sessions} ended sessions.")


if __name__ == "__main__":  # ``python -m verifier.cli`` (tests, benchmarks)
    app()
