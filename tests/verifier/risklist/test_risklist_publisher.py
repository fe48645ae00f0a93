"""Who publishes without an operator: ``yzt verifier serve`` on start and every
``[risklist] publish_interval_s``, and every feed import (HTTP and CLI) — when the signing key is
there. Without it the verifier still serves, says so once in its log, and ``/v1/risklist``
answers a clear 503. Real ``serve`` processes on real ports, the kiosk's own decoder."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from risklist_rows import write_verifier_config
from typer.testing import CliRunner
from verifier_helpers import serving as verifier_process

from kiosk.offline.risklist import CODE_RED, RiskListStore, decode_all, load_public_key
from verifier.cli import app as verifier_cli
from verifier.config import RisklistConfig, load_config
from verifier.idnumber import synthetic_id_number
from verifier.risklist.keys import init_keys
from verifier.risklist.payloads import payload_for
from verifier.risklist.publisher import Publisher
from verifier.store import open_store
from verifier.store.engine import make_engine
from verifier.store.tokens import add_token
from verifier.subjects import subject_of

pytest_plugins = ("verifier_fixtures",)

PEPPER = b"p" * 40  # what write_verifier_config puts in the pepper file
RED = synthetic_id_number(random.Random(5))
NOT_PUBLISHED = "the risk list is NOT published"


@dataclass
class Served:
    url: str
    kiosk: dict[str, str]
    feeder: dict[str, str]
    log: Path
    public: Path | None

    def risklist(self, since: int = 0) -> httpx.Response:
        return httpx.get(f"{self.url}/v1/risklist?since={since}", headers=self.kiosk, timeout=10)

    def version(self) -> int | None:
        answer = self.risklist()
        return int(answer.headers["x-risklist-version"]) if answer.status_code == 200 else None

    def flags(self, tmp_path: Path, subject: str) -> int:
        """What a kiosk pinned to our public key would know about ``subject`` after a sync."""
        assert self.public is not None
        store = RiskListStore(tmp_path / f"kiosk-{time.monotonic_ns()}.sqlite3")
        store.apply(decode_all(self.risklist().content, load_public_key(self.public)))
        try:
            return store.flags(subject)
        finally:
            store.close()


def config_with(folder: Path, *, interval_s: float, keys: bool) -> tuple[Path, Path | None]:
    path = write_verifier_config(folder, f"sqlite:///{folder / 'v.db'}")
    path.write_text(
        path.read_text() + f"\n[risklist]\npublish_interval_s = {interval_s}\n", encoding="utf-8"
    )
    return path, init_keys(load_config(path)) if keys else None


@contextmanager
def serving(folder: Path, *, interval_s: float = 3600, keys: bool = True) -> Iterator[Served]:
    config, public = config_with(folder, interval_s=interval_s, keys=keys)
    engine = open_store(load_config(config).database_url())
    kiosk = add_token(engine, name="lane-1", role="kiosk", kiosk_id="lane-1", site="hospital-a")
    feeder = add_token(engine, name="feeds", role="feeder")
    engine.dispose()
    log = folder / "serve.log"
    with verifier_process(config, log) as url:
        yield Served(url, bearer(kiosk), bearer(feeder), log, public)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for(check: object, what: str, timeout_s: float = 20) -> None:
    end = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        assert time.monotonic() < end, f"timed out waiting for {what}"
        time.sleep(0.1)


def red_feed() -> bytes:
    return f"id_number,color,reason,updated_at\n{RED},red,feed,2026-11-28T08:00:00Z\n".encode()


def test_serve_publishes_on_start_and_after_each_feed_import(tmp_path: Path) -> None:
    with serving(tmp_path) as served:
        wait_for(lambda: served.version() is not None, "the first version")
        assert served.version() == 1
        assert served.flags(tmp_path, subject_of(PEPPER, RED)) == 0

        answer = httpx.put(
            f"{served.url}/v1/feeds/codes", content=red_feed(), headers=served.feeder, timeout=30
        )
        assert answer.status_code == 200, answer.text
        assert served.version() == 2  # published before the import answered
        assert served.flags(tmp_path, subject_of(PEPPER, RED)) == CODE_RED
        assert NOT_PUBLISHED not in served.log.read_text()


def test_serve_publishes_every_interval_from_the_config(tmp_path: Path) -> None:
    with serving(tmp_path, interval_s=1) as served:
        wait_for(lambda: (served.version() or 0) >= 3, "three versions", timeout_s=30)


def test_without_a_key_serve_runs_says_so_once_and_answers_503(tmp_path: Path) -> None:
    with serving(tmp_path, keys=False) as served:
        answer = served.risklist()
        assert answer.status_code == 503
        assert "yzt verifier keys init" in answer.json()["detail"]
        feed = httpx.put(
            f"{served.url}/v1/feeds/codes", content=red_feed(), headers=served.feeder, timeout=30
        )
        assert feed.status_code == 200 and feed.json()["accepted"] == 1
        assert served.risklist().status_code == 503
        log = served.log.read_text()
    warnings = [line for line in log.splitlines() if NOT_PUBLISHED in line]
    assert len(warnings) == 1, log
    assert "yzt verifier keys init" in warnings[0] and "risklist-signing.key" in warnings[0]
    assert RED not in log and "Traceback" not in log


runner = CliRunner()


@pytest.mark.parametrize("keys", [True, False])
def test_cli_import_publishes_or_says_how_to(tmp_path: Path, keys: bool) -> None:
    config, _ = config_with(tmp_path, interval_s=600, keys=keys)
    feed = tmp_path / "codes.csv"
    feed.write_bytes(red_feed())
    result = runner.invoke(verifier_cli, ["import", "codes", str(feed), "--config", str(config)])
    assert result.exit_code == 0, result.output
    engine = open_store(load_config(config).database_url())
    served = payload_for(engine, 0)
    engine.dispose()
    if keys:
        assert "Risk list version 1 published" in result.stderr
        assert served is not None and served.version == 1
    else:
        assert "Risk list not published" in result.stderr
        assert "yzt verifier keys init" in result.stderr
        assert served is None
    assert RED not in result.output


def test_a_refusing_store_is_tried_three_times_then_left_to_the_next_run(
    tmp_path: Path, signing_key: Ed25519PrivateKey, caplog: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'no-schema.db'}")
    pauses: list[float] = []
    publisher = Publisher(engine, RisklistConfig(), signing_key, sleep=pauses.append)
    with caplog.at_level(logging.WARNING, "verifier.risklist"):
        assert publisher.publish() is None
    engine.dispose()
    assert pauses == pytest.approx([0.2, 0.4])
    assert "risk-list publish failed 3 times (OperationalError)" in caplog.text


def test_a_store_that_comes_back_between_attempts_gets_the_version(
    tmp_path: Path, signing_key: Ed25519PrivateKey
) -> None:
    url = f"sqlite:///{tmp_path / 'late.db'}"
    engine = make_engine(url)

    def pause(seconds: float) -> None:
        open_store(url).dispose()  # the store is migrated while the publisher waits

    published = Publisher(engine, RisklistConfig(), signing_key, sleep=pause).publish()
    assert published is not None and published.version == 1
    assert payload_for(engine, 0) is not None
    engine.dispose()
