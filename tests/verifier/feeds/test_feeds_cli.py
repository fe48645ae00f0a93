"""``yzt verifier import`` given hostile files: exit 1 with each rejected row by line and field
and the good rows stored, or exit 2 with one line — never a traceback, never an ID number."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hostile_feeds import Hostile, cases
from sqlalchemy import Engine, select, text
from typer.testing import CliRunner
from verifier_helpers import PEPPER, write_config

from verifier.cli import app
from verifier.store import open_store
from verifier.store.schema import health_codes, travel
from verifier.subjects import subject_of

runner = CliRunner()
CASES = cases()
NAMED = {
    "csv-header-field-131073-chars",
    "ndjson-doses-1e999",
    "ndjson-doses-Infinity",
    "ndjson-doses-NaN",
    "ndjson-nested-100000-deep",
    "travel-iso-week-date",
}
ISSUE = [c for c in CASES if c.name in NAMED]
"""The issue's own examples, also run as a real ``yzt verifier import`` process."""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Engine]:
    data = tmp_path_factory.mktemp("cli-store")
    config = write_config(data, f"sqlite:///{data / 'verifier.db'}")
    return config, open_store(f"sqlite:///{data / 'verifier.db'}")


def stored(engine: Engine, case: Hostile) -> set[str]:
    """Which of the case's ID numbers have a stored row."""
    table = travel if case.kind == "travel" else health_codes
    mine = {subject_of(PEPPER, n): n for n in case.secrets}
    with engine.connect() as conn:
        found = conn.execute(select(table.c.subject).where(table.c.subject.in_(mine))).scalars()
        return {mine[s] for s in found}


def check(case: Hostile, engine: Engine, code: int, out: str, err: str, path: Path) -> None:
    assert "Traceback" not in err and all(n not in out + err for n in case.secrets)
    if case.unusable is not None:
        assert code == 2, err
        assert err.strip().splitlines() == [err.strip()]
        assert err.strip().startswith(f"error: {path}: ")
        assert case.unusable in err
        assert stored(engine, case) == set()
        return
    report = json.loads(out)
    assert code == 1, err
    assert [(e["row"], e["field"]) for e in report["errors"]] == case.rejected
    for line, field in case.rejected:
        assert f"line {line}: {field}: " in err
    assert report["accepted"] == len(case.good) and stored(engine, case) == set(case.good)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_a_hostile_file_gives_rejected_rows_or_one_line(
    case: Hostile, store: tuple[Path, Engine], tmp_path: Path
) -> None:
    config, engine = store
    path = tmp_path / "feed.txt"
    path.write_bytes(case.body)
    result = runner.invoke(app, ["import", case.kind, "--config", str(config), "--json", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    check(case, engine, result.exit_code, result.stdout, result.stderr, path)


@pytest.mark.parametrize("case", ISSUE, ids=[c.name for c in ISSUE])
def test_the_issue_examples_in_a_real_process(
    case: Hostile, tmp_path: Path, store: tuple[Path, Engine]
) -> None:
    config, engine = store
    with engine.begin() as conn:  # the in-process test of the same file may have run first
        conn.execute(text("DELETE FROM health_codes"))
        conn.execute(text("DELETE FROM travel"))
    path = tmp_path / "feed.txt"
    path.write_bytes(case.body)
    command = [sys.executable, "-m", "verifier.cli", "import", case.kind, "--config", str(config)]
    done = subprocess.run(
        [*command, "--json", str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    check(case, engine, done.returncode, done.stdout, done.stderr, path)


def test_a_file_that_fails_to_read_midway_is_one_line(store: tuple[Path, Engine]) -> None:
    config, _ = store
    # /proc/self/mem opens, then answers the first read with EIO, as a failing disk would
    result = runner.invoke(app, ["import", "codes", "--config", str(config), "/proc/self/mem"])
    assert result.exit_code == 2 and isinstance(result.exception, SystemExit)
    assert result.stderr.strip() == "error: /proc/self/mem: cannot read: Input/output error"
