"""Security headers on every answer: no framing, a strict Content-Security-Policy, no MIME
sniffing, no referrer.

The console's pages need nothing but their own stylesheets and forms (no script, no inline style,
charts are inline SVG styled by class), so the policy allows exactly that. The generated API
docs (``/docs``, ``/redoc``) load their viewer from its CDN with an inline start-up script; they
show no data and get a policy of their own that allows just that.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
DOCS_CDN = "https://cdn.jsdelivr.net"
DOCS_POLICY = (
    f"default-src 'none'; script-src {DOCS_CDN} 'unsafe-inline'; "
    f"style-src {DOCS_CDN} https://fonts.googleapis.com 'unsafe-inline'; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https:; connect-src 'self'; "
    "worker-src blob:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
COMMON = (
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)


def security_headers(path: str, docs_paths: Collection[str] = ()) -> list[tuple[str, str]]:
    """The headers for an answer to ``path`` (the docs pages get their own policy)."""
    policy = DOCS_POLICY if path in docs_paths else STRICT_POLICY
    return [*COMMON, ("Content-Security-Policy", policy)]


class SecurityHeaders:
    """ASGI middleware: adds the headers to every HTTP answer, error pages included."""

    def __init__(self, app: ASGIApp, *, docs_paths: Collection[str]) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        added = security_headers(scope["path"], self.docs_paths)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in added:
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, with_headers)
