"""Helpers for the QR tests: the shared EU test cases, and real signed certificates made here.

The shared DCC test data is read from ../shared in place, never copied into the project.
Certificates made here are real: a fresh EC P-256 or RSA key, a self-signed X.509 certificate
(optionally with DCC extended key usages), a COSE_Sign1 signed with ``cryptography``, zlib and
Base45 (the same libraries the code under test reads them with), and QR images from zxing-cpp.
"""

from __future__ import annotations

import base64
import hashlib
import json
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cbor2
import numpy as np
import zxingcpp
from base45 import b45encode
from conftest import SHARED
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

DCC = SHARED / "testdata" / "dcc"
USAGE = {"test": "1.3.6.1.4.1.0.1847.2021.1.1", "vaccination": "1.3.6.1.4.1.0.1847.2021.1.2"}
USAGE["recovery"] = "1.3.6.1.4.1.0.1847.2021.1.3"
NAME = {"fn": "Musterfrau", "fnt": "MUSTERFRAU", "gn": "Gabriele", "gnt": "GABRIELE"}
BIRTH_DATE = "1949-12-31"


def key_id(der: bytes) -> bytes:
    """The DCC key id, computed here independently of the code under test."""
    return hashlib.sha256(der).digest()[:8]


def dcc_cases() -> list[Path]:
    """Every shared test JSON file, country folder by country folder."""
    return sorted(DCC.glob("*/2DCode/raw/*.json"))


def case_id(path: Path) -> str:
    """``AT/1`` for ``AT/2DCode/raw/1.json``."""
    return f"{path.parts[-4]}/{path.stem}"


def load_case(path: Path) -> dict[str, object]:
    return json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class MadeSigner:
    """A signer made for a test: its private key and its DER certificate."""

    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    der: bytes

    @property
    def kid(self) -> bytes:
        return key_id(self.der)


def make_signer(*, rsa_key: bool = False, usages: tuple[str, ...] = ()) -> MadeSigner:
    """A fresh key and a self-signed certificate, with DCC extended key usages if given."""
    key = (
        rsa.generate_private_key(65537, 2048)
        if rsa_key
        else ec.generate_private_key(ec.SECP256R1())
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "DSC test")])
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
    )
    if usages:
        oids = [x509.ObjectIdentifier(USAGE[usage]) for usage in usages]
        builder = builder.add_extension(x509.ExtendedKeyUsage(oids), critical=False)
    certificate = builder.sign(key, hashes.SHA256())
    return MadeSigner(key=key, der=certificate.public_bytes(Encoding.DER))


def vaccination_cert(
    dose: int = 2, doses: int = 2, given_on: str = "2021-01-01"
) -> dict[str, object]:
    entry = {"tg": "840539006", "vp": "1119349007", "mp": "EU/1/20/1528", "ma": "ORG-100030215"}
    entry |= {"dn": dose, "sd": doses, "dt": given_on, "co": "AT", "is": "BMSGPK", "ci": "URN:1"}
    return _certificate("v", entry)


def lab_test(sampled_at: str, *, rapid: bool = False, positive: bool = False) -> dict[str, object]:
    entry = {"tg": "840539006", "tt": "LP217198-3" if rapid else "LP6464-4", "sc": sampled_at}
    entry |= {"tr": "260373001" if positive else "260415000", "co": "AT", "is": "BMSGPK"}
    return _certificate("t", entry | {"ci": "URN:2"})


def recovery_cert(first: str, valid_from: str, valid_until: str) -> dict[str, object]:
    entry = {"tg": "840539006", "fr": first, "df": valid_from, "du": valid_until}
    return _certificate("r", entry | {"co": "AT", "is": "BMSGPK", "ci": "URN:3"})


def _certificate(group: str, entry: dict[str, object]) -> dict[str, object]:
    return {"ver": "1.3.0", "nam": dict(NAME), "dob": BIRTH_DATE, group: [entry]}


def claims(hcert: object, *, iat: datetime, exp: datetime) -> bytes:
    return cbor2.dumps(
        {1: "AT", 4: int(exp.timestamp()), 6: int(iat.timestamp()), -260: {1: hcert}}
    )


def sign_cose(
    signer: MadeSigner,
    payload: bytes,
    *,
    protected: dict[int, object] | None = None,
    unprotected: dict[int, object] | None = None,
    tag: int | None = 18,
) -> bytes:
    """A COSE_Sign1 over ``payload``: ES256 or PS256 by the key, kid in the protected header."""
    rsa_key = isinstance(signer.key, rsa.RSAPrivateKey)
    header = {1: -37 if rsa_key else -7, 4: signer.kid} if protected is None else protected
    protected_bytes = cbor2.dumps(header) if header else b""
    to_sign = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    if isinstance(signer.key, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = signer.key.sign(to_sign, pss, hashes.SHA256())
    else:
        r, s = decode_dss_signature(signer.key.sign(to_sign, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    message = [protected_bytes, unprotected or {}, payload, signature]
    return cbor2.dumps(cbor2.CBORTag(tag, message) if tag is not None else message)


def hc1_text(cose: bytes) -> str:
    """The QR text of COSE bytes: zlib, Base45, ``HC1:``."""
    return "HC1:" + b45encode(zlib.compress(cose, 9)).decode("ascii")


def signed_hc1(
    signer: MadeSigner, hcert: object, *, iat: datetime, exp: datetime, tamper: bool = False
) -> str:
    """A whole HC1 QR text for ``hcert``; ``tamper`` flips a signature byte."""
    cose = sign_cose(signer, claims(hcert, iat=iat, exp=exp))
    if tamper:
        cose = cose[:-1] + bytes([cose[-1] ^ 0x01])
    return hc1_text(cose)


def trust_list_json(*ders: bytes) -> str:
    entries = [
        {"kid": base64.b64encode(key_id(der)).decode(), "rawData": base64.b64encode(der).decode()}
        for der in ders
    ]
    return json.dumps({"certificates": entries})


def qr_image(text: str, *, scale: int = 4) -> np.ndarray:
    """A grey image of a QR code holding ``text`` (zxing-cpp's encoder), quiet zone included."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode)
    return np.array(zxingcpp.write_barcode_to_image(barcode, scale=scale))
