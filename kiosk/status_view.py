"""The kiosk status document as a rich table, for ``yzt kiosk status``."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

STYLE = {"ok": "green", "error": "bold red", "unknown": "yellow", "off": "dim"}


def _state(value: str) -> str:
    return f"[{STYLE.get(value, 'white')}]{value}[/]"


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def status_table(doc: dict[str, Any]) -> Table:
    table = Table(title=f"kiosk {doc['kiosk_id']} @ {doc['site']}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    reader, verifier = doc["reader"], doc["verifier"]
    counts, outbox, risk = doc["counts_today"], doc["outbox"], doc["risklist"]
    latency = "" if verifier.get("latency_ms") is None else f" · {verifier['latency_ms']} ms"
    table.add_row("reader", f"{_state(reader['state'])} · {escape(str(reader['detail']))}")
    problem = f" · {escape(verifier['last_error'])}" if verifier.get("last_error") else ""
    table.add_row(
        "verifier",
        f"{_state(verifier['state'])}{latency} · {escape(str(verifier['url']))}{problem}",
    )
    table.add_row(
        "today",
        f"total {counts['total']} · 60+ {counts['elder']} · PASS {counts['PASS']} · "
        f"CHECK {counts['CHECK']} · DENY {counts['DENY']}",
    )
    table.add_row("outbox", _outbox(outbox))
    if voice := doc.get("voice"):
        detail = f" · {escape(voice['detail'])}" if voice.get("detail") else ""
        table.add_row("voice", f"{_state(voice['state'])}{detail}")
    risk_text = (
        "none yet"
        if risk["version"] is None
        else (f"v{risk['version']} · {risk['entries']} entries · {_age(risk['age_s'])} old")
    )
    table.add_row("risk list", risk_text)
    drift = doc.get("clock_drift_s")
    table.add_row("clock drift", "—" if drift is None else f"{drift} s")
    table.add_row("last error", escape(doc.get("last_error") or "none"))
    table.add_row("version", str(doc["version"]))
    table.add_row("uptime", _age(doc["uptime_s"]))
    return table


def _outbox(outbox: dict[str, Any]) -> str:
    text = f"{outbox['pending']} pending · oldest {_age(outbox['oldest_age_s'])}"
    if outbox.get("max_bytes"):
        text += f" · {outbox['used_bytes'] / 2**20:.1f} of {outbox['max_bytes'] / 2**20:g} MB"
    if outbox.get("refused"):
        text += f" · {outbox['refused']} refused (full)"
    return f"[bold red]{text} · nearly full[/]" if outbox.get("alarm") else text
