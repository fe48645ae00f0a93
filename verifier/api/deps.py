"""What every route needs: the app's services and the bearer-token check for its roles."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated

from cachetools import TTLCache
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from verifier.api.limits import RateLimiter
from verifier.api.metrics import Metrics
from verifier.config import VerifierConfig
from verifier.policy import Profile
from verifier.risklist.publisher import Publisher
from verifier.store.people import SqliteFacts
from verifier.store.tokens import TokenInfo, find_token, token_hash


@dataclass
class Services:
    """Everything a request may use; built once by ``create_app``."""

    config: VerifierConfig
    engine: Engine
    pepper: bytes
    profiles: dict[str, Profile]
    limiter: RateLimiter
    metrics: Metrics
    publisher: Publisher
    token_cache: TTLCache[str, TokenInfo] = field(
        default_factory=lambda: TTLCache(maxsize=10_000, ttl=5.0)
    )
    sqlite_facts: SqliteFacts | None = None

    def profile_for(self, site: str) -> Profile:
        """The site's profile, else the configured default."""
        name = self.config.policy.sites.get(site, self.config.policy.default)
        return self.profiles[name]

    def lookup_token(self, token: str) -> TokenInfo | None:
        """A live token, reused for ``limits.token_cache_s`` (revocation takes that long)."""
        key = token_hash(token)
        info = self.token_cache.get(key)
        if info is None:
            info = find_token(self.engine, token)
            if info is not None and self.config.limits.token_cache_s > 0:
                self.token_cache[key] = info
        return info


async def get_services(request: Request) -> Services:
    """The app's services."""
    return request.app.state.services  # type: ignore[no-any-return]


ServicesDep = Annotated[Services, Depends(get_services)]
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
SESSION_COOKIE = "yzt_session"
"""Staff who sign in on a console page carry their token in this HttpOnly cookie."""


def presented_token(request: Request) -> str:
    """The bearer token from the ``Authorization`` header, else from the session cookie."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.cookies.get(SESSION_COOKIE, "").strip()


def require(*roles: str) -> Callable[..., Awaitable[TokenInfo]]:
    """A dependency admitting tokens of ``roles`` (header or session cookie): 401 without a
    valid token, 403 for another role, 429 over the token's rate."""

    async def check(request: Request) -> TokenInfo:
        services: Services = request.app.state.services
        token = presented_token(request)
        if not token:
            raise HTTPException(401, "missing bearer token", headers=UNAUTHORIZED)
        info = services.token_cache.get(token_hash(token))
        if info is None:
            info = await run_in_threadpool(services.lookup_token, token)
        if info is None:
            raise HTTPException(401, "unknown or revoked token", headers=UNAUTHORIZED)
        if info.role not in roles:
            raise HTTPException(403, f"role {info.role} may not use this; needs {'/'.join(roles)}")
        wait = services.limiter.take(info.id)
        if wait > 0:
            retry = {"Retry-After": str(math.ceil(wait))}
            raise HTTPException(429, "rate limit for this token exceeded", headers=retry)
        return info

    return check


def check_site(token: TokenInfo, site: str) -> None:
    """A token bound to a site speaks for that site only."""
    if token.site is not None and token.site != site:
        raise HTTPException(403, f"this token is for site {token.site}, not {site}")


def scoped_site(token: TokenInfo, site: str | None) -> str | None:
    """The site filter a staff view may use: a site-bound token sees its own site only."""
    if token.site is None:
        return site
    if site is not None:
        check_site(token, site)
    return token.site


KioskAuth = Annotated[TokenInfo, Depends(require("kiosk"))]
FeederAuth = Annotated[TokenInfo, Depends(require("feeder", "admin"))]
StaffAuth = Annotated[TokenInfo, Depends(require("staff", "admin"))]
