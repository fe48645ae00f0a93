"""The real thing: ``yzt verifier`` commands as subprocesses and ``serve`` on a free TCP port,
then a privacy scan of every table, the server's log, /metrics and the error answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import MetaData, create_engine, select
from verifier_helpers import csv_body, id_numbers, serving

from verifier.config import load_config
from verifier.subjects import subject_of


def yzt(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "verifier.cli", *args], capture_output=True, text=True, timeout=60
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_serve_end_to_end_and_no_id_number_anywhere(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init = yzt("init", "--data", str(data))
    admin = init.stdout.strip().splitlines()[-1]
    assert len(admin) >= 40 and (data / "pepper").stat().st_mode & 0o777 == 0o600
    config = str(data / "verifier.toml")
    kiosk = yzt(
        "token",
        "add",
        "--config",
        config,
        "--role",
        "kiosk",
        "--name",
        "lane-1",
        "--site",
        "hospital-a",
    ).stdout.strip()
    numbers = id_numbers(4, seed=99)
    good, red, lost, other = numbers
    bad = good[:17] + ("1" if good[17] != "1" else "2")
    codes = tmp_path / "codes.csv"
    codes.write_bytes(
        csv_body(
            "id_number,color,reason,updated_at",
            [
                f"{good},green,ok,2026-11-01T00:00:00Z",
                f"{red},red,case,2026-11-01T00:00:00Z",
                f"{bad},green,ok,2026-11-01T00:00:00Z",
                f"{other},teal,x,2026-11-01T00:00:00Z",
            ],
        )
    )
    imported = yzt("import", "codes", "--config", config, str(codes), check=False)
    assert imported.returncode == 1
    assert "line 4: id_number: check digit does not match" in imported.stderr
    cards = tmp_path / "cards.ndjson"
    cards.write_text(f'{{"id_number": "{lost}", "status": "lost", "updated_at": "2026-11-01"}}\n')
    yzt("import", "cards", "--config", config, str(cards))
    with serving(Path(config), tmp_path / "serve.log") as base:
        pepper = load_config(Path(config)).pepper_bytes()
        auth = {"Authorization": f"Bearer {kiosk}"}
        card = {"card_type": "resident", "valid_until": None, "age_band": "60+"}
        answer = httpx.post(
            f"{base}/v1/verify",
            headers=auth,
            json={
                "subject": subject_of(pepper, red),
                "site": "hospital-a",
                "event_id": "e-1",
                "card": card,
            },
        )
        assert answer.json()["verdict"] == "DENY" and "date" in answer.headers
        sneaky = httpx.post(
            f"{base}/v1/verify",
            headers=auth,
            json={
                "subject": good,
                "site": "hospital-a",
                "event_id": "e-2",
                "card": card,
                "id_number": good,
            },
        )
        assert sneaky.status_code == 422
        feed = httpx.put(
            f"{base}/v1/feeds/codes",
            content=codes.read_bytes(),
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert feed.json()["rejected"] == 2
        metrics = httpx.get(f"{base}/metrics").text
        answers = sneaky.text + feed.text + imported.stdout + imported.stderr
    lookup = yzt("lookup", "--config", config, "--site", "hospital-a", lost)
    assert '"CARD_REPORTED_LOST"' in lookup.stdout
    wrong = yzt("lookup", "--config", config, "--site", "x", bad, check=False)
    assert wrong.returncode == 2 and "check digit" in wrong.stderr
    dump = []
    engine = create_engine(f"sqlite:///{data / 'verifier.db'}")
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            dump += [repr(tuple(row)) for row in conn.execute(select(table))]
    engine.dispose()
    assert len(dump) > 5
    haystacks = {
        "tables": "\n".join(dump),
        "log": (tmp_path / "serve.log").read_text(),
        "metrics": metrics,
        "answers": answers + wrong.stderr,
    }
    assert "POST /v1/verify" in haystacks["log"]
    for where, text in haystacks.items():
        for number in [*numbers, bad]:
            assert number not in text, f"an ID number leaked into {where}"
            assert number[:-1] not in text, f"an ID number leaked into {where}"
