"""The last status document of every kiosk (``/v1/heartbeat`` in, ``/v1/fleet`` out)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from verifier.store.schema import heartbeats
from verifier.timeutil import as_utc


def record_heartbeat(
    engine: Engine, *, kiosk_id: str, site: str, doc: dict[str, Any], at: datetime
) -> None:
    """Keep this document as the kiosk's latest."""
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(heartbeats).values(
        kiosk_id=kiosk_id, site=site, doc=doc, received_at=at
    )
    statement = statement.on_conflict_do_update(
        index_elements=["kiosk_id"],
        set_={"site": site, "doc": doc, "received_at": at},
    )
    with engine.begin() as conn:
        conn.execute(statement)


def last_heartbeats(engine: Engine, *, site: str | None = None) -> list[dict[str, Any]]:
    """Every kiosk's latest document, by site then kiosk id."""
    query = select(heartbeats).order_by(heartbeats.c.site, heartbeats.c.kiosk_id)
    if site is not None:
        query = query.where(heartbeats.c.site == site)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        {
            "kiosk_id": r.kiosk_id,
            "site": r.site,
            "doc": r.doc,
            "received_at": as_utc(r.received_at),
        }
        for r in rows
    ]
