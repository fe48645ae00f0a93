"""Console sessions in the store (SQLite and PostgreSQL): a shift long at most, ended by an idle
hour, by sign-out and by revoking the token; the purge removes exactly the unusable ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select

from verifier.store.schema import console_sessions
from verifier.store.sessions import (
    IDLE_S,
    SESSION_S,
    TOUCH_S,
    end_session,
    find_session,
    purge_sessions,
    start_session,
)
from verifier.store.tokens import add_token, find_token, revoke_token
from verifier.timeutil import as_utc

pytest_plugins = ("verifier_fixtures",)
T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def staff_id(engine: Engine, name: str = "duty-desk") -> int:
    info = find_token(engine, add_token(engine, name=name, role="staff", site="hospital-a"))
    assert info is not None
    return info.id


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def test_a_session_speaks_for_its_token_until_the_shift_ends(engine: Engine) -> None:
    session_id = start_session(engine, staff_id(engine), now=T0)
    seen = 0.0
    while seen + IDLE_S / 2 < SESSION_S:  # a page every half hour keeps it alive all shift
        seen += IDLE_S / 2
        info = find_session(engine, session_id, now=at(seen))
        assert info is not None and (info.name, info.role, info.site) == (
            "duty-desk",
            "staff",
            "hospital-a",
        )
    assert find_session(engine, session_id, now=at(SESSION_S - 1)) is not None
    assert find_session(engine, session_id, now=at(SESSION_S)) is None


def test_an_idle_hour_ends_it_and_page_loads_are_written_sparingly(engine: Engine) -> None:
    session_id = start_session(engine, staff_id(engine), now=T0)
    assert find_session(engine, session_id, now=at(TOUCH_S / 2)) is not None
    with engine.connect() as conn:
        assert as_utc(conn.execute(select(console_sessions.c.seen_at)).scalar_one()) == T0
    assert find_session(engine, session_id, now=at(IDLE_S - 1)) is not None  # touched now
    assert find_session(engine, session_id, now=at(2 * IDLE_S - 2)) is not None
    assert find_session(engine, session_id, now=at(3 * IDLE_S)) is None


def test_sign_out_and_revocation_end_it(engine: Engine) -> None:
    first = start_session(engine, staff_id(engine), now=T0)
    second = start_session(engine, staff_id(engine, "night-desk"), now=T0)
    assert end_session(engine, first) and not end_session(engine, first)
    assert find_session(engine, first, now=at(1)) is None
    assert revoke_token(engine, key="night-desk") == 1
    assert find_session(engine, second, now=at(1)) is None
    assert find_session(engine, "not-a-session", now=at(1)) is None


def test_purge_removes_only_unusable_sessions(engine: Engine) -> None:
    token = staff_id(engine)
    live = start_session(engine, token, now=at(-60))
    start_session(engine, token, now=at(-SESSION_S - 1))  # past its shift
    start_session(engine, token, now=at(-IDLE_S - 1))  # idle
    start_session(engine, staff_id(engine, "gone"), now=T0)
    revoke_token(engine, key="gone")
    assert purge_sessions(engine, now=T0) == 3
    assert find_session(engine, live, now=T0) is not None
    assert purge_sessions(engine, now=T0) == 0
