"""The kiosk's copy of the risk list: decode and verify a signed payload, apply it atomically.

Wire format (docs/offline.md; the encoder is verifier/risklist/format.py)::

    header 52 bytes  ">4sBBHQQQQqI": "YZTR", format 1, kind (0 snapshot, 1 delta), 0,
                     base_version, version, count, total, published_at, body_length
    body             zlib(count × 16-byte subject prefix, ascending ‖ count × flags byte)
    signature        64-byte Ed25519 over header ‖ body, checked against the pinned public key

Revoked elder-card serials are entries too, keyed by ``readers.qr.yztcard.revocation_key`` with
flag ``QR_REVOKED``; no subject's prefix ever equals such a key.

Nothing is applied before the whole payload is verified. A snapshot replaces the list and a delta
updates it inside one SQLite transaction, together with the version row, so a kill -9 at any
moment leaves the old list or the new one, never a mix. A delta whose base is not our version
(a gap) or whose result size disagrees with the header is refused: the caller asks for a snapshot.
"""

from __future__ import annotations

import sqlite3
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

MAGIC = b"YZTR"
FORMAT = 1
SNAPSHOT = 0
DELTA = 1
HEADER = struct.Struct(">4sBBHQQQQqI")
SUBJECT_BYTES = 16
SIGNATURE_BYTES = 64
MAX_BODY = 256 * 1024 * 1024

CODE_RED = 0x01
CODE_YELLOW = 0x02
TRAVEL_MEDIUM = 0x04
TRAVEL_HIGH = 0x08
CARD_REPORTED = 0x10
QR_REVOKED = 0x20
KNOWN_FLAGS = CODE_RED | CODE_YELLOW | TRAVEL_MEDIUM | TRAVEL_HIGH | CARD_REPORTED

SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (subject BLOB PRIMARY KEY, flags INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS list (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    entries INTEGER NOT NULL,
    published_at INTEGER NOT NULL
);
"""


class RiskListError(Exception):
    """A payload that must not be applied; one plain line naming what is wrong."""


class GapError(RiskListError):
    """A delta that does not follow the list we hold: fetch a snapshot instead."""


@dataclass(frozen=True, slots=True)
class Payload:
    kind: int
    base_version: int
    version: int
    total: int
    published_at: int
    subjects: bytes
    flags: bytes

    @property
    def count(self) -> int:
        return len(self.flags)


def load_public_key(path: Path) -> Ed25519PublicKey:
    """The pinned verifier key (PEM SubjectPublicKeyInfo, as ``yzt verifier keys init`` writes)."""
    try:
        key = load_pem_public_key(path.read_bytes())
    except OSError as exc:
        raise RiskListError(f"public_key_file: cannot read {path}: {exc.strerror}") from None
    except ValueError:
        raise RiskListError(f"public_key_file: {path} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise RiskListError(f"public_key_file: {path} is not an Ed25519 key")
    return key


def decode_all(data: bytes, key: Ed25519PublicKey) -> list[Payload]:
    """Every payload of a ``/v1/risklist`` body (one snapshot, or deltas in version order)."""
    payloads: list[Payload] = []
    offset = 0
    while offset < len(data) or not payloads:
        payload, offset = decode(data, key, offset)
        payloads.append(payload)
    return payloads


def decode(data: bytes, key: Ed25519PublicKey, offset: int = 0) -> tuple[Payload, int]:
    """The payload at ``offset`` and where the next one starts; RiskListError on any fault:
    length, signature (checked before anything else is trusted), header, body."""
    left = len(data) - offset
    if left < HEADER.size + SIGNATURE_BYTES:
        raise RiskListError(
            f"risk list: byte {offset}: {left} bytes is shorter than header and signature"
        )
    fields = HEADER.unpack_from(data, offset)
    magic, fmt, kind, _, base, version, count, total, published_at, body_length = fields
    if magic != MAGIC:
        raise RiskListError(f"risk list: byte {offset}: magic {magic!r}, expected {MAGIC!r}")
    end = offset + HEADER.size + body_length
    if len(data) < end + SIGNATURE_BYTES:
        raise RiskListError(
            f"risk list: {len(data)} bytes, header at byte {offset} announces "
            f"{end + SIGNATURE_BYTES} (truncated download?)"
        )
    try:
        key.verify(data[end : end + SIGNATURE_BYTES], data[offset:end])
    except InvalidSignature:
        raise RiskListError("risk list: Ed25519 signature does not match the pinned key") from None
    if fmt != FORMAT or kind not in (SNAPSHOT, DELTA):
        raise RiskListError(f"risk list: format {fmt} kind {kind}, expected format 1 kind 0|1")
    body = _inflate(data[offset + HEADER.size : end], count)
    split = count * SUBJECT_BYTES
    payload = Payload(kind, base, version, total, published_at, body[:split], body[split:])
    return payload, end + SIGNATURE_BYTES


def _inflate(body: bytes, count: int) -> bytes:
    expected = count * (SUBJECT_BYTES + 1)
    if expected > MAX_BODY:
        raise RiskListError(f"risk list: {count} entries is more than this kiosk accepts")
    try:
        raw = zlib.decompress(body, bufsize=max(expected, 1))
    except zlib.error as exc:
        raise RiskListError(f"risk list: body is not zlib data ({exc})") from None
    if len(raw) != expected:
        raise RiskListError(f"risk list: body holds {len(raw)} bytes, expected {expected}")
    return raw


@dataclass(frozen=True, slots=True)
class ListInfo:
    version: int
    entries: int
    published_at: int


class RiskListStore:
    """The applied list in its own SQLite file (WAL); lookups are one primary-key probe.

    Two connections: ``apply`` may run in a worker thread on the writer while lookups on the
    reader keep seeing the last committed list until the new one commits.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._read = sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    def info(self) -> ListInfo | None:
        row = self._read.execute("SELECT version, entries, published_at FROM list").fetchone()
        return None if row is None else ListInfo(*row)

    def flags(self, subject: str) -> int:
        """The flags of a 64-hex subject; 0 when it is not on the list."""
        row = self._read.execute(
            "SELECT flags FROM entries WHERE subject = ?", (bytes.fromhex(subject[:32]),)
        ).fetchone()
        return 0 if row is None else int(row[0])

    def apply(self, payloads: list[Payload]) -> ListInfo:
        """Apply verified payloads in order, all in one transaction (all or nothing).

        A payload for the version we already hold is a signed "you are current" and changes
        nothing; an older version is refused (no rollback by replay); a delta from another base
        is a gap (GapError: ask for a snapshot).
        """
        self._db.execute("BEGIN IMMEDIATE")
        try:
            row = self._db.execute("SELECT version, entries, published_at FROM list").fetchone()
            info = None if row is None else ListInfo(*row)
            for payload in payloads:
                info = self._apply_one(info, payload)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        if info is None:
            raise RiskListError("risk list: the answer held no list")
        return info

    def _apply_one(self, current: ListInfo | None, payload: Payload) -> ListInfo:
        if current is not None and payload.version <= current.version:
            if payload.version == current.version:
                return current
            raise RiskListError(
                f"risk list: version {payload.version} is older than {current.version}"
            )
        if payload.kind == DELTA and (current is None or current.version != payload.base_version):
            have = "no list" if current is None else f"version {current.version}"
            raise GapError(f"risk list: delta from {payload.base_version}, kiosk has {have}")
        try:
            size = self._write(payload)
        except sqlite3.IntegrityError:
            raise RiskListError("risk list: a subject appears twice in one snapshot") from None
        if size != payload.total:
            raise GapError(f"risk list: {size} entries once applied, header says {payload.total}")
        self._db.execute(
            "INSERT OR REPLACE INTO list VALUES (1, ?, ?, ?)",
            (payload.version, size, payload.published_at),
        )
        return ListInfo(payload.version, size, payload.published_at)

    def _write(self, payload: Payload) -> int:
        rows = _rows(payload)
        if payload.kind == SNAPSHOT:
            self._db.execute("DELETE FROM entries")
            self._db.executemany("INSERT INTO entries VALUES (?, ?)", rows)
        else:
            self._db.executemany("DELETE FROM entries WHERE subject = ?", _removed(payload))
            self._db.executemany(
                "INSERT OR REPLACE INTO entries VALUES (?, ?)", (r for r in rows if r[1])
            )
        return int(self._db.execute("SELECT count(*) FROM entries").fetchone()[0])

    def close(self) -> None:
        self._read.close()
        self._db.close()


def _rows(payload: Payload) -> list[tuple[bytes, int]]:
    subjects, flags = payload.subjects, payload.flags
    return [
        (subjects[i * SUBJECT_BYTES : (i + 1) * SUBJECT_BYTES], flags[i])
        for i in range(payload.count)
    ]


def _removed(payload: Payload) -> list[tuple[bytes]]:
    subjects = payload.subjects
    return [
        (subjects[i * SUBJECT_BYTES : (i + 1) * SUBJECT_BYTES],)
        for i, f in enumerate(payload.flags)
        if f == 0
    ]
