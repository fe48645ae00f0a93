"""The health-certificate trust list as kiosks fetch it: the ``[qr] trust_list`` file, signed
with the risk-list key (encoder; the kiosk's decoder is kiosk/offline/trustlist.py).

Layout, all integers big-endian (docs/offline.md is the contract)::

    header (20 bytes)  magic "YZTT" · format u8 = 1 · 3 bytes 0
                       issued_at i64 (Unix s: the file's modification time) · body_length u32
    body               the file's bytes, UTF-8 JSON {"certificates": [{"kid", "rawData"}, ...]}
    signature          64 bytes Ed25519 over header ‖ body

The magic keeps the two kinds of signed bytes apart: a kiosk refuses a trust list offered as a
risk-list payload and the other way round. A kiosk refuses a list issued before the one it
holds, so an old signed list cannot be replayed to bring back a withdrawn signer. The file is
re-read when its size, inode or modification time change: ops replace it (``mv``) and the next
request serves the new one. Ed25519 is deterministic, so one file always gives the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

MAGIC = b"YZTT"
FORMAT = 1
HEADER = struct.Struct(">4sB3xqI")
MAX_BODY = 16 * 1024 * 1024
"""Largest trust list served (the EU gateway's whole list is about 1 MB); kiosks refuse more."""


class TrustListUnavailable(Exception):
    """Nothing can be served; one plain line naming ``[qr] trust_list`` and the fix."""


@dataclass(frozen=True, slots=True)
class SignedTrustList:
    body: bytes
    etag: str
    issued_at: int


def encode(document: bytes, issued_at: int, key: Ed25519PrivateKey) -> bytes:
    """Header, the document as it is, and the signature over both."""
    head = HEADER.pack(MAGIC, FORMAT, issued_at, len(document))
    return head + document + key.sign(head + document)


def check_document(document: bytes, where: str) -> None:
    """Refuse what no kiosk could use: too big, not JSON, no ``certificates`` list."""
    if len(document) > MAX_BODY:
        raise TrustListUnavailable(f"{where}: {len(document)} bytes, expected at most {MAX_BODY}")
    try:
        parsed = json.loads(document.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TrustListUnavailable(f"{where}: not UTF-8 JSON: {exc}") from None
    if not isinstance(parsed, dict) or not isinstance(parsed.get("certificates"), list):
        raise TrustListUnavailable(f'{where}: expected {{"certificates": [...]}}')


class TrustListServer:
    """Signs the configured file for kiosks, again only when the file changed."""

    def __init__(self, path: Path, key: Ed25519PrivateKey | None) -> None:
        self.path = path
        self.key = key
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._signed: SignedTrustList | None = None

    def current(self) -> SignedTrustList:
        """The signed list of the file as it is now; TrustListUnavailable when it cannot be."""
        where = f"[qr] trust_list {self.path}"
        if self.key is None:
            raise TrustListUnavailable(
                f"{where}: this verifier holds no risk-list signing key to sign it with: run yzt "
                "verifier keys init --config VERIFIER.TOML and restart, or let kiosks ask the "
                "host holding the key"
            )
        try:
            with self.path.open("rb") as handle:
                stat = os.fstat(handle.fileno())
                seen = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
                with self._lock:
                    if seen != self._seen or self._signed is None:
                        document = handle.read(MAX_BODY + 1)
                        check_document(document, where)
                        self._signed = self._sign(document, int(stat.st_mtime))
                        self._seen = seen
                    return self._signed
        except OSError as exc:
            raise TrustListUnavailable(f"{where}: cannot read: {exc.strerror}") from None

    def _sign(self, document: bytes, issued_at: int) -> SignedTrustList:
        assert self.key is not None
        body = encode(document, issued_at, self.key)
        return SignedTrustList(body, f'"t-{hashlib.sha256(body).hexdigest()[:32]}"', issued_at)
