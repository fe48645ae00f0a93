"""Day partitions of ``events`` on PostgreSQL (revision 0121): made ahead by ``serve``, made on
demand for a day that has none, dropped whole by the retention purge. SQLite has no partitions;
every function here is for a PostgreSQL engine or connection only.

A partition holds one ``day`` (the kiosk's local date, 'YYYY-MM-DD') and is named
``events_pYYYYMMDD``. A new one is made as a plain table shaped ``LIKE events`` and then
attached: ``ATTACH PARTITION`` takes only a SHARE UPDATE EXCLUSIVE lock on ``events``, which
neither uploads nor stats queries wait for, where ``CREATE TABLE … PARTITION OF`` would take an
ACCESS EXCLUSIVE one and queue every upload behind the longest running stats query. There is no
DEFAULT partition: each new day's partition would then have to scan it (under lock) for rows of
its range, and an event parked there would be the one stats window that cannot be pruned; an
event whose day has no partition yet is instead stored after its partition is made
(``record_events``).

Two replicas making the same day at once take the same transaction-level advisory lock first:
the second waits for the first to commit and then finds the partition there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

from verifier.timeutil import utcnow

AHEAD_DAYS = 3
"""Partitions made ahead of today (UTC). The latest local date an accepted event can carry is
tomorrow (a kiosk at UTC+14, plus the allowed clock skew); two more days keep uploads off the
DDL path even if the periodic task (every ``privacy.purge_interval_s``) fails for two days."""

LOCK_TIMEOUT = "2s"
"""How long partition DDL waits for a lock on ``events`` before giving up (the periodic task
tries again next time). Dropping a partition takes ACCESS EXCLUSIVE on ``events``: waiting
longer would hold every upload and stats query queued behind it."""

_ADVISORY_KEY = 0x797A74_0121  # "yzt" + the revision: one lock for all partition DDL
_NAME = "events_p{}"
_PARTITIONS = text(
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'events'::regclass AND c.relname ~ '^events_p[0-9]{8}$'"
)


def partition_name(day: str) -> str:
    """``events_p20261128`` for '2026-11-28' (year 1: ``events_p00010601``); refuses anything
    but a YYYY-MM-DD date."""
    if date.fromisoformat(day).isoformat() != day:
        raise ValueError(f"day: expected YYYY-MM-DD, got {day!r}")
    return _NAME.format(day.replace("-", ""))


def partition_bounds(day: str) -> str:
    """A day's ``FOR VALUES``: [day, next day); the last date there is has no next."""
    first = date.fromisoformat(day)
    after = "MAXVALUE" if first == date.max else f"'{first + timedelta(days=1)}'"
    return f"FOR VALUES FROM ('{first}') TO ({after})"


def partition_days(conn: Connection) -> list[str]:
    """The days that have a partition, oldest first."""
    names = conn.execute(_PARTITIONS).scalars()
    return sorted(f"{n[-8:-4]}-{n[-4:-2]}-{n[-2:]}" for n in names)


def ensure_partitions(engine: Engine, days: Iterable[str]) -> list[str]:
    """Make the partitions of ``days`` that do not exist yet, in one transaction → the days
    made. Safe to run on several replicas at once."""
    wanted = sorted(set(days))
    with engine.begin() as conn:
        if not set(wanted) - set(partition_days(conn)):
            return []
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
        missing = sorted(set(wanted) - set(partition_days(conn)))  # as of the lock
        for day in missing:
            name = partition_name(day)
            conn.execute(text(f"CREATE TABLE {name} (LIKE events INCLUDING DEFAULTS)"))
            conn.execute(
                text(f"ALTER TABLE events ATTACH PARTITION {name} {partition_bounds(day)}")
            )
    return missing


def ensure_ahead(engine: Engine, *, retention_days: int, now: datetime | None = None) -> list[str]:
    """Partitions for every day from ``retention_days`` ago to ``AHEAD_DAYS`` from now (UTC):
    run by ``serve``'s retention task when it starts and then periodically."""
    today = (now or utcnow()).date()
    span = range(-retention_days, AHEAD_DAYS + 1)
    return ensure_partitions(engine, ((today + timedelta(days=d)).isoformat() for d in span))


def drop_partitions_before(conn: Connection, day: str) -> list[str]:
    """Drop the partitions of days before ``day``, in the caller's transaction → the days
    dropped."""
    gone = [d for d in partition_days(conn) if d < day]
    if gone:
        conn.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        conn.execute(text(f"DROP TABLE {', '.join(partition_name(d) for d in gone)}"))
    return gone


def is_missing_partition(exc: DBAPIError) -> bool:
    """Whether an insert failed because a row's day has no partition (SQLSTATE 23514 with
    PostgreSQL's 'no partition of relation … found for row')."""
    orig = exc.orig
    diag = getattr(orig, "diag", None)
    return (
        getattr(orig, "sqlstate", None) == "23514"
        and diag is not None
        and (diag.message_primary or "").startswith("no partition of relation")
    )
