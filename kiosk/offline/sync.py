"""One risk-list sync, and the loop that runs it on start and every ``sync_interval_s``.

A download goes to ``risklist.part`` beside a small JSON note of the request (``since``) and the
server's ``ETag``. A cut download is resumed with ``Range: bytes=K-`` + ``If-Range: ETAG``; a 200
instead of 206 means the list moved on and the part is started again. Only a complete body whose
every payload verifies against the pinned key is applied, in one transaction (risklist.py); a bad
body is thrown away and the old list stays. A delta that does not fit our version is followed by
one snapshot request (``since=0``). Each good sync updates the clock drift and marks freshness
with the list's age at that moment: the answer's ``X-Server-Time`` (the verifier's clock; ``Date``
when a proxy dropped it) minus the signed ``published_at`` of the version now held — so a list no
publisher renewed keeps ageing although every sync succeeds.

The health-certificate trust list comes along (``sync_trust_list``): ``GET /v1/trustlist`` with
the held list's ETag as ``If-None-Match``; a new list is read up to its size cap, verified
against the same pinned key and kept (trustlist.py). A 404 (the verifier serves none) keeps
what the kiosk has, as does any failure.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk.offline.clock import ClockDrift, parse_server_time
from kiosk.offline.freshness import Freshness
from kiosk.offline.risklist import GapError, ListInfo, RiskListError, RiskListStore, decode_all
from kiosk.offline.trustlist import MAX_BYTES, SignedTrustList, TrustListRefused, TrustListStore
from kiosk.periodic import every

Progress = Callable[[int, int | None], None]
log = logging.getLogger(__name__)


class SyncError(Exception):
    """The verifier could not be asked or answered oddly; one plain line for staff."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    info: ListInfo
    kind: str
    downloaded: int
    resumed: bool


@dataclass
class SyncParts:
    """Everything a sync touches."""

    client: httpx.AsyncClient
    store: RiskListStore
    key: Ed25519PublicKey
    freshness: Freshness
    clock: ClockDrift
    part: Path


async def run_sync_once(parts: SyncParts, progress: Progress | None = None) -> SyncResult:
    """Download, verify and apply the list; raise SyncError or RiskListError on failure."""
    current = parts.store.info()
    since = 0 if current is None else current.version
    try:
        return await _sync(parts, since, progress)
    except GapError:
        _discard(parts.part)
        return await _sync(parts, 0, progress)


async def sync_periodically(
    sync_once: Callable[[], Awaitable[SyncResult]], interval_s: float
) -> None:
    """Sync now, then every ``interval_s``; a failed sync is logged and the old list kept."""

    async def logged() -> None:
        try:
            result = await sync_once()
            log.info("risk list version %d, %d entries", result.info.version, result.info.entries)
        except (SyncError, RiskListError) as exc:
            log.warning("risk-list sync failed, keeping the list we have: %s", exc)

    await every(interval_s, logged)


@dataclass(frozen=True, slots=True)
class _Download:
    body: bytes
    kind: str
    downloaded: int
    resumed: bool
    server_now: float  # the verifier's clock (Unix seconds) when it answered
    answered_at: float  # the kiosk's boot clock at that moment


async def _sync(parts: SyncParts, since: int, progress: Progress | None) -> SyncResult:
    got = await _download(parts, since, progress)
    try:
        payloads = decode_all(got.body, parts.key)
        info = await asyncio.to_thread(parts.store.apply, payloads)
    except RiskListError:
        _discard(parts.part)
        raise
    parts.freshness.mark_synced(got.server_now - info.published_at, at=got.answered_at)
    _discard(parts.part)
    return SyncResult(info, got.kind, got.downloaded, got.resumed)


async def _download(parts: SyncParts, since: int, progress: Progress | None) -> _Download:
    try:
        return await _fetch(parts, since, progress)
    except _Unsatisfiable:
        _discard(parts.part)  # the part was already whole, or is not ours: fetch it all again
        return await _fetch(parts, since, progress)


class _Unsatisfiable(Exception):
    """416: the range we asked to resume from is not in the answer."""


async def _fetch(parts: SyncParts, since: int, progress: Progress | None) -> _Download:
    note = parts.part.with_suffix(".json")
    etag = _resumable(parts.part, note, since)
    have = parts.part.stat().st_size if etag else 0
    headers = {"Range": f"bytes={have}-", "If-Range": etag} if etag else {}
    started = time.monotonic()
    try:
        async with parts.client.stream(
            "GET", "/v1/risklist", params={"since": since}, headers=headers
        ) as answer:
            answered_at = parts.freshness.clock()
            stamp, date = answer.headers.get("x-server-time"), answer.headers.get("date")
            parts.clock.observe(server_time=stamp, date=date, rtt_s=time.monotonic() - started)
            if answer.status_code == 416 and etag:
                raise _Unsatisfiable
            if answer.status_code not in (200, 206):
                await answer.aread()
                raise SyncError(f"/v1/risklist: HTTP {answer.status_code}: {_detail(answer)}")
            server_now = parse_server_time(stamp, date)
            if server_now is None:
                raise SyncError(
                    "/v1/risklist: the answer carries no X-Server-Time or Date header, so the "
                    "age of the list cannot be known; the old list is kept"
                )
            resumed = answer.status_code == 206
            total = _total(answer, have if resumed else 0)
            note.write_text(json.dumps({"since": since, "etag": answer.headers.get("etag")}))
            downloaded = await _save(answer, parts.part, append=resumed, total=total, cb=progress)
            kind = answer.headers.get("x-risklist-kind", "?")
    except httpx.HTTPError as exc:
        raise SyncError(f"/v1/risklist: {type(exc).__name__}: {exc}") from None
    return _Download(parts.part.read_bytes(), kind, downloaded, resumed, server_now, answered_at)


async def sync_trust_list(
    client: httpx.AsyncClient, store: TrustListStore
) -> tuple[str, SignedTrustList | None]:
    """Fetch and keep the verifier's trust list → (``updated`` | ``current`` | ``not served``,
    the list held now); SyncError or TrustListRefused with the held list unchanged."""
    held = store.current
    headers = {} if held is None else {"If-None-Match": held.etag}
    try:
        async with client.stream("GET", "/v1/trustlist", headers=headers) as answer:
            if answer.status_code == 304 and held is not None:
                return "current", held
            if answer.status_code == 404:
                return "not served", held
            if answer.status_code != 200:
                await answer.aread()
                raise SyncError(f"/v1/trustlist: HTTP {answer.status_code}: {_detail(answer)}")
            body = bytearray()
            async for chunk in answer.aiter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise TrustListRefused(f"trust list: more than {MAX_BYTES} bytes")
    except httpx.HTTPError as exc:
        raise SyncError(f"/v1/trustlist: {type(exc).__name__}: {exc}") from None
    signed = await asyncio.to_thread(store.accept, bytes(body))
    return "updated", signed


def _resumable(part: Path, note: Path, since: int) -> str | None:
    """The ETag of a part left for the same request, else None (and the part is dropped)."""
    try:
        saved = json.loads(note.read_text())
    except (OSError, ValueError):
        saved = {}
    if saved.get("since") == since and saved.get("etag") and part.is_file():
        return str(saved["etag"])
    _discard(part)
    return None


async def _save(
    answer: httpx.Response, part: Path, *, append: bool, total: int | None, cb: Progress | None
) -> int:
    done = part.stat().st_size if append else 0
    received = 0
    with part.open("ab" if append else "wb") as handle:
        async for chunk in answer.aiter_bytes():
            handle.write(chunk)
            received += len(chunk)
            if cb is not None:
                cb(done + received, total)
    return received


def _total(answer: httpx.Response, offset: int) -> int | None:
    length = answer.headers.get("content-length")
    return None if length is None else offset + int(length)


def _detail(answer: httpx.Response) -> str:
    try:
        return str(answer.json().get("detail", ""))[:200]
    except ValueError:
        return answer.text[:200]


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)
    part.with_suffix(".json").unlink(missing_ok=True)
