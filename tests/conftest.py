"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.database import DirectoryBasedExampleDatabase

# The private pcscd and virtual cards (tests/readers/pcsc_fixtures.py) and headless Chromium
# (tests/browser_fixtures.py) for every package's tests;
# registered here, before any test module imports it, so its asserts are rewritten too.
pytest_plugins = ("pcsc_fixtures", "browser_fixtures")

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
ARTIFACTS = REPO / "tests" / "artifacts"

# Hypothesis: timing never decides a test (no deadline, no too_slow health check, which fail on a
# loaded machine); under CI the inputs are derandomized so a red run replays as it was, and no
# example database is kept. ``fuzz`` (make fuzz) runs many more (FUZZ_EXAMPLES per test), fresh
# inputs each time, and keeps failures in .hypothesis/ (git-ignored) to replay them first.
settings.register_profile(
    "ci",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=bool(os.environ.get("CI")),
    database=None,
    print_blob=True,
)
settings.register_profile(
    "fuzz",
    settings.get_profile("ci"),
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5000")),
    derandomize=False,
    database=DirectoryBasedExampleDatabase(REPO / ".hypothesis" / "examples"),
)
settings.load_profile("ci")


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
