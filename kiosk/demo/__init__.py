"""``yzt demo``: a verifier, the SAM simulator with demo cards and the kiosk, on one machine."""
