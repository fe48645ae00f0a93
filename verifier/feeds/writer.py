"""Batch writers: a batch is written by a few big statements in a writer thread, while the next
batch is parsed.

SQLite: the batch is sorted by key and bound into multi-row ``INSERT … VALUES (…), (…) … ON
CONFLICT`` statements of as many rows as SQLite takes parameters for; each binds its parameters
once and then runs inside SQLite with Python's GIL released (per-row ``executemany`` would fight
the parser for the GIL on every row).

PostgreSQL: a binary ``COPY`` into a temporary table, then one ``INSERT … SELECT DISTINCT ON
(key) … ON CONFLICT`` from it (newest first: PostgreSQL refuses to update one row twice in a
statement). Binary rows carry the subject's bytes, ``datetime`` and ``date`` values as they are:
the client formats no text and the server parses none (a fifth of the client's CPU per row and
a third of the server's COPY time against text COPY; docs/performance.md).

Both keep the newer of two updates (``excluded.updated_at > current.updated_at``), so
re-importing a file changes nothing; within a batch the newest row per key wins too.
"""

from __future__ import annotations

from contextlib import suppress
from itertools import chain
from operator import itemgetter
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from verifier.feeds.rows import NATIVE_FORMS, TEXT_FORMS, Forms
from verifier.store import StoreError

# kind: (table, key columns, value columns), in the order of the validator's tuples
TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "codes": (
        "health_codes",
        ("subject",),
        ("color", "reason", "updated_at", "nat_at", "vaccine_doses"),
    ),
    "travel": (
        "travel",
        ("subject", "place_code", "visited_on"),
        ("place_name", "risk", "updated_at"),
    ),
    "cards": ("card_status", ("subject",), ("status", "updated_at")),
}


PG_TYPES = {
    "subject": "bytea",
    "visited_on": "date",
    "updated_at": "timestamptz",
    "nat_at": "timestamptz",
    "vaccine_doses": "int4",
}
"""Binary COPY types of the columns that are not text (varchar and text share one format)."""
_KEY = itemgetter(0)  # the subject, first column of every table
SQLITE_VARIABLES = 32_766  # parameters per SQLite statement (SQLITE_MAX_VARIABLE_NUMBER)
IMPORT_CACHE_KIB = 262_144  # SQLite page cache of the importing connection: random keys into a
# table bigger than the cache would otherwise read a page from the OS for nearly every row


class FeedWriter:
    """Writes validated row tuples of one kind: ``prepare`` (in the parsing thread) then
    ``write`` (one transaction) → how many rows changed."""

    def __init__(self, engine: Engine, kind: str) -> None:
        self.engine = engine
        self.postgresql = engine.dialect.name == "postgresql"
        self.dbapi_error: type[Exception] = engine.dialect.loaded_dbapi.Error
        table, keys, values = TABLES[kind]
        columns = ", ".join(keys + values)
        updates = ", ".join(f"{c} = excluded.{c}" for c in values)
        conflict = (
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates} "
            f"WHERE excluded.updated_at > {table}.updated_at"
        )
        self.forms: Forms = NATIVE_FORMS if self.postgresql else TEXT_FORMS
        """The form the validator gives instants and days in, for this store."""
        if self.postgresql:
            stage = f"feed_{table}"
            self.pg_types = [PG_TYPES.get(c, "text") for c in keys + values]
            self.pg_stage = f"CREATE TEMPORARY TABLE {stage} (LIKE {table}) ON COMMIT DROP"
            self.pg_copy = f"COPY {stage} ({columns}) FROM STDIN (FORMAT BINARY)"
            self.pg_insert = (
                f"INSERT INTO {table} ({columns}) SELECT DISTINCT ON ({', '.join(keys)}) "
                f"{columns} FROM {stage} ORDER BY {', '.join(keys)}, updated_at DESC {conflict}"
            )
        else:
            self.row_marks = f"({', '.join('?' for _ in keys + values)})"
            self.sqlite_head = f"INSERT INTO {table} ({columns}) VALUES "
            self.sqlite_tail = f" {conflict}"
            # As many rows as fit: a statement hands the GIL back and forth once.
            self.sqlite_rows = SQLITE_VARIABLES // len(keys + values)

    def prepare(self, rows: list[tuple[Any, ...]]) -> Any:
        """SQLite: sorted by key (pages are then visited in order; the sort is stable, so rows
        with the same key keep their file order) and cut into statements. PostgreSQL sorts the
        batch itself."""
        if self.postgresql:
            return rows
        rows.sort(key=_KEY)
        step = self.sqlite_rows
        return [
            (len(chunk), list(chain.from_iterable(chunk)))
            for chunk in (rows[i : i + step] for i in range(0, len(rows), step))
        ]

    def write(self, payload: Any) -> int:
        try:
            raw = self.engine.raw_connection()
        except DBAPIError as exc:
            raise _store_error(exc.orig or exc) from None
        try:
            cursor = raw.cursor()
            if self.postgresql:
                changed = self._write_postgresql(cursor, payload)
            else:
                cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
                changed = 0
                for count, params in payload:
                    cursor.execute(self._sqlite_sql(count), params)
                    changed += cursor.rowcount
            raw.commit()
            return changed
        except BaseException as exc:
            with suppress(self.dbapi_error):  # a connection that died cannot roll back
                raw.rollback()
            if isinstance(exc, self.dbapi_error):
                raise _store_error(exc) from None
            raise
        finally:
            raw.close()

    def _write_postgresql(self, cursor: Any, rows: list[tuple[Any, ...]]) -> int:
        cursor.execute(self.pg_stage)
        with cursor.copy(self.pg_copy) as copy:
            copy.set_types(self.pg_types)
            for row in rows:
                copy.write_row(row)
        cursor.execute(self.pg_insert)
        return int(cursor.rowcount)

    def _sqlite_sql(self, rows: int) -> str:
        return self.sqlite_head + ", ".join([self.row_marks] * rows) + self.sqlite_tail


def _store_error(exc: BaseException) -> StoreError:
    """The driver's complaint as one line (its first: PostgreSQL's DETAIL lines quote rows)."""
    lines = str(exc).strip().splitlines()
    return StoreError(
        f"the store failed while writing a batch ({type(exc).__name__}: "
        f"{lines[0][:200] if lines else 'no message'})"
    )
