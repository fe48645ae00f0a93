"""Staff console: server-rendered pages (fleet, stats) over the same store as the API."""
