"""The verifier's log (verifier/logs.py) with real loggers writing to a real stream: ID-number
shapes redacted from messages and tracebacks, a flood of one line held to one per window with
its count, and a full queue dropping lines instead of making a request wait."""

from __future__ import annotations

import io
import logging
import queue
from collections.abc import Iterator

import pytest
from verifier_helpers import id_numbers

from verifier import logs


@pytest.fixture
def root_restored() -> Iterator[None]:
    """``logs.configure`` takes over the root logger: give it back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    logs.stop()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_id_numbers_in_messages_and_tracebacks_are_redacted(
    root_restored: None, capfd: pytest.CaptureFixture[str]
) -> None:
    number = id_numbers(1, seed=3)[0]
    foreign = "ABC123456789012"
    logs.configure(access_log=False)
    log = logging.getLogger("verifier.test")
    log.warning("feed row for %s rejected", number)
    try:
        raise ValueError(f"bad card {number[:17]} / {foreign} / {number.lower()}")
    except ValueError:
        log.exception("import failed")
    logs.stop()
    err = capfd.readouterr().err
    assert "feed row for [redacted] rejected" in err and "import failed" in err
    assert "ValueError: bad card [redacted]" in err
    for leaked in (number, number[:17], foreign, number.lower()):
        assert leaked not in err


def test_a_flood_of_one_line_is_written_once_per_window_with_its_count() -> None:
    now = [0.0]
    limit = logs.RepeatLimit(window_s=10.0, clock=lambda: now[0])
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(limit)
    log = logging.getLogger("asyncio.test-flood")
    log.propagate = False
    log.addHandler(handler)
    try:
        for i in range(5000):  # 5,000 lines over 5 s of the (fake) clock
            now[0] = i / 1000
            log.error("socket.accept() out of system resource: Too many open files")
        log.error("another message")
        now[0] = 10.5
        log.error("socket.accept() out of system resource: Too many open files")
        for _ in range(7):
            log.error("socket.accept() out of system resource: Too many open files")
        now[0] = 30.0
        for record in limit.held_back():
            handler.handle(record)
    finally:
        log.removeHandler(handler)
    lines = out.getvalue().splitlines()
    assert lines == [
        "socket.accept() out of system resource: Too many open files",
        "another message",
        "socket.accept() out of system resource: Too many open files "
        "[repeated 4999 times before, not shown]",
        "socket.accept() out of system resource: Too many open files "
        "[repeated 7 more times, not shown]",
    ]


def test_a_full_queue_drops_lines_instead_of_waiting() -> None:
    lines: queue.Queue[logging.LogRecord] = queue.Queue(10)
    handler = logs.DroppingQueueHandler(lines)
    log = logging.getLogger("verifier.test-full")
    log.propagate = False
    log.addHandler(handler)
    logs.DroppingQueueHandler.dropped = 0
    try:
        for i in range(100):  # nobody reads the queue: a blocking put would hang here
            log.warning("line %d", i)
    finally:
        log.removeHandler(handler)
    assert lines.qsize() == 10 and logs.DroppingQueueHandler.dropped == 90
    out = io.StringIO()
    writer = logs.Writer(lines, logging.StreamHandler(out))
    writer.start()
    writer.stop()
    written = out.getvalue().splitlines()
    assert written[:10] == [f"line {i}" for i in range(10)]
    assert written[10] == "90 log lines dropped: the log could not keep up"
