"""``POST /v1/verify`` straight from the ASGI server: the kiosks' hot path skips the middleware
stack and FastAPI's routing, which cost more than the verdict itself (two thirds of a verify's
CPU time on PostgreSQL: docs/performance.md).

Only the plain case is taken here: a JSON body with its length declared and within the body
limit, a bearer token already in the token cache, a body that validates. Everything else — no
or unknown token, a bad body, a chunked or oversized upload — goes to the full app with the body
replayed, so every such answer reads exactly as on every other endpoint. Once the token is
admitted the answer is ``verify.decide``'s, as on the route: a refusal (403, 429, 503) is the
same problem document, and an unexpected failure is handed to the full app to answer. Either
way the answer carries the security headers, and is counted and access-logged like any other.
"""

from __future__ import annotations

import time
from collections.abc import Collection

from fastapi import HTTPException
from pydantic import ValidationError
from pydantic_core import to_json
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifier.api.deps import Services, admit, presented_token
from verifier.api.headers import security_headers
from verifier.api.metrics import RequestRecord
from verifier.api.models import VerifyRequest
from verifier.api.problems import problem
from verifier.api.verify import decide
from verifier.store.tokens import token_hash

PATH = "/v1/verify"
ROLES = ("kiosk",)


class VerifyFastPath:
    """ASGI wrapper around the whole app (``app``): answers the plain ``POST /v1/verify``."""

    def __init__(
        self, app: ASGIApp, *, services: Services, limit: int, docs_paths: Collection[str]
    ) -> None:
        self.app = app
        self.services = services
        self.limit = limit
        self.record = RequestRecord(
            services.metrics, access_log=services.config.server.access_log
        ).record
        self.headers = [
            (name.lower().encode(), value.encode())
            for name, value in security_headers(PATH, docs_paths)
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        declared = request.headers.get("content-length", "")
        media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if not declared.isdigit() or int(declared) > self.limit or media_type != "application/json":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        body, replay = await _read(receive)
        info = self.services.token_cache.get(token_hash(presented_token(request)))
        try:
            parsed = VerifyRequest.model_validate_json(body) if info is not None else None
        except ValidationError:
            parsed = None
        if info is None or parsed is None:
            await self.app(scope, replay, send)
            return
        try:
            answer = await decide(self.services, admit(self.services, info, ROLES), parsed)
        except HTTPException as exc:
            refusal = problem(exc.status_code, str(exc.detail), exc.headers)
            await refusal(scope, replay, self._sending(scope, send, started))
            return
        except Exception:  # the full app answers (and logs) a failure its one way
            await self.app(scope, replay, send)
            return
        await self._answer(scope, send, to_json(answer), started)

    async def _answer(self, scope: Scope, send: Send, content: bytes, started: float) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode()),
            *self.headers,
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": content})
        self.record(scope, PATH, 200, time.perf_counter() - started)

    def _sending(self, scope: Scope, send: Send, started: float) -> Send:
        """``send`` adding the security headers, recording the request when it is done."""

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
                self.record(scope, PATH, message["status"], time.perf_counter() - started)
            await send(message)

        return sending


async def _read(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a ``receive`` that gives it again, then the client's own messages
    (a disconnect), for the full app when it answers instead."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay
