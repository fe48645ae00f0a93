"""``yzt verifier fleet``: the /fleet page's table in a terminal, from ``GET /v1/fleet``.

It talks to a running verifier over HTTP with a staff token, so it works from any machine that
can reach the service. An unreachable verifier or a refused token is one line on stderr, exit 2.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from verifier.cli_kit import err, fail
from verifier.fleet.alerts import human_age
from verifier.fleet.state import Vitals

TOKEN_ENV = "YZT_STAFF_TOKEN"
STATE_STYLE = {"online": "green", "degraded": "yellow", "offline": "bold red"}
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow"}
out = Console()
WIDE_TERMINAL = 160
"""Columns from which the alerts fit in the table; narrower terminals get them below it."""
COLUMNS = (
    "state", "kiosk", "site", "seen", "reader", "camera", "verifier", "risk list", "outbox",
    "drift", "version", "today",
)  # fmt: skip
DROP_ORDER = ("today", "version", "drift", "camera", "outbox", "risk list", "seen")
"""Columns a narrow terminal goes without, first to last; each raises an alert when it matters,
and the alerts are listed under the table."""
UNBOUNDED = 10_000
"""Width to measure a table's natural size at (rich clamps a measure to the width given)."""


class StateFilter(StrEnum):
    online = "online"
    degraded = "degraded"
    offline = "offline"


def _token(token_file: Path | None) -> str:
    if token_file is not None:
        try:
            token = token_file.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise fail(f"--token-file: cannot read {token_file}: {exc}") from None
        if not token:
            raise fail(f"--token-file: {token_file} is empty; expected a staff token")
        return token
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        raise fail(
            f"no staff token: pass --token-file FILE or set {TOKEN_ENV} "
            "(an admin makes one: yzt verifier token add --role staff --name NAME)"
        )
    return token


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", answer.reason_phrase))
    except (ValueError, AttributeError):
        return answer.reason_phrase


def fetch_fleet(url: str, token: str, *, site: str | None, state: str | None) -> dict[str, Any]:
    """The ``/v1/fleet`` answer; every failure becomes one plain line and exit 2."""
    params = {k: v for k, v in (("site", site), ("state", state)) if v}
    headers = {"Authorization": f"Bearer {token}"}
    try:
        answer = httpx.get(
            f"{url.rstrip('/')}/v1/fleet", params=params, headers=headers, timeout=10
        )
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise fail(f"--url: expected http(s)://HOST:PORT, got {url!r}") from None
    except httpx.TransportError as exc:
        raise fail(
            f"cannot reach the verifier at {url}: {exc or type(exc).__name__}; "
            "is `yzt verifier serve` running there?"
        ) from None
    if answer.status_code == 401:
        raise fail(f"the verifier refused the token: {_detail(answer)}")
    if answer.status_code == 403:
        raise fail(
            f"this token may not see the fleet ({_detail(answer)}); use a staff or admin token"
        )
    if answer.status_code != 200:
        raise fail(f"the verifier answered {answer.status_code}: {_detail(answer)}")
    try:
        body: dict[str, Any] = answer.json()
    except ValueError:
        raise fail(f"{url} answered something that is not JSON; is it a yzt verifier?") from None
    return body


def _dot(value: str | None) -> str:
    style = {"ok": "green", "error": "red", "lost": "red", "unknown": "yellow"}.get(value or "")
    return f"[{style}]{escape(value)}[/]" if style and value else escape(value or "—")


def _alerts(kiosk: dict[str, Any]) -> str:
    return "\n".join(
        f"[{SEVERITY_STYLE.get(a['severity'], 'white')}]{escape(a['title']['en'])}[/]: "
        f"{escape(a['cause']['en'])}\n  → {escape(a['action']['en'])}"
        for a in kiosk.get("alerts", [])
    )


def _cells(kiosk: dict[str, Any]) -> dict[str, str]:
    v = Vitals.from_doc(kiosk.get("doc"))
    state = str(kiosk.get("state", "?"))
    c = v.counts
    today = f"{c.get('total', 0)} · 60+ {c.get('elder', 0)}" if c else "—"
    outbox = "—" if v.outbox_pending is None else str(v.outbox_pending)
    if v.outbox_pending:
        outbox += f" ({human_age(v.outbox_oldest_s)})"
    return {
        "state": f"[{STATE_STYLE.get(state, 'white')}]{state}[/]",
        "kiosk": escape(str(kiosk.get("kiosk_id"))),
        "site": escape(str(kiosk.get("site"))),
        "seen": human_age(kiosk.get("last_seen_s")),
        "reader": _dot(v.reader_state),
        "camera": _dot(v.camera_state),
        "verifier": _dot(v.link_state),
        "risk list": human_age(v.risklist_age_s),
        "outbox": outbox,
        "drift": "—" if v.clock_drift_s is None else f"{v.clock_drift_s:+.1f} s",
        "version": escape(v.version or "—"),
        "today": today,
    }


def fleet_table(
    body: dict[str, Any],
    *,
    alerts_inline: bool = True,
    columns: Sequence[str] = COLUMNS,
    compact: bool = False,
) -> Table:
    """One row per kiosk, worst first (the server's order), alerts spelled out in a last column
    (or, on a narrow terminal, left to ``alert_list``). ``compact``: no rules between columns,
    and no header or cell is ever cut or wrapped."""
    s = body.get("summary", {})
    table = Table(
        title=f"fleet · {s.get('total', 0)} kiosks",
        caption=(
            f"[green]{s.get('online', 0)} online[/] · [yellow]{s.get('degraded', 0)} degraded[/]"
            f" · [red]{s.get('offline', 0)} offline[/] · {s.get('with_alerts', 0)} with alerts"
        ),
        box=box.SIMPLE_HEAD if compact else box.HEAVY_HEAD,
        show_edge=not compact,
        pad_edge=not compact,
        padding=(0, 1, 0, 0) if compact else (0, 1),
    )
    for name in columns:
        fixed = compact or name in ("state", "kiosk")
        table.add_column(name, no_wrap=fixed, min_width=len(name) if compact else None)
    if alerts_inline:
        table.add_column("alerts · what to do", min_width=48)
    for kiosk in body.get("kiosks", []):
        cells = _cells(kiosk)
        alerts = [_alerts(kiosk)] if alerts_inline else []
        table.add_row(*(cells[name] for name in columns), *alerts)
    return table


def fitted_table(body: dict[str, Any], console: Console) -> tuple[Table, tuple[str, ...]]:
    """The fullest table that fits ``console`` uncut: every column ruled (alerts inline from
    ``WIDE_TERMINAL``), else compact with as few of ``DROP_ORDER`` left out as needed; the
    second item names those left out."""
    if _natural_width(fleet_table(body, alerts_inline=False), console) <= console.width:
        return fleet_table(body, alerts_inline=console.width >= WIDE_TERMINAL), ()
    for count in range(len(DROP_ORDER) + 1):
        left_out = DROP_ORDER[:count]
        kept = [name for name in COLUMNS if name not in left_out]
        table = fleet_table(body, alerts_inline=False, columns=kept, compact=True)
        if _natural_width(table, console) <= console.width:
            break
    return table, left_out


def _natural_width(table: Table, console: Console) -> int:
    """The width ``table`` takes with no cell cut or wrapped (rich clamps to the width given)."""
    return console.measure(table, options=console.options.update_width(UNBOUNDED)).maximum


def alert_list(body: dict[str, Any]) -> str:
    """The alerts under the table, one kiosk after another, for terminals too narrow for both."""
    return "\n".join(
        f"[bold]{escape(str(k.get('kiosk_id')))}[/] {_alerts(k)}"
        for k in body.get("kiosks", [])
        if k.get("alerts")
    )


def fleet(
    url: Annotated[str, typer.Option(help="the verifier's base URL")] = "http://127.0.0.1:8081",
    token_file: Annotated[
        Path | None, typer.Option(help=f"file holding a staff token [default: env {TOKEN_ENV}]")
    ] = None,
    site: Annotated[str | None, typer.Option(help="only this site's kiosks")] = None,
    state: Annotated[StateFilter | None, typer.Option(help="online | degraded | offline")] = None,
    json_out: Annotated[
        bool, typer.Option("--json", help="print the raw /v1/fleet answer")
    ] = False,
) -> None:
    """Every kiosk's state and alerts (what /fleet shows), worst first."""
    body = fetch_fleet(url, _token(token_file), site=site, state=state.value if state else None)
    if json_out:
        print(json.dumps(body, ensure_ascii=False, indent=2))
        return
    if not body.get("kiosks"):
        err.print("No kiosk matches; kiosks appear after their first heartbeat (every 30 s).")
        return
    table, left_out = fitted_table(body, out)
    out.print(table)
    if left_out:
        err.print(
            f"Left out for width: {', '.join(left_out)} (a wider terminal or --json has them)"
        )
    if out.width < WIDE_TERMINAL and (alerts := alert_list(body)):
        out.print(alerts)
    err.print(f"Next: the same view in a browser: {url.rstrip('/')}/fleet (sign in with the token)")
