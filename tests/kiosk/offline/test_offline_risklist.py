"""The kiosk's risk-list store: atomic apply (also under SIGKILL at random moments), versions,
gaps, rollback refusal."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from kiosk.offline.risklist import GapError, RiskListError, RiskListStore, decode_all
from verifier.risklist import format as wire

KEY = Ed25519PrivateKey.generate()


def prefixes(start: int, count: int) -> list[bytes]:
    return [i.to_bytes(16, "big") for i in range(start, start + count)]


def snapshot(version: int, keys: list[bytes], flag: int = 1) -> bytes:
    header = wire.Header(wire.SNAPSHOT, 0, version, len(keys), len(keys), 0)
    return wire.encode(header, dict.fromkeys(keys, flag), KEY)


def delta(base: int, version: int, changes: dict[bytes, int], total: int) -> bytes:
    header = wire.Header(wire.DELTA, base, version, len(changes), total, 0)
    return wire.encode(header, changes, KEY)


def hexof(key: bytes) -> str:
    return key.hex() + "0" * 32


@pytest.fixture
def store(tmp_path: Path) -> RiskListStore:
    return RiskListStore(tmp_path / "risklist.sqlite3")


def apply(store: RiskListStore, data: bytes):  # type: ignore[no-untyped-def]
    return store.apply(decode_all(data, KEY.public_key()))


def test_snapshot_then_deltas_in_order(store: RiskListStore) -> None:
    keys = prefixes(0, 10)
    assert apply(store, snapshot(1, keys)).entries == 10
    info = apply(store, delta(1, 2, {keys[0]: 0, keys[1]: 4, b"\xff" * 16: 2}, 10))
    assert (info.version, info.entries) == (2, 10)
    assert store.flags(hexof(keys[0])) == 0
    assert store.flags(hexof(keys[1])) == 4
    assert store.flags("ff" * 32) == 2


def test_a_delta_from_another_base_is_a_gap_and_changes_nothing(store: RiskListStore) -> None:
    keys = prefixes(0, 10)
    apply(store, snapshot(1, keys))
    with pytest.raises(GapError, match="delta from 2, kiosk has version 1"):
        apply(store, delta(2, 3, {keys[0]: 0}, 9))
    assert store.flags(hexof(keys[0])) == 1 and store.info().version == 1  # type: ignore[union-attr]


def test_a_delta_with_no_list_is_a_gap(store: RiskListStore) -> None:
    with pytest.raises(GapError, match="no list"):
        apply(store, delta(0, 1, {b"\x01" * 16: 1}, 1))


def test_a_delta_whose_result_size_disagrees_rolls_back(store: RiskListStore) -> None:
    keys = prefixes(0, 10)
    apply(store, snapshot(1, keys))
    with pytest.raises(GapError, match="11 entries once applied, header says 12"):
        apply(store, delta(1, 2, {b"\xee" * 16: 1}, 12))
    assert store.flags("ee" * 32) == 0 and store.info().entries == 10  # type: ignore[union-attr]


def test_an_older_version_is_refused_no_rollback_by_replay(store: RiskListStore) -> None:
    old = snapshot(1, prefixes(0, 5))
    apply(store, snapshot(2, prefixes(0, 3)))
    with pytest.raises(RiskListError, match="version 1 is older than 2"):
        apply(store, old)
    assert store.info().entries == 3  # type: ignore[union-attr]


def test_a_chain_fails_as_a_whole(store: RiskListStore) -> None:
    keys = prefixes(0, 10)
    apply(store, snapshot(1, keys))
    good = delta(1, 2, {keys[0]: 0}, 9)
    bad = delta(5, 6, {keys[1]: 0}, 8)
    with pytest.raises(GapError):
        apply(store, good + bad)
    assert store.info().version == 1 and store.flags(hexof(keys[0])) == 1  # type: ignore[union-attr]


def test_the_current_version_again_is_a_confirmation(store: RiskListStore) -> None:
    apply(store, snapshot(1, prefixes(0, 4)))
    apply(store, delta(1, 2, {}, 4))
    info = apply(store, delta(1, 2, {}, 4))
    assert (info.version, info.entries) == (2, 4)


CHILD = """
import sys, time
from pathlib import Path
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from kiosk.offline.risklist import RiskListStore, decode_all
store = RiskListStore(Path(sys.argv[1]))
key = load_pem_public_key(Path(sys.argv[3]).read_bytes())
payloads = decode_all(Path(sys.argv[2]).read_bytes(), key)
print("applying", flush=True)
store.apply(payloads)
print("done", flush=True)
"""


def test_sigkill_during_apply_leaves_the_old_list_or_the_new_one(tmp_path: Path) -> None:
    """A child process applies a 200 000-subject snapshot; it is SIGKILLed at random moments.
    Each time, the store must be intact and hold exactly version 1 or exactly version 2."""
    db = tmp_path / "risklist.sqlite3"
    public = tmp_path / "key.pub"
    public.write_bytes(
        KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    old_keys = prefixes(10**9, 1000)
    new_keys = prefixes(0, 200_000)
    payload = tmp_path / "new.bin"
    payload.write_bytes(snapshot(2, new_keys, flag=3))

    def start() -> tuple[subprocess.Popen[str], float]:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(db), str(payload), str(public)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None and child.stdout.readline().strip() == "applying"
        return child, time.monotonic()

    def reset() -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        fresh = RiskListStore(db)
        fresh.apply(decode_all(snapshot(1, old_keys, flag=1), KEY.public_key()))
        fresh.close()

    reset()
    child, began = start()
    child.wait(60)
    full = time.monotonic() - began
    rng = random.Random(5)
    outcomes = []
    for _ in range(10):
        reset()
        child, began = start()
        time.sleep(rng.uniform(0, full * 1.1))
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        outcomes.append(check_intact(db, old_keys, new_keys))
    print(f"apply took {full:.2f} s; outcomes after SIGKILL: {outcomes}")
    assert "old" in outcomes  # killed mid-apply at least once


def check_intact(db: Path, old_keys: list[bytes], new_keys: list[bytes]) -> str:
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = RiskListStore(db)
    try:
        info = store.info()
        assert info is not None
        count = store._read.execute("SELECT count(*) FROM entries").fetchone()[0]
        assert count == info.entries
        if info.version == 1:
            assert count == 1000 and store.flags(hexof(old_keys[7])) == 1
            assert store.flags(hexof(new_keys[7])) == 0
            return "old"
        assert info.version == 2 and count == 200_000
        assert store.flags(hexof(new_keys[123_456])) == 3 and store.flags(hexof(old_keys[7])) == 0
        return "new"
    finally:
        store.close()
