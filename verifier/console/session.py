"""Sign-in for the staff console: paste a staff token once, carry it in an HttpOnly cookie.

``POST /login`` checks the token's role before setting the cookie, so a kiosk's token never
becomes a browser session. The cookie is ``HttpOnly`` (page scripts cannot read it),
``SameSite=Strict`` and ``Secure`` when the page was served over https.

CSRF: these forms need no token of their own. ``SameSite=Strict`` keeps the browser from sending
the session cookie with any request another site starts, so a forged ``POST /logout`` carries no
session and every console page is a read-only ``GET``; a forged ``POST /login`` could at most sign
the browser in with a staff token the forger already holds.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import SESSION_COOKIE, Services
from verifier.console.auth import STAFF_ROLES
from verifier.console.templating import templates

router = APIRouter(include_in_schema=False)
HOME = "/fleet"
SESSION_MAX_AGE_S = 12 * 3600
"""A shift: the browser forgets the token after this even if it stays open."""
MAX_TOKEN_CHARS = 512


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the console's home (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return HOME
    if "\\" in target or any(ord(c) < 0x20 for c in target) or urlsplit(target).netloc:
        return HOME
    return target


def _login_page(request: Request, next_path: str, error: str | None, status: int) -> Response:
    context = {"page": "login", "signed_in": False, "next": next_path, "error": error}
    return templates.TemplateResponse(request, "login.html", context, status_code=status)


def _refusal(services: Services, token: str) -> tuple[int, str] | None:
    """Why ``token`` may not sign in (status, message), or ``None`` when it may."""
    if not token:
        return 400, "请粘贴令牌。Paste your token."
    info = services.lookup_token(token) if len(token) <= MAX_TOKEN_CHARS else None
    if info is None:
        return 401, "令牌无效或已吊销。Unknown or revoked token."
    if info.role not in STAFF_ROLES:
        return 403, (
            f"这是 {info.role} 令牌，不能登录管理页面；请使用工作人员令牌。"
            f"This is a {info.role} token; the console needs a staff token "
            "(yzt verifier token add --role staff)."
        )
    return None


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, next_path: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    """The sign-in form."""
    return _login_page(request, safe_next(next_path), None, 200)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the pasted token's role, then set the session cookie and go to ``next``."""
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = form.get("token", [""])[0].strip()
    next_path = safe_next(form.get("next", [""])[0])
    services: Services = request.app.state.services
    refusal = await run_in_threadpool(_refusal, services, token)
    if refusal is not None:
        status, message = refusal
        return _login_page(request, next_path, message, status)
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE_S,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """Forget the session cookie and show the sign-in form."""
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response
