"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# The private pcscd and virtual cards (tests/readers/pcsc_fixtures.py) and headless Chromium
# (tests/browser_fixtures.py) for every package's tests;
# registered here, before any test module imports it, so its asserts are rewritten too.
pytest_plugins = ("pcsc_fixtures", "browser_fixtures")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
ARTIFACTS = REPO / "tests" / "artifacts"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the checkout (face photos, model files); skip tests without it."""
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not here: tests on shared photos and models need it")
    return SHARED


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """Where tests keep screenshots and other things a person may want to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def in_ci() -> bool:
    """CI sets ``CI``; there, tests that need a service must run, never skip."""
    return bool(os.environ.get("CI"))
