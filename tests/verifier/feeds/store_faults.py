"""A store that refuses some writes for real: a trigger on ``health_codes`` (SQLite or
PostgreSQL) that aborts the statement inserting a row whose reason is ``refuse``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

REFUSED = "refused by a test trigger"
_CREATE = {
    "sqlite": [
        "CREATE TRIGGER refuse BEFORE INSERT ON health_codes WHEN NEW.reason = 'refuse' "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF NEW.reason = 'refuse' THEN RAISE EXCEPTION '{REFUSED}'; END IF; RETURN NEW; END $$",
        "CREATE TRIGGER refuse BEFORE INSERT ON health_codes FOR EACH ROW "
        "EXECUTE FUNCTION refuse()",
    ],
}
_DROP = {
    "sqlite": ["DROP TRIGGER refuse"],
    "postgresql": ["DROP TRIGGER refuse ON health_codes", "DROP FUNCTION refuse()"],
}


@contextmanager
def refusing(engine: Engine) -> Iterator[None]:
    """Within: inserting a health code with reason ``refuse`` fails its whole statement."""
    dialect = engine.dialect.name
    with engine.begin() as conn:
        for statement in _CREATE[dialect]:
            conn.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for statement in _DROP[dialect]:
                conn.execute(text(statement))
