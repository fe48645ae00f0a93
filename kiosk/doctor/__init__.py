"""``yzt doctor``: is this edge box ready to serve elders? One line per check, each with a fix."""

from kiosk.doctor.command import doctor

__all__ = ["doctor"]
