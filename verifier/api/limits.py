"""Request limits: token buckets per key (per token, and failed authentications per client
address) and a body-size limit enforced while the body is read, not after. The buckets live in
this process: each replica counts on its own."""

from __future__ import annotations

import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from cachetools import TTLCache
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from verifier.api.problems import problem

Clock = Callable[[], float]
KNOWN_GOOD_S = 3600.0
"""A secret that authenticated within this long still reaches the store from a blocked address."""


class _Bucket:
    __slots__ = ("at", "tokens")

    def __init__(self, tokens: float, at: float) -> None:
        self.tokens = tokens
        self.at = at


class RateLimiter:
    """Token bucket per key: ``rate`` per second sustained, ``burst`` at once.

    At most ``max_keys`` buckets are kept: past that the least recently used one is forgotten
    (as if full again), so many keys cost bounded memory rather than an unbounded dict."""

    def __init__(
        self, rate: float, burst: int, *, max_keys: int = 100_000, clock: Clock = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self.clock = clock
        self._buckets: OrderedDict[Hashable, _Bucket] = OrderedDict()

    def _refilled(self, key: Hashable) -> _Bucket:
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            while len(self._buckets) >= self.max_keys:
                self._buckets.popitem(last=False)
            bucket = self._buckets[key] = _Bucket(float(self.burst), now)
        else:
            self._buckets.move_to_end(key)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        return bucket

    def wait(self, key: Hashable) -> float:
        """Seconds until ``key`` may spend one (0.0: now), spending nothing (and keeping no
        bucket for a key that has none)."""
        if key not in self._buckets:
            return 0.0
        bucket = self._refilled(key)
        return 0.0 if bucket.tokens >= 1.0 else (1.0 - bucket.tokens) / self.rate

    def take(self, key: Hashable) -> float:
        """0.0 when allowed (one is spent), else the seconds to wait before the next would be."""
        bucket = self._refilled(key)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def __len__(self) -> int:
        return len(self._buckets)


class FailedAuth:
    """Failed authentications per client address, consulted *before* the store is asked.

    An address spends one from its bucket (``burst``, refilled at ``per_min``) per unknown token
    or session; once it is empty, its guesses are refused without a lookup. A secret that proved
    good within ``KNOWN_GOOD_S`` (kept by hash) still goes to the store, so a good client sharing
    an address (NAT) with a guesser is not locked out. Both structures are bounded by
    ``max_addresses``."""

    def __init__(
        self, per_min: float, burst: int, *, max_addresses: int, clock: Clock = time.monotonic
    ) -> None:
        self.buckets = RateLimiter(per_min / 60.0, burst, max_keys=max_addresses, clock=clock)
        self._good: TTLCache[str, bool] = TTLCache(max_addresses, KNOWN_GOOD_S, timer=clock)

    def retry_after(self, address: str, secret_hash: str) -> float:
        """0.0 when this attempt may be looked up, else seconds until the address may try."""
        if secret_hash in self._good:
            return 0.0
        return self.buckets.wait(address)

    def record(self, address: str, secret_hash: str, *, ok: bool) -> None:
        """The lookup's outcome: a failure spends from the address, a success is remembered."""
        if ok:
            self._good[secret_hash] = True
        else:
            self._good.pop(secret_hash, None)
            self.buckets.take(address)


def address_key(host: str | None) -> str:
    """Whose failures these are: the client's IP, an IPv6 client's /64 (one host's share)."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes its limit; an HTTPException so that the
    framework's body parsing passes it on as the 413 it is."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the limit of {limit} bytes")


class BodyLimit:
    """ASGI middleware: 413 for a declared or actual body over the limit (feeds have their own)."""

    def __init__(self, app: ASGIApp, *, limit: int, feed_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.feed_limit = feed_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.feed_limit if scope["path"].startswith("/v1/feeds/") else self.limit
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _too_large(scope, receive, send, limit)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await _too_large(scope, receive, send, limit)


async def _too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    detail = f"request body over the limit of {limit} bytes"
    await problem(413, detail, {"Connection": "close"})(scope, receive, send)
