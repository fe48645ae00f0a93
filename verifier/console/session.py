"""Sign-in and sign-out for the staff console: paste a staff token once, get a session.

``POST /login`` checks the token's role, then opens a server-side session
(verifier/store/sessions.py) and puts only its random id in the cookie: ``HttpOnly`` (page
scripts cannot read it), ``SameSite=Strict``, ``Secure`` when the page was served over https.
``POST /logout`` deletes the session in the store, so a copy of the cookie is useless after it.

Both forms carry a CSRF token (verifier/console/csrf.py), checked before anything is looked up.
Failed sign-ins count against the client address like wrong bearer tokens do
(verifier/api/limits.py): past the budget the form answers 429 without asking the store.
"""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import parse_qs, urlsplit

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from verifier.api.deps import MAX_TOKEN_CHARS, Services, client_address
from verifier.console import csrf
from verifier.console.auth import SESSION_COOKIE, STAFF_ROLES
from verifier.console.templating import templates
from verifier.store.sessions import SESSION_S, end_session, start_session
from verifier.store.tokens import TokenInfo, token_hash

router = APIRouter(include_in_schema=False)
HOME = "/fleet"
STALE_FORM = (
    "登录表单已过期，请重试。The sign-in form expired or did not come from this page; try again."
)


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the console's home (no open redirect)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return HOME
    if "\\" in target or any(ord(c) < 0x20 for c in target) or urlsplit(target).netloc:
        return HOME
    return target


def _set_cookie(
    request: Request, response: Response, name: str, value: str, *, path: str, max_age: int | None
) -> None:
    """An HttpOnly, SameSite=Strict cookie, Secure when the page came over https."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def _login_page(
    request: Request,
    next_path: str,
    error: str | None,
    status: int,
    headers: dict[str, str] | None = None,
) -> Response:
    """The form, with a CSRF token for this browser's ``yzt_login`` nonce (set if missing)."""
    services: Services = request.app.state.services
    current = request.cookies.get(csrf.LOGIN_COOKIE, "")
    nonce = current if csrf.usable_nonce(current) else csrf.new_nonce()
    context = {
        "page": "login",
        "signed_in": False,
        "next": next_path,
        "error": error,
        "csrf": csrf.form_token(services.pepper, "login", nonce),
    }
    response = templates.TemplateResponse(
        request, "login.html", context, status_code=status, headers=headers
    )
    if nonce != current:
        _set_cookie(request, response, csrf.LOGIN_COOKIE, nonce, path="/login", max_age=None)
    return response


async def _form(request: Request) -> dict[str, str]:
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    return {name: values[0] for name, values in fields.items()}


def _role_refusal(info: TokenInfo) -> str | None:
    if info.role in STAFF_ROLES:
        return None
    return (
        f"这是 {info.role} 令牌，不能登录管理页面；请使用工作人员令牌。"
        f"This is a {info.role} token; the console needs a staff token "
        "(yzt verifier token add --role staff)."
    )


@router.get("/login", response_class=HTMLResponse)
async def login_form(
    request: Request, next_path: Annotated[str | None, Query(alias="next")] = None
) -> Response:
    """The sign-in form."""
    return _login_page(request, safe_next(next_path), None, 200)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the form's CSRF token, the address's failure budget, then the pasted token's role;
    open a session and go to ``next``."""
    form = await _form(request)
    next_path = safe_next(form.get("next"))
    services: Services = request.app.state.services
    nonce = request.cookies.get(csrf.LOGIN_COOKIE)
    if not csrf.valid(services.pepper, "login", nonce, form.get(csrf.FIELD)):
        return _login_page(request, next_path, STALE_FORM, 403)
    token = form.get("token", "").strip()
    if not token:
        return _login_page(request, next_path, "请粘贴令牌。Paste your token.", 400)
    key, address = token_hash(token), client_address(request)
    wait = services.auth_failures.retry_after(address, key)
    if wait > 0:
        seconds = math.ceil(wait)
        message = (
            f"失败次数过多，请 {seconds} 秒后再试。Too many failed sign-ins: wait {seconds} s."
        )
        return _login_page(request, next_path, message, 429, {"Retry-After": str(seconds)})
    info = None
    if len(token) <= MAX_TOKEN_CHARS:
        info = await run_in_threadpool(services.lookup_token, token)
    services.auth_failures.record(address, key, ok=info is not None)
    if info is None:
        return _login_page(request, next_path, "令牌无效或已吊销。Unknown or revoked token.", 401)
    refusal = _role_refusal(info)
    if refusal is not None:
        return _login_page(request, next_path, refusal, 403)
    session_id = await run_in_threadpool(start_session, services.engine, info.id)
    response = RedirectResponse(next_path, status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, session_id, path="/", max_age=SESSION_S)
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End the session in the store (a form without its CSRF token gets 403 and ends nothing),
    forget the cookie and show the sign-in form."""
    services: Services = request.app.state.services
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        form = await _form(request)
        if not csrf.valid(services.pepper, "session", session_id, form.get(csrf.FIELD)):
            raise HTTPException(403, "sign-out form without its CSRF token; reload the page")
        await run_in_threadpool(end_session, services.engine, session_id)
    response = RedirectResponse("/login", status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, "", path="/", max_age=0)
    return response
