"""The trust list: signer certificates whose keys may sign health certificates, found by key id.

File format (ops keep it up to date, see docs/qr.md)::

    {"certificates": [{"kid": "<base64 8 bytes>", "rawData": "<base64 DER X.509>"}, ...]}

A certificate's key id is the first 8 bytes of the SHA-256 of its DER; a ``kid`` written in the
file must agree with it, so a file edited by hand cannot pin a key under someone else's id.
Two certificates may share a key id: each is tried.

A signer certificate may restrict what it signs with extended key usage OIDs
1.3.6.1.4.1.0.1847.2021.1.1 (test), .2 (vaccination) and .3 (recovery), as the hcert
specification and every test certificate spell them; the same arcs without the ``.0`` are
read alike. A certificate naming none of them may sign every kind. Some issuers' certificates
break DER elsewhere in their extensions (a BasicConstraints default written out), which
``cryptography`` refuses; their extended key usage is then read with pyasn1's lenient decoder.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pyasn1.codec.ber import decoder as ber_decoder
from pyasn1.error import PyAsn1Error
from pyasn1_modules import rfc5280

from readers.qr.certificate import Kind
from readers.qr.cose import PublicKey
from readers.qr.errors import TrustListError

KID_BYTES = 8
_USAGE_ARCS: dict[str, Kind] = {"1": "test", "2": "vaccination", "3": "recovery"}
USAGE_OIDS: Mapping[str, Kind] = MappingProxyType(
    {
        f"1.3.6.1.4.1.{zero}1847.2021.1.{arc}": kind
        for zero in ("0.", "")
        for arc, kind in _USAGE_ARCS.items()
    }
)


@dataclass(frozen=True)
class Signer:
    """One trusted signer: its key id, public key and the kinds it may sign (None: any)."""

    kid: bytes
    public_key: PublicKey = field(repr=False)
    usages: frozenset[Kind] | None

    def may_sign(self, kind: Kind) -> bool:
        """Whether the certificate's extended key usage covers certificates of ``kind``."""
        return self.usages is None or kind in self.usages


@dataclass(frozen=True)
class TrustList:
    """Signers by key id; an empty list knows no key."""

    signers: Mapping[bytes, tuple[Signer, ...]] = field(default_factory=dict)

    def find(self, kid: bytes | None) -> tuple[Signer, ...]:
        """The signers with key id ``kid`` (none for an unknown or missing kid)."""
        return self.signers.get(kid, ()) if kid is not None else ()

    def __len__(self) -> int:
        return sum(len(signers) for signers in self.signers.values())

    @classmethod
    def of(cls, certificates: Iterable[bytes]) -> TrustList:
        """A trust list of DER certificates, each under its computed key id."""
        return cls.of_signers(
            signer_from_der(der, where=f"certificate {index}")
            for index, der in enumerate(certificates)
        )

    @classmethod
    def of_signers(cls, signers: Iterable[Signer]) -> TrustList:
        """A trust list of ``signers``, grouped by key id."""
        by_kid: dict[bytes, tuple[Signer, ...]] = {}
        for signer in signers:
            by_kid[signer.kid] = (*by_kid.get(signer.kid, ()), signer)
        return cls(MappingProxyType(by_kid))


def key_id(der: bytes) -> bytes:
    """The DCC key id of a DER certificate: the first 8 bytes of its SHA-256."""
    return hashlib.sha256(der).digest()[:KID_BYTES]


def signer_from_der(der: bytes, *, where: str = "the certificate") -> Signer:
    """The signer a DER X.509 certificate describes."""
    try:
        certificate = x509.load_der_x509_certificate(der)
        public_key = certificate.public_key()
        usages = _usages(certificate, der)
    except ValueError as error:
        raise TrustListError(f"{where} is not a readable DER X.509 certificate: {error}") from None
    if not isinstance(public_key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey):
        kind = type(public_key).__name__
        raise TrustListError(f"{where} holds a {kind}: expected an EC P-256 or RSA key")
    return Signer(kid=key_id(der), public_key=public_key, usages=usages)


def load_trust_list(path: Path) -> TrustList:
    """The trust list in the JSON file at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TrustListError(f"cannot read trust list {path}: {error}") from None
    return parse_trust_list(text, source=str(path))


def parse_trust_list(text: str, *, source: str = "trust list") -> TrustList:
    """The trust list in a JSON document."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise TrustListError(f"{source} is not JSON: {error}") from None
    entries = document.get("certificates") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise TrustListError(f'{source}: expected {{"certificates": [{{"kid", "rawData"}}, ...]}}')
    where = [f"{source}: certificates[{index}]" for index in range(len(entries))]
    ders = [_entry_der(entry, place) for entry, place in zip(entries, where, strict=True)]
    return TrustList.of_signers(
        signer_from_der(der, where=f"{place}.rawData")
        for der, place in zip(ders, where, strict=True)
    )


def _entry_der(entry: object, where: str) -> bytes:
    if not isinstance(entry, dict) or not isinstance(entry.get("rawData"), str):
        raise TrustListError(f"{where}: expected an object with rawData (base64 DER)")
    der = _base64(entry["rawData"], f"{where}.rawData")
    kid = entry.get("kid")
    if kid is not None:
        written = _base64(kid, f"{where}.kid") if isinstance(kid, str) else None
        if written != key_id(der):
            computed = base64.b64encode(key_id(der)).decode()
            raise TrustListError(
                f"{where}.kid does not match its certificate: expected {computed!r}, the first "
                f"{KID_BYTES} bytes of the SHA-256 of rawData in base64"
            )
    return der


def _base64(text: str, where: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise TrustListError(f"{where}: expected base64 text") from None


def _usages(certificate: x509.Certificate, der: bytes) -> frozenset[Kind] | None:
    """The DCC kinds the certificate's extended key usage allows (None: no DCC usage named)."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        oids = [oid.dotted_string for oid in extension.value]
    except x509.ExtensionNotFound:
        return None
    except ValueError:
        oids = lenient_usage_oids(der)
    usages = frozenset(USAGE_OIDS[oid] for oid in oids if oid in USAGE_OIDS)
    return usages or None


def lenient_usage_oids(der: bytes) -> list[str]:
    """The extended key usage OIDs of a certificate whose extensions are not strict DER."""
    try:
        certificate, _ = ber_decoder.decode(der, asn1Spec=rfc5280.Certificate())
        for extension in certificate["tbsCertificate"]["extensions"]:
            if extension["extnID"] == rfc5280.id_ce_extKeyUsage:
                usage, _ = ber_decoder.decode(
                    extension["extnValue"], asn1Spec=rfc5280.ExtKeyUsageSyntax()
                )
                return [str(oid) for oid in usage]
    except PyAsn1Error as error:
        raise ValueError(f"unreadable extensions: {error}") from None
    return []
