"""One shared EU test certificate (DE/1, a vaccination) for the trust-list tests, read from
../shared in place: its HC1 text, its QR picture, its validation clock, and a trust list in the
ops file format holding its signer certificate."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from functools import cache
from pathlib import Path

import pytest
from conftest import SHARED

CASE = SHARED / "testdata" / "dcc" / "DE" / "2DCode" / "raw" / "1.json"


@cache
def _case() -> dict[str, object]:
    if not CASE.is_file():
        pytest.skip(f"{CASE} is not here: the EU DCC test data lives in ../shared")
    document: dict[str, object] = json.loads(CASE.read_text(encoding="utf-8"))
    return document


def hc1_text() -> str:
    return str(_case()["PREFIX"])


def validation_clock() -> dt.datetime:
    context = _case()["TESTCTX"]
    assert isinstance(context, dict)
    return dt.datetime.fromisoformat(str(context["VALIDATIONCLOCK"]))


def trust_json() -> bytes:
    """``{"certificates": [{"kid", "rawData"}]}`` with the case's signer certificate."""
    context = _case()["TESTCTX"]
    assert isinstance(context, dict)
    raw = str(context["CERTIFICATE"])
    kid = base64.b64encode(hashlib.sha256(base64.b64decode(raw)).digest()[:8]).decode()
    return json.dumps({"certificates": [{"kid": kid, "rawData": raw}]}).encode()


def write_picture(path: Path) -> Path:
    """The case's QR code as the PNG the test data carries."""
    path.write_bytes(base64.b64decode(str(_case()["2DCODE"])))
    return path
