"""The alert table (verifier/fleet/alerts.py): every row worded in both languages and
documented, every reader code a kiosk may send has its row, and ages read as people say them."""

from __future__ import annotations

from typing import get_args

import pytest
from conftest import REPO

from verifier.fleet.alerts import ALERTS, READER_FALLBACK, AlertCode, alert, human_age
from verifier.fleet.heartbeat import ReaderCode


def test_every_alert_has_both_languages_and_the_console_documents_each() -> None:
    for code, wording in ALERTS.items():
        for text in (wording.title, wording.cause, wording.action):
            assert text.zh and text.en and text.zh != text.en, code
    documented = (REPO / "docs/console.md").read_text(encoding="utf-8")
    table = {line.split("`")[1] for line in documented.splitlines() if line.startswith("| `")}
    assert table == set(ALERTS)


def test_every_code_has_one_row_and_every_reader_code_a_kiosk_sends_is_one() -> None:
    assert set(ALERTS) == set(get_args(AlertCode))
    assert set(get_args(ReaderCode)) < set(ALERTS)
    assert READER_FALLBACK in get_args(ReaderCode), "a kiosk without codes gets a sent code's alert"


def test_facts_fill_both_languages_and_the_severity_can_be_raised() -> None:
    full = alert("OUTBOX_FULL", severity="critical", refused="3")
    assert full.severity == "critical" and ALERTS["OUTBOX_FULL"].severity == "warning"
    assert "3 new events" in full.cause.en and "3 条" in full.cause.zh


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "—"),
        (45, "45 s"),
        (119, "119 s"),
        (720, "12 min"),
        (12_600, "3.5 h"),
        (172_800, "2.0 d"),
    ],
)
def test_ages_read_like_people_say_them(seconds: float | None, text: str) -> None:
    assert human_age(seconds) == text
