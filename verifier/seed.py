"""A synthetic population for demos and benchmarks: ~90 % green, some yellow and red, ~4 % with
no record, travel for ~1 in 10, ~1 % lost cards.

A province's 10^7 people are seeded in under two minutes (docs/performance.md): people are made
in chunks by worker processes, each chunk from its own random stream (the same ``seed`` gives
the same population however many processes there are), and come back as the rows an import of
them would store, in the store's forms (``feeds.rows.Forms``). The feed writers then store them
batch by batch like any import; there is no file to parse and nothing to validate, since every
value is made valid. ID numbers exist only in the worker's memory while a person is hashed;
none is printed or stored."""

from __future__ import annotations

import multiprocessing
import os
import random
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from verifier.feeds import ImportReport
from verifier.feeds.importer import BATCH_ROWS, KINDS, BatchPipeline
from verifier.feeds.rows import Forms
from verifier.feeds.writer import FeedWriter
from verifier.idnumber import synthetic_id_number
from verifier.subjects import SubjectHasher
from verifier.timeutil import utcnow

PLACES = (
    ("110105001", "北京市朝阳区某街道", "low"),
    ("310104002", "上海市徐汇区某街道", "medium"),
    ("440106003", "广州市天河区某街道", "high"),
    ("510107004", "成都市武侯区某街道", "low"),
    ("420106005", "武汉市武昌区某街道", "medium"),
)
CHUNK = 25_000
"""People per random stream and per task: big enough that a task's start-up is noise, small
enough that the rows of a few chunks in flight take tens of MB."""
IN_PROCESS = 2 * CHUNK
"""Populations up to this size are made in this process: starting workers would take longer."""

Row = tuple[Any, ...]


@dataclass(frozen=True)
class Person:
    id_number: str
    color: str | None
    visits: list[tuple[str, str, date, str]]
    card: str | None


def people(count: int, seed: int, today: datetime) -> Iterator[Person]:
    """The same ``seed`` gives the same population."""
    for start in range(0, count, CHUNK):
        yield from _chunk(seed, start // CHUNK, min(CHUNK, count - start), today)


def _chunk(seed: int, index: int, size: int, today: datetime) -> Iterator[Person]:
    rng = random.Random(f"yzt-seed/{seed}/{index}")
    for _ in range(size):
        number = synthetic_id_number(rng)
        roll = rng.random()
        color = (
            "green" if roll < 0.90 else "yellow" if roll < 0.945 else "red" if roll < 0.96 else None
        )
        visits = []
        if rng.random() < 0.10:
            for _ in range(rng.randint(1, 3)):
                code, name, risk = rng.choice(PLACES)
                day = (today - timedelta(days=rng.randint(0, 30))).date()
                visits.append((code, name, day, risk))
        card_roll = rng.random()
        card = (
            rng.choice(("lost", "stolen", "revoked"))
            if card_roll < 0.01
            else ("ok" if card_roll < 0.05 else None)
        )
        yield Person(number, color, visits, card)


@dataclass(frozen=True)
class _Task:
    """One chunk to make, with what a worker needs to turn it into rows."""

    seed: int
    index: int
    size: int
    now: datetime
    pepper: bytes
    forms: Forms


def _rows(task: _Task) -> dict[str, list[Row]]:
    """A chunk's people as the rows of each feed kind (``writer.TABLES`` column order) — what
    ``feeds.rows.validator`` makes of the same people's feed lines."""
    hasher = SubjectHasher(task.pepper)
    stamp = task.forms.instant(task.now)
    days: dict[date, Any] = {}
    out: dict[str, list[Row]] = {kind: [] for kind in KINDS}
    codes, travel, cards = out["codes"], out["travel"], out["cards"]
    for person in _chunk(task.seed, task.index, task.size, task.now):
        subject = hasher(person.id_number)
        if person.color is not None:
            codes.append((subject, person.color, "seed", stamp, stamp, 3))
        for code, name, day, risk in person.visits:
            visited = days.get(day)
            if visited is None:
                visited = days[day] = task.forms.day(day)
            travel.append((subject, code, visited, name, risk, stamp))
        if person.card is not None:
            cards.append((subject, person.card, stamp))
    return out


def seed_population(
    engine: Engine,
    pepper: bytes,
    *,
    count: int,
    seed: int,
    on_people: Callable[[int], None] | None = None,
    processes: int | None = None,
    now: datetime | None = None,
) -> list[ImportReport]:
    """Store codes, travel and cards for ``count`` people → a report per kind;
    ``on_people(done)`` after each chunk. ``processes``: workers making people (0: none, all
    made here; default: one per core, or none for populations up to ``IN_PROCESS``). Records
    are stamped ``now`` (default: this hour)."""
    now = now or utcnow().replace(minute=0, second=0, microsecond=0)
    writers = {kind: FeedWriter(engine, kind) for kind in KINDS}
    forms = writers["codes"].forms
    tasks = [
        _Task(seed, start // CHUNK, min(CHUNK, count - start), now, pepper, forms)
        for start in range(0, count, CHUNK)
    ]
    batch_rows = BATCH_ROWS.get(engine.dialect.name, 10_000)
    reports = {kind: ImportReport(kind) for kind in KINDS}
    # SQLite takes one writer at a time: its three kinds share one writer thread.
    shared = None if writers["codes"].postgresql else ThreadPoolExecutor(1, "seed-writer")
    pipelines = {kind: BatchPipeline(writers[kind], reports[kind], shared) for kind in KINDS}
    pending: dict[str, list[Row]] = {kind: [] for kind in KINDS}
    done = 0
    try:
        for task, made in zip(tasks, _made(tasks, processes, count), strict=True):
            for kind, rows in made.items():
                batch = pending[kind]
                batch.extend(rows)
                if len(batch) >= batch_rows:
                    pipelines[kind].submit(batch)
                    pending[kind] = []
            done += task.size
            if on_people is not None:
                on_people(done)
        for kind, batch in pending.items():
            if batch:
                pipelines[kind].submit(batch)
        for pipeline in pipelines.values():
            pipeline.wait()
    finally:
        for pipeline in pipelines.values():
            pipeline.close()
        if shared is not None:
            shared.shutdown(wait=True)
    return [reports[kind] for kind in KINDS]


def _made(tasks: list[_Task], processes: int | None, count: int) -> Iterator[dict[str, list[Row]]]:
    """Each task's rows, in task order; made in worker processes for a big population, with a
    few tasks in flight per worker (the rows of the rest are not made before they are stored)."""
    if processes == 0 or (processes is None and count <= IN_PROCESS):
        yield from map(_rows, tasks)
        return
    workers = processes or os.cpu_count() or 1
    context = multiprocessing.get_context("spawn")  # no fork of a process with writer threads
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        inflight: deque[Future[dict[str, list[Row]]]] = deque()
        queued = iter(tasks)
        for task in queued:
            inflight.append(pool.submit(_rows, task))
            if len(inflight) >= 2 * workers:
                break
        while inflight:
            made = inflight.popleft().result()
            following = next(queued, None)
            if following is not None:
                inflight.append(pool.submit(_rows, following))
            yield made
