"""The certificate JSON: the schema's structure enforced, only a masked name kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from qrkit import lab_test, recovery_cert, vaccination_cert

from readers.qr.certificate import LabTest, Recovery, Vaccination, parse_certificate, to_json
from readers.qr.errors import CertificateError


def test_a_vaccination_keeps_doses_and_date_and_the_masked_name() -> None:
    certificate = parse_certificate(vaccination_cert(dose=1, doses=2, given_on="2021-03-04"))
    assert certificate.kind == "vaccination"
    assert certificate.entry == Vaccination(dose=1, doses=2, given_on=date(2021, 3, 4))
    assert certificate.masked_name == "M********* G*******"
    assert "Musterfrau" not in repr(certificate) and "1949" not in repr(certificate)


def test_a_test_keeps_type_time_and_result() -> None:
    certificate = parse_certificate(
        lab_test("2021-05-01T10:00:00+02:00", rapid=True, positive=True)
    )
    sampled = datetime(2021, 5, 1, 8, 0, tzinfo=UTC)
    assert certificate.entry == LabTest(rapid=True, sampled_at=sampled, positive=True)


def test_a_cbor_tagged_sample_time_is_a_time_too() -> None:
    hcert = lab_test("unused")
    hcert["t"][0]["sc"] = datetime(2021, 5, 1, 8, 0, tzinfo=UTC)  # type: ignore[index]
    assert parse_certificate(hcert).entry.sampled_at == datetime(2021, 5, 1, 8, 0, tzinfo=UTC)  # type: ignore[union-attr]
    assert to_json(hcert)["t"][0]["sc"] == "2021-05-01T08:00:00Z"  # type: ignore[index]


def test_a_recovery_keeps_its_dates() -> None:
    certificate = parse_certificate(recovery_cert("2021-01-10", "2021-01-20", "2021-07-09"))
    assert certificate.entry == Recovery(date(2021, 1, 10), date(2021, 1, 20), date(2021, 7, 9))


def test_early_issuers_dates_with_a_midnight_time_and_null_groups_are_read() -> None:
    hcert = recovery_cert("2021-05-01T00:00:00", "2021-05-11T00:00:00", "2021-10-28T00:00:00")
    hcert |= {"v": None, "t": None, "dob": "1978-01-26T00:00:00"}
    assert parse_certificate(hcert).entry.valid_until == date(2021, 10, 28)  # type: ignore[union-attr]


def test_only_transliterated_or_only_given_names_are_enough() -> None:
    hcert = vaccination_cert()
    hcert["nam"] = {"gnt": "GABRIELE"}
    assert parse_certificate(hcert).masked_name == "G*******"


def _broken(change: str) -> dict[str, object]:
    hcert = vaccination_cert()
    entry = hcert["v"][0]  # type: ignore[index]
    edits = {
        "no group": lambda: hcert.pop("v"),
        "two groups": lambda: hcert.update(lab_test("2021-05-01T10:00:00Z")),
        "two entries": lambda: hcert.update(v=[entry, entry]),
        "entry not object": lambda: hcert.update(v=["x"]),
        "missing field": lambda: entry.pop("ci"),
        "zero dose": lambda: entry.update(dn=0),
        "bool dose": lambda: entry.update(sd=True),
        "bad date": lambda: entry.update(dt="2021-02-30"),
        "number date": lambda: entry.update(dt=20210218),
        "bad version": lambda: hcert.update(ver="one"),
        "bad birth date": lambda: hcert.update(dob="31.12.1949"),
        "no name": lambda: hcert.update(nam={"fnt": ""}),
        "name not object": lambda: hcert.update(nam="Gabriele"),
    }
    edits[change]()
    return hcert


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("no group", "expected exactly one of the groups v, t, r; found none"),
        ("two groups", "found v, t"),
        ("two entries", "group v must be a list of exactly one entry object"),
        ("entry not object", "group v must be a list of exactly one entry object"),
        ("missing field", r"v\[0\] lacks ci"),
        ("zero dose", r"v\[0\].dn: expected a positive whole number"),
        ("bool dose", r"v\[0\].sd: expected a positive whole number"),
        ("bad date", r"v\[0\].dt: expected a date YYYY-MM-DD"),
        ("number date", r"v\[0\].dt: expected a date YYYY-MM-DD"),
        ("bad version", "ver: expected a version such as 1.3.0"),
        ("bad birth date", "dob: expected a date YYYY, YYYY-MM or YYYY-MM-DD"),
        ("no name", "nam: expected a family name"),
        ("name not object", "nam: expected an object"),
    ],
)
def test_structure_errors_name_the_field_and_never_its_value(change: str, message: str) -> None:
    with pytest.raises(CertificateError, match=message) as caught:
        parse_certificate(_broken(change))
    assert "Gabriele" not in str(caught.value) and "1949" not in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("tt", "LOINC-1", r"t\[0\].tt: expected LP6464-4 \(NAAT\) or LP217198-3 \(RAT\)"),
        ("tr", "maybe", r"t\[0\].tr: expected 260415000 \(not detected\) or 260373001"),
        ("sc", "2021-05-01T10:00:00", r"t\[0\].sc: expected a date-time with offset"),
        ("sc", "yesterday", r"t\[0\].sc: expected a date-time with offset"),
    ],
)
def test_test_values_the_rules_need_are_checked(field: str, value: str, message: str) -> None:
    hcert = lab_test("2021-05-01T10:00:00Z")
    hcert["t"][0][field] = value  # type: ignore[index]
    with pytest.raises(CertificateError, match=message):
        parse_certificate(hcert)


def test_a_certificate_that_is_not_an_object() -> None:
    with pytest.raises(CertificateError, match="expected a JSON object"):
        parse_certificate(["v"])
