"""deploy/udev/70-yzt-readers.rules, read the way udev's rule parser reads it (systemd 252 has no
``udevadm verify``): every token well formed, matches compare, assignments assign, every GOTO
lands on a LABEL, and the SAM readers' USB ids get the stable /dev/yzt-reader-N name."""

from __future__ import annotations

import re

from deploykit import DEPLOY

RULES = DEPLOY / "udev/70-yzt-readers.rules"
TOKEN = re.compile(
    r'^(?P<key>[A-Z_]+)(\{(?P<attr>[^}]+)\})?(?P<op>==|!=|\+=|-=|:=|=)"(?P<value>[^"]*)"$'
)
MATCH_KEYS = {"ACTION", "SUBSYSTEM", "KERNEL", "ATTRS", "ATTR", "ENV", "DRIVERS", "SUBSYSTEMS"}
ASSIGN_KEYS = {"GROUP", "MODE", "SYMLINK", "ENV", "GOTO", "LABEL", "IMPORT", "TAG", "OWNER"}
SAM_BRIDGES = {("0400", "c35a"), ("1a86", "7523"), ("10c4", "ea60"), ("0403", "6001")}


def rules() -> list[list[re.Match[str]]]:
    parsed = []
    for number, line in enumerate(RULES.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        tokens = [t.strip() for t in line.split(", ")]
        matches = [TOKEN.match(t) for t in tokens]
        assert all(matches), f"line {number}: malformed token in {line!r}"
        parsed.append([m for m in matches if m])
    return parsed


def test_every_token_is_well_formed_and_used_the_right_way() -> None:
    for rule in rules():
        for token in rule:
            key, op = token["key"], token["op"]
            if op in {"==", "!="}:
                assert key in MATCH_KEYS, f"{key} cannot be matched"
            else:
                assert key in ASSIGN_KEYS, f"{key} cannot be assigned"


def test_every_goto_lands_on_a_label() -> None:
    tokens = [t for rule in rules() for t in rule]
    labels = {t["value"] for t in tokens if t["key"] == "LABEL"}
    gotos = {t["value"] for t in tokens if t["key"] == "GOTO"}
    assert gotos and gotos <= labels


def test_sam_usb_serial_bridges_get_stable_names_for_dialout() -> None:
    ids = set()
    for rule in rules():
        attrs = {t["attr"]: t["value"] for t in rule if t["key"] == "ATTRS"}
        if "idVendor" in attrs:
            ids.add((attrs["idVendor"], attrs["idProduct"]))
            assert re.fullmatch(r"[0-9a-f]{8}", attrs["idVendor"] + attrs["idProduct"])
    assert ids >= SAM_BRIDGES
    text = RULES.read_text()
    assert 'SYMLINK+="yzt-reader-%n"' in text
    assert 'GROUP="dialout", MODE="0660"' in text
