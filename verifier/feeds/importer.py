"""One feed import: parse → validate → hash → write in batches, with a report of rejected rows,
then a new risk-list version when a publisher is given. Used by ``yzt verifier import``, ``seed``
and ``PUT /v1/feeds/{kind}`` alike."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from verifier.feeds.lines import FeedUnusable, Readable
from verifier.feeds.rows import RowError, validator
from verifier.feeds.source import Format, parse_feed
from verifier.feeds.writer import FeedWriter
from verifier.store import StoreError

if TYPE_CHECKING:
    from verifier.risklist.publisher import Publisher

KINDS = ("codes", "travel", "cards")
MAX_LISTED = 1000
# Rows per transaction. Subjects are random keys, so a batch touches pages all over the table;
# big batches write each page once per commit instead of once per few rows (measured in
# benchmarks/bench_import.py at 10^6 rows on SQLite: 10 k → 100 k rows doubled the rate, 100 k →
# 250 k cut SQLite's CPU per row by a fifth, for ~60 MB more memory).
BATCH_ROWS = {"sqlite": 250_000, "postgresql": 200_000}


@dataclass(frozen=True)
class Rejected:
    """A rejected row: its line in the file, the field, what was expected."""

    row: int
    field: str
    reason: str


@dataclass
class ImportReport:
    """What an import did; ``exit_code`` is the CLI's 0 / 1 / 2."""

    kind: str
    accepted: int = 0
    rejected: int = 0
    changed: int = 0
    errors: list[Rejected] = field(default_factory=list)
    unusable: str | None = None
    risklist_version: int | None = None
    """The risk-list version published right after this import (None: none was)."""

    @property
    def exit_code(self) -> int:
        if self.unusable is not None:
            return 2
        return 1 if self.rejected else 0

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "changed": self.changed,
            "errors": [vars(e) for e in self.errors],
            "errors_listed": len(self.errors),
            "unusable": self.unusable,
        }


def import_feed(
    engine: Engine,
    pepper: bytes,
    kind: str,
    source: Readable | Iterable[bytes],
    *,
    fmt: Format | None = None,
    batch_size: int | None = None,
    on_progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    publisher: Publisher | None = None,
) -> ImportReport:
    """Import one feed from a binary file (or an iterable of byte chunks) in format ``fmt``
    (None: told by its first line). Accepted rows are committed batch by batch, so a bad row
    never costs the good ones; a batch is written while the next one is parsed. Once rows are
    stored, ``publisher`` puts them on the risk list. Raises StoreError when the store fails
    (the batches before it stay committed)."""
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    report = ImportReport(kind)
    try:
        lines, parsed = parse_feed(kind, source, fmt)
    except FeedUnusable as exc:
        report.unusable = str(exc)
        return report
    if batch_size is None:
        batch_size = BATCH_ROWS.get(engine.dialect.name, 10_000)
    writer = FeedWriter(engine, kind)
    validate = validator(kind, pepper, now, writer.forms)
    with BatchPipeline(writer, report) as pipeline:
        batch: list[tuple[Any, ...]] = []
        for line, values in parsed:
            try:
                if isinstance(values, RowError):
                    raise values
                batch.append(validate(values))
            except RowError as exc:
                report.rejected += 1
                if len(report.errors) < MAX_LISTED:
                    report.errors.append(Rejected(line, exc.field, exc.reason))
                continue
            if len(batch) >= batch_size:
                pipeline.submit(batch)
                batch = []
                if on_progress is not None:
                    on_progress(lines.consumed)
        if batch:
            pipeline.submit(batch)
    if on_progress is not None:
        on_progress(lines.consumed)
    if publisher is not None and report.accepted:
        published = publisher.publish()
        report.risklist_version = None if published is None else published.version
    return report


class BatchPipeline:
    """Writes one batch in a thread while the next is parsed: the database (or its driver,
    which releases the GIL) and the parser then share the two cores instead of taking turns.
    ``executor``: a writer thread shared with other pipelines (SQLite takes one writer at a
    time); by default the pipeline has its own."""

    def __init__(
        self, writer: FeedWriter, report: ImportReport, executor: Executor | None = None
    ) -> None:
        self.writer = writer
        self.report = report
        self.own = executor is None
        self.pool = executor or ThreadPoolExecutor(1, thread_name_prefix="feed-writer")
        self.pending: Future[int] | None = None
        self.pending_rows = 0

    def __enter__(self) -> BatchPipeline:
        return self

    def submit(self, batch: list[tuple[Any, ...]]) -> None:
        payload = self.writer.prepare(batch)
        self.wait()
        self.pending = self.pool.submit(self.writer.write, payload)
        self.pending_rows = len(batch)

    def wait(self) -> None:
        """Until the batch in flight is stored; its rows then count as accepted."""
        if self.pending is not None:
            try:
                self.report.changed += self.pending.result()
            except StoreError as exc:
                raise StoreError(
                    f"{exc}; the {self.report.accepted} rows before it are stored: import "
                    "the file again once the store is fixed (stored rows stay as they are)"
                ) from None
            finally:
                self.pending = None
            self.report.accepted += self.pending_rows

    def close(self) -> None:
        """Stop the writer thread (if the pipeline's own) once its batch is done."""
        if self.own:
            self.pool.shutdown(wait=True)

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.wait()
        finally:
            self.close()
