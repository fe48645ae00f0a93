"""Real parts for the offline tests (plugin: ``pytest_plugins = ("offline_fixtures",)``): a
verifier (create_app + the risk-list router) served by uvicorn on a real TCP port with its
signing key pinned in a file, and a faulty TCP proxy in front of it."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from offline_helpers import FaultyProxy, LiveVerifier, free_socket

from verifier.app import create_app
from verifier.config import load_config
from verifier.risklist.routes import router
from verifier.store.tokens import add_token


@pytest.fixture
def live_verifier(tmp_path: Path) -> Iterator[LiveVerifier]:
    """The verifier app on a real port, with a kiosk token and a pinned public key file."""
    folder = tmp_path / "verifier"
    folder.mkdir()
    pepper = folder / "pepper"
    pepper.write_bytes(b"p" * 40)
    pepper.chmod(0o600)
    config_path = folder / "verifier.toml"
    config_path.write_text(
        f'[store]\nurl = "sqlite:///{folder / "v.db"}"\n\n[privacy]\npepper_file = "{pepper}"\n'
    )
    app = create_app(load_config(config_path))
    app.include_router(router)
    engine = app.state.services.engine
    key = Ed25519PrivateKey.generate()
    public = folder / "risklist-signing.pub"
    public.write_bytes(
        key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    )
    sock = free_socket()
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    host, port = sock.getsockname()
    token = add_token(engine, name="lane-1", role="kiosk", kiosk_id="lane-1", site="hospital-a")
    yield LiveVerifier(f"http://{host}:{port}", engine, token, key, public, app.state.services)
    server.should_exit = True
    thread.join(10)
    engine.dispose()


@pytest.fixture
async def proxy(live_verifier: LiveVerifier) -> AsyncIterator[FaultyProxy]:
    port = int(live_verifier.url.rsplit(":", 1)[1])
    proxy = FaultyProxy(port)
    await proxy.start()
    yield proxy
    await proxy.aclose()
