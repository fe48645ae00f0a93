"""A synthetic population for demos and benchmarks, fed through the normal import path:
~90 % green, some yellow and red, ~4 % with no record, travel for ~1 in 10, ~1 % lost cards.
ID numbers exist only in memory while a row is hashed; none is printed or stored."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from verifier.feeds import ImportReport, import_feed
from verifier.idnumber import synthetic_id_number
from verifier.timeutil import utcnow

PLACES = (
    ("110105001", "北京市朝阳区某街道", "low"),
    ("310104002", "上海市徐汇区某街道", "medium"),
    ("440106003", "广州市天河区某街道", "high"),
    ("510107004", "成都市武侯区某街道", "low"),
    ("420106005", "武汉市武昌区某街道", "medium"),
)


@dataclass(frozen=True)
class Person:
    id_number: str
    color: str | None
    visits: list[tuple[str, str, str, str]]
    card: str | None


def people(count: int, seed: int, today: datetime) -> Iterator[Person]:
    """The same ``seed`` gives the same population."""
    rng = random.Random(seed)
    for _ in range(count):
        number = synthetic_id_number(rng)
        roll = rng.random()
        color = (
            "green" if roll < 0.90 else "yellow" if roll < 0.945 else "red" if roll < 0.96 else None
        )
        visits = []
        if rng.random() < 0.10:
            for _ in range(rng.randint(1, 3)):
                code, name, risk = rng.choice(PLACES)
                day = (today - timedelta(days=rng.randint(0, 30))).date().isoformat()
                visits.append((code, name, day, risk))
        card_roll = rng.random()
        card = (
            rng.choice(("lost", "stolen", "revoked"))
            if card_roll < 0.01
            else ("ok" if card_roll < 0.05 else None)
        )
        yield Person(number, color, visits, card)


def _lines(kind: str, population: Iterator[Person], stamp: str) -> Iterator[bytes]:
    header = {
        "codes": "id_number,color,reason,updated_at,nat_at,vaccine_doses\n",
        "travel": "id_number,place_code,place_name,visited_on,risk,updated_at\n",
        "cards": "id_number,status,updated_at\n",
    }[kind]
    yield header.encode()
    for p in population:
        if kind == "codes" and p.color is not None:
            yield f"{p.id_number},{p.color},seed,{stamp},{stamp},3\n".encode()
        elif kind == "travel":
            for code, name, day, risk in p.visits:
                yield f"{p.id_number},{code},{name},{day},{risk},{stamp}\n".encode()
        elif kind == "cards" and p.card is not None:
            yield f"{p.id_number},{p.card},{stamp}\n".encode()


def seed_population(
    engine: Engine,
    pepper: bytes,
    *,
    count: int,
    seed: int,
    on_person: Callable[[str, int], None] | None = None,
) -> list[ImportReport]:
    """Import codes, travel and cards for ``count`` people; ``on_person(kind, done)``."""
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    stamp = now.isoformat()
    reports = []
    for kind in ("codes", "travel", "cards"):

        def counted(kind: str = kind) -> Iterator[Person]:
            for done, person in enumerate(people(count, seed, now), 1):
                if on_person is not None and done % 10_000 == 0:
                    on_person(kind, done)
                yield person

        reports.append(import_feed(engine, pepper, kind, _lines(kind, counted(), stamp)))
        if on_person is not None:
            on_person(kind, count)
    return reports
