"""The verifier's encoder against the kiosk's decoder: the wire format is their contract."""

from __future__ import annotations

import os
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kiosk.offline import risklist as kiosk_side
from verifier.risklist import format as wire

KEY = Ed25519PrivateKey.generate()


def entries(n: int) -> dict[bytes, int]:
    return {os.urandom(16): (i % 31) + 1 for i in range(n)}


def test_constants_agree_on_both_sides() -> None:
    for name in ("MAGIC", "FORMAT", "SNAPSHOT", "DELTA", "SUBJECT_BYTES", "SIGNATURE_BYTES"):
        assert getattr(wire, name) == getattr(kiosk_side, name), name
    assert wire.HEADER.format == kiosk_side.HEADER.format and wire.HEADER.size == 52
    for name in ("CODE_RED", "CODE_YELLOW", "TRAVEL_MEDIUM", "TRAVEL_HIGH", "CARD_REPORTED"):
        assert getattr(wire, name) == getattr(kiosk_side, name), name


def test_snapshot_round_trip_sorted_and_signed() -> None:
    listed = entries(500)
    data = wire.encode(wire.Header(wire.SNAPSHOT, 0, 7, 500, 500, 1_764_316_800), listed, KEY)
    payload, end = kiosk_side.decode(data, KEY.public_key())
    assert end == len(data)
    assert (payload.kind, payload.version, payload.total, payload.count) == (0, 7, 500, 500)
    assert payload.published_at == 1_764_316_800
    got = {payload.subjects[i * 16 : i * 16 + 16]: payload.flags[i] for i in range(500)}
    assert got == listed
    keys = [payload.subjects[i * 16 : i * 16 + 16] for i in range(500)]
    assert keys == sorted(keys)


def test_same_list_gives_same_bytes() -> None:
    """Determinism is what makes an HTTP Range resume safe."""
    listed = entries(100)
    header = wire.Header(wire.DELTA, 3, 4, 100, 900, 0)
    shuffled = dict(reversed(listed.items()))
    assert wire.encode(header, listed, KEY) == wire.encode(header, shuffled, KEY)


def test_several_payloads_back_to_back_decode_in_order() -> None:
    first = wire.encode(wire.Header(wire.DELTA, 1, 2, 1, 1, 0), {b"\x01" * 16: 1}, KEY)
    second = wire.encode(wire.Header(wire.DELTA, 2, 3, 1, 0, 0), {b"\x01" * 16: 0}, KEY)
    payloads = kiosk_side.decode_all(first + second, KEY.public_key())
    assert [(p.base_version, p.version) for p in payloads] == [(1, 2), (2, 3)]
    assert payloads[1].flags == b"\x00"


def test_empty_delta_is_a_valid_signed_payload() -> None:
    data = wire.encode(wire.Header(wire.DELTA, 5, 6, 0, 10, 0), {}, KEY)
    (payload,) = kiosk_side.decode_all(data, KEY.public_key())
    assert payload.count == 0 and payload.total == 10


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda d: d[:-1], "truncated"),
        (lambda d: d[:30], "shorter than header"),
        (lambda d: b"XXXX" + d[4:], "magic"),
        (lambda d: d[:60] + bytes([d[60] ^ 1]) + d[61:], "signature"),
        (lambda d: d[:-64] + bytes(64), "signature"),
        (lambda d: d[:20] + struct.pack(">Q", 99) + d[28:], "signature"),
    ],
    ids=["cut-end", "cut-header", "magic", "body-bit", "zero-signature", "version-changed"],
)
def test_damaged_or_tampered_payloads_are_refused(mangle, message: str) -> None:
    data = wire.encode(wire.Header(wire.SNAPSHOT, 0, 2, 50, 50, 0), entries(50), KEY)
    with pytest.raises(kiosk_side.RiskListError, match=message):
        kiosk_side.decode_all(mangle(data), KEY.public_key())


def test_payload_signed_by_another_key_is_refused() -> None:
    data = wire.encode(
        wire.Header(wire.SNAPSHOT, 0, 2, 3, 3, 0), entries(3), Ed25519PrivateKey.generate()
    )
    with pytest.raises(kiosk_side.RiskListError, match="does not match the pinned key"):
        kiosk_side.decode_all(data, KEY.public_key())


def test_a_body_that_lies_about_its_count_is_refused_after_the_signature() -> None:
    """Even a correctly signed payload must be internally consistent."""
    good = wire.encode(wire.Header(wire.SNAPSHOT, 0, 2, 3, 3, 0), entries(3), KEY)
    head = bytearray(good[:52])
    struct.pack_into(">Q", head, 24, 4)
    body = good[52:-64]
    forged = bytes(head) + body
    data = forged + KEY.sign(forged)
    with pytest.raises(kiosk_side.RiskListError, match="expected 68"):
        kiosk_side.decode_all(data, KEY.public_key())


def test_million_subject_snapshot_fits_the_budget() -> None:
    """DESIGN.md §8: a snapshot of 10^6 subjects is at most 24 MB."""
    listed = {os.urandom(16): 1 for _ in range(1_000_000)}
    data = wire.encode(wire.Header(wire.SNAPSHOT, 0, 1, 10**6, 10**6, 0), listed, KEY)
    assert len(data) <= 24 * 1024 * 1024
