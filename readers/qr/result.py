"""The outcome of verifying one QR code, and its JSON form (the CLI's and the kiosk's contract).

``signature`` speaks of cryptography alone; ``expired`` of the signed validity window alone;
``verdict`` and ``reasons`` of everything. The JSON never holds a name, birth date or ID number;
``masked_name`` exists for the kiosk screen (張*明 style) and is left out of the JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from readers.qr.reasons import Reason

Format = Literal["hc1", "yzt", "unknown"]
Signature = Literal["valid", "invalid", "unknown_key"]
QrKind = Literal["vaccination", "test", "recovery", "identity"]
Verdict = Literal["PASS", "CHECK", "DENY"]


@dataclass(frozen=True)
class QrResult:
    """One verified code: what it is, whether its signature holds, the verdict and why."""

    format: Format
    signature: Signature
    expired: bool
    kind: QrKind | None
    verdict: Verdict | None
    reasons: tuple[Reason, ...]
    masked_name: str | None = None

    def to_json(self) -> dict[str, object]:
        """Exactly the keys of ``yzt qr verify``'s output, in its order."""
        return {
            "format": self.format,
            "signature": self.signature,
            "expired": self.expired,
            "kind": self.kind,
            "verdict": self.verdict,
            "reasons": [str(reason) for reason in self.reasons],
        }
