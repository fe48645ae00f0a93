"""Shipped site profiles (``*.toml``); a deployment adds or overrides them in ``[policy] dir``."""
