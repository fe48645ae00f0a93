"""Who may see a console page: staff or admin, by bearer header or by a console session.

The session cookie holds an opaque session id (verifier/store/sessions.py), never a token, and
only console routes read it: the JSON API under ``/v1`` takes bearer headers only. A browser
without a valid session is sent to the sign-in page instead of getting a JSON 401; a token of
another role (a kiosk's, say) still gets a plain 403.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import (
    MAX_TOKEN_CHARS,
    Services,
    admit,
    client_address,
    presented_token,
    require,
    too_many_failures,
)
from verifier.console import csrf
from verifier.store.sessions import find_session
from verifier.store.tokens import TokenInfo, token_hash

STAFF_ROLES = ("staff", "admin")
SESSION_COOKIE = "yzt_session"
"""The console session id (HttpOnly, SameSite=Strict)."""
_check_staff = require(*STAFF_ROLES)


class SignInRequired(Exception):
    """Raised for a page request with no valid staff session; answered with a redirect."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.location = f"/login?next={quote(next_path, safe='/')}"


def _sign_in(request: Request) -> SignInRequired:
    url = request.url
    return SignInRequired(f"{url.path}?{url.query}" if url.query else url.path)


async def session_token(request: Request, session_id: str) -> TokenInfo | None:
    """The token behind a session id, or None; a client address over its failed-authentication
    budget gets 429 without the store being asked."""
    services: Services = request.app.state.services
    if len(session_id) > MAX_TOKEN_CHARS:
        return None
    key, address = token_hash(session_id), client_address(request)
    wait = services.auth_failures.retry_after(address, key)
    if wait > 0:
        raise too_many_failures(wait)
    info = await run_in_threadpool(find_session, services.engine, session_id)
    services.auth_failures.record(address, key, ok=info is not None)
    return info


async def staff_page(request: Request) -> TokenInfo:
    """The staff token behind this page request, or a redirect to ``/login``. Sets
    ``request.state.csrf``, the token the page's sign-out form carries."""
    services: Services = request.app.state.services
    request.state.csrf = ""
    if presented_token(request):
        try:
            return await _check_staff(request)
        except HTTPException as exc:
            if exc.status_code == 401:
                raise _sign_in(request) from None
            raise
    session_id = request.cookies.get(SESSION_COOKIE, "")
    info = await session_token(request, session_id) if session_id else None
    if info is None:
        raise _sign_in(request)
    request.state.csrf = csrf.form_token(services.pepper, "session", session_id)
    return admit(services, info, STAFF_ROLES)


StaffPage = Annotated[TokenInfo, Depends(staff_page)]


async def sign_in_redirect(_request: Request, exc: Exception) -> RedirectResponse:
    """The exception handler for :class:`SignInRequired`: 303 to the sign-in page."""
    location = exc.location if isinstance(exc, SignInRequired) else "/login"
    return RedirectResponse(location, status_code=303)
