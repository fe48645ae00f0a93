"""Prometheus metrics of one kiosk, in their own registry (no subjects, names or numbers)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class KioskMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.taps = Counter(
            "yzt_kiosk_taps",
            "Cards decided, by verdict and decision source.",
            ["verdict", "source"],
            registry=self.registry,
        )
        self.tap_seconds = Histogram(
            "yzt_kiosk_tap_seconds",
            "Card present to verdict shown.",
            buckets=(0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0),
            registry=self.registry,
        )
        self.qr_codes = Counter(
            "yzt_kiosk_qr_codes",
            "QR codes shown to the camera and handled, by format (yzt, hc1) and first reason "
            "(QR_VALID: an elder card that went through the tap pipeline).",
            ["format", "reason"],
            registry=self.registry,
        )
        self.qr_frames = Counter(
            "yzt_kiosk_qr_frames",
            "Camera frames decoded for QR codes (while idle, at most [qr] scan_fps a second).",
            registry=self.registry,
        )
        self.reader_up = Gauge(
            "yzt_kiosk_reader_up", "1 when the card reader works.", registry=self.registry
        )
        self.verifier_errors = Counter(
            "yzt_kiosk_verifier_errors",
            "Verifier calls that gave no usable answer.",
            registry=self.registry,
        )
        self.outbox_pending = Gauge(
            "yzt_kiosk_outbox_pending",
            "Events not yet acknowledged by the verifier.",
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
