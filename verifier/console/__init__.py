"""Staff console: sign-in, sessions and server-rendered pages over the same store as the API
(the fleet's page lives with the fleet, verifier/fleet/page.py)."""
