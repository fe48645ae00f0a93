"""What the screen and the voice say after a QR code: short reasons, what to do, spoken aloud
with the real espeak-ng."""

from __future__ import annotations

import wave
from pathlib import Path

from kiosk.config import VoiceSection
from kiosk.texts import ADVICE, REASON_TEXTS, advice_phrases, spoken_key, texts_document
from kiosk.voice import Voice
from readers.qr import Reason

REFUSALS = ("QR_INVALID_SIGNATURE", "QR_UNKNOWN_KEY", "QR_EXPIRED", "QR_REVOKED")


def test_every_elder_card_reason_has_words_and_every_refusal_says_what_to_do() -> None:
    codes = {str(reason) for reason in Reason if reason.startswith("QR_")}
    assert codes == {"QR_VALID", *REFUSALS}
    for code in codes:
        zh, en = REASON_TEXTS[code]
        assert zh and en and len(zh) <= 10
    assert set(ADVICE) == set(REFUSALS)
    assert texts_document()["advice"]["QR_REVOKED"] == {
        "zh": "请出示身份证或找工作人员",
        "en": "Show your ID card or ask staff",
    }


def test_a_refused_card_is_spoken_as_reason_and_advice_a_card_tap_as_its_verdict() -> None:
    assert spoken_key("CHECK", ("QR_REVOKED",)) == "QR_REVOKED"
    assert advice_phrases()["QR_REVOKED"] == "此卡已停用，请出示身份证或找工作人员"
    assert spoken_key("PASS", ("CODE_GREEN", "QR_VALID")) == "PASS"
    assert spoken_key("CHECK", ("CODE_YELLOW",)) == "CHECK"


async def test_the_advice_renders_to_speech(tmp_path: Path) -> None:
    files = await Voice(VoiceSection(), tmp_path).render(advice_phrases())
    assert set(files) == set(REFUSALS)
    for path in files.values():
        with wave.open(str(path)) as wav:
            assert wav.getnframes() / wav.getframerate() > 1.0, f"{path.name} is too short"
