"""Request bodies of docs/contracts.md. Unknown keys are refused, so a field sent by mistake
(an ID number, say) is never stored; errors name the field, not the value."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from verifier.subjects import SUBJECT_PATTERN

Subject = Annotated[str, Field(pattern=SUBJECT_PATTERN, description="HMAC-SHA256 hex")]
Name = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
Reason = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Z][A-Z0-9_]*$")]
CardTypeName = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]
CardType = Literal["resident", "foreign_permanent", "foreign_permanent_2023", "hkmt_residence"]
AgeBand = Literal["0-17", "18-59", "60+"]
FaceReason = Literal[
    "FACE_MATCH",
    "FACE_REVIEW",
    "FACE_MISMATCH",
    "FACE_NOT_FOUND",
    "FACE_MULTIPLE",
    "FACE_SKIPPED",
    "FACE_UNAVAILABLE",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CardFacts(_Strict):
    card_type: CardType
    valid_from: date | None = None
    valid_until: date | None = Field(None, description="null = 长期 (no expiry)")
    age_band: AgeBand
    id_number_valid: bool = True


class PersonFacts(_Strict):
    outcome: Literal["ok", "warn", "fail", "unknown"]
    reasons: list[FaceReason] = Field(default_factory=list, max_length=8)


class VerifyRequest(_Strict):
    subject: Subject
    site: Name
    event_id: Name
    card: CardFacts
    person: PersonFacts | None = None


class Event(_Strict):
    event_id: Name
    kiosk_id: Name
    site: Name
    at: AwareDatetime = Field(
        description="the tap; within privacy.retention_days before and limits.clock_skew_s "
        "after the server's clock, else 422"
    )
    verdict: Literal["PASS", "CHECK", "DENY"]
    reasons: list[Reason] = Field(max_length=16)
    source: Literal["online", "cache", "risklist", "none"]
    card_type: CardTypeName | None = Field(None, description="null when the card could not be read")
    age_band: AgeBand | None = Field(None, description="null when the card could not be read")
    subject: Subject | None = Field(None, description="null when the card could not be read")
    latency_ms: float | None = Field(None, ge=0, le=3_600_000)


class EventBatch(_Strict):
    events: list[Event] = Field(max_length=1000)
