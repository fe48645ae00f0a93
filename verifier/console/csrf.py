"""CSRF tokens for the console's forms, checked without touching the store.

A form's token is an HMAC, under a key derived from the deployment's pepper (so every replica
computes the same one), of the secret the browser holds in an HttpOnly cookie: the session id for
the sign-out form, a random nonce in ``yzt_login`` for the sign-in form (before there is a
session). Another site can make the browser send the cookie but cannot read it, so it cannot
write the matching field; and a form that did not come from this site is refused before any
token or session is looked up.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

FIELD = "csrf"
"""The hidden form field that carries the token."""
LOGIN_COOKIE = "yzt_login"
"""The sign-in form's nonce (HttpOnly, SameSite=Strict, path /login)."""
NONCE_CHARS = 22
_DOMAIN = b"yzt console csrf v1"


def _key(pepper: bytes) -> bytes:
    return hmac.new(pepper, _DOMAIN, hashlib.sha256).digest()


def new_nonce() -> str:
    """A fresh sign-in nonce for the ``yzt_login`` cookie."""
    return secrets.token_urlsafe(16)


def usable_nonce(nonce: str) -> bool:
    """Whether a ``yzt_login`` cookie looks like one this server set."""
    return len(nonce) == NONCE_CHARS and nonce.isascii()


def form_token(pepper: bytes, purpose: str, secret: str) -> str:
    """The token a form for ``purpose`` (``login``, ``session``) carries for ``secret``."""
    message = f"{purpose}:{secret}".encode()
    return hmac.new(_key(pepper), message, hashlib.sha256).hexdigest()


def valid(pepper: bytes, purpose: str, secret: str | None, presented: str | None) -> bool:
    """Whether ``presented`` is the form token for ``secret`` (compared in constant time)."""
    if not secret or not presented:
        return False
    expected = form_token(pepper, purpose, secret).encode()
    return hmac.compare_digest(expected, presented.encode("utf-8", "replace"))
