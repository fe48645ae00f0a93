"""COSE_Sign1 (RFC 9052 §4.2) as EU health certificates use it, and its signature check.

::

    [tag 61 (CWT)] [tag 18 (COSE_Sign1)] [
        protected:   bstr .cbor {1: alg, ?4: kid},   signed
        unprotected: {?1: alg, ?4: kid},             not signed
        payload:     bstr .cbor CWT claims,
        signature:   bstr,
    ]

Both tags are optional (issuers differ); cbor2 hands what a tag holds back immutable (tuples,
frozendicts), hence the abstract type checks. The key id and the algorithm come from the protected
header, and only when it lacks them from the unprotected one: an unsigned kid must never
override a signed one. The signed bytes are ``["Signature1", protected, h'', payload]``.
ES256 signatures are raw ``r || s`` (32 bytes each) and become DER for ``cryptography``;
PS256 is RSASSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (RFC 8230).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from readers.qr.cbor import decode_cbor
from readers.qr.errors import CoseError

ES256 = -7
PS256 = -37
ALGORITHMS = {ES256: "ES256", PS256: "PS256"}
ALG, KID = 1, 4
COSE_SIGN1_TAG = 18
CWT_TAG = 61
ES256_SIGNATURE_BYTES = 64

PublicKey = ec.EllipticCurvePublicKey | rsa.RSAPublicKey


@dataclass(frozen=True)
class CoseSign1:
    """A parsed COSE_Sign1 message: what was signed, by which key id, and the signature.

    The payload holds the certificate (a name, a birth date), so ``repr`` leaves it out.
    """

    protected: bytes
    algorithm: int
    kid: bytes | None
    payload: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    def signed_bytes(self) -> bytes:
        """The Sig_structure the signer signed (RFC 9052 §4.4)."""
        return cbor2.dumps(["Signature1", self.protected, b"", self.payload])


def parse_cose(data: bytes) -> CoseSign1:
    """The COSE_Sign1 message in ``data``."""
    item = _untag(decode_cbor(data, what="the COSE message", error=CoseError))
    if not isinstance(item, list | tuple) or len(item) != 4:
        raise CoseError(f"expected an array of 4 items, got {_describe(item)}")
    protected_bytes, unprotected, payload, signature = item
    named = (("protected header", protected_bytes), ("payload", payload), ("signature", signature))
    for name, value in named:
        if not isinstance(value, bytes):
            raise CoseError(f"the {name} is {_describe(value)}: expected a byte string")
    protected = _protected_map(protected_bytes)
    if not isinstance(unprotected, Mapping):
        raise CoseError(f"the unprotected header is {_describe(unprotected)}: expected a map")
    return CoseSign1(
        protected=protected_bytes,
        algorithm=_algorithm(protected, unprotected),
        kid=_kid(protected, unprotected),
        payload=payload,
        signature=signature,
    )


def signature_valid(message: CoseSign1, key: PublicKey) -> bool:
    """Whether ``key`` made ``message``'s signature; a key of the wrong type never did."""
    data = message.signed_bytes()
    try:
        if message.algorithm == ES256 and isinstance(key, ec.EllipticCurvePublicKey):
            return _es256_valid(key, message.signature, data)
        if message.algorithm == PS256 and isinstance(key, rsa.RSAPublicKey):
            pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
            key.verify(message.signature, data, pss, hashes.SHA256())
            return True
    except InvalidSignature:
        return False
    return False


def _es256_valid(key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    if not isinstance(key.curve, ec.SECP256R1) or len(signature) != ES256_SIGNATURE_BYTES:
        return False
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:], "big")
    key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    return True


def _untag(item: object) -> object:
    """The array inside an optional CWT tag and an optional COSE_Sign1 tag, in that order."""
    if isinstance(item, cbor2.CBORTag) and item.tag == CWT_TAG:
        item = item.value
    if isinstance(item, cbor2.CBORTag):
        if item.tag != COSE_SIGN1_TAG:
            raise CoseError(
                f"tag {item.tag}: expected {COSE_SIGN1_TAG} (COSE_Sign1), "
                f"optionally inside {CWT_TAG} (CWT)"
            )
        item = item.value
    return item


def _protected_map(data: bytes) -> Mapping[object, object]:
    if not data:
        return {}
    header = decode_cbor(data, what="the protected header", error=CoseError)
    if not isinstance(header, Mapping):
        raise CoseError(f"the protected header holds {_describe(header)}: expected a map")
    return header


def _algorithm(protected: Mapping[object, object], unprotected: Mapping[object, object]) -> int:
    algorithm = protected.get(ALG, unprotected.get(ALG))
    if not isinstance(algorithm, int) or algorithm not in ALGORITHMS:
        expected = " or ".join(f"{number} ({name})" for number, name in ALGORITHMS.items())
        found = "no algorithm (header 1)" if algorithm is None else f"algorithm {algorithm!r}"
        raise CoseError(f"{found}: expected {expected}")
    return algorithm


def _kid(protected: Mapping[object, object], unprotected: Mapping[object, object]) -> bytes | None:
    kid = protected[KID] if KID in protected else unprotected.get(KID)
    if kid is not None and not isinstance(kid, bytes):
        raise CoseError(f"the key id (header 4) is {_describe(kid)}: expected a byte string")
    return kid


def _describe(item: object) -> str:
    """A CBOR item's type and size, never its content (it may hold personal data)."""
    if isinstance(item, cbor2.CBORTag):
        return f"tag {item.tag}"
    name = type(item).__name__
    article = "an" if name[0] in "aeiou" else "a"
    if isinstance(item, bytes | str | list | tuple | Mapping):
        return f"{article} {name} of {len(item)}"
    return f"{article} {name}"
