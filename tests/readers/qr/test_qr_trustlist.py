"""The trust-list file ops keep: keys found by key id, usages read, bad files refused clearly."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest
from qrkit import DCC, key_id, load_case, make_signer, trust_list_json

from readers.qr import TrustListError, load_trust_list, parse_trust_list
from readers.qr.trustlist import TrustList, lenient_usage_oids, signer_from_der


def test_a_file_of_two_signers_finds_each_by_its_key_id(tmp_path: Path) -> None:
    first, second = make_signer(), make_signer(rsa_key=True)
    path = tmp_path / "trust.json"
    path.write_text(trust_list_json(first.der, second.der), encoding="utf-8")
    trust = load_trust_list(path)
    assert len(trust) == 2
    assert [signer.kid for signer in trust.find(first.kid)] == [first.kid]
    assert [signer.kid for signer in trust.find(second.kid)] == [second.kid]
    assert trust.find(b"unknown!") == () and trust.find(None) == ()


def test_kid_is_optional_in_the_file_and_computed_from_the_certificate() -> None:
    signer = make_signer()
    text = json.dumps({"certificates": [{"rawData": base64.b64encode(signer.der).decode()}]})
    assert parse_trust_list(text).find(key_id(signer.der))


def test_two_certificates_under_one_kid_are_both_kept() -> None:
    signer = make_signer()
    trust = TrustList.of_signers([signer_from_der(signer.der), signer_from_der(signer.der)])
    assert len(trust.find(signer.kid)) == 2


def test_usages_come_from_the_extended_key_usage() -> None:
    assert signer_from_der(make_signer().der).usages is None
    restricted = signer_from_der(make_signer(usages=("test", "recovery")).der)
    assert restricted.usages == {"test", "recovery"}
    assert restricted.may_sign("test") and not restricted.may_sign("vaccination")


def test_a_certificate_cryptography_refuses_has_its_usages_read_leniently() -> None:
    """FI's signer writes a BasicConstraints default out, which strict DER forbids."""
    path = DCC / "FI" / "2DCode" / "raw" / "1.json"
    if not path.is_file():
        pytest.skip(f"{path} is not here: the EU DCC test data lives in ../shared")
    der = base64.b64decode(load_case(path)["TESTCTX"]["CERTIFICATE"])  # type: ignore[index]
    assert lenient_usage_oids(der)[0] == "1.3.6.1.4.1.0.1847.2021.1.1"
    assert signer_from_der(der).usages == {"test", "vaccination", "recovery"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "trust list is not JSON"),
        ('{"keys": []}', r'expected \{"certificates"'),
        ('{"certificates": [5]}', r"certificates\[0\]: expected an object with rawData"),
        ('{"certificates": [{"rawData": "***"}]}', r"certificates\[0\].rawData: expected base64"),
        ('{"certificates": [{"rawData": "AAEC"}]}', r"certificates\[0\].rawData is not a readable"),
    ],
)
def test_bad_files_name_the_entry_and_what_was_expected(text: str, message: str) -> None:
    with pytest.raises(TrustListError, match=message):
        parse_trust_list(text)


def test_a_kid_that_does_not_match_its_certificate_is_refused() -> None:
    signer, other = make_signer(), make_signer()
    document = json.loads(trust_list_json(signer.der))
    document["certificates"][0]["kid"] = base64.b64encode(other.kid).decode()
    expected = re.escape(base64.b64encode(signer.kid).decode())  # base64 holds "+" and "/"
    with pytest.raises(TrustListError, match=rf"certificates\[0\].kid does not match.*{expected}"):
        parse_trust_list(json.dumps(document))


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(TrustListError, match="cannot read trust list"):
        load_trust_list(tmp_path / "absent.json")
