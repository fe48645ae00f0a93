"""Reader profiles as data: the built-in models, adding one by config, and clear config errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from readers.pcsc.profiles import (
    DEFAULT_PROFILE,
    PROFILES_ENV,
    ProfileError,
    get_profile,
    load_profiles,
    profile_for_atr,
)

SAM_ATR = bytes.fromhex("3B0D") + b"YZT-SAM-REC" + b"\x90\x00"


def test_the_two_built_in_models_are_there_with_sam_record_the_default() -> None:
    profiles = load_profiles()
    assert {"sam-record", "serial-only"} <= set(profiles)
    assert DEFAULT_PROFILE == "sam-record"
    sam = profiles["sam-record"]
    assert [sam.page_apdu(page).hex(" ") for page in (0, 5)] == [
        "ff b0 00 00 00",
        "ff b0 05 00 00",
    ]
    assert (sam.pages, sam.length, sam.yields) == (6, 1284, "record")
    assert profiles["serial-only"].page_apdu(0) == bytes.fromhex("0036000008")


def test_the_atr_tells_which_model_a_card_was_read_with() -> None:
    assert profile_for_atr(SAM_ATR).name == "sam-record"
    assert profile_for_atr(SAM_ATR[:13] + b"\x6a\x82").name == "serial-only"
    assert profile_for_atr(b"\x3b\x00").name == "serial-only"


def _use_file(monkeypatch: pytest.MonkeyPatch, path: Path, text: str) -> None:
    path.write_text(text)
    monkeypatch.setenv(PROFILES_ENV, str(path))


def test_a_new_reader_model_is_one_config_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use_file(
        monkeypatch,
        tmp_path / "extra.toml",
        '[acme-sam]\natr_offset = 4\natr_bytes = "AC 3E"\napdu = "80 B0 00 00 00"\n'
        'page_byte = 3\npages = 11\npage_size = 128\nlength = 1284\nyields = "record"\n',
    )
    acme = get_profile("acme-sam")
    assert acme.page_apdu(10) == bytes.fromhex("80B0000A00")
    assert profile_for_atr(b"\x3b\x00\x00\x00\xac\x3e").name == "acme-sam"
    assert get_profile("sam-record").pages == 6, "built-ins stay"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[x]\napdu = "00 36 00 00 08"\nlength = 8\nyields = "card_uid"\ncolour = 1\n', "colour"),
        ('[x]\napdu = "zz"\nlength = 8\nyields = "card_uid"\n', "[x] apdu"),
        ('[x]\napdu = "00 36 00 00 08"\nlength = 8\nyields = "photo"\n', "[x] yields"),
        ('[x]\napdu = "FF B0 00 00 00"\npages = 2\nlength = 8\nyields = "record"\n', "page_byte"),
        ("[x\n", "not valid TOML"),
    ],
    ids=["unknown-key", "bad-hex", "bad-yields", "pages-without-page-byte", "bad-toml"],
)
def test_a_bad_profile_file_is_one_line_naming_the_entry(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    _use_file(monkeypatch, path, text)
    with pytest.raises(ProfileError) as caught:
        load_profiles()
    assert str(path) in str(caught.value) and message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_an_unknown_profile_name_lists_the_known_ones() -> None:
    with pytest.raises(ProfileError, match=r"'acr-9000'.*known: sam-record, serial-only"):
        get_profile("acr-9000")
