"""Every expected result the shared EU DCC test files state, reproduced (README.upstream.md there).

One test per stated expectation and file, so each case has its own id (``test_verify[CO5]``);
an expectation a file does not state is not tested for it. ``true`` means the step succeeds
and its result equals the file's next field, ``false`` that it fails (with that step's own
error, never another exception) or differs. Each step reads the field the README names and,
where a file leaves that field out, the result of the step before it; a picture left out
(common/B1) is drawn from ``PREFIX`` with zxing-cpp's encoder. Some issuers' ``CBOR`` is the
whole CWT claims map rather than the certificate alone; it is compared with what it is.

Not reproduced: EXPECTEDVALIDOBJECT and EXPECTEDENCODE test making certificates, which yzt never
does; ``EXPTECTEDEXPIRED`` (BG, misspelt) is not a field the README defines.
EXPECTEDSCHEMAVALIDATION is checked against the structure ``readers.qr.certificate`` enforces
(the schema files are not in the shared data): required fields, one group with one entry, the
value sets the rules use; the schema's other value sets and length limits are not checked.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import cache
from pathlib import Path

import cbor2
import pytest
from qrkit import DCC, case_id, dcc_cases, load_case, qr_image

from readers.qr import (
    QrImageError,
    TrustList,
    VerifyContext,
    parse_time,
    read_codes,
    read_image_bytes,
)
from readers.qr.cbor import decode_cbor
from readers.qr.certificate import parse_certificate, to_json
from readers.qr.cose import parse_cose
from readers.qr.cwt import HCERT, parse_cwt
from readers.qr.dcc import check_signature, verify_hc1
from readers.qr.errors import CwtError, Hc1Error
from readers.qr.hc1 import base45_decode, decompress, unprefix
from readers.qr.reasons import Reason

Case = dict[str, object]


@cache
def _case(path: Path) -> Case:
    return load_case(path)


def stated(field: str) -> list[object]:
    """One parameter per shared file stating ``field``; a skip when the data is absent."""
    if not DCC.is_dir():
        reason = f"{DCC} is not here: the EU DCC test data lives in ../shared"
        return [pytest.param(None, marks=pytest.mark.skip(reason=reason), id="no-shared-data")]
    return [
        pytest.param(path, id=case_id(path))
        for path in dcc_cases()
        if field in _case(path)["EXPECTEDRESULTS"]  # type: ignore[operator]
    ]


def expected(path: Path, field: str) -> bool:
    return bool(_case(path)["EXPECTEDRESULTS"][field])  # type: ignore[index]


def outcome(step: Callable[[], bool]) -> bool:
    """True when the step succeeds and matches; False when it raises its own decoding error."""
    try:
        return step()
    except Hc1Error:
        return False


def base45_text(case: Case) -> str:
    return str(case["BASE45"]) if "BASE45" in case else unprefix(str(case["PREFIX"]))


def compressed(case: Case) -> bytes:
    if "COMPRESSED" in case:
        return bytes.fromhex(str(case["COMPRESSED"]))
    return base45_decode(base45_text(case))


def cose(case: Case) -> bytes:
    return bytes.fromhex(str(case["COSE"])) if "COSE" in case else decompress(compressed(case))


def context(case: Case) -> VerifyContext:
    test_context = case["TESTCTX"]
    assert isinstance(test_context, dict)
    trust = TrustList.of([base64.b64decode(test_context["CERTIFICATE"])])
    return VerifyContext(at=parse_time(test_context["VALIDATIONCLOCK"]), trust_list=trust)


def reference_cbor(case: Case) -> object:
    """The file's CBOR field decoded, or a sentinel no certificate equals if it does not decode."""
    try:
        return cbor2.loads(bytes.fromhex(str(case["CBOR"])))
    except cbor2.CBORDecodeError:
        return object()


@pytest.mark.parametrize("path", stated("EXPECTEDPICTUREDECODE"))
def test_picture_decode(path: Path) -> None:
    case = _case(path)
    if "2DCODE" in case:
        try:
            codes = read_image_bytes(base64.b64decode(str(case["2DCODE"])), name="2DCODE")
        except QrImageError:
            codes = ()
    else:
        codes = read_codes(qr_image(str(case["PREFIX"])))
    assert (codes == (case["PREFIX"],)) is expected(path, "EXPECTEDPICTUREDECODE")


@pytest.mark.parametrize("path", stated("EXPECTEDUNPREFIX"))
def test_unprefix(path: Path) -> None:
    case = _case(path)
    text = str(case["PREFIX"])
    matches = outcome(lambda: unprefix(text) == case.get("BASE45", unprefix(text)))
    assert matches is expected(path, "EXPECTEDUNPREFIX")


@pytest.mark.parametrize("path", stated("EXPECTEDB45DECODE"))
def test_base45_decode(path: Path) -> None:
    case = _case(path)

    def step() -> bool:
        data = base45_decode(base45_text(case))
        return "COMPRESSED" not in case or data == bytes.fromhex(str(case["COMPRESSED"]))

    assert outcome(step) is expected(path, "EXPECTEDB45DECODE")


@pytest.mark.parametrize("path", stated("EXPECTEDCOMPRESSION"))
def test_compression(path: Path) -> None:
    case = _case(path)

    def step() -> bool:
        data = decompress(compressed(case))
        return "COSE" not in case or data == bytes.fromhex(str(case["COSE"]))

    assert outcome(step) is expected(path, "EXPECTEDCOMPRESSION")


@pytest.mark.parametrize("path", stated("EXPECTEDVERIFY"))
def test_verify(path: Path) -> None:
    case = _case(path)
    trust = context(case).trust_list
    verified = outcome(lambda: check_signature(parse_cose(cose(case)), trust)[0] == "valid")
    assert verified is expected(path, "EXPECTEDVERIFY")
    assert (verify_hc1(str(case["PREFIX"]), context(case)).signature == "valid") is verified


@pytest.mark.parametrize("path", stated("EXPECTEDDECODE"))
def test_decode(path: Path) -> None:
    case = _case(path)

    def step() -> bool:
        payload = parse_cose(cose(case)).payload
        hcert = parse_cwt(payload).hcert
        if "CBOR" not in case:
            return True
        reference = reference_cbor(case)
        if isinstance(reference, dict) and HCERT in reference:  # some issuers give whole claims
            return decode_cbor(payload, what="payload", error=CwtError) == reference
        return hcert == reference

    assert outcome(step) is expected(path, "EXPECTEDDECODE")


@pytest.mark.parametrize("path", stated("EXPECTEDVALIDJSON"))
def test_valid_json(path: Path) -> None:
    case = _case(path)

    def step() -> bool:
        message = parse_cose(decompress(base45_decode(unprefix(str(case["PREFIX"])))))
        return to_json(parse_cwt(message.payload).hcert) == case["JSON"]

    assert outcome(step) is expected(path, "EXPECTEDVALIDJSON")


@pytest.mark.parametrize("path", stated("EXPECTEDEXPIRATIONCHECK"))
def test_expiration_check(path: Path) -> None:
    case = _case(path)
    at = context(case).at
    valid = outcome(lambda: not parse_cwt(parse_cose(cose(case)).payload).expired(at))
    assert valid is expected(path, "EXPECTEDEXPIRATIONCHECK")
    result = verify_hc1(str(case["PREFIX"]), context(case))
    assert result.expired is not valid
    if not valid:
        assert {Reason.CERT_EXPIRED, Reason.CERT_NOT_YET_VALID} & set(result.reasons)


@pytest.mark.parametrize("path", stated("EXPECTEDKEYUSAGE"))
def test_key_usage(path: Path) -> None:
    case = _case(path)

    def step() -> bool:
        message = parse_cose(cose(case))
        signature, signer = check_signature(message, context(case).trust_list)
        kind = parse_certificate(parse_cwt(message.payload).hcert).kind
        return signature == "valid" and signer is not None and signer.may_sign(kind)

    allowed = outcome(step)
    assert allowed is expected(path, "EXPECTEDKEYUSAGE")
    result = verify_hc1(str(case["PREFIX"]), context(case))
    assert result.signature == "valid"
    assert (Reason.CERT_KEY_USAGE not in result.reasons) is allowed


@pytest.mark.parametrize("path", stated("EXPECTEDSCHEMAVALIDATION"))
def test_schema_validation(path: Path) -> None:
    case = _case(path)

    def step() -> bool:
        if "JSON" in case:
            hcert = case["JSON"]
        elif "CBOR" in case:
            hcert = reference_cbor(case)
        else:
            hcert = parse_cwt(parse_cose(cose(case)).payload).hcert
        parse_certificate(hcert)
        return True

    assert outcome(step) is expected(path, "EXPECTEDSCHEMAVALIDATION")
