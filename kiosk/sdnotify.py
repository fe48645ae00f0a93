"""systemd's notify protocol (sd_notify(3)) for ``Type=notify`` units with ``WatchdogSec=``.

A datagram to the socket named in ``$NOTIFY_SOCKET`` (a path, or ``@name`` for the abstract
namespace). Outside systemd the variable is unset and every call is a quiet no-op, so the
daemon calls these unconditionally. The watchdog pings come from the event loop itself: a loop
that is stuck stops pinging and systemd restarts the service.
"""

from __future__ import annotations

import os
import socket

from kiosk.periodic import every


def notify(state: str) -> bool:
    """Send ``state`` (e.g. ``READY=1``); False when not run by systemd or the socket is gone."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
        try:
            sock.sendto(state.encode(), address)
        except OSError:
            return False
    return True


def ready(status: str = "") -> bool:
    """Tell systemd that start-up is done (the UI answers); dependants such as the browser go."""
    return notify("READY=1" + (f"\nSTATUS={status}" if status else ""))


def stopping() -> bool:
    return notify("STOPPING=1")


def watchdog_interval_s() -> float | None:
    """Half of ``WatchdogSec=`` when the watchdog is on for this process, else None."""
    usec = os.environ.get("WATCHDOG_USEC", "")
    pid = os.environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0 or (pid and pid != str(os.getpid())):
        return None
    return int(usec) / 2_000_000


async def watchdog_loop() -> None:
    """Ping ``WATCHDOG=1`` every half interval until cancelled; returns at once without one."""
    interval = watchdog_interval_s()
    if interval is None:
        return

    async def ping() -> None:
        notify("WATCHDOG=1")

    await every(interval, ping)
