"""yzt verifier."""
