"""The verifier's log: written by a thread behind a bounded queue (a request never waits for a
disk or journald), ID-number-shaped text redacted from every line, and a repeated line (a flood
of "Too many open files", "Exceeded concurrency limit.") written at most once per
``REPEAT_WINDOW_S`` with a count of what was held back.

The access log is off by default: one line per request costs the event loop ~10 % at full load.
When on, a line names the client address, the method, the route *template* (``/v1/feeds/{kind}``)
and the status — never the path or query the client sent, which may carry an ID number.
"""

from __future__ import annotations

import atexit
import ipaddress
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from logging.handlers import QueueHandler, QueueListener

from starlette.types import Scope

from verifier.idnumber import redact_id_numbers

REPEAT_WINDOW_S = 10.0
QUEUE_LINES = 10_000
ACCESS_LOGGER = "verifier.access"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_KEEP_KEYS = 1024


class Redact(logging.Filter):
    """Redacts the whole formatted message (with any traceback) of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact_id_numbers(record.getMessage())
        record.args = None
        return True


class RepeatLimit(logging.Filter):
    """Lets the same message (logger, level, text) through at most once per ``window_s``; the
    next one that passes says how many were held back. ``flush`` reports the rest."""

    def __init__(
        self, window_s: float = REPEAT_WINDOW_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.window_s = window_s
        self.clock = clock
        self._seen: OrderedDict[tuple[str, int, str], list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == ACCESS_LOGGER:
            return True
        key = (record.name, record.levelno, record.getMessage())
        now = self.clock()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None and now - seen[0] < self.window_s:
                seen[1] += 1
                return False
            held = int(seen[1]) if seen is not None else 0
            self._seen[key] = [now, 0]
            self._seen.move_to_end(key)
            while len(self._seen) > _KEEP_KEYS:
                self._seen.popitem(last=False)
        if held:
            record.msg = f"{record.getMessage()} [repeated {held} times before, not shown]"
            record.args = None
        return True

    def held_back(self, *, all_windows: bool = False) -> list[logging.LogRecord]:
        """Summary records for messages held back in windows that have ended (or in every
        window: at exit)."""
        now = self.clock()
        summaries = []
        with self._lock:
            for (name, level, text), seen in self._seen.items():
                if seen[1] and (all_windows or now - seen[0] >= self.window_s):
                    line = f"{text} [repeated {int(seen[1])} more times, not shown]"
                    summaries.append(_record(name, level, line))
                    seen[1] = 0
        return summaries


class DroppingQueueHandler(QueueHandler):
    """Never blocks the caller: a full queue drops the line (and counts it)."""

    dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            DroppingQueueHandler.dropped += 1


class Writer(QueueListener):
    """Writes queued lines; when the queue is quiet for a second, reports held-back repeats and
    dropped lines."""

    def __init__(self, q: queue.Queue[logging.LogRecord], handler: logging.Handler) -> None:
        super().__init__(q, handler, respect_handler_level=True)
        self.queue: queue.Queue[logging.LogRecord] = q
        self.handler = handler

    def dequeue(self, block: bool) -> logging.LogRecord:
        while True:
            try:
                return self.queue.get(block, timeout=1.0)
            except queue.Empty:
                self.report()

    def report(self, *, final: bool = False) -> None:
        for handler_filter in self.handler.filters:
            if isinstance(handler_filter, RepeatLimit):
                for record in handler_filter.held_back(all_windows=final):
                    self.handler.handle(record)
        dropped, DroppingQueueHandler.dropped = DroppingQueueHandler.dropped, 0
        if dropped:
            line = f"{dropped} log lines dropped: the log could not keep up"
            self.handler.handle(_record("verifier", logging.WARNING, line))

    def enqueue_sentinel(self) -> None:
        # waits for room: the lines before it are written first; typeshed omits ``_sentinel``
        self.queue.put(self._sentinel)  # type: ignore[attr-defined]

    def stop(self) -> None:
        """Write what is queued, then the counts still held back."""
        super().stop()
        self.report(final=True)


_writer: Writer | None = None


def stop() -> None:
    """Write what is queued and stop the writer (at exit; tests)."""
    global _writer
    if _writer is not None:
        atexit.unregister(_writer.stop)
        _writer.stop()
        _writer = None


def _record(name: str, level: int, line: str) -> logging.LogRecord:
    return logging.LogRecord(name, level, "", 0, line, None, None)


def configure(*, access_log: bool, level: int = logging.INFO) -> None:
    """Route every logger of this process through the queue to stderr (journald under
    systemd); ``access_log`` turns the per-request line on. Safe to call again."""
    global _writer
    stop()
    lines: queue.Queue[logging.LogRecord] = queue.Queue(QUEUE_LINES)
    out = logging.StreamHandler()
    out.setFormatter(logging.Formatter(FORMAT))
    out.addFilter(Redact())
    out.addFilter(RepeatLimit())
    _writer = Writer(lines, out)
    _writer.start()
    atexit.register(_writer.stop)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(DroppingQueueHandler(lines))
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    uvicorn_access = logging.getLogger("uvicorn.access")  # its lines carry the raw path and query
    uvicorn_access.handlers = []
    uvicorn_access.propagate = False  # no handler: uvicorn skips building them at all
    logging.getLogger(ACCESS_LOGGER).disabled = not access_log


def request_label(scope: Scope) -> str:
    """``POST /v1/feeds/{kind}``: the method (if a standard one) and the route template —
    nothing the client chose beyond which route it called."""
    method = scope.get("method", "")
    route = getattr(scope.get("route"), "path", "-")
    return f"{method if method in METHODS else 'OTHER'} {route}"


def client_address(scope: Scope) -> str:
    """The client's IP address (the real one behind a trusted proxy), or ``-``: a forwarded
    header believed from a trusted proxy is still text, and only an address is logged."""
    client = scope.get("client")
    try:
        return str(ipaddress.ip_address(client[0])) if client else "-"
    except ValueError:
        return "-"
