"""The kiosk's HTTP link to the verifier: verify within a deadline, upload events, heartbeat.

Every failure (refused connection, timeout, 5xx, a malformed answer) becomes one
``VerifierUnavailable`` with a plain message for the status page; the caller decides what the
elder sees. Transport errors and 5xx/429 are retried while the deadline allows.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from kiosk.verdict import Verdict
from kiosk.version import kiosk_version

RETRY_PAUSE_S = 0.05


class VerifierUnavailable(Exception):
    """The verifier gave no usable answer; the message is safe to show staff."""


class VerifierRefused(VerifierUnavailable):
    """The verifier answered 4xx: resending the same request will not help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class CheckResult(BaseModel):
    outcome: str
    reasons: list[str] = []


class VerifyResponse(BaseModel):
    event_id: str
    verdict: Verdict
    reasons: list[str]
    checks: dict[str, CheckResult] = {}
    source: str = "online"
    server_time: str | None = None


class VerifierClient:
    """One pooled ``httpx.AsyncClient``; remembers the last latency and error for staff."""

    def __init__(
        self, url: str, token: str, *, connect_timeout_s: float = 0.5, retries: int = 1
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": f"yzt-kiosk/{kiosk_version()}",
            },
            timeout=httpx.Timeout(5.0, connect=connect_timeout_s),
        )
        self.retries = retries
        self.latency_ms: float | None = None
        self.last_ok: float | None = None
        self.last_error: str | None = None
        self.server_time: str | None = None

    async def verify(self, body: dict[str, Any], deadline_s: float) -> VerifyResponse:
        """``POST /v1/verify``, all attempts within ``deadline_s``."""
        try:
            async with asyncio.timeout(deadline_s):
                data = await self._post_with_retries("/v1/verify", body)
        except TimeoutError:
            raise self._fail(f"no answer within {deadline_s:g} s") from None
        try:
            answer = VerifyResponse.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise self._fail(
                f"/v1/verify: unexpected answer: {first['loc']} {first['msg']}"
            ) from None
        self.server_time = answer.server_time
        return answer

    async def send_events(self, events: list[dict[str, Any]], timeout_s: float = 10.0) -> int:
        """``POST /v1/events``; the number of events the verifier stored or already had."""
        try:
            async with asyncio.timeout(timeout_s):
                data = await self._post_with_retries("/v1/events", {"events": events})
        except TimeoutError:
            raise self._fail(f"event upload got no answer within {timeout_s:g} s") from None
        return int(data.get("accepted", 0)) + int(data.get("duplicates", 0))

    async def heartbeat(self, document: dict[str, Any], timeout_s: float = 5.0) -> str | None:
        """``POST /v1/heartbeat``; the verifier's clock (ISO 8601) for drift."""
        try:
            async with asyncio.timeout(timeout_s):
                data = await self._post_with_retries("/v1/heartbeat", document)
        except TimeoutError:
            raise self._fail(f"heartbeat got no answer within {timeout_s:g} s") from None
        self.server_time = data.get("server_time")
        return self.server_time

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _post_with_retries(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retries + 1),
            retry=retry_if_exception_type(_Retryable),
            wait=_pause,
            reraise=True,
        )
        try:
            data: dict[str, Any] = await retrying(self._post, path, body)
        except _Retryable as exc:
            raise self._fail(str(exc)) from None
        return data

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            response = await self._client.post(path, json=body)
        except httpx.TimeoutException:
            raise _Retryable(f"{path}: the verifier did not answer in time") from None
        except httpx.TransportError as exc:
            raise _Retryable(f"{path}: cannot reach the verifier ({type(exc).__name__})") from None
        if response.status_code >= 500 or response.status_code == 429:
            raise _Retryable(
                f"{path}: the verifier answered {response.status_code}", pause_s=RETRY_PAUSE_S
            )
        if response.status_code >= 400:
            message = f"{path}: the verifier refused with {response.status_code} "
            self.last_error = message + _problem_text(response)
            raise VerifierRefused(self.last_error, response.status_code)
        try:
            data = response.json()
        except ValueError:
            raise self._fail(f"{path}: the verifier's answer is not JSON") from None
        if not isinstance(data, dict):
            raise self._fail(f"{path}: the verifier's answer is not a JSON object")
        self.latency_ms = (time.perf_counter() - started) * 1000
        self.last_ok = time.monotonic()
        self.last_error = None
        return data

    def _fail(self, message: str) -> VerifierUnavailable:
        self.last_error = message
        return VerifierUnavailable(message)


class _Retryable(Exception):
    """A failure worth another attempt: at once for a broken connection (a new one may reach
    another replica), after ``pause_s`` for an overloaded or failing server."""

    def __init__(self, message: str, *, pause_s: float = 0.0) -> None:
        super().__init__(message)
        self.pause_s = pause_s


def _pause(state: RetryCallState) -> float:
    """The pause the failed attempt asked for."""
    failure = state.outcome.exception() if state.outcome else None
    return failure.pause_s if isinstance(failure, _Retryable) else 0.0


PROBLEM_TEXT_MAX = 300
"""The verifier's detail names the field and never the value; capped all the same, since it is
kept with a set-aside event and shown to staff."""


def _problem_text(response: httpx.Response) -> str:
    """``Title: detail`` of a problem document (the detail says which field and why)."""
    try:
        problem = response.json()
    except ValueError:
        return ""
    if not isinstance(problem, dict):
        return ""
    title, detail = str(problem.get("title", "")), str(problem.get("detail", ""))
    return (f"{title}: {detail}" if detail else title)[:PROBLEM_TEXT_MAX]
