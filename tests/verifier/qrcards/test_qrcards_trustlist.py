"""``GET /v1/trustlist``: the verifier's ``[qr] trust_list`` file, signed with the risk-list key
made by ``yzt verifier keys init``, to kiosk tokens only; unchanged → 304; a replaced file is
served at once; without a file, key or usable file: 404 or 503 naming the fix."""

from __future__ import annotations

import os
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from verifier.app import create_app
from verifier.config import load_config
from verifier.risklist.keys import init_keys
from verifier.store.tokens import add_token

DOCUMENT = b'{"certificates": [{"kid": "AAAAAAAAAAA=", "rawData": "AAAA"}]}'


def write_config(folder: Path, *, trust_list: bool = True, keys: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pepper").write_bytes(b"p" * 40)
    (folder / "pepper").chmod(0o600)
    path = folder / "verifier.toml"
    qr = '\n[qr]\ntrust_list = "dcc-trust.json"\n' if trust_list else ""
    path.write_text(
        f'[store]\nurl = "sqlite:///{folder / "v.db"}"\n\n[privacy]\npepper_file = "pepper"\n{qr}'
    )
    if keys:
        init_keys(load_config(path))
    return path


@asynccontextmanager
async def kiosk_client(config: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(load_config(config))
    engine = app.state.services.engine
    token = add_token(engine, name="lane-1", role="kiosk", kiosk_id="lane-1", site="hospital-a")
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://v", headers=headers) as c:
        yield c
    engine.dispose()


def opened(body: bytes, public_key_file: Path) -> tuple[int, bytes]:
    """(issued_at, document) after checking the signature with the public key kiosks pin."""
    key = load_pem_public_key(public_key_file.read_bytes())
    magic, fmt, issued_at, length = struct.unpack_from(">4sB3xqI", body)
    assert (magic, fmt, len(body)) == (b"YZTT", 1, 20 + length + 64)
    key.verify(body[-64:], body[:-64])  # type: ignore[union-attr]
    return issued_at, body[20:-64]


async def test_kiosk_gets_the_file_signed_and_a_replaced_file_at_once(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    trust = tmp_path / "dcc-trust.json"
    trust.write_bytes(DOCUMENT)
    os.utime(trust, (1_800_000_000, 1_800_000_000))
    async with kiosk_client(config) as client:
        first = await client.get("/v1/trustlist")
        assert first.status_code == 200, first.text
        assert first.headers["content-type"] == "application/vnd.yzt.trustlist"
        assert "x-server-time" in first.headers
        public = tmp_path / "risklist-signing.pub"
        assert opened(first.content, public) == (1_800_000_000, DOCUMENT)

        same = await client.get("/v1/trustlist", headers={"If-None-Match": first.headers["etag"]})
        assert (same.status_code, same.content) == (304, b"")

        new = tmp_path / "dcc-trust.new.json"
        new.write_bytes(b'{"certificates": []}')
        os.utime(new, (1_800_000_600, 1_800_000_600))
        new.replace(trust)  # as docs/qr.md tells ops to
        second = await client.get("/v1/trustlist", headers={"If-None-Match": first.headers["etag"]})
        assert second.status_code == 200 and second.headers["etag"] != first.headers["etag"]
        assert opened(second.content, public) == (1_800_000_600, b'{"certificates": []}')

        anonymous = await client.get("/v1/trustlist", headers={"Authorization": ""})
        assert anonymous.status_code == 401


async def test_what_cannot_be_served_says_why(tmp_path: Path) -> None:
    async with kiosk_client(write_config(tmp_path / "none", trust_list=False)) as client:
        answer = await client.get("/v1/trustlist")
        assert answer.status_code == 404 and "[qr] trust_list" in answer.json()["detail"]

    no_key = write_config(tmp_path / "nokey", keys=False)
    (tmp_path / "nokey" / "dcc-trust.json").write_bytes(DOCUMENT)
    async with kiosk_client(no_key) as client:
        answer = await client.get("/v1/trustlist")
        assert answer.status_code == 503 and "keys init" in answer.json()["detail"]

    broken = write_config(tmp_path / "broken")
    async with kiosk_client(broken) as client:
        missing = await client.get("/v1/trustlist")
        assert missing.status_code == 503 and "cannot read" in missing.json()["detail"]
        (tmp_path / "broken" / "dcc-trust.json").write_bytes(b'{"signers": []}')
        wrong = await client.get("/v1/trustlist")
        assert wrong.status_code == 503
        assert (
            "[qr] trust_list" in wrong.json()["detail"] and "certificates" in wrong.json()["detail"]
        )
