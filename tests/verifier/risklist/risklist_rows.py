"""Rows for the risk-list tests: real health-code, travel and card records, a config."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from sqlalchemy import Engine

from verifier.store.schema import card_status, health_codes, travel

NOW = dt.datetime(2026, 11, 28, 8, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def subject(n: int) -> str:
    """A stable 64-hex subject for person ``n``."""
    return hashlib.sha256(f"person-{n}".encode()).hexdigest()


def set_code(engine: Engine, n: int, color: str) -> None:
    with engine.begin() as conn:
        conn.execute(health_codes.delete().where(health_codes.c.subject == subject(n)))
        conn.execute(
            health_codes.insert().values(
                subject=subject(n), color=color, reason="feed", updated_at=NOW
            )
        )


def add_trip(engine: Engine, n: int, risk: str, days_ago: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            travel.insert().values(
                subject=subject(n),
                place_code=f"P{days_ago}{risk}",
                visited_on=TODAY - dt.timedelta(days=days_ago),
                place_name="某地",
                risk=risk,
                updated_at=NOW,
            )
        )


def set_card(engine: Engine, n: int, status: str) -> None:
    with engine.begin() as conn:
        conn.execute(card_status.delete().where(card_status.c.subject == subject(n)))
        conn.execute(card_status.insert().values(subject=subject(n), status=status, updated_at=NOW))


def many_red(engine: Engine, count: int, start: int = 1000) -> None:
    """``count`` red codes, so that a snapshot outweighs a few small deltas."""
    rows = [
        {"subject": subject(n), "color": "red", "reason": "feed", "updated_at": NOW}
        for n in range(start, start + count)
    ]
    with engine.begin() as conn:
        conn.execute(health_codes.insert(), rows)


def write_verifier_config(folder: Path, url: str) -> Path:
    """A minimal verifier.toml with its pepper (0600)."""
    folder.mkdir(parents=True, exist_ok=True)
    pepper = folder / "pepper"
    if not pepper.exists():
        pepper.write_bytes(b"p" * 40)
        pepper.chmod(0o600)
    path = folder / "verifier.toml"
    path.write_text(
        f'[store]\nurl = "{url}"\n\n[privacy]\npepper_file = "{pepper}"\n', encoding="utf-8"
    )
    return path
