"""yzt kiosk."""
