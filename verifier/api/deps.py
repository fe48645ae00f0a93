"""What every route needs: the app's services and the bearer-token check for its roles."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated

from cachetools import TTLCache
from fastapi import Depends, HTTPException, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from verifier.api.limits import FailedAuth, RateLimiter, address_key
from verifier.api.metrics import Metrics
from verifier.config import VerifierConfig
from verifier.policy import Profile
from verifier.qrcards.trustlist import TrustListServer
from verifier.risklist.publisher import Publisher
from verifier.store.people import SqliteFacts
from verifier.store.pg_reads import PgReads
from verifier.store.read_engines import ReadEngines
from verifier.store.tokens import TokenInfo, bind_token, find_token, token_hash


@dataclass
class Services:
    """Everything a request may use; built once by ``create_app``."""

    config: VerifierConfig
    engine: Engine
    pepper: bytes
    profiles: dict[str, Profile]
    limiter: RateLimiter
    auth_failures: FailedAuth
    metrics: Metrics
    publisher: Publisher
    token_cache: TTLCache[str, TokenInfo] = field(
        default_factory=lambda: TTLCache(maxsize=10_000, ttl=5.0)
    )
    sqlite_facts: SqliteFacts | None = None
    pg_facts: PgReads | None = None
    reads: ReadEngines | None = None
    """Where token lookups go: the primary, then the replicas (``engine`` alone when None)."""
    trust_list: TrustListServer | None = None
    """The ``[qr] trust_list`` file signed for kiosks; None when none is configured."""

    def profile_for(self, site: str) -> Profile:
        """The site's profile, else the configured default."""
        name = self.config.policy.sites.get(site, self.config.policy.default)
        return self.profiles[name]

    def lookup_token(self, token: str) -> TokenInfo | None:
        """A live token, reused for ``limits.token_cache_s`` (revocation takes that long)."""
        key = token_hash(token)
        info = self.token_cache.get(key)
        if info is None:
            info = (
                find_token(self.engine, token)
                if self.reads is None
                else self.reads.read(self.engine, find_token, token)
            )
            if info is not None and self.config.limits.token_cache_s > 0:
                self.token_cache[key] = info
        return info


async def get_services(request: Request) -> Services:
    """The app's services."""
    return request.app.state.services


ServicesDep = Annotated[Services, Depends(get_services)]
UNAUTHORIZED = {"WWW-Authenticate": "Bearer"}
MAX_TOKEN_CHARS = 512
"""Longer is no token of ours: refused (and counted as a failure) without a lookup."""


def presented_token(request: Request) -> str:
    """The bearer token from the ``Authorization`` header (the API takes no cookie)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def client_address(request: Request) -> str:
    """Whose failed authentications a request counts towards (see ``FailedAuth``)."""
    return address_key(request.client.host if request.client else None)


def too_many_failures(wait: float) -> HTTPException:
    """The 429 for a client address over its failed-authentication budget."""
    retry = {"Retry-After": str(math.ceil(wait))}
    return HTTPException(429, "too many failed authentications from this address", headers=retry)


def admit(services: Services, info: TokenInfo, roles: tuple[str, ...]) -> TokenInfo:
    """``info`` if its role is one of ``roles`` and it is within its rate: else 403 or 429."""
    if info.role not in roles:
        raise HTTPException(403, f"role {info.role} may not use this; needs {'/'.join(roles)}")
    wait = services.limiter.take(info.id)
    if wait > 0:
        retry = {"Retry-After": str(math.ceil(wait))}
        raise HTTPException(429, "rate limit for this token exceeded", headers=retry)
    return info


def require(*roles: str) -> Callable[..., Awaitable[TokenInfo]]:
    """A dependency admitting bearer tokens of ``roles``: 401 without a valid token, 403 for
    another role, 429 over the token's rate or when the client address has failed too often
    (then the store is not asked at all)."""

    async def check(request: Request) -> TokenInfo:
        services: Services = request.app.state.services
        token = presented_token(request)
        if not token:
            raise HTTPException(401, "missing bearer token", headers=UNAUTHORIZED)
        key = token_hash(token)
        info = services.token_cache.get(key)
        if info is None:
            address = client_address(request)
            wait = services.auth_failures.retry_after(address, key)
            if wait > 0:
                raise too_many_failures(wait)
            if len(token) <= MAX_TOKEN_CHARS:
                info = await run_in_threadpool(services.lookup_token, token)
            services.auth_failures.record(address, key, ok=info is not None)
        if info is None:
            raise HTTPException(401, "unknown or revoked token", headers=UNAUTHORIZED)
        return admit(services, info, roles)

    return check


def check_site(token: TokenInfo, site: str) -> None:
    """A token bound to a site speaks for that site only."""
    if token.site is not None and token.site != site:
        raise HTTPException(403, f"this token is for site {token.site}, not {site}")


Claim = tuple[str, str, str]
"""Where a body names a kiosk (a field path prefix such as ``events[3].``), its id and site."""
REISSUE = "issue one: yzt verifier token add --role kiosk --kiosk-id ID --site SITE"


def check_kiosk(services: Services, token: TokenInfo, claims: Sequence[Claim]) -> None:
    """A kiosk token speaks for its own kiosk and site only: 403 naming the first field that
    names another, and what the token is for, before anything is stored. A token issued before
    tokens named their kiosk binds to the one kiosk a request names, on its first use."""
    if not claims:
        return
    bound = token
    if token.kiosk_id is None:
        first, kiosk_id, site = claims[0]
        for where, other_kiosk, other_site in claims[1:]:
            if (other_kiosk, other_site) != (kiosk_id, site):
                field = "kiosk_id" if other_kiosk != kiosk_id else "site"
                raise HTTPException(403, f"{where}{field}: a token speaks for one kiosk only")
        found = bind_token(services.engine, token.id, kiosk_id=kiosk_id, site=site)
        if found is None:
            raise HTTPException(401, "unknown or revoked token", headers=UNAUTHORIZED)
        if found.kiosk_id is None:
            if found.site not in (None, site):
                raise HTTPException(403, f"{first}site: this token belongs to site {found.site}")
            raise HTTPException(
                403,
                f"{first}kiosk_id: that kiosk has a token of its own, and this one (issued "
                f"before tokens named their kiosk) cannot take it over; {REISSUE}",
            )
        bound = found
    for where, kiosk_id, site in claims:
        if kiosk_id != bound.kiosk_id:
            field, other = "kiosk_id", "kiosk"
        elif site != bound.site:
            field, other = "site", "site"
        else:
            continue
        raise HTTPException(
            403,
            f"{where}{field}: this token belongs to kiosk {bound.kiosk_id} at site "
            f"{bound.site} and speaks for no other {other}",
        )


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
