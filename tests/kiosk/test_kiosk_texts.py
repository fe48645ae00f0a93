"""kiosk/texts.py: every reason code of the contract has words for the screen and the voice."""

from __future__ import annotations

import re
from pathlib import Path

from kiosk.texts import REASON_TEXTS, VERDICT_WORDS, reason_text, spoken_phrases, texts_document

CONTRACTS = Path(__file__).resolve().parents[2] / "docs" / "contracts.md"


def contract_reason_codes() -> set[str]:
    text = CONTRACTS.read_text(encoding="utf-8")
    section = text[text.index("## Reason codes") :]
    section = section[: section.index("\n## ", 3)]
    return set(re.findall(r"\b[A-Z]+_[A-Z_]+\b", section))


def test_every_contract_reason_has_chinese_and_english_words() -> None:
    codes = contract_reason_codes()
    assert "VERIFY_UNAVAILABLE" in codes and len(codes) > 20
    missing = codes - set(REASON_TEXTS)
    assert not missing
    for zh, en in REASON_TEXTS.values():
        assert zh and en and len(zh) <= 10, "one short reason"


def test_an_unknown_code_still_tells_people_what_to_do() -> None:
    assert reason_text("SOMETHING_NEW") == ("请工作人员协助", "Staff will help")


def test_the_page_and_the_voice_use_the_same_words() -> None:
    document = texts_document()
    assert document["idle"] == {
        "zh": "请将身份证放在读卡区",
        "en": "Please place your ID card on the reader",
    }
    phrases = spoken_phrases()
    for verdict, (zh, _en) in VERDICT_WORDS.items():
        assert phrases[verdict] == zh
