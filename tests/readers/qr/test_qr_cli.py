"""``yzt qr verify`` as ops and staff run it: a real process, JSON on stdout, exit 0 or 2.

Exit 0 with exactly the documented keys whatever the outcome; exit 2 with one stderr line (and
no traceback) when the image holds no readable code or the text is not a known format. Nothing
of the holder (name, birth date) ever reaches the output.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cbor2
import cv2
import pytest
from base45 import b45encode
from qrkit import (
    BIRTH_DATE,
    DCC,
    NAME,
    claims,
    hc1_text,
    load_case,
    make_signer,
    qr_image,
    sign_cose,
    signed_hc1,
    trust_list_json,
    vaccination_cert,
)

YZT = str(Path(sys.executable).with_name("yzt"))
KEYS = ["format", "signature", "expired", "kind", "verdict", "reasons"]
SIGNER = make_signer()
EXP = datetime(2030, 1, 1, tzinfo=UTC)
IAT = datetime(2021, 3, 20, tzinfo=UTC)


def yzt(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [YZT, "qr", "verify", *args], capture_output=True, text=True, timeout=60, check=False
    )


def answer(*args: str) -> dict[str, object]:
    """The JSON of a run that must exit 0 with nothing on stderr."""
    done = yzt(*args)
    assert (done.returncode, done.stderr) == (0, "")
    output = json.loads(done.stdout)
    assert list(output) == KEYS
    for private in (*NAME.values(), BIRTH_DATE):
        assert private not in done.stdout
    return output


def refused(*args: str) -> str:
    """The one stderr line of a run that must exit 2."""
    done = yzt(*args)
    assert done.returncode == 2 and done.stdout == ""
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    return done.stderr.strip()


@pytest.fixture(scope="module")
def trust(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("trust") / "trust.json"
    path.write_text(trust_list_json(SIGNER.der), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def valid_text() -> str:
    return signed_hc1(SIGNER, vaccination_cert(given_on="2021-03-01"), iat=IAT, exp=EXP)


def test_a_valid_certificate_now_passes(trust: str, valid_text: str) -> None:
    assert answer("--text", valid_text, "--trust-list", trust) == {
        "format": "hc1",
        "signature": "valid",
        "expired": False,
        "kind": "vaccination",
        "verdict": "PASS",
        "reasons": ["CERT_VALID"],
    }


def test_a_photo_of_the_code_gives_the_same_answer(
    trust: str, valid_text: str, tmp_path: Path
) -> None:
    photo = tmp_path / "phone.jpg"
    cv2.imwrite(str(photo), qr_image(valid_text, scale=3), [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert answer(str(photo), "--trust-list", trust)["verdict"] == "PASS"


def test_a_shared_test_certificate_at_its_validation_clock(tmp_path: Path) -> None:
    path = DCC / "SE" / "2DCode" / "raw" / "1.json"
    if not path.is_file():
        pytest.skip(f"{path} is not here: the EU DCC test data lives in ../shared")
    case = load_case(path)
    context = case["TESTCTX"]
    assert isinstance(context, dict)
    image, trust_file = tmp_path / "se1.png", tmp_path / "trust.json"
    image.write_bytes(base64.b64decode(str(case["2DCODE"])))
    trust_file.write_text(
        trust_list_json(base64.b64decode(context["CERTIFICATE"])), encoding="utf-8"
    )
    clock = context["VALIDATIONCLOCK"]
    output = answer(str(image), "--trust-list", str(trust_file), "--at", clock)
    assert output == {
        "format": "hc1",
        "signature": "valid",
        "expired": False,
        "kind": "vaccination",
        "verdict": "PASS",
        "reasons": ["CERT_VALID"],
    }
    later = answer(str(image), "--trust-list", str(trust_file), "--at", "2031-01-01")
    assert (later["expired"], later["verdict"], later["reasons"]) == (
        True,
        "CHECK",
        ["CERT_EXPIRED"],
    )


def test_without_a_trust_list_the_key_is_unknown(valid_text: str) -> None:
    output = answer("--text", valid_text)
    assert (output["signature"], output["verdict"]) == ("unknown_key", "CHECK")
    assert output["reasons"] == ["CERT_UNKNOWN_KEY"]


def test_a_forged_certificate_is_denied(trust: str) -> None:
    forged = signed_hc1(SIGNER, vaccination_cert(), iat=IAT, exp=EXP, tamper=True)
    output = answer("--text", forged, "--trust-list", trust)
    assert (output["signature"], output["verdict"]) == ("invalid", "DENY")


def test_at_without_offset_is_utc(trust: str, valid_text: str) -> None:
    assert (
        answer("--text", valid_text, "--trust-list", trust, "--at", "2030-01-01T00:00:00")[
            "expired"
        ]
        is False
    )
    assert (
        answer("--text", valid_text, "--trust-list", trust, "--at", "2030-01-01T00:00:01")[
            "expired"
        ]
        is True
    )
    in_beijing = answer(
        "--text", valid_text, "--trust-list", trust, "--at", "2030-01-01T07:00:00+08:00"
    )
    assert in_beijing["expired"] is False
    before = answer("--text", valid_text, "--trust-list", trust, "--at", "2021-03-19T23:59:59Z")
    assert (before["expired"], before["reasons"]) == (True, ["CERT_NOT_YET_VALID"])


def _hc1(data: bytes, *, compress: bool = True) -> str:
    return "HC1:" + b45encode(zlib.compress(data) if compress else data).decode()


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            signed_hc1(SIGNER, vaccination_cert(), iat=IAT, exp=EXP)[:-7], id="truncated-base45"
        ),
        pytest.param("HC1:NCF+*Z9", id="bad-base45-char"),
        pytest.param(_hc1(b"\xd2\x84" * 40, compress=False), id="not-zlib"),
        pytest.param(_hc1(b"garbage \xff\xfe that is not CBOR"), id="garbage-cbor"),
        pytest.param(_hc1(cbor2.dumps(cbor2.CBORTag(98, [b"", {}, b"", b""]))), id="wrong-tag"),
        pytest.param(hc1_text(sign_cose(SIGNER, b"\x01")), id="claims-not-a-map"),
        pytest.param(
            hc1_text(sign_cose(SIGNER, claims({"ver": "x"}, iat=IAT, exp=EXP))),
            id="bad-certificate",
        ),
    ],
)
def test_broken_certificates_are_malformed_with_exit_0(trust: str, text: str) -> None:
    output = answer("--text", text, "--trust-list", trust)
    assert (output["format"], output["verdict"]) == ("hc1", "CHECK")
    assert "CERT_MALFORMED" in output["reasons"]  # type: ignore[operator]


def test_a_yzt_card_without_a_key_is_unknown_key() -> None:
    assert answer("--text", "YZT1:AAAA") == {
        "format": "yzt",
        "signature": "unknown_key",
        "expired": False,
        "kind": "identity",
        "verdict": "CHECK",
        "reasons": ["QR_UNKNOWN_KEY"],
    }


def test_an_unknown_format_exits_2_naming_the_known_ones(tmp_path: Path) -> None:
    assert refused("--text", "HC2:NCF") == (
        "error: the QR text (7 characters) is not a known format: "
        "expected it to start with HC1: (hc1) or YZT1: (yzt)"
    )
    photo = tmp_path / "link.png"
    cv2.imwrite(str(photo), qr_image("https://example.org/11010519491231002X"))
    message = refused(str(photo))
    assert "not a known format" in message and "11010519491231002X" not in message


def test_an_image_without_a_code_exits_2(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), qr_image("x")[:2, :2])
    assert refused(str(blank)) == (
        f"error: no readable QR code in {blank}: expected a photo with one QR code"
    )
    not_image = tmp_path / "notes.txt"
    not_image.write_text("hello", encoding="utf-8")
    assert "is not an image OpenCV can read" in refused(str(not_image))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--text", "HC1:X", "--at", "soon"], "--at: 'soon' is not a time: expected ISO 8601"),
        (["--text", "HC1:X", "--trust-list", "/nonexistent/t.json"], "cannot read trust list"),
        (["--text", "YZT1:X", "--public-key", "/nonexistent/k.pem"], "cannot read --public-key"),
        ([], "give either an IMAGE or --text PAYLOAD"),
        (["a.png", "--text", "HC1:X"], "give either an IMAGE or --text PAYLOAD"),
    ],
)
def test_unusable_options_exit_2_with_one_line(args: list[str], message: str) -> None:
    assert message in refused(*args)


def test_a_malformed_trust_list_exits_2(tmp_path: Path, valid_text: str) -> None:
    bad = tmp_path / "trust.json"
    bad.write_text('{"certificates": [{"rawData": "AAEC"}]}', encoding="utf-8")
    assert "certificates[0].rawData is not a readable DER X.509 certificate" in refused(
        "--text", valid_text, "--trust-list", str(bad)
    )


def test_default_time_is_now(trust: str) -> None:
    now = datetime.now(UTC)
    fresh = signed_hc1(
        SIGNER,
        vaccination_cert(given_on="2021-01-01"),
        iat=now - timedelta(hours=1),
        exp=now + timedelta(days=1),
    )
    stale = signed_hc1(
        SIGNER,
        vaccination_cert(given_on="2021-01-01"),
        iat=now - timedelta(days=9),
        exp=now - timedelta(days=1),
    )
    assert answer("--text", fresh, "--trust-list", trust)["expired"] is False
    assert answer("--text", stale, "--trust-list", trust)["expired"] is True
