"""Bearer tokens: random, shown once, stored as SHA-256, revocable."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, or_, select, update

from verifier.store.schema import tokens
from verifier.timeutil import as_utc, utcnow

ROLES = ("kiosk", "feeder", "staff", "admin")


@dataclass(frozen=True)
class TokenInfo:
    """What a request's token allows; never holds the token itself."""

    id: int
    name: str
    role: str
    site: str | None
    created_at: datetime
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(engine: Engine, *, name: str, role: str, site: str | None = None) -> str:
    """Create a token and return it; only its hash is kept."""
    if role not in ROLES:
        raise ValueError(f"role: expected one of {', '.join(ROLES)}, got {role!r}")
    token = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            insert(tokens).values(
                name=name, role=role, site=site, sha256=token_hash(token), created_at=utcnow()
            )
        )
    return token


def find_token(engine: Engine, token: str) -> TokenInfo | None:
    """The live (not revoked) token with this value, or None."""
    query = select(tokens).where(
        tokens.c.sha256 == token_hash(token), tokens.c.revoked_at.is_(None)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _info(row)


def list_tokens(engine: Engine) -> list[TokenInfo]:
    """Every token, oldest first, revoked ones included."""
    with engine.connect() as conn:
        return [_info(row) for row in conn.execute(select(tokens).order_by(tokens.c.id))]


def revoke_token(engine: Engine, *, key: str) -> int:
    """Revoke live tokens whose id or name is ``key``; returns how many."""
    match = tokens.c.name == key
    if key.isdigit():
        match = or_(match, tokens.c.id == int(key))
    query = update(tokens).where(match, tokens.c.revoked_at.is_(None)).values(revoked_at=utcnow())
    with engine.begin() as conn:
        return conn.execute(query).rowcount


def _info(row: object) -> TokenInfo:
    m = row._mapping  # type: ignore[attr-defined]
    revoked = m["revoked_at"]
    return TokenInfo(
        id=m["id"],
        name=m["name"],
        role=m["role"],
        site=m["site"],
        created_at=as_utc(m["created_at"]),
        revoked_at=None if revoked is None else as_utc(revoked),
    )
