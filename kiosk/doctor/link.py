"""Checks over HTTP: the verifier (reachable, token accepted, clock agrees) and the running
kiosk daemon (answers, risk list fresh). Nothing here changes state on either side."""

from __future__ import annotations

import time

import httpx

from kiosk.config import KioskConfig
from kiosk.doctor.findings import Finding, fail, ok, skip, warn
from kiosk.offline.clock import ClockDrift

CLOCK_WARN_S = 2.0
CLOCK_FAIL_S = 30.0
RISKLIST_WINDOW_S = 24 * 3600.0
CLOCK_FIX = "timedatectl set-ntp true; timedatectl timesync-status"
DAEMON_FIX = "systemctl status yzt-kiosk; journalctl -u yzt-kiosk -n 50"


def check_verifier(config: KioskConfig, timeout_s: float) -> list[Finding]:
    """``verifier``, ``token`` and ``clock`` from two requests to the verifier."""
    base = str(config.verifier.url).rstrip("/")
    try:
        with httpx.Client(base_url=base, timeout=timeout_s) as client:
            started = time.perf_counter()
            health = client.get("/healthz")
            latency_ms = (time.perf_counter() - started) * 1000
            clock = _clock(health, latency_ms / 1000)  # now, while the answer is fresh
            auth = client.post(
                "/v1/events",
                json={"events": []},
                headers={"Authorization": f"Bearer {config.token()}"},
            )
    except httpx.HTTPError as exc:
        fix = f"check the network and verifier.url; curl -sS {base}/healthz"
        reason = str(exc) or type(exc).__name__
        return [
            fail("verifier", f"{base} cannot be reached: {reason}", fix),
            skip("token", "needs the verifier"),
            skip("clock", "needs the verifier"),
        ]
    if health.status_code != 200:
        reachable = fail(
            "verifier", f"{base}/healthz answered {health.status_code}", "see the verifier's logs"
        )
    else:
        reachable = ok("verifier", f"{base} answers in {latency_ms:.0f} ms")
    return [reachable, _token(auth), clock]


def _token(response: httpx.Response) -> Finding:
    fix = "issue a new kiosk token on the verifier and put it in verifier.token_file"
    if response.status_code == 401:
        return fail("token", "the verifier rejects the kiosk token (401)", fix)
    if response.status_code == 403:
        return fail("token", "the token is not a kiosk token or not for this site (403)", fix)
    if response.status_code >= 500:
        return fail("token", f"the verifier failed ({response.status_code})", "see its logs")
    return ok("token", "the verifier accepts the kiosk token")


def _clock(response: httpx.Response, rtt_s: float) -> Finding:
    """The kiosk's own measure (``ClockDrift``, as on its status page): kiosk clock minus the
    verifier's ``X-Server-Time`` (``Date``, whole seconds, from an older verifier), half the
    round trip allowed for."""
    stamp, date = response.headers.get("x-server-time"), response.headers.get("date")
    drift = ClockDrift(CLOCK_FAIL_S).observe(server_time=stamp, date=date, rtt_s=rtt_s)
    if drift is None:
        return warn("clock", "the verifier sent no clock header", "compare clocks by hand: date -u")
    source = "X-Server-Time" if stamp else "Date header, whole seconds"
    detail = (
        f"{drift:+.3f} s: kiosk clock minus the verifier's ({source}, half the round trip allowed)"
    )
    if abs(drift) > CLOCK_FAIL_S:
        return fail("clock", detail, CLOCK_FIX)
    if abs(drift) > CLOCK_WARN_S:
        return warn("clock", detail, CLOCK_FIX)
    return ok("clock", detail)


def check_daemon(config: KioskConfig, timeout_s: float) -> list[Finding]:
    """``daemon`` and ``risklist`` from the running kiosk's ``/api/status``."""
    url = f"http://{config.ui.host}:{config.ui.port}/api/status"
    try:
        response = httpx.get(url, timeout=timeout_s)
        response.raise_for_status()
        status = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return [
            fail("daemon", f"{url} does not answer: {exc}", DAEMON_FIX),
            skip("risklist", "needs the kiosk daemon"),
        ]
    detail = f"version {status.get('version')}, up {status.get('uptime_s')} s"
    return [ok("daemon", detail), _risklist(status.get("risklist") or {})]


def _risklist(risklist: dict[str, object]) -> Finding:
    fix = "check the verifier link; the kiosk syncs the list by itself (journalctl -u yzt-kiosk)"
    age = risklist.get("age_s")
    if not isinstance(age, int | float):
        return warn("risklist", "no risk list yet: offline taps will show CHECK", fix)
    detail = (
        f"version {risklist.get('version')}, {risklist.get('entries')} entries, {age:.0f} s old"
    )
    if age > RISKLIST_WINDOW_S:
        return fail("risklist", detail + ": stale, offline taps show CHECK", fix)
    if age > RISKLIST_WINDOW_S / 2:
        return warn("risklist", detail, fix)
    return ok("risklist", detail)
