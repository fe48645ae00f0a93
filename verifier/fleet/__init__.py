"""The fleet: every kiosk's heartbeat, the state and alerts staff see, and where they see them.

``heartbeat`` types the document a kiosk posts; ``state`` judges it, raising the alerts worded
in ``alerts``; ``routes`` (``/v1/heartbeat``, ``/v1/fleet``), ``page`` (``/fleet``), ``metrics``
(``yzt_fleet_*``) and ``cli`` (``yzt verifier fleet``) show it. The stored rows are read and
written by verifier/store/heartbeats.py, with the rest of the store.
"""
