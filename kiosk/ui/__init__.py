"""The kiosk's local web UI: the elder's screen, the staff status page and their JSON."""
