"""Everything the screen and the voice say, in Chinese and English, in one table.

The page fetches these from ``/api/texts`` so the words live in exactly one place.
"""

from __future__ import annotations

from kiosk.verdict import Verdict

VERDICT_WORDS: dict[Verdict, tuple[str, str]] = {
    "PASS": ("请通行", "Please go ahead"),
    "CHECK": ("请工作人员核验", "Staff will check"),
    "DENY": ("暂停通行", "Please wait here"),
}

REASON_TEXTS: dict[str, tuple[str, str]] = {
    "FACE_MATCH": ("人脸一致", "Face matches the card"),
    "FACE_REVIEW": ("人脸需人工确认", "Face needs a staff look"),
    "FACE_MISMATCH": ("人脸与证件不符", "Face does not match the card"),
    "FACE_NOT_FOUND": ("未检测到人脸", "No face seen"),
    "FACE_MULTIPLE": ("检测到多张人脸", "More than one face seen"),
    "FACE_SKIPPED": ("未进行人脸核验", "Face check not used"),
    "FACE_UNAVAILABLE": ("人脸核验暂不可用", "Face check not available"),
    "CARD_VALID": ("证件有效", "Card valid"),
    "CARD_EXPIRED": ("证件已过期", "Card has expired"),
    "CARD_NOT_YET_VALID": ("证件尚未生效", "Card not yet valid"),
    "CARD_BAD_ID_NUMBER": ("证件号码无法识别", "Card number not readable"),
    "CARD_REPORTED_LOST": ("证件已挂失", "Card reported lost"),
    "CARD_UNREADABLE_IDENTITY": ("无法读取证件信息", "Card could not be read"),
    "READER_NO_IDENTITY": ("此读卡器读不了身份", "This reader cannot read identity"),
    "CODE_GREEN": ("健康码绿码", "Health code green"),
    "CODE_YELLOW": ("健康码黄码", "Health code yellow"),
    "CODE_RED": ("健康码红码", "Health code red"),
    "CODE_NO_RECORD": ("未查到健康码", "No health code found"),
    "CODE_NAT_STALE": ("核酸结果已过期", "Test result too old"),
    "TRAVEL_CLEAR": ("行程正常", "Travel clear"),
    "TRAVEL_RISK_AREA": ("到访过风险地区", "Visited a risk area"),
    "TRAVEL_NO_RECORD": ("未查到行程", "No travel record"),
    "VERIFY_UNAVAILABLE": ("暂时无法核验", "Could not verify now"),
    "RISKLIST_STALE": ("离线名单过旧", "Offline list too old"),
    "QR_VALID": ("长者码卡已识别", "Elder QR card read"),
    "QR_INVALID_SIGNATURE": ("此码无法确认真伪", "Code cannot be confirmed"),
    "QR_UNKNOWN_KEY": ("本机无法核验此卡", "Kiosk cannot check this card"),
    "QR_EXPIRED": ("此卡已过期", "Card has expired"),
    "QR_REVOKED": ("此卡已停用", "Card no longer valid"),
    "CERT_VALID": ("健康证书有效", "Health certificate valid"),
    "CERT_EXPIRED": ("健康证书已过期", "Certificate has expired"),
    "CERT_NOT_YET_VALID": ("证书尚未生效", "Certificate not yet valid"),
    "CERT_INVALID_SIGNATURE": ("证书签名无效", "Certificate signature invalid"),
    "CERT_UNKNOWN_KEY": ("无法核验签发方", "Issuer not known here"),
    "CERT_KEY_USAGE": ("签发方无此授权", "Issuer may not sign this"),
    "CERT_TEST_TOO_OLD": ("检测结果已过期", "Test result too old"),
    "CERT_TEST_POSITIVE": ("检测结果阳性", "Test result positive"),
    "CERT_VACCINATION_INCOMPLETE": ("疫苗接种未完成", "Vaccination not complete"),
    "CERT_RECOVERY_OUT_OF_RANGE": ("康复证明不在有效期", "Recovery outside its dates"),
    "CERT_MALFORMED": ("证书内容无法识别", "Certificate unreadable"),
}

ADVICE: dict[str, tuple[str, str]] = {
    "QR_INVALID_SIGNATURE": ("请出示身份证", "Please show your ID card"),
    "QR_UNKNOWN_KEY": ("请找工作人员", "Please ask staff"),
    "QR_EXPIRED": ("请出示身份证，到社区换新卡", "Show your ID card; get a new card"),
    "QR_REVOKED": ("请出示身份证或找工作人员", "Show your ID card or ask staff"),
}
"""What to do, for reasons the person can act on: shown under the reason and spoken with it
instead of the verdict words."""

IDENTITY_WORDS: dict[str, tuple[str, str]] = {
    "QR_": ("长者健康码卡", "Elder QR card"),
    "CERT_": ("健康证书", "Health certificate"),
}
"""How the person showed who they are, by reason prefix: a QR code instead of the ID card."""

UNKNOWN_REASON = ("请工作人员协助", "Staff will help")

OUT_OF_SERVICE = ("读卡器暂停服务，请找工作人员", "Card reader out of service, please ask staff")
IDLE_PROMPT = ("请将身份证放在读卡区", "Please place your ID card on the reader")


def reason_text(code: str) -> tuple[str, str]:
    """Chinese and English text for a reason code; a staff prompt for codes we do not know."""
    return REASON_TEXTS.get(code, UNKNOWN_REASON)


def spoken_phrases() -> dict[str, str]:
    """The phrases the voice pre-renders, keyed by what triggers them."""
    phrases: dict[str, str] = {verdict: words[0] for verdict, words in VERDICT_WORDS.items()}
    phrases["OUT_OF_SERVICE"] = OUT_OF_SERVICE[0]
    return phrases


def advice_phrases() -> dict[str, str]:
    """The QR scanner's phrases (rendered when ``[qr]`` is enabled): the reason, then what to do,
    keyed by the reason."""
    return {code: f"{REASON_TEXTS[code][0]}，{zh}" for code, (zh, _) in ADVICE.items()}


def spoken_key(verdict: Verdict, reasons: tuple[str, ...]) -> str:
    """The phrase to say for a verdict: its first reason's when that one says what to do."""
    return reasons[0] if reasons and reasons[0] in ADVICE else verdict


def texts_document() -> dict[str, object]:
    """The JSON the page loads once: verdict words, reason texts and advice, identity words,
    idle and fault prompts."""
    return {
        "verdicts": {k: {"zh": v[0], "en": v[1]} for k, v in VERDICT_WORDS.items()},
        "reasons": {k: {"zh": v[0], "en": v[1]} for k, v in REASON_TEXTS.items()},
        "advice": {k: {"zh": v[0], "en": v[1]} for k, v in ADVICE.items()},
        "identity": {k: {"zh": v[0], "en": v[1]} for k, v in IDENTITY_WORDS.items()},
        "unknown_reason": {"zh": UNKNOWN_REASON[0], "en": UNKNOWN_REASON[1]},
        "idle": {"zh": IDLE_PROMPT[0], "en": IDLE_PROMPT[1]},
        "out_of_service": {"zh": OUT_OF_SERVICE[0], "en": OUT_OF_SERVICE[1]},
    }
