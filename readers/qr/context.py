"""What a verification needs besides the QR text: the trusted time, keys and the site's rules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from readers.qr.rules import CertPolicy
from readers.qr.trustlist import TrustList


@dataclass(frozen=True)
class VerifyContext:
    """Inputs of every format's verifier.

    ``at`` is the trusted time (timezone-aware). ``trust_list`` holds health-certificate
    signers; ``public_key`` is the content of the yzt card key file, if one is pinned, left
    undecoded for the yzt verifier to read. ``revoked`` answers whether a yzt card serial
    (8 bytes) was revoked — the kiosk asks its risk list; without it no card counts as revoked.
    """

    at: datetime
    trust_list: TrustList = field(default_factory=TrustList)
    public_key: bytes | None = field(default=None, repr=False)
    policy: CertPolicy = field(default_factory=CertPolicy)
    revoked: Callable[[bytes], bool] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("VerifyContext.at must be timezone-aware")
