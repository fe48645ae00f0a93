"""Feed import on SQLite and PostgreSQL: reports, newer-wins, idempotence, formats."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

from sqlalchemy import Engine, select, text
from verifier_helpers import PEPPER, csv_body, id_numbers, ndjson_body

from verifier.feeds import import_feed
from verifier.feeds.lines import NOT_UTF8
from verifier.store.schema import card_status, health_codes, travel
from verifier.subjects import subject_of
from verifier.timeutil import as_utc

pytest_plugins = ("verifier_fixtures",)
CODES = "id_number,color,reason,updated_at"


def run(engine: Engine, kind: str, body: bytes, **kw: object):  # type: ignore[no-untyped-def]
    return import_feed(engine, PEPPER, kind, io.BytesIO(body), **kw)  # type: ignore[arg-type]


def colors(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(health_codes.c.subject, health_codes.c.color)).all())


def test_bad_rows_are_reported_and_good_rows_committed(engine: Engine) -> None:
    a, b, c = id_numbers(3)
    bad_check = a[:17] + ("0" if a[17] != "0" else "1")
    body = csv_body(
        CODES,
        [
            f"{a},green,ok,2026-11-01T08:00:00+08:00",
            f"{bad_check},red,x,2026-11-01T00:00:00Z",
            f"{b},purple,x,2026-11-01T00:00:00Z",
            f"{c},yellow,x,yesterday",
            f"{c},yellow,x",
            f"{b},red,contact,2026-11-02T00:00:00Z",
        ],
    )
    report = run(engine, "codes", body, batch_size=2)
    assert (report.accepted, report.rejected, report.exit_code) == (2, 4, 1)
    assert [(e.row, e.field) for e in report.errors] == [
        (3, "id_number"),
        (4, "color"),
        (5, "updated_at"),
        (6, "row"),
    ]
    assert "check digit" in report.errors[0].reason
    assert all(bad_check not in e.reason for e in report.errors)
    assert colors(engine) == {subject_of(PEPPER, a): "green", subject_of(PEPPER, b): "red"}


def test_older_update_never_overwrites_newer_and_reimport_changes_nothing(engine: Engine) -> None:
    (a,) = id_numbers(1)
    newer = csv_body(CODES, [f"{a},red,contact,2026-11-02T00:00:00Z"])
    older = csv_body(CODES, [f"{a},green,cleared,2026-11-01T00:00:00Z"])
    assert run(engine, "codes", newer).changed == 1
    assert run(engine, "codes", older).changed == 0
    assert colors(engine) == {subject_of(PEPPER, a): "red"}
    again = run(engine, "codes", newer)
    assert (again.accepted, again.changed, again.exit_code) == (1, 0, 0)
    later = csv_body(CODES, [f"{a},green,cleared,2026-11-03T00:00:00Z"])
    assert run(engine, "codes", later).changed == 1
    assert colors(engine) == {subject_of(PEPPER, a): "green"}


def test_newest_of_duplicates_in_one_batch_wins(engine: Engine) -> None:
    (a,) = id_numbers(1)
    body = csv_body(
        CODES,
        [f"{a},red,x,2026-11-03T00:00:00Z", f"{a},green,x,2026-11-01T00:00:00Z"],
    )
    run(engine, "codes", body)
    assert colors(engine) == {subject_of(PEPPER, a): "red"}


def test_ndjson_travel_and_cards_with_subjects(engine: Engine) -> None:
    a, b = id_numbers(2)
    sb = subject_of(PEPPER, b)
    travel_rows = [
        {
            "id_number": a,
            "place_code": "440106",
            "place_name": "广州天河",
            "visited_on": "2026-11-20",
            "risk": "high",
        },
        {"subject": sb.upper(), "place_code": "110105", "visited_on": "2026-11-21", "risk": "low"},
        {"subject": sb, "place_code": "110105", "visited_on": "2026-13-01", "risk": "low"},
        {"subject": sb, "place_code": "x", "visited_on": "2026-11-21", "risk": "low", "foo": 1},
    ]
    report = run(engine, "travel", ndjson_body(travel_rows) + b"not json\n")
    assert (report.accepted, report.rejected) == (2, 3)
    assert [(e.row, e.field) for e in report.errors] == [(3, "visited_on"), (4, "row"), (5, "row")]
    cards = run(
        engine,
        "cards",
        ndjson_body([{"id_number": a, "status": "lost", "updated_at": "2026-11-01"}]),
    )
    assert cards.exit_code == 0
    with engine.connect() as conn:
        places = conn.execute(select(travel.c.subject, travel.c.place_name)).all()
        lost = conn.execute(select(card_status.c.status)).scalars().all()
    assert sorted(places) == sorted([(subject_of(PEPPER, a), "广州天河"), (sb, "")])
    assert lost == ["lost"]


def test_unusable_files_exit_2_and_never_echo_an_id_number(engine: Engine) -> None:
    (a,) = id_numbers(1)
    headerless = csv_body(f"{a},green,x,2026-11-01", [])
    cases = {
        b"": "empty",
        b"id_number,colour,updated_at\n": "unknown column 'colour'",
        b"id_number,reason,updated_at\n": "missing column 'color'",
        b"color,updated_at\n": "missing column 'id_number'",
        headerless: "is the header row missing",
        b"\xff\xfe\x00garbage\n": "UTF-16",
        b"id_number,\xffcolor\n": "not UTF-8",
    }
    for body, message in cases.items():
        report = run(engine, "codes", body)
        assert report.exit_code == 2, body
        assert message in (report.unusable or ""), report.unusable
        assert a not in (report.unusable or "")
    assert colors(engine) == {}


def test_future_timestamps_are_refused(engine: Engine) -> None:
    (a,) = id_numbers(1)
    report = run(engine, "codes", csv_body(CODES, [f"{a},green,x,2099-01-01T00:00:00Z"]))
    assert report.errors[0].field == "updated_at"
    assert "future" in report.errors[0].reason


def test_crlf_bom_and_quoted_fields_as_spreadsheets_write_them(engine: Engine) -> None:
    a, b = id_numbers(2)
    body = (
        "\ufeffid_number,color,reason,updated_at\r\n"
        f'{a},yellow,"contact, close",2026-11-01T00:00:00Z\r\n'
        f"{b.lower()[:-1] + b[-1].lower()},red,case,2026-11-01T00:00:00Z\r\n"
    ).encode()
    report = run(engine, "codes", body)
    assert (report.accepted, report.rejected) == (2, 0)
    with engine.connect() as conn:
        reason = conn.execute(select(health_codes.c.reason)).scalars().all()
    assert "contact, close" in reason
    assert colors(engine)[subject_of(PEPPER, b)] == "red"


def test_columns_in_any_order_and_line_numbers_past_the_first_block(engine: Engine) -> None:
    numbers = id_numbers(5000)
    lines = [f"2026-11-01T00:00:00Z,green,{n}" for n in numbers]
    lines[4200] = f"2026-11-01T00:00:00Z,purple,{numbers[4200]}"
    body = bytearray(csv_body("updated_at,color,id_number", lines))
    start = body.index(numbers[4500].encode())
    body[start : start + 1] = b"\xff"  # line 4502 (header + 1-based) is no longer UTF-8
    report = run(engine, "codes", bytes(body))
    assert (report.accepted, report.rejected) == (4998, 2)
    assert [(e.row, e.field, e.reason) for e in report.errors] == [
        (4202, "color", "expected one of green, red, yellow"),
        (4502, "row", NOT_UTF8),
    ]
    assert colors(engine)[subject_of(PEPPER, numbers[4999])] == "green"


def test_a_malformed_csv_line_is_a_rejected_row_not_a_crash(engine: Engine) -> None:
    a, b, c = id_numbers(3)
    body = (
        f"{CODES}\n{a},green,x,2026-11-01T00:00:00Z\n"
        f"{b},red,broken\rline,2026-11-01T00:00:00Z\n"
        f"{c},red,x,2026-11-01T00:00:00Z\n"
    ).encode()
    report = run(engine, "codes", body)
    assert (report.accepted, report.rejected) == (2, 1)
    assert (report.errors[0].row, report.errors[0].field) == (3, "row")
    assert "line break" in report.errors[0].reason
    assert b not in report.errors[0].reason
    assert set(colors(engine)) == {subject_of(PEPPER, a), subject_of(PEPPER, c)}


def test_subjects_match_the_kiosks_hmac_for_any_pepper_length(engine: Engine) -> None:
    (a,) = id_numbers(1)
    for pepper in (b"", b"short", b"p" * 64, b"q" * 65, bytes(range(200))):
        body = csv_body("id_number,status,updated_at", [f"{a.lower()},lost,2026-11-01"])
        import_feed(engine, pepper, "cards", io.BytesIO(body))
        with engine.connect() as conn:
            stored = set(conn.execute(select(card_status.c.subject)).scalars())
        assert subject_of(pepper, a) in stored


def test_ndjson_values_of_the_wrong_type_are_rejected_rows(engine: Engine) -> None:
    a, b = id_numbers(2)
    rows = [
        {"id_number": a, "status": ["lost"], "updated_at": "2026-11-01"},
        {"id_number": [a], "status": "lost", "updated_at": "2026-11-01"},
        {"id_number": b, "status": "lost", "updated_at": 20261101},
    ]
    report = run(engine, "cards", ndjson_body(rows))
    assert (report.accepted, report.rejected) == (0, 3)
    assert [(e.row, e.field) for e in report.errors] == [
        (1, "status"),
        (2, "id_number"),
        (3, "updated_at"),
    ]


def test_ndjson_that_crashed_the_import_is_rejected_rows_and_the_rows_around_them_land(
    engine: Engine,
) -> None:
    numbers = id_numbers(12, seed=41)
    good = {"color": "green", "updated_at": "2026-11-01T00:00:00Z"}
    hostile = [
        '"vaccine_doses": 1e999',
        '"vaccine_doses": Infinity',
        '"vaccine_doses": NaN',
        '"reason": ' + "[" * 30_000 + "]" * 30_000,
        '"reason": ' + "[" * 100_000 + "]" * 100_000,
        '"reason": "\\ud800"',
        '"reason": "a\\u0000b"',
    ]
    lines = [json.dumps({"id_number": numbers[0], **good})]
    for number, field in zip(numbers[1:], hostile, strict=False):
        lines.append(json.dumps({"id_number": number, **good})[:-1] + ", " + field + "}")
    lines += [json.dumps({"id_number": n, **good}) for n in numbers[8:]]
    report = run(engine, "codes", ("\n".join(lines) + "\n").encode(), batch_size=2)
    assert [(e.row, e.field) for e in report.errors] == [
        (2, "vaccine_doses"),
        (3, "vaccine_doses"),
        (4, "vaccine_doses"),
        (5, "row"),
        (6, "row"),
        (7, "reason"),
        (8, "reason"),
    ]
    assert "nested too deeply" in report.errors[3].reason
    assert "longer than" in report.errors[4].reason
    landed = {subject_of(PEPPER, n) for n in [numbers[0], *numbers[8:]]}
    assert (report.accepted, report.exit_code) == (5, 1) and set(colors(engine)) == landed


def test_a_week_date_is_refused_so_a_correction_of_the_day_is_one_row(engine: Engine) -> None:
    (a,) = id_numbers(1, seed=43)
    header = "id_number,place_code,visited_on,risk,updated_at"
    first = csv_body(header, [f"{a},440106,2026-11-25,high,2026-11-26T08:00:00+08:00"])
    week = csv_body(header, [f"{a},440106,2026-W48-3,low,2026-11-27T08:00:00+08:00"])
    fixed = csv_body(header, [f"{a},440106,2026-11-25,low,2026-11-27T00:00:00Z"])
    assert run(engine, "travel", first).accepted == 1
    refused = run(engine, "travel", week)
    assert [(e.row, e.field, e.reason) for e in refused.errors] == [
        (2, "visited_on", "expected a date YYYY-MM-DD")
    ]
    assert run(engine, "travel", fixed).changed == 1
    with engine.connect() as conn:
        stored = conn.execute(select(travel.c.visited_on, travel.c.risk)).all()
    assert stored == [(date(2026, 11, 25), "low")]


def test_one_instant_written_two_ways_is_one_stored_value(engine: Engine) -> None:
    (a,) = id_numbers(1, seed=44)
    header = "id_number,color,updated_at,nat_at"
    beijing = csv_body(header, [f"{a},red,2026-11-01T08:00:00+08:00,2026-10-31T20:30:00-03:30"])
    utc = csv_body(header, [f"{a},green,2026-11-01t00:00:00.000000z,2026-11-01T00:00:00Z"])
    assert run(engine, "codes", beijing).changed == 1
    assert run(engine, "codes", utc).changed == 0  # the same instant: not newer
    with engine.connect() as conn:
        color, updated, nat = conn.execute(
            select(health_codes.c.color, health_codes.c.updated_at, health_codes.c.nat_at)
        ).one()
        if engine.dialect.name == "sqlite":  # the text itself, which newer-wins compares
            raw = conn.execute(text("SELECT updated_at, nat_at FROM health_codes")).one()
            assert tuple(raw) == ("2026-11-01 00:00:00.000000",) * 2
    instant = datetime(2026, 11, 1, tzinfo=UTC)
    assert (color, as_utc(updated), as_utc(nat)) == ("red", instant, instant)


def test_free_text_lands_exactly_as_sent_on_both_stores(engine: Engine) -> None:
    numbers = id_numbers(5, seed=46)
    reasons = ["\\N", "C:\\temp\\x", "它说\u3000“密接”", "\u202ereversed 😷", "'; DROP TABLE x; --"]
    rows = [
        {"id_number": n, "color": "yellow", "reason": r, "updated_at": "2026-11-01T00:00:00Z"}
        for n, r in zip(numbers, reasons, strict=True)
    ]
    assert run(engine, "codes", ndjson_body(rows)).accepted == 5
    with engine.connect() as conn:
        stored = dict(conn.execute(select(health_codes.c.subject, health_codes.c.reason)).all())
    assert stored == {subject_of(PEPPER, n): r for n, r in zip(numbers, reasons, strict=True)}
