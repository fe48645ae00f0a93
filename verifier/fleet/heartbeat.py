"""The status document a kiosk posts every 30 s (``POST /v1/heartbeat``), typed to the last key.

Every section the kiosk sends (kiosk/daemon.py ``status_document``) is a model that refuses keys
it does not know, and every string, number and list is bounded, so a document can neither grow
nor nest without limit. Numbers and booleans are strict (``"5"`` or ``true`` is no count).
Free text — error messages, details, the verifier URL — is kept with anything shaped like an ID
number replaced (``redact_id_numbers``) while it is validated, so none reaches the store or staff.

Documents stored before the heartbeat was typed are read back with ``read_status``: the sections
that do not validate are dropped, so an old or broken row shows as "not reported", never as an
error page.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from verifier.api.models import Name
from verifier.idnumber import redact_id_numbers

TEXT_CHARS = 500
MAX_SECONDS = 10 * 366 * 86_400
MAX_COUNT = 10**9


def _plausible(moment: datetime) -> datetime:
    """Kiosk-clock times are shown, never counted: any aware instant this century will do, so a
    kiosk whose clock is far off is still heard (and alerted on as CLOCK_DRIFT)."""
    if not datetime(2000, 1, 1, tzinfo=UTC) <= moment < datetime(2100, 1, 1, tzinfo=UTC):
        raise ValueError("expected an instant between 2000 and 2099")
    return moment


def _redacted(limit: int) -> AfterValidator:
    """Redact, then cut to ``limit`` again (``[redacted]`` is one longer than a 9-character
    permit number), so a stored value always validates when it is read back."""
    return AfterValidator(lambda text: redact_id_numbers(text)[:limit])


FreeText = Annotated[str, Field(max_length=TEXT_CHARS), _redacted(TEXT_CHARS)]
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[\x21-\x7e]+$"), _redacted(64)]
KioskTime = Annotated[AwareDatetime, Field(strict=False), AfterValidator(_plausible)]
Seconds = Annotated[float, Field(ge=0, le=MAX_SECONDS, allow_inf_nan=False)]
Drift = Annotated[float, Field(ge=-MAX_SECONDS, le=MAX_SECONDS, allow_inf_nan=False)]
Millis = Annotated[float, Field(ge=0, le=3_600_000, allow_inf_nan=False)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Bytes = Annotated[int, Field(ge=0, le=2**50)]
LinkState = Literal["ok", "error", "unknown"]
ReaderCode = Literal[
    "READER_UNPLUGGED",
    "READER_SERVICE_DOWN",
    "READER_JAMMED",
    "READER_CARD_PULLED",
    "READER_ERROR",
]
"""What the kiosk saw go wrong with its reader (kiosk/status.py ``READER_CODES``)."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ReaderStatus(_Section):
    state: Literal["ok", "error", "unknown"]
    detail: FreeText | None = None
    code: ReaderCode | None = Field(None, description="set when state is error")


class Counts(_Section):
    """Taps today on the kiosk's local day."""

    total: Count | None = None
    elder: Count | None = Field(None, description="60+")
    PASS: Count | None = None
    CHECK: Count | None = None
    DENY: Count | None = None


class Link(_Section):
    """The kiosk's link to the verifier."""

    url: FreeText | None = None
    state: LinkState
    latency_ms: Millis | None = None
    last_error: FreeText | None = None


class Outbox(_Section):
    pending: Count | None = None
    oldest_age_s: Seconds | None = None
    rejected: Count | None = None
    refused: Count | None = Field(None, description="events turned away (full) since start")
    used_bytes: Bytes | None = None
    max_bytes: Bytes | None = None
    alarm: bool | None = Field(None, description="over 80 % of max_bytes")


class RiskList(_Section):
    version: Annotated[int, Field(ge=0, le=2**53)] | None = None
    entries: Count | None = None
    age_s: Seconds | None = Field(None, description="age of the list's data")
    sync_age_s: Seconds | None = Field(None, description="time since the last good sync")
    fresh: bool | None = None
    last_error: FreeText | None = None


class Cache(_Section):
    entries: Count | None = None


class Clock(_Section):
    drift_s: Drift | None = None
    alarm: bool | None = None


class Camera(_Section):
    state: Literal["ok", "lost", "off"]
    detail: FreeText | None = None
    engine: Label | None = None
    photo_source: FreeText | None = None
    unavailable_reason: FreeText | None = None

    @model_validator(mode="before")
    @classmethod
    def _earlier_kiosks(cls, data: Any) -> Any:
        """Kiosks before the typed heartbeat sent the face checker's own keys (``camera``,
        ``camera_detail``); they are renamed so those kiosks stay heard during an upgrade."""
        if isinstance(data, Mapping) and "camera" in data and "state" not in data:
            renamed = {"camera": "state", "camera_detail": "detail"}
            return {renamed.get(key, key): value for key, value in data.items()}
        return data


class Voice(_Section):
    state: Literal["ok", "error", "off"]
    detail: FreeText | None = None


class Gate(_Section):
    kind: Literal["none", "serial"]


class KioskStatus(_Section):
    """Everything in a heartbeat but whose it is; a section or key not sent is "not reported"."""

    version: Label | None = None
    uptime_s: Seconds | None = None
    sent_at: KioskTime | None = Field(None, description="the kiosk's clock")
    reader: ReaderStatus | None = None
    clock_drift_s: Drift | None = Field(None, description="kiosk clock minus the verifier's")
    counts_today: Counts | None = None
    last_error: FreeText | None = None
    last_error_at: KioskTime | None = None
    verifier: Link | None = None
    outbox: Outbox | None = None
    risklist: RiskList | None = None
    cache: Cache | None = None
    clock: Clock | None = None
    camera: Camera | None = None
    voice: Voice | None = None
    gate: Gate | None = None


class Heartbeat(KioskStatus):
    """The body of ``POST /v1/heartbeat``: the kiosk and site must be the token's own."""

    kiosk_id: Name
    site: Name


IDENTITY = ("kiosk_id", "site")


def read_status(doc: Any) -> KioskStatus:
    """A stored (or served) document as far as it validates: sections that do not are dropped,
    and free text is redacted again, so rows stored before typing are safe to show."""
    if not isinstance(doc, Mapping):
        return KioskStatus()
    body = {key: value for key, value in doc.items() if key not in IDENTITY}
    try:
        return KioskStatus.model_validate(body)
    except ValidationError as exc:
        broken = {error["loc"][0] for error in exc.errors() if error["loc"]}
    try:
        return KioskStatus.model_validate({k: v for k, v in body.items() if k not in broken})
    except ValidationError:
        return KioskStatus()


def served(kiosk_id: str, site: str, status: KioskStatus) -> dict[str, Any]:
    """The document as ``/v1/fleet`` answers it: whose it is, then what the kiosk sent."""
    return {
        "kiosk_id": kiosk_id,
        "site": site,
        **status.model_dump(mode="json", exclude_unset=True),
    }
