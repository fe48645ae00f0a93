"""One risk-list sync, and the loop that runs it on start and every ``sync_interval_s``.

A download goes to ``risklist.part`` beside a small JSON note of the request (``since``) and the
server's ``ETag``. A cut download is resumed with ``Range: bytes=K-`` + ``If-Range: ETAG``; a 200
instead of 206 means the list moved on and the part is started again. Only a complete body whose
every payload verifies against the pinned key is applied, in one transaction (risklist.py); a bad
body is thrown away and the old list stays. A delta that does not fit our version is followed by
one snapshot request (``since=0``). Each good sync marks freshness and updates the clock drift.
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

from kiosk.offline.clock import ClockDrift
from kiosk.offline.freshness import Freshness
from kiosk.offline.risklist import GapError, ListInfo, RiskListError, RiskListStore, decode_all

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
    while True:
        try:
            result = await sync_once()
            log.info("risk list version %d, %d entries", result.info.version, result.info.entries)
        except (SyncError, RiskListError) as exc:
            log.warning("risk-list sync failed, keeping the list we have: %s", exc)
        await asyncio.sleep(interval_s)


async def _sync(parts: SyncParts, since: int, progress: Progress | None) -> SyncResult:
    body, kind, downloaded, resumed = await _download(parts, since, progress)
    try:
        payloads = decode_all(body, parts.key)
        info = await asyncio.to_thread(parts.store.apply, payloads)
    except RiskListError:
        _discard(parts.part)
        raise
    parts.freshness.mark_synced()
    _discard(parts.part)
    return SyncResult(info, kind, downloaded, resumed)


async def _download(
    parts: SyncParts, since: int, progress: Progress | None
) -> tuple[bytes, str, int, bool]:
    try:
        return await _fetch(parts, since, progress)
    except _Unsatisfiable:
        _discard(parts.part)  # the part was already whole, or is not ours: fetch it all again
        return await _fetch(parts, since, progress)


class _Unsatisfiable(Exception):
    """416: the range we asked to resume from is not in the answer."""


async def _fetch(
    parts: SyncParts, since: int, progress: Progress | None
) -> tuple[bytes, str, int, bool]:
    note = parts.part.with_suffix(".json")
    etag = _resumable(parts.part, note, since)
    have = parts.part.stat().st_size if etag else 0
    headers = {"Range": f"bytes={have}-", "If-Range": etag} if etag else {}
    started = time.monotonic()
    try:
        async with parts.client.stream(
            "GET", "/v1/risklist", params={"since": since}, headers=headers
        ) as answer:
            parts.clock.observe(date=answer.headers.get("date"), rtt_s=time.monotonic() - started)
            if answer.status_code == 416 and etag:
                raise _Unsatisfiable
            if answer.status_code not in (200, 206):
                await answer.aread()
                raise SyncError(f"/v1/risklist: HTTP {answer.status_code}: {_detail(answer)}")
            resumed = answer.status_code == 206
            total = _total(answer, have if resumed else 0)
            note.write_text(json.dumps({"since": since, "etag": answer.headers.get("etag")}))
            downloaded = await _save(answer, parts.part, append=resumed, total=total, cb=progress)
            kind = answer.headers.get("x-risklist-kind", "?")
    except httpx.HTTPError as exc:
        raise SyncError(f"/v1/risklist: {type(exc).__name__}: {exc}") from None
    return parts.part.read_bytes(), kind, downloaded, resumed


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
