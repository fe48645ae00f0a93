"""``python -m kiosk.doctor`` — the same command as ``yzt doctor``."""

import typer

from kiosk.doctor.command import doctor

typer.run(doctor)
