"""COSE_Sign1 parsing and ES256 / PS256 signature checks on messages signed here with real keys."""

from __future__ import annotations

import cbor2
import pytest
from qrkit import MadeSigner, make_signer, sign_cose

from readers.qr.cose import ES256, PS256, PublicKey, parse_cose, signature_valid
from readers.qr.errors import CoseError
from readers.qr.trustlist import signer_from_der

PAYLOAD = cbor2.dumps({1: "AT"})


@pytest.fixture(scope="module")
def ec_signer() -> MadeSigner:
    return make_signer()


@pytest.fixture(scope="module")
def rsa_signer() -> MadeSigner:
    return make_signer(rsa_key=True)


def _public(signer: MadeSigner) -> PublicKey:
    return signer_from_der(signer.der).public_key


@pytest.mark.parametrize("tag", [18, None])
def test_es256_signed_message_verifies_tagged_or_not(
    ec_signer: MadeSigner, tag: int | None
) -> None:
    message = parse_cose(sign_cose(ec_signer, PAYLOAD, tag=tag))
    assert (message.algorithm, message.kid, message.payload) == (ES256, ec_signer.kid, PAYLOAD)
    assert signature_valid(message, _public(ec_signer))


def test_ps256_signed_message_verifies(rsa_signer: MadeSigner) -> None:
    message = parse_cose(sign_cose(rsa_signer, PAYLOAD))
    assert message.algorithm == PS256
    assert signature_valid(message, _public(rsa_signer))


def test_cwt_tag_around_cose_sign1_is_accepted(ec_signer: MadeSigner) -> None:
    inner = cbor2.loads(sign_cose(ec_signer, PAYLOAD))
    message = parse_cose(cbor2.dumps(cbor2.CBORTag(61, inner)))
    assert signature_valid(message, _public(ec_signer))


def test_a_changed_payload_or_signature_does_not_verify(ec_signer: MadeSigner) -> None:
    good = cbor2.loads(sign_cose(ec_signer, PAYLOAD)).value
    forged = parse_cose(cbor2.dumps([good[0], good[1], cbor2.dumps({1: "XX"}), good[3]]))
    assert not signature_valid(forged, _public(ec_signer))
    short = parse_cose(cbor2.dumps([good[0], good[1], good[2], good[3][:63]]))
    assert not signature_valid(short, _public(ec_signer))


def test_another_key_or_a_key_of_the_other_type_never_verifies(
    ec_signer: MadeSigner, rsa_signer: MadeSigner
) -> None:
    message = parse_cose(sign_cose(ec_signer, PAYLOAD))
    assert not signature_valid(message, _public(make_signer()))
    assert not signature_valid(message, _public(rsa_signer))


def test_the_signed_kid_wins_over_the_unsigned_one(ec_signer: MadeSigner) -> None:
    cose = sign_cose(ec_signer, PAYLOAD, unprotected={4: b"other id"})
    assert parse_cose(cose).kid == ec_signer.kid


def test_kid_and_algorithm_may_stand_in_the_unprotected_header(ec_signer: MadeSigner) -> None:
    cose = sign_cose(ec_signer, PAYLOAD, protected={}, unprotected={1: ES256, 4: ec_signer.kid})
    message = parse_cose(cose)
    assert (message.kid, message.protected) == (ec_signer.kid, b"")
    assert signature_valid(message, _public(ec_signer))


def test_a_message_without_kid_has_none(ec_signer: MadeSigner) -> None:
    assert parse_cose(sign_cose(ec_signer, PAYLOAD, protected={1: ES256})).kid is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (cbor2.dumps(cbor2.CBORTag(98, [b"", {}, b"", b""])), "tag 98: expected 18"),
        (cbor2.dumps([b"", {}, b""]), "expected an array of 4 items, got a list of 3"),
        (cbor2.dumps(7), "expected an array of 4 items, got an int"),
        (cbor2.dumps([b"", [], b"", b""]), "unprotected header is a list of 0: expected a map"),
        (cbor2.dumps(["a1", {}, b"", b""]), "protected header is a str of 2: expected a byte"),
        (cbor2.dumps([cbor2.dumps([1]), {}, b"", b""]), "protected header holds a list"),
        (cbor2.dumps([cbor2.dumps({1: -7}), {}, "p", b""]), "payload is a str of 1"),
        (cbor2.dumps([cbor2.dumps({1: -7}), {}, b"", 5]), "signature is an int"),
        (
            cbor2.dumps([cbor2.dumps({1: -35}), {}, b"", b""]),
            "algorithm -35: expected -7 \\(ES256\\)",
        ),
        (cbor2.dumps([b"", {}, b"", b""]), "no algorithm \\(header 1\\)"),
        (cbor2.dumps([cbor2.dumps({1: [-7]}), {}, b"", b""]), "algorithm \\[-7\\]"),
        (cbor2.dumps([cbor2.dumps({1: -7, 4: "kid"}), {}, b"", b""]), "key id \\(header 4\\)"),
        (cbor2.dumps([b"", {}, b"", b""]) + b"\x00", "1 more byte\\(s\\) after its CBOR item"),
        (bytes.fromhex("8443a101"), "is not valid CBOR"),
        (bytes.fromhex("84a20101010240a04040"), "not valid CBOR.*Duplicate map key"),
    ],
    ids=lambda value: value.hex()[:24] if isinstance(value, bytes) else None,
)
def test_malformed_messages_say_what_was_expected(data: bytes, message: str) -> None:
    with pytest.raises(CoseError, match=message) as caught:
        parse_cose(data)
    assert str(caught.value).startswith("cose: ")
