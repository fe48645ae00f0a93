"""Bearer tokens: random, shown once, stored as SHA-256, revocable.

A kiosk token belongs to one kiosk and one site: heartbeats and events naming another are
refused (verifier/api/deps.py ``check_kiosk``). Kiosk tokens issued before kiosk ids were stored
(revision 0102) bind to the kiosk of their first heartbeat or event batch (``bind_token``).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, exists, insert, or_, select, update

from verifier.store.schema import tokens
from verifier.timeutil import as_utc, utcnow

ROLES = ("kiosk", "feeder", "staff", "admin")
NAME = re.compile(r"[A-Za-z0-9._:-]{1,64}")
"""Kiosk ids and sites, as the API accepts them (verifier/api/models.py ``Name``)."""


class TokenFieldError(ValueError):
    """A token that cannot be issued as asked; ``field`` names the option at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class TokenInfo:
    """What a request's token allows; never holds the token itself."""

    id: int
    name: str
    role: str
    site: str | None
    kiosk_id: str | None
    created_at: datetime
    revoked_at: datetime | None


def token_hash(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def add_token(
    engine: Engine,
    *,
    name: str,
    role: str,
    site: str | None = None,
    kiosk_id: str | None = None,
) -> str:
    """Create a token and return it; only its hash is kept. A kiosk token needs ``kiosk_id`` and
    ``site``; other roles may be bound to a site but never to a kiosk."""
    if role not in ROLES:
        raise TokenFieldError("role", f"expected one of {', '.join(ROLES)}, got {role!r}")
    if role == "kiosk":
        for field, value in (("kiosk_id", kiosk_id), ("site", site)):
            if value is None:
                raise TokenFieldError(
                    field, "required for a kiosk token: it speaks for one kiosk at one site"
                )
    elif kiosk_id is not None:
        raise TokenFieldError("kiosk_id", f"only kiosk tokens name a kiosk, not {role} tokens")
    for field, value in (("kiosk_id", kiosk_id), ("site", site)):
        if value is not None and not NAME.fullmatch(value):
            raise TokenFieldError(field, "expected 1-64 of A-Z a-z 0-9 . _ : - (like lane-1)")
    token = secrets.token_urlsafe(32)
    row = {"name": name, "role": role, "site": site, "kiosk_id": kiosk_id}
    with engine.begin() as conn:
        conn.execute(insert(tokens).values(**row, sha256=token_hash(token), created_at=utcnow()))
    return token


def find_token(engine: Engine, token: str) -> TokenInfo | None:
    """The live (not revoked) token with this value, or None."""
    query = select(tokens).where(
        tokens.c.sha256 == token_hash(token), tokens.c.revoked_at.is_(None)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else token_info(row)


def bind_token(engine: Engine, token_id: int, *, kiosk_id: str, site: str) -> TokenInfo | None:
    """Bind a live kiosk token that names no kiosk yet to ``kiosk_id`` at ``site``, and return
    the token as it is afterwards (None once revoked).

    One conditional UPDATE, so concurrent first uses on several replicas bind it once. It binds
    only where the token's own site (if any) is ``site`` and no other live token already speaks
    for ``kiosk_id``: a stolen old token cannot take over a kiosk that has its own. Whatever the
    token is bound to afterwards, the caller compares with what the request names.
    """
    other = tokens.alias("other")
    taken = exists().where(
        other.c.kiosk_id == kiosk_id, other.c.revoked_at.is_(None), other.c.id != token_id
    )
    binding = (
        update(tokens)
        .where(
            tokens.c.id == token_id,
            tokens.c.role == "kiosk",
            tokens.c.kiosk_id.is_(None),
            tokens.c.revoked_at.is_(None),
            or_(tokens.c.site.is_(None), tokens.c.site == site),
            ~taken,
        )
        .values(kiosk_id=kiosk_id, site=site)
    )
    with engine.begin() as conn:
        conn.execute(binding)
        row = conn.execute(
            select(tokens).where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
        ).first()
    return None if row is None else token_info(row)


def list_tokens(engine: Engine) -> list[TokenInfo]:
    """Every token, oldest first, revoked ones included."""
    with engine.connect() as conn:
        return [token_info(row) for row in conn.execute(select(tokens).order_by(tokens.c.id))]


def kiosk_sites(engine: Engine, kiosk_id: str) -> set[str]:
    """The sites live tokens bind ``kiosk_id`` to (the fleet lists kiosks by id alone)."""
    query = select(tokens.c.site).where(
        tokens.c.kiosk_id == kiosk_id, tokens.c.revoked_at.is_(None)
    )
    with engine.connect() as conn:
        return {site for (site,) in conn.execute(query) if site is not None}


def revoke_token(engine: Engine, *, key: str) -> int:
    """Revoke live tokens whose id or name is ``key``; returns how many."""
    match = tokens.c.name == key
    if key.isdigit():
        match = or_(match, tokens.c.id == int(key))
    query = update(tokens).where(match, tokens.c.revoked_at.is_(None)).values(revoked_at=utcnow())
    with engine.begin() as conn:
        return conn.execute(query).rowcount


def token_info(row: object) -> TokenInfo:
    """A ``tokens`` row (or a joined row holding its columns) as what a request may do."""
    m = row._mapping  # type: ignore[attr-defined]
    revoked = m["revoked_at"]
    return TokenInfo(
        id=m["id"],
        name=m["name"],
        role=m["role"],
        site=m["site"],
        kiosk_id=m["kiosk_id"],
        created_at=as_utc(m["created_at"]),
        revoked_at=None if revoked is None else as_utc(revoked),
    )
