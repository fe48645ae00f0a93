"""Offline tolerance for the kiosk: result cache, signed risk list, freshness, clock drift.

The daemon owns one ``OfflineState`` (see docs/offline.md for the wiring and the rules).
"""

from kiosk.offline.config import OfflineConfig
from kiosk.offline.state import OfflineState

__all__ = ["OfflineConfig", "OfflineState"]
