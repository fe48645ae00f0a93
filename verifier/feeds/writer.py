"""Batch writers. A batch is sorted by key and prepared in the parsing thread, then written by a
few big statements in a writer thread: on SQLite multi-row ``INSERT … VALUES (…), (…) … ON
CONFLICT`` of 4 000 rows each; on PostgreSQL one ``INSERT … SELECT … ON CONFLICT`` over
``json_array_elements`` of the batch as one JSON array (``DISTINCT ON`` the key, newest first,
as PostgreSQL refuses to update one row twice in a statement). Each statement binds its
parameters once and then runs inside the database with Python's GIL released, overlapping the
parsing of the next batch — per-row ``executemany`` or ``COPY`` would fight the parser for the
GIL on every row.

Both keep the newer of two updates (``WHERE excluded.updated_at > current.updated_at``), so
re-importing a file changes nothing; within a batch the newest row per key wins too.
"""

from __future__ import annotations

import json
from itertools import chain
from typing import Any

from sqlalchemy import Engine

# kind: (table, key columns, value columns, PostgreSQL type of every column)
TABLES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "codes": (
        "health_codes",
        ("subject",),
        ("color", "reason", "updated_at", "nat_at", "vaccine_doses"),
        ("text", "text", "text", "timestamp", "timestamp", "integer"),
    ),
    "travel": (
        "travel",
        ("subject", "place_code", "visited_on"),
        ("place_name", "risk", "updated_at"),
        ("text", "text", "date", "text", "text", "timestamp"),
    ),
    "cards": (
        "card_status",
        ("subject",),
        ("status", "updated_at"),
        ("text", "text", "timestamp"),
    ),
}


SQLITE_ROWS = 4_000  # rows per SQLite statement (× 6 columns, under its 32 766 variables)
IMPORT_CACHE_KIB = 262_144  # SQLite page cache of the importing connection: random keys into a
# table bigger than the cache would otherwise read a page from the OS for nearly every row


class FeedWriter:
    """Writes validated row tuples of one kind: ``prepare`` (in the parsing thread) then
    ``write`` (one transaction) → how many rows changed."""

    def __init__(self, engine: Engine, kind: str) -> None:
        self.engine = engine
        table, keys, values, types = TABLES[kind]
        columns = ", ".join(keys + values)
        updates = ", ".join(f"{c} = excluded.{c}" for c in values)
        conflict = (
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates} "
            f"WHERE excluded.updated_at > {table}.updated_at"
        )
        if engine.dialect.name == "postgresql":
            fields = ", ".join(
                _pg_field(i, c, t)
                for i, (c, t) in enumerate(zip(keys + values, types, strict=True))
            )
            self.sql = (
                f"INSERT INTO {table} ({columns}) SELECT DISTINCT ON ({', '.join(keys)}) * FROM "
                f"(SELECT {fields} FROM json_array_elements(%s::json) AS e) AS batch "
                f"ORDER BY {', '.join(keys)}, updated_at DESC {conflict}"
            )
        else:
            self.row_marks = f"({', '.join('?' for _ in keys + values)})"
            self.sqlite_head = f"INSERT INTO {table} ({columns}) VALUES "
            self.sqlite_tail = f" {conflict}"
            self.width = len(keys + values)

    def prepare(self, rows: list[tuple[Any, ...]]) -> Any:
        """Sorted by key (pages are then visited in order; the sort is stable, so rows with the
        same key keep their file order) and shaped for ``write``."""
        rows.sort(key=_first)
        if self.engine.dialect.name == "postgresql":
            return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        return [
            (len(chunk), list(chain.from_iterable(chunk)))
            for chunk in (rows[i : i + SQLITE_ROWS] for i in range(0, len(rows), SQLITE_ROWS))
        ]

    def write(self, payload: Any) -> int:
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.engine.dialect.name == "postgresql":
                cursor.execute(self.sql, (payload,))
                changed: int = cursor.rowcount
            else:
                cursor.execute(f"PRAGMA cache_size = -{IMPORT_CACHE_KIB}")
                changed = 0
                for count, params in payload:
                    cursor.execute(self._sqlite_sql(count), params)
                    changed += cursor.rowcount
            raw.commit()
            return changed
        except BaseException:
            raw.rollback()
            raise
        finally:
            raw.close()

    def _sqlite_sql(self, rows: int) -> str:
        return self.sqlite_head + ", ".join([self.row_marks] * rows) + self.sqlite_tail


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


def _pg_field(index: int, column: str, pg_type: str) -> str:
    value = f"(e ->> {index})"
    if pg_type == "timestamp":
        return f"{value}::timestamp AT TIME ZONE 'UTC' AS {column}"
    return f"{value}::{pg_type} AS {column}"
