"""Console sessions: an opaque random id in the browser's cookie, its SHA-256 in the store.

They live in the database, not in a process, so every replica sees a sign-in and a sign-out at
once. A session ends at sign-out, ``SESSION_S`` after sign-in (a shift), after ``IDLE_S``
without a page load, or when the token it was opened with is revoked.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, or_, select, update

from verifier.store.schema import console_sessions, tokens
from verifier.store.tokens import TokenInfo, token_hash, token_info
from verifier.timeutil import as_utc, utcnow

SESSION_S = 12 * 3600
"""A shift: signed in this long at most."""
IDLE_S = 3600
"""No console page for this long ends the session (the fleet page's own reloads count)."""
TOUCH_S = 60
"""``seen_at`` is rewritten at most this often: one write per minute per session, not per page."""


def start_session(engine: Engine, token_id: int, *, now: datetime | None = None) -> str:
    """A new session for the token ``token_id``; returns the id for the cookie (shown once)."""
    now = now or utcnow()
    session_id = secrets.token_urlsafe(32)
    row = {
        "sha256": token_hash(session_id),
        "token_id": token_id,
        "created_at": now,
        "expires_at": now + timedelta(seconds=SESSION_S),
        "seen_at": now,
    }
    with engine.begin() as conn:
        conn.execute(insert(console_sessions).values(row))
    return session_id


def find_session(
    engine: Engine, session_id: str, *, now: datetime | None = None
) -> TokenInfo | None:
    """The live token behind a live session, or None (unknown, ended, expired, idle, revoked)."""
    now = now or utcnow()
    key = token_hash(session_id)
    query = (
        select(tokens, console_sessions.c.seen_at.label("session_seen_at"))
        .join(console_sessions, console_sessions.c.token_id == tokens.c.id)
        .where(
            console_sessions.c.sha256 == key,
            console_sessions.c.expires_at > now,
            console_sessions.c.seen_at > now - timedelta(seconds=IDLE_S),
            tokens.c.revoked_at.is_(None),
        )
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    if now - as_utc(row.session_seen_at) > timedelta(seconds=TOUCH_S):
        touch = update(console_sessions).where(console_sessions.c.sha256 == key)
        with engine.begin() as conn:
            conn.execute(touch.values(seen_at=now))
    return token_info(row)


def end_session(engine: Engine, session_id: str) -> bool:
    """Sign-out: forget the session; True if there was one."""
    query = delete(console_sessions).where(console_sessions.c.sha256 == token_hash(session_id))
    with engine.begin() as conn:
        return bool(conn.execute(query).rowcount)


def purge_sessions(engine: Engine, *, now: datetime | None = None) -> int:
    """Delete sessions that can no longer be used; returns how many went."""
    now = now or utcnow()
    revoked = select(tokens.c.id).where(tokens.c.revoked_at.is_not(None))
    query = delete(console_sessions).where(
        or_(
            console_sessions.c.expires_at <= now,
            console_sessions.c.seen_at <= now - timedelta(seconds=IDLE_S),
            console_sessions.c.token_id.in_(revoked),
        )
    )
    with engine.begin() as conn:
        return conn.execute(query).rowcount
