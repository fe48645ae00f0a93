"""Syncing over real TCP from a real verifier: snapshot then deltas, resume after a cut,
tampered or wrongly signed answers refused with the old list kept, gaps → snapshot."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from offline_helpers import FaultyProxy, LiveVerifier, subject

from kiosk.offline.clock import ClockDrift
from kiosk.offline.freshness import Freshness
from kiosk.offline.risklist import CODE_RED, RiskListError, RiskListStore, load_public_key
from kiosk.offline.sync import SyncError, SyncParts, run_sync_once

pytest_plugins = ("offline_fixtures",)


def parts_for(url: str, token: str, key_file: Path, data: Path) -> SyncParts:
    client = httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"})
    return SyncParts(
        client,
        RiskListStore(data / "risklist.sqlite3"),
        load_public_key(key_file),
        Freshness(data / "risklist.fresh"),
        ClockDrift(60),
        data / "risklist.part",
    )


def direct_parts(live: LiveVerifier, data: Path) -> SyncParts:
    return parts_for(live.url, live.token, live.public_key_file, data)


async def test_snapshot_then_delta(live_verifier: LiveVerifier, tmp_path: Path) -> None:
    live_verifier.red_range(1000, 300)
    live_verifier.set_codes({1: "red"})
    live_verifier.publish()
    parts = parts_for(
        live_verifier.url, live_verifier.token, live_verifier.public_key_file, tmp_path
    )
    first = await run_sync_once(parts)
    assert (first.kind, first.info.version, first.info.entries) == ("snapshot", 1, 301)
    assert parts.store.flags(subject(1)) == CODE_RED
    assert parts.freshness.age_s() is not None and parts.clock.drift_s is not None

    live_verifier.set_codes({1: "green", 2: "red"})
    live_verifier.publish()
    second = await run_sync_once(parts)
    assert (second.kind, second.info.version, second.info.entries) == ("delta", 2, 301)
    assert parts.store.flags(subject(1)) == 0 and parts.store.flags(subject(2)) == CODE_RED
    await parts.client.aclose()


async def test_cut_download_resumes_where_it_stopped(
    live_verifier: LiveVerifier, proxy: FaultyProxy, tmp_path: Path
) -> None:
    live_verifier.red_range(1000, 3000)
    live_verifier.publish()
    url = f"http://127.0.0.1:{proxy.port}"
    parts = parts_for(url, live_verifier.token, live_verifier.public_key_file, tmp_path)
    proxy.cut_after = 20_000
    with pytest.raises(SyncError):
        await run_sync_once(parts)
    assert parts.store.info() is None
    kept = parts.part.stat().st_size
    assert 10_000 < kept < 20_000

    result = await run_sync_once(parts)
    assert result.resumed and result.downloaded < 50_000 - kept
    assert (result.info.version, result.info.entries) == (1, 3000)
    assert not parts.part.exists()
    await parts.client.aclose()


async def test_tampered_answer_is_refused_and_the_old_list_kept(
    live_verifier: LiveVerifier, proxy: FaultyProxy, tmp_path: Path
) -> None:
    live_verifier.red_range(1000, 3000)
    live_verifier.publish()
    url = f"http://127.0.0.1:{proxy.port}"
    parts = parts_for(url, live_verifier.token, live_verifier.public_key_file, tmp_path)
    await run_sync_once(parts)
    synced_age = parts.freshness.age_s()

    live_verifier.red_range(5000, 3000)  # a new snapshot is cheaper than this delta? no: delta
    live_verifier.publish()
    proxy.flip_at = 8_000
    with pytest.raises(RiskListError, match="signature"):
        await run_sync_once(parts)
    info = parts.store.info()
    assert info is not None and (info.version, info.entries) == (1, 3000)
    assert parts.store.flags(subject(5000)) == 0
    age = parts.freshness.age_s()
    assert age is not None and synced_age is not None and age >= synced_age  # not refreshed
    assert not parts.part.exists()  # a bad body is not resumed

    result = await run_sync_once(parts)  # the next clean answer applies
    assert (result.info.version, result.info.entries) == (2, 6000)
    await parts.client.aclose()


async def test_list_signed_by_another_key_is_refused(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    live_verifier.set_codes({1: "red"})
    live_verifier.publish()
    other = tmp_path / "other.pub"
    other.write_bytes(
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    parts = parts_for(live_verifier.url, live_verifier.token, other, tmp_path)
    with pytest.raises(RiskListError, match="pinned key"):
        await run_sync_once(parts)
    assert parts.store.info() is None and parts.freshness.age_s() is None
    await parts.client.aclose()


async def test_gap_in_versions_falls_back_to_a_snapshot(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    live_verifier.red_range(1000, 300)
    live_verifier.publish()
    parts = parts_for(
        live_verifier.url, live_verifier.token, live_verifier.public_key_file, tmp_path
    )
    await run_sync_once(parts)
    for n in range(3):
        live_verifier.set_codes({n: "red"})
        live_verifier.publish()
    # the kiosk's copy is damaged to look like version 2 with another content: deltas 3..4 then
    # do not add up (entry count mismatch) → it asks for the snapshot and ends consistent.
    parts.store._db.execute("UPDATE list SET version = 2")
    result = await run_sync_once(parts)
    assert result.kind == "snapshot"
    assert (result.info.version, result.info.entries) == (4, 303)
    await parts.client.aclose()


async def test_unreachable_verifier_is_one_plain_error(tmp_path: Path, live_verifier) -> None:
    parts = parts_for("http://127.0.0.1:9", "t", live_verifier.public_key_file, tmp_path)
    with pytest.raises(SyncError, match="/v1/risklist: ConnectError"):
        await run_sync_once(parts)
    await parts.client.aclose()


async def test_wrong_token_is_reported_with_the_status(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    live_verifier.publish()
    parts = parts_for(live_verifier.url, "nope", live_verifier.public_key_file, tmp_path)
    with pytest.raises(SyncError, match="HTTP 401"):
        await run_sync_once(parts)
    await parts.client.aclose()


async def test_a_part_left_complete_by_a_kill_before_apply_still_syncs(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    live_verifier.red_range(1000, 300)
    live_verifier.publish()
    parts = direct_parts(live_verifier, tmp_path)
    whole = await parts.client.get("/v1/risklist", params={"since": 0})
    parts.part.write_bytes(whole.content)
    parts.part.with_suffix(".json").write_text(
        json.dumps({"since": 0, "etag": whole.headers["etag"]})
    )
    result = await run_sync_once(parts)
    assert (result.info.version, result.info.entries) == (1, 300)
    await parts.client.aclose()
