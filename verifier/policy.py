"""Site profiles and the verdict: a pure function from check outcomes and a profile to
PASS / CHECK / DENY with ordered reasons (DESIGN.md §3). No I/O except loading profiles."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Verdict = Literal["PASS", "CHECK", "DENY"]
Outcome = Literal["ok", "warn", "fail", "unknown"]

SEVERITY: dict[str, int] = {"PASS": 0, "CHECK": 1, "DENY": 2}
SHIPPED = Path(__file__).resolve().parent / "policies"
CHECK_ORDER = ("code", "card", "travel", "person")
REASONS: dict[str, tuple[str, ...]] = {
    "person": (
        "FACE_MATCH",
        "FACE_REVIEW",
        "FACE_MISMATCH",
        "FACE_NOT_FOUND",
        "FACE_MULTIPLE",
        "FACE_SKIPPED",
        "FACE_UNAVAILABLE",
    ),
    "card": (
        "CARD_VALID",
        "CARD_EXPIRED",
        "CARD_NOT_YET_VALID",
        "CARD_BAD_ID_NUMBER",
        "CARD_REPORTED_LOST",
    ),
    "code": ("CODE_GREEN", "CODE_YELLOW", "CODE_RED", "CODE_NO_RECORD", "CODE_NAT_STALE"),
    "travel": ("TRAVEL_CLEAR", "TRAVEL_RISK_AREA", "TRAVEL_NO_RECORD"),
}
NO_DATA = frozenset({"CODE_NO_RECORD", "TRAVEL_NO_RECORD", "FACE_SKIPPED", "FACE_UNAVAILABLE"})


class PolicyError(Exception):
    """A profile that cannot be used (one plain line naming the file and key)."""


class CodeRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    nat_max_age_hours: float = Field(0, ge=0, description="0 = no nucleic-acid test required")


class TravelRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_days: int = Field(14, ge=0, le=365)
    low: Verdict = "PASS"
    medium: Verdict = "CHECK"
    high: Verdict = "CHECK"


class Profile(BaseModel):
    """One site profile; ``verdicts`` maps a reason code to what it means at this site."""

    model_config = ConfigDict(extra="forbid")
    name: str = "default"
    description: str = ""
    verdicts: dict[str, Verdict] = Field(default_factory=dict)
    code: CodeRules = Field(default_factory=CodeRules)
    travel: TravelRules = Field(default_factory=TravelRules)

    def verdict_of(self, reason: str, risk: str | None = None) -> Verdict:
        """What one reason means here (travel risk areas by their risk level)."""
        if reason == "TRAVEL_RISK_AREA" and risk is not None:
            return getattr(self.travel, risk)
        return self.verdicts.get(reason, "CHECK")


@dataclass(frozen=True)
class Check:
    """One check's result; ``verdict`` is what the profile makes of its reasons."""

    outcome: Outcome
    reasons: list[str]
    verdict: Verdict
    places: list[dict[str, str]] | None = None

    def as_json(self) -> dict[str, object]:
        """The contract's ``{"outcome", "reasons"}`` (+ ``places`` for travel)."""
        body: dict[str, object] = {"outcome": self.outcome, "reasons": self.reasons}
        if self.places is not None:
            body["places"] = self.places
        return body


def outcome_of(verdict: Verdict, reasons: list[str]) -> Outcome:
    """ok / warn / fail by the verdict; unknown when the check had nothing to go on (whatever
    the site makes of that)."""
    if any(r in NO_DATA for r in reasons):
        return "unknown"
    return {"PASS": "ok", "CHECK": "warn", "DENY": "fail"}[verdict]  # type: ignore[return-value]


def worst(verdicts: list[Verdict]) -> Verdict:
    """The most severe verdict (PASS for none)."""
    return max(verdicts, key=SEVERITY.__getitem__, default="PASS")


def decide(checks: dict[str, Check], profile: Profile) -> tuple[Verdict, list[str]]:
    """The verdict and the reasons that decided it, most important first: every reason that is
    not a PASS by severity (then code, card, travel, person); for a PASS, the ok reasons."""
    ranked: list[tuple[int, int, str]] = []
    for order, name in enumerate(CHECK_ORDER):
        check = checks[name]
        for reason in check.reasons:
            verdict = check.verdict if reason == "TRAVEL_RISK_AREA" else profile.verdict_of(reason)
            ranked.append((SEVERITY[verdict], order, reason))
    verdict = worst([c.verdict for c in checks.values()])
    if verdict == "PASS":
        return verdict, [r for s, o, r in ranked if r not in NO_DATA]
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return verdict, [r for s, o, r in ranked if s > 0]


def load_profiles(extra_dir: Path | None = None) -> dict[str, Profile]:
    """Shipped profiles, then ``extra_dir``'s (same name overrides). Reasons a profile leaves
    out keep the default profile's verdict."""
    files = {p.stem: p for p in sorted(SHIPPED.glob("*.toml"))}
    if extra_dir is not None and extra_dir.is_dir():
        files.update({p.stem: p for p in sorted(extra_dir.glob("*.toml"))})
    base = _read_profile(files.pop("default"), "default", {})
    profiles = {"default": base}
    for name, path in files.items():
        profiles[name] = _read_profile(path, name, base.verdicts)
    return profiles


def _read_profile(path: Path, name: str, inherited: dict[str, Verdict]) -> Profile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        profile = Profile(name=name, **raw)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PolicyError(f"{path}: cannot read: {exc}") from None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(p) for p in error["loc"])
        raise PolicyError(f"{path}: {where}: {error['msg']}") from None
    known = {r for reasons in REASONS.values() for r in reasons} - {"TRAVEL_RISK_AREA"}
    unknown = sorted(set(profile.verdicts) - known)
    if unknown:
        raise PolicyError(f"{path}: verdicts.{unknown[0]}: not a reason code")
    profile.verdicts = {**inherited, **profile.verdicts}
    return profile
