"""The health-certificate trust list travels with the risk-list sync, from a real verifier over
real TCP: it reaches the kiosk, stays on disk and verifies a shared EU test certificate with the
verifier gone; a tampered, unsigned, foreign-signed, older or oversized list is refused and the
last good one kept."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from dcc_case import hc1_text, trust_json, validation_clock
from offline_helpers import FaultyProxy, LiveVerifier, free_socket, kiosk_config

from kiosk.config import load_config
from kiosk.offline import OfflineState
from kiosk.offline.risklist import load_public_key
from kiosk.offline.sync import sync_trust_list
from kiosk.offline.trustlist import MAX_BYTES, TrustListRefused, TrustListStore
from kiosk.qr.codes import CodeReader, DecidedCode
from kiosk.qr.config import QrConfig
from verifier.qrcards.trustlist import encode
from verifier.risklist.format import SNAPSHOT, Header
from verifier.risklist.format import encode as encode_risklist

pytest_plugins = ("offline_fixtures",)


def state_for(live: LiveVerifier, folder: Path, url: str | None = None) -> OfflineState:
    settings = load_config(kiosk_config(live, folder))
    if url is not None:
        settings.verifier.url = url  # type: ignore[assignment]
    return OfflineState.from_kiosk(settings)


def reasons_with(state: OfflineState) -> tuple[str, ...]:
    """The kiosk's reasons for the shared test certificate at its validation clock."""
    reader = CodeReader(
        QrConfig(), lambda key: False, now=validation_clock, synced=state.trust_list
    )
    code = reader.read(hc1_text())
    assert isinstance(code, DecidedCode) and code.format == "hc1"
    return code.decision.reasons


def closed_port_url() -> str:
    sock = free_socket()
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"


async def test_trust_list_reaches_the_kiosk_and_verifies_offline(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    live_verifier.publish()
    live_verifier.serve_trust_list(trust_json())
    state = state_for(live_verifier, tmp_path / "kiosk")
    assert "CERT_UNKNOWN_KEY" in reasons_with(state)  # nothing synced yet
    await state.sync_now()
    assert state.trust_status()["signers"] == 1 and state.trust_status()["last_error"] is None
    await state.aclose()

    offline = state_for(live_verifier, tmp_path / "kiosk", url=closed_port_url())
    with pytest.raises(Exception, match="risklist"):
        await offline.sync_now()  # the verifier is out of reach
    reasons = reasons_with(offline)
    assert "CERT_UNKNOWN_KEY" not in reasons and "CERT_INVALID_SIGNATURE" not in reasons
    assert reasons == ("CERT_NOT_YET_VALID",)  # signature valid; the shot is under 14 days old
    assert offline.trust_status()["signers"] == 1
    await offline.aclose()


async def test_tampered_trust_list_is_refused_and_the_last_good_kept(
    live_verifier: LiveVerifier, proxy: FaultyProxy, tmp_path: Path
) -> None:
    live_verifier.publish()
    live_verifier.serve_trust_list(trust_json(), issued_at=time.time() - 3600)
    state = state_for(live_verifier, tmp_path / "kiosk", url=f"http://127.0.0.1:{proxy.port}")
    await state.sync_now()
    stored = (tmp_path / "kiosk" / "data" / "trustlist.signed").read_bytes()

    withdrawn = b'{"certificates": []' + b" " * 8000 + b"}"  # ops withdraw the signer
    live_verifier.serve_trust_list(withdrawn)
    proxy.flip_at = 4000  # inside the trust list's body: the first request of the sync
    result = await state.sync_now()
    assert result.info.version == 1  # the risk list still synced
    assert "signature" in str(state.trust_status()["last_error"])
    assert state.trust_status()["signers"] == 1 and "CERT_UNKNOWN_KEY" not in reasons_with(state)
    assert (tmp_path / "kiosk" / "data" / "trustlist.signed").read_bytes() == stored

    await state.sync_now()  # a clean answer is taken
    assert state.trust_status() == {
        "issued_at": state.trust_status()["issued_at"],
        "signers": 0,
        "last_error": None,
    }
    assert "CERT_UNKNOWN_KEY" in reasons_with(state)
    await state.aclose()


async def test_a_verifier_serving_no_trust_list_is_no_error(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    live_verifier.publish()
    state = state_for(live_verifier, tmp_path / "kiosk")
    await state.sync_now()
    assert state.trust_status() == {"issued_at": None, "signers": None, "last_error": None}
    assert state.trust_list() is None
    await state.aclose()


def test_unsigned_foreign_older_or_broken_lists_are_refused(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    key = live_verifier.key
    store = TrustListStore(
        tmp_path / "trustlist.signed", load_public_key(live_verifier.public_key_file)
    )
    refusals = {
        "magic": trust_json(),  # the ops file itself, unsigned
        "signature": encode(trust_json(), 100, Ed25519PrivateKey.generate()),
        "certificates\\[0\\]": encode(b'{"certificates": [{"rawData": "AAAA"}]}', 100, key),
        "bytes": b"YZTT",
    }
    risk_list = encode_risklist(Header(SNAPSHOT, 0, 1, 0, 0, 100), {}, key)
    refusals["magic b'YZTR'"] = risk_list  # signed by the same key, but a risk list
    for reason, data in refusals.items():
        with pytest.raises(TrustListRefused, match=reason):
            store.accept(data)
    assert store.current is None and not store.path.exists()

    store.accept(encode(trust_json(), 100, key))
    with pytest.raises(TrustListRefused, match="before the one held"):
        store.accept(encode(b'{"certificates": []}', 99, key))
    reopened = TrustListStore(store.path, store.key)
    assert reopened.current is not None and reopened.current.issued_at == 100
    assert len(reopened.current.trust) == 1

    signed = store.path.read_bytes()
    store.path.write_bytes(signed[:-1] + bytes([signed[-1] ^ 0xFF]))  # damaged on disk
    assert TrustListStore(store.path, store.key).current is None


async def test_an_endless_answer_is_cut_at_the_cap(
    live_verifier: LiveVerifier, tmp_path: Path
) -> None:
    async def endless(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"\0" * 65536
        try:
            for _ in range(2 * MAX_BYTES // len(chunk)):
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    server = await asyncio.start_server(endless, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = TrustListStore(
        tmp_path / "trustlist.signed", load_public_key(live_verifier.public_key_file)
    )
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        with pytest.raises(TrustListRefused, match=f"more than {MAX_BYTES} bytes"):
            await sync_trust_list(client, store)
    assert store.current is None and not os.path.exists(store.path)
    server.close()
