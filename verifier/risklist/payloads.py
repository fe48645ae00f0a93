"""Which signed bytes answer ``GET /v1/risklist?since=N``: the stored deltas from N to the newest
version, concatenated in order, or the newest snapshot when that is smaller, N is unknown (0,
pruned, or ahead of us) — all read from the store, so every replica serves the same bytes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from verifier.risklist.model import risklist_versions as versions


@dataclass(frozen=True, slots=True)
class Served:
    body: bytes
    etag: str
    version: int
    kind: str


def payload_for(engine: Engine, since: int) -> Served | None:
    """The answer for a kiosk at version ``since``; None before the first publish."""
    with engine.connect() as conn:
        row = conn.execute(
            select(versions.c.version, versions.c.snapshot, func.min(versions.c.version).over())
            .order_by(versions.c.version.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        current, snapshot, oldest = row
        first = min(since + 1, current)
        if 0 < since <= current and first >= oldest:
            deltas = select(versions.c.delta).where(versions.c.version >= first)
            size = conn.execute(
                select(func.sum(func.length(versions.c.delta))).where(versions.c.version >= first)
            ).scalar()
            if size is not None and size < len(snapshot):
                body = b"".join(d for (d,) in conn.execute(deltas.order_by(versions.c.version)))
                return Served(body, f'"d-{first}-{current}"', current, "delta")
        return Served(snapshot, f'"s-{current}"', current, "snapshot")
