"""Feed import on SQLite and PostgreSQL: reports, newer-wins, idempotence, formats."""

from __future__ import annotations

import io

from sqlalchemy import Engine, select
from verifier_helpers import PEPPER, csv_body, id_numbers, ndjson_body

from verifier.feeds import import_feed
from verifier.store.schema import card_status, health_codes, travel
from verifier.subjects import subject_of

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
        b"\xff\xfe\x00garbage\n": "not UTF-8",
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
        (4502, "row", "not UTF-8 text"),
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
