"""CSV feeds that give each demo card its code, travel record and card status.

They hold plaintext ID numbers, like any real feed on its way in; the verifier hashes them on
import. Timestamps are fixed per day so importing twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

from kiosk.demo.catalog import CATALOG
from readers.simulator import DEMO_CARDS


def id_number_of(name: str, cards_dir: Path = DEMO_CARDS) -> str:
    data = json.loads((cards_dir / f"{name}.json").read_text(encoding="utf-8"))
    return str(data["id_number"])


def write_feeds(directory: Path, today: dt.date, cards_dir: Path = DEMO_CARDS) -> dict[str, Path]:
    """``codes.csv``, ``travel.csv`` and ``cards.csv`` for the catalog; their paths by kind."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = f"{today.isoformat()}T00:00:00Z"
    codes, travel, cards = [], [], []
    for card in CATALOG:
        number = id_number_of(card.name, cards_dir)
        if card.code is not None:
            codes.append([number, card.code, "demo", stamp])
        if card.travel_risk is not None:
            visited = (today - dt.timedelta(days=3)).isoformat()
            travel.append([number, "310101", visited, card.travel_risk, "demo district", stamp])
        if card.card_status is not None:
            cards.append([number, card.card_status, stamp])
    files = {
        "codes": _write(
            directory / "codes.csv", ["id_number", "color", "reason", "updated_at"], codes
        ),
        "travel": _write(
            directory / "travel.csv",
            ["id_number", "place_code", "visited_on", "risk", "place_name", "updated_at"],
            travel,
        ),
        "cards": _write(directory / "cards.csv", ["id_number", "status", "updated_at"], cards),
    }
    return files


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    path.chmod(0o600)
    return path
