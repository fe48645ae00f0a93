"""The central verification service: store, feeds, policy, HTTP API and CLI (DESIGN.md §6).

Imports nothing of ``kiosk`` or ``readers``; kiosks reach it over HTTP only.
"""
