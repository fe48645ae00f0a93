"""kiosk/demo/feeds.py + catalog.py: every demo card has a file and gets its own feed rows."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from kiosk.demo.catalog import CATALOG
from kiosk.demo.feeds import id_number_of, write_feeds
from readers.simulator import DEMO_CARDS

TODAY = dt.date(2026, 11, 28)


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_catalog_card_has_a_card_file() -> None:
    assert {card.name for card in CATALOG} == {p.stem for p in DEMO_CARDS.glob("*.json")}


def test_feeds_give_each_card_its_status(tmp_path: Path) -> None:
    files = write_feeds(tmp_path, TODAY)
    codes = {r["id_number"]: r["color"] for r in rows(files["codes"])}
    assert codes[id_number_of("green")] == "green"
    assert codes[id_number_of("yellow")] == "yellow"
    assert codes[id_number_of("red")] == "red"
    assert id_number_of("no-record") not in codes
    travel = rows(files["travel"])
    assert [(r["id_number"], r["risk"]) for r in travel] == [(id_number_of("travel"), "high")]
    assert travel[0]["visited_on"] == "2026-11-25"
    cards = rows(files["cards"])
    assert [(r["id_number"], r["status"]) for r in cards] == [(id_number_of("lost"), "lost")]
    assert all(oct(p.stat().st_mode)[-3:] == "600" for p in files.values())


def test_feeds_are_the_same_when_written_twice(tmp_path: Path) -> None:
    first = {k: p.read_bytes() for k, p in write_feeds(tmp_path / "a", TODAY).items()}
    second = {k: p.read_bytes() for k, p in write_feeds(tmp_path / "b", TODAY).items()}
    assert first == second
