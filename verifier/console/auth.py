"""Who may see a console page: staff or admin, by bearer header or the sign-in cookie.

A browser without a valid session is sent to the sign-in page instead of getting a JSON 401;
a signed-in token of another role (a kiosk's, say) still gets a plain 403.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.responses import RedirectResponse

from verifier.api.deps import require
from verifier.store.tokens import TokenInfo

STAFF_ROLES = ("staff", "admin")
_check_staff = require(*STAFF_ROLES)


class SignInRequired(Exception):
    """Raised for a page request with no valid staff session; answered with a redirect."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.location = f"/login?next={quote(next_path, safe='/')}"


async def staff_page(request: Request) -> TokenInfo:
    """The staff token behind this page request, or a redirect to ``/login``."""
    try:
        return await _check_staff(request)
    except HTTPException as exc:
        if exc.status_code == 401:
            url = request.url
            raise SignInRequired(f"{url.path}?{url.query}" if url.query else url.path) from None
        raise


StaffPage = Annotated[TokenInfo, Depends(staff_page)]


async def sign_in_redirect(_request: Request, exc: Exception) -> RedirectResponse:
    """The exception handler for :class:`SignInRequired`: 303 to the sign-in page."""
    location = exc.location if isinstance(exc, SignInRequired) else "/login"
    return RedirectResponse(location, status_code=303)
