"""yzt readers."""
