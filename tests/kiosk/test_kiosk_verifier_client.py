"""kiosk/verifier_client.py against a real HTTP server that misbehaves on purpose."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from kiosktools import StubVerifier, free_port

from kiosk.verifier_client import VerifierClient, VerifierRefused, VerifierUnavailable

BODY = {"subject": "ab" * 32, "site": "hospital-a", "event_id": "e1", "card": {}}


@pytest.fixture
async def stub() -> AsyncIterator[StubVerifier]:
    server = await StubVerifier().start()
    yield server
    await server.stop()


async def test_answer_and_latency_are_kept(stub: StubVerifier) -> None:
    client = VerifierClient(stub.url, "t")
    answer = await client.verify(BODY, 1.0)
    assert (answer.verdict, answer.reasons) == ("PASS", ["CODE_GREEN"])
    assert client.latency_ms is not None and client.last_error is None
    await client.aclose()


async def test_500_is_retried_then_reported(stub: StubVerifier) -> None:
    stub.mode = "500"
    client = VerifierClient(stub.url, "t", retries=2)
    with pytest.raises(VerifierUnavailable, match="answered 500"):
        await client.verify(BODY, 2.0)
    assert len(stub.requests["verify"]) == 3
    await client.aclose()


async def test_a_slow_verifier_is_cut_off_at_the_deadline(stub: StubVerifier) -> None:
    stub.mode, stub.delay_s = "slow", 1.0
    client = VerifierClient(stub.url, "t")
    with pytest.raises(VerifierUnavailable, match=r"no answer within 0\.3 s"):
        await client.verify(BODY, 0.3)
    await client.aclose()


async def test_refusal_is_not_retried(stub: StubVerifier) -> None:
    stub.mode = "refuse"
    client = VerifierClient(stub.url, "t", retries=2)
    with pytest.raises(VerifierRefused) as caught:
        await client.send_events([{"event_id": "x"}])
    assert caught.value.status == 422
    await client.aclose()


async def test_nobody_listening() -> None:
    client = VerifierClient(f"http://127.0.0.1:{free_port()}", "t")
    with pytest.raises(VerifierUnavailable, match="cannot reach the verifier"):
        await client.verify(BODY, 1.0)
    assert client.last_error is not None
    await client.aclose()
