"""Publish: the current non-green set from the store, diffed with the last published list and
written as a new version with its signed delta and snapshot (run after imports and periodically).

A subject is listed when its code is red or yellow, it visited a medium- or high-risk place within
the travel window, or its card is reported lost, stolen or revoked; a revoked elder QR card is
listed by its serial's key until a day after it would have expired. Every run makes a new version,
even with no change: a kiosk that syncs learns the list is current, and the signed version shows
the publisher is alive. Versions older than ``keep_versions`` are pruned (kiosks further behind
get a snapshot).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, Engine, bindparam, func, select

from verifier.checks import REPORTED
from verifier.qrcards.store import revoked_prefixes
from verifier.risklist.format import (
    CARD_REPORTED,
    CODE_RED,
    CODE_YELLOW,
    DELTA,
    QR_REVOKED,
    SNAPSHOT,
    TRAVEL_HIGH,
    TRAVEL_MEDIUM,
    Header,
    encode,
)
from verifier.risklist.model import risklist_entries, risklist_versions
from verifier.store.schema import card_status, health_codes, travel
from verifier.timeutil import utcnow

PREFIX_HEX = 32
CODE_FLAGS = {"red": CODE_RED, "yellow": CODE_YELLOW}
TRAVEL_FLAGS = {"medium": TRAVEL_MEDIUM, "high": TRAVEL_HIGH}


@dataclass(frozen=True, slots=True)
class Published:
    version: int
    entries: int
    changes: int
    delta_bytes: int
    snapshot_bytes: int


def current_flags(conn: Connection, *, today: dt.date, travel_window_days: int) -> dict[str, int]:
    """Prefix (32 hex) → flags for every subject that is not plainly green right now."""
    flags: dict[str, int] = {}

    def mark(subject: str, bit: int) -> None:
        key = subject[:PREFIX_HEX]
        flags[key] = flags.get(key, 0) | bit

    codes = select(health_codes.c.subject, health_codes.c.color).where(
        health_codes.c.color.in_(CODE_FLAGS)
    )
    for subject, color in conn.execute(codes):
        mark(subject, CODE_FLAGS[color])
    since = today - dt.timedelta(days=travel_window_days)
    trips = (
        select(travel.c.subject, travel.c.risk)
        .where(travel.c.risk.in_(TRAVEL_FLAGS), travel.c.visited_on >= since)
        .distinct()
    )
    for subject, risk in conn.execute(trips):
        mark(subject, TRAVEL_FLAGS[risk])
    cards = select(card_status.c.subject).where(card_status.c.status.in_(REPORTED))
    for (subject,) in conn.execute(cards):
        mark(subject, CARD_REPORTED)
    for key in revoked_prefixes(conn, still_valid_on=today - dt.timedelta(days=1)):
        mark(key, QR_REVOKED)
    return flags


def diff(old: dict[str, int], new: dict[str, int]) -> dict[str, int]:
    """What changed from ``old`` to ``new``; 0 marks a removal."""
    changes = {p: f for p, f in new.items() if old.get(p) != f}
    changes.update({p: 0 for p in old.keys() - new.keys()})
    return changes


def publish(
    engine: Engine,
    key: Ed25519PrivateKey,
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    travel_window_days: int = 14,
    keep_versions: int = 1000,
) -> Published:
    """Compute, diff, sign and store a new version in one transaction. ``now`` (default: this
    host's clock) is the signed ``published_at`` kiosks measure the list's age from."""
    now = now or utcnow()
    with engine.begin() as conn:
        new = current_flags(conn, today=today or now.date(), travel_window_days=travel_window_days)
        old = {p: f for p, f in conn.execute(select(risklist_entries))}
        changes = diff(old, new)
        base = conn.execute(select(func.max(risklist_versions.c.version))).scalar() or 0
        version = base + 1
        stamp = int(now.timestamp())
        delta = encode(
            Header(DELTA, base, version, len(changes), len(new), stamp), _wire(changes), key
        )
        snapshot = encode(Header(SNAPSHOT, 0, version, len(new), len(new), stamp), _wire(new), key)
        _store_entries(conn, changes)
        conn.execute(
            risklist_versions.update()
            .where(risklist_versions.c.snapshot.is_not(None))
            .values(snapshot=None)
        )
        conn.execute(
            risklist_versions.insert().values(
                version=version,
                published_at=now,
                entries=len(new),
                changes=len(changes),
                delta=delta,
                snapshot=snapshot,
            )
        )
        conn.execute(
            risklist_versions.delete().where(risklist_versions.c.version <= version - keep_versions)
        )
    return Published(version, len(new), len(changes), len(delta), len(snapshot))


def _wire(flags: dict[str, int]) -> dict[bytes, int]:
    return {bytes.fromhex(p): f for p, f in flags.items()}


def _store_entries(conn: Connection, changes: dict[str, int]) -> None:
    if not changes:
        return
    table = risklist_entries
    conn.execute(
        table.delete().where(table.c.prefix == bindparam("p")), [{"p": p} for p in changes]
    )
    kept = [{"prefix": p, "flags": f} for p, f in changes.items() if f]
    if kept:
        conn.execute(table.insert(), kept)
