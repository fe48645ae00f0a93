"""The console's Jinja2 environment: one place for the template folder and shared filters."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from verifier.fleet.alerts import human_age

HERE = Path(__file__).parent
STATIC = HERE / "static"
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters["age"] = human_age
