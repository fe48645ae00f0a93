"""``yzt verifier fleet`` as a subprocess against a real verifier process with 50 simulated
kiosks: the table, JSON, filters, and one clear line when the token or the server is wrong."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fleet_sim import YZT, Served, running_fleet

from verifier.fleet.cli import COLUMNS
from verifier.fleet.state import STATES


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with running_fleet(tmp_path_factory.mktemp("fleet-cli")) as served:
        yield served


def fleet(
    *args: str, token: str | None = None, columns: int = 260
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "YZT_STAFF_TOKEN"}
    env |= {"COLUMNS": str(columns), "NO_COLOR": "1"}
    if token is not None:
        env["YZT_STAFF_TOKEN"] = token
    return subprocess.run(
        [*YZT, "fleet", *args], capture_output=True, text=True, timeout=60, env=env
    )


def token_file(tmp_path: Path, token: str) -> str:
    path = tmp_path / "token"
    path.write_text(token + "\n")
    path.chmod(0o600)
    return str(path)


def test_the_table_lists_every_kiosk_with_its_state_worst_first(
    served: Served, tmp_path: Path
) -> None:
    result = fleet(
        "--url", served.url, "--token-file", token_file(tmp_path, served.tokens["staff"])
    )
    assert result.returncode == 0, result.stderr
    cells = [line.split("│") for line in result.stdout.splitlines() if "│ lane-" in line]
    shown = [(cell[2].strip(), cell[1].strip()) for cell in cells]
    assert dict(shown) == {k.kiosk_id: k.state for k in served.kiosks}
    states = [state for _, state in shown]
    assert states == sorted(states, key=STATES.index)
    assert "20 online · 24 degraded · 6 offline · 30 with alerts" in result.stdout
    assert "Reader jammed" in result.stdout and "Remove any stuck card" in result.stdout
    assert f"{served.url}/fleet" in result.stderr


def test_a_narrow_terminal_gets_the_alerts_below_the_table(served: Served) -> None:
    result = fleet(
        "--url", served.url, "--site", "clinic-b", token=served.tokens["staff"], columns=100
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 100 for line in lines)
    rows = [line for line in lines if line.split()[1:2] and line.split()[1].startswith("lane-")]
    assert rows and "alerts" not in next(line for line in lines if "kiosk" in line)
    listed = [line for line in lines if line.startswith("lane-")]
    alerted = {k.kiosk_id for k in served.kiosks if k.site == "clinic-b" and k.codes}
    assert {line.split()[0] for line in listed} == alerted
    assert "Reader jammed" in result.stdout


def test_80_columns_without_a_tty_show_whole_headers_and_cells(served: Served) -> None:
    """Piped, at 80 columns: a compact table whose every header and cell is whole (no "si…"),
    one line per kiosk, the columns left out named on stderr."""
    result = fleet("--url", served.url, token=served.tokens["staff"], columns=80)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines) and "…" not in result.stdout
    header = next(line for line in lines if line.startswith("state"))
    left_out = result.stderr.split("Left out for width: ", 1)[1].split(" (")[0].split(", ")
    assert left_out[:3] == ["today", "version", "drift"]
    shown = [name for name in COLUMNS if name not in left_out]
    assert {"state", "kiosk", "site", "seen", "reader", "verifier"} <= set(shown)
    positions = [header.find(name) for name in shown]  # every kept header whole, in order
    assert -1 not in positions and positions == sorted(positions)
    cells = [line.split() for line in lines if line.startswith(STATES)]
    rows = {cell[1]: cell[0] for cell in cells if cell[1].startswith("lane-")}
    assert rows == {k.kiosk_id: k.state for k in served.kiosks}
    assert "Reader jammed" in result.stdout


def test_json_carries_state_and_alerts_and_filters_apply(served: Served) -> None:
    result = fleet("--url", served.url, "--json", token=served.tokens["admin"])
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["summary"] == {
        "total": 50,
        "offline": 6,
        "degraded": 24,
        "online": 20,
        "with_alerts": 30,
    }
    shown = {k["kiosk_id"]: (k["state"], {a["code"] for a in k["alerts"]}) for k in body["kiosks"]}
    assert shown == {k.kiosk_id: (k.state, set(k.codes)) for k in served.kiosks}
    assert all(k["online"] == (k["state"] != "offline") for k in body["kiosks"])
    narrowed = fleet(
        "--url", served.url, "--json", "--site", "hospital-a", "--state", "offline",
        token=served.tokens["staff"],
    )  # fmt: skip
    wanted = {k.kiosk_id for k in served.kiosks if k.site == "hospital-a" and k.offline}
    assert {k["kiosk_id"] for k in json.loads(narrowed.stdout)["kiosks"]} == wanted


@pytest.mark.parametrize(
    ("role", "token", "says"),
    [
        ("kiosk", None, "may not see the fleet (role kiosk"),
        (None, "not-a-token", "the verifier refused the token: unknown or revoked token"),
        (None, None, "no staff token: pass --token-file FILE or set YZT_STAFF_TOKEN"),
    ],
)
def test_a_wrong_or_missing_token_is_one_clear_line(
    served: Served, role: str | None, token: str | None, says: str
) -> None:
    result = fleet("--url", served.url, token=served.tokens[role] if role else token)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith("error: ") and says in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_verifier_is_one_clear_line(served: Served, tmp_path: Path) -> None:
    url = served.url.rsplit(":", 1)[0] + ":9"  # discard port: nothing listens
    result = fleet("--url", url, token=served.tokens["staff"])
    assert result.returncode == 2 and "cannot reach the verifier at" in result.stderr
    assert "is `yzt verifier serve` running there?" in result.stderr
    empty = tmp_path / "empty"
    empty.write_text("")
    result = fleet("--url", served.url, "--token-file", str(empty))
    assert result.returncode == 2 and "is empty; expected a staff token" in result.stderr
    result = fleet("--url", served.url, "--state", "sleepy", token=served.tokens["staff"])
    assert result.returncode == 2 and "sleepy" in result.stderr
