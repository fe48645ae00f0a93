"""What staff should know about each kiosk, from its last heartbeat: a state and plain alerts.

Pure: a heartbeat row (``kiosk_id``, ``site``, ``doc``, ``received_at``) and the current instant
in, a :class:`KioskState` out. The document is whatever the kiosk sent, so every field is read
defensively — an old or broken kiosk shows as ``—``, never as an error page.

States: ``offline`` (no heartbeat for ``[fleet] offline_after_s``), ``degraded`` (heartbeats
arrive but something needs a person), ``online``. An offline kiosk gets only the ``OFFLINE``
alert: the rest of its last document is history, shown greyed but not alerted on.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from verifier.config import FleetConfig

State = Literal["online", "degraded", "offline"]
Severity = Literal["critical", "warning"]
STATES: tuple[State, ...] = ("offline", "degraded", "online")
COUNT_KEYS = ("total", "elder", "PASS", "CHECK", "DENY")

_UNPLUGGED = ("gone", "cannot open", "no pc/sc reader", "unplug", "no such", "not found")
_JAMMED = ("stopped answering", "does not answer", "timeout", "timed out", "jam", "taken away")


@dataclass(frozen=True)
class Text:
    """One message in both languages the console shows."""

    zh: str
    en: str

    def as_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}


@dataclass(frozen=True)
class Alert:
    """Something a person should do: a short title, why (cause) and what to do (action)."""

    code: str
    severity: Severity
    title: Text
    cause: Text
    action: Text

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "title": self.title.as_json(),
            "cause": self.cause.as_json(),
            "action": self.action.as_json(),
        }


@dataclass(frozen=True)
class Vitals:
    """The columns of one fleet row, read from the status document (``None`` = not reported)."""

    reader_state: str | None = None
    reader_detail: str | None = None
    camera_state: str | None = None
    camera_detail: str | None = None
    link_state: str | None = None
    link_error: str | None = None
    risklist_version: int | None = None
    risklist_age_s: float | None = None
    risklist_fresh: bool | None = None
    outbox_pending: int | None = None
    outbox_oldest_s: float | None = None
    outbox_alarm: bool = False
    outbox_refused: int = 0
    clock_drift_s: float | None = None
    version: str | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_doc(cls, doc: Any) -> Vitals:
        doc = doc if isinstance(doc, Mapping) else {}
        reader, link = _section(doc, "reader"), _section(doc, "verifier")
        camera, risk = _section(doc, "camera"), _section(doc, "risklist")
        outbox = _section(doc, "outbox")
        drift = _number(doc.get("clock_drift_s"))
        if drift is None:
            drift = _number(_section(doc, "clock").get("drift_s"))
        counts = _section(doc, "counts_today")
        version = _number(risk.get("version"))
        return cls(
            reader_state=_text(reader.get("state")),
            reader_detail=_text(reader.get("detail")),
            camera_state=_text(camera.get("state") or camera.get("camera")),
            camera_detail=_text(camera.get("detail") or camera.get("camera_detail")),
            link_state=_text(link.get("state")),
            link_error=_text(link.get("last_error")),
            risklist_version=None if version is None else int(version),
            risklist_age_s=_number(risk.get("age_s")),
            risklist_fresh=risk.get("fresh") if isinstance(risk.get("fresh"), bool) else None,
            outbox_pending=_count(outbox.get("pending")),
            outbox_oldest_s=_number(outbox.get("oldest_age_s")),
            outbox_alarm=outbox.get("alarm") is True,
            outbox_refused=_count(outbox.get("refused")) or 0,
            clock_drift_s=drift,
            version=_text(doc.get("version")),
            counts={k: n for k in COUNT_KEYS if (n := _count(counts.get(k))) is not None},
        )


@dataclass(frozen=True)
class KioskState:
    """One kiosk as the console shows it."""

    kiosk_id: str
    site: str
    state: State
    received_at: datetime
    last_seen_s: float
    vitals: Vitals
    alerts: tuple[Alert, ...]

    @property
    def worst(self) -> Severity | None:
        severities = {a.severity for a in self.alerts}
        return "critical" if "critical" in severities else ("warning" if severities else None)

    def sort_key(self) -> tuple[int, str, str]:
        """Worst first: offline, degraded with a critical alert, degraded, online."""
        rank = {"offline": 0, "degraded": 1 if self.worst == "critical" else 2, "online": 3}
        return rank[self.state], self.site, self.kiosk_id


def assess(
    row: Mapping[str, Any], *, now: datetime, config: FleetConfig, expected_version: str | None
) -> KioskState:
    """The state and alerts of one kiosk from its last heartbeat row."""
    last_seen_s = max((now - row["received_at"]).total_seconds(), 0.0)
    vitals = Vitals.from_doc(row["doc"])
    if last_seen_s > config.offline_after_s:
        alerts: tuple[Alert, ...] = (_offline(last_seen_s),)
        state: State = "offline"
    else:
        alerts = tuple(_alerts(vitals, config, expected_version))
        state = "degraded" if alerts else "online"
    return KioskState(
        row["kiosk_id"], row["site"], state, row["received_at"], last_seen_s, vitals, alerts
    )


def reference_version(docs: Iterable[Any], config: FleetConfig) -> str | None:
    """The version kiosks should run: the configured one, else the clear majority's (a tie
    names none, so a half-done rollout raises no alert either way)."""
    if config.expected_version:
        return config.expected_version
    versions = Counter(v for doc in docs if (v := Vitals.from_doc(doc).version))
    top = versions.most_common(2)
    if not top or (len(top) == 2 and top[0][1] == top[1][1]):
        return None
    return top[0][0]


def assess_fleet(
    rows: Iterable[Mapping[str, Any]], *, now: datetime, config: FleetConfig
) -> list[KioskState]:
    """Every kiosk, worst first."""
    rows = list(rows)
    expected = reference_version((r["doc"] for r in rows), config)
    states = [assess(r, now=now, config=config, expected_version=expected) for r in rows]
    return sorted(states, key=KioskState.sort_key)


def summarize(states: Iterable[KioskState]) -> dict[str, int]:
    """Counts for the top of the page: by state, and how many have any alert."""
    states = list(states)
    counts = Counter(s.state for s in states)
    return {
        "total": len(states),
        **{state: counts[state] for state in STATES},
        "with_alerts": sum(1 for s in states if s.alerts),
    }


def human_age(seconds: float | None, *, zh: bool = False) -> str:
    """``45 s``, ``12 min``, ``3.5 h``, ``2.0 d`` (or ``12 分钟`` …); ``—`` when unknown."""
    if seconds is None:
        return "—"
    sec, mins, hours, days = ("秒", "分钟", "小时", "天") if zh else ("s", "min", "h", "d")
    if seconds < 120:
        return f"{seconds:.0f} {sec}"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} {mins}"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} {hours}"
    return f"{seconds / 86400:.1f} {days}"


def _age(seconds: float) -> Text:
    return Text(human_age(seconds, zh=True), human_age(seconds))


def _alerts(v: Vitals, config: FleetConfig, expected_version: str | None) -> Iterable[Alert]:
    if v.reader_state is not None and v.reader_state not in ("ok", "unknown"):
        yield _reader(v.reader_detail or "")
    if v.camera_state is not None and v.camera_state not in ("ok", "off"):
        yield _camera(v.camera_detail or v.camera_state)
    if v.link_state == "error":
        yield _link_down(v.link_error or "no answer")
    yield from _risklist(v, config)
    if v.outbox_alarm or v.outbox_refused:
        yield _outbox_full(v.outbox_refused)
    pending, oldest = v.outbox_pending or 0, v.outbox_oldest_s or 0.0
    if pending > config.outbox_pending_max or oldest > config.outbox_oldest_max_s:
        yield _backlog(pending, oldest)
    if v.clock_drift_s is not None and abs(v.clock_drift_s) > config.clock_drift_max_s:
        yield _drift(v.clock_drift_s)
    if expected_version and v.version and v.version != expected_version:
        yield _version(v.version, expected_version)


def _risklist(v: Vitals, config: FleetConfig) -> Iterable[Alert]:
    age = v.risklist_age_s
    if age is None:
        if v.risklist_fresh is False:
            yield _risklist_missing()
        return
    window = _age(config.risklist_stale_s)
    if age > config.risklist_stale_s or v.risklist_fresh is False:
        yield _risklist_stale(_age(age), window)
    elif age > config.risklist_warn_s:
        yield _risklist_aging(_age(age), window)


def _offline(seconds: float) -> Alert:
    age = _age(seconds)
    return Alert(
        "OFFLINE",
        "critical",
        Text("离线", "Offline"),
        Text(
            f"已 {age.zh} 没有收到心跳（正常每 30 秒一次）。",
            f"No heartbeat for {age.en} (kiosks send one every 30 s).",
        ),
        Text(
            "检查设备电源和网络；在设备上运行 yzt doctor。",
            "Check the kiosk's power and network; run yzt doctor on it.",
        ),
    )


def _reader(detail: str) -> Alert:
    lowered = detail.lower()
    if "pcscd" in lowered:
        return Alert(
            "READER_SERVICE_DOWN",
            "critical",
            Text("读卡服务停止", "Card service down"),
            Text(
                f"读卡服务 pcscd 没有运行。读卡器报告：{detail}",
                f"The card service (pcscd) is not running. It says: {detail}",
            ),
            Text(
                "在设备上运行 sudo systemctl restart pcscd，再运行 yzt doctor 检查。",
                "On the kiosk run sudo systemctl restart pcscd, then yzt doctor.",
            ),
        )
    if any(word in lowered for word in _UNPLUGGED):
        return Alert(
            "READER_UNPLUGGED",
            "critical",
            Text("读卡器未连接", "Reader disconnected"),
            Text(
                f"读卡器已断开或找不到。读卡器报告：{detail}",
                f"The card reader is unplugged or missing. It says: {detail}",
            ),
            Text(
                "检查读卡器的 USB/串口线并插好；设备会自动重连。",
                "Check the reader's USB/serial cable and plug it back in; the kiosk reconnects.",
            ),
        )
    if any(word in lowered for word in _JAMMED):
        return Alert(
            "READER_JAMMED",
            "critical",
            Text("读卡器卡住", "Reader jammed"),
            Text(
                f"读卡器不再响应，可能有卡卡住。读卡器报告：{detail}",
                f"The reader stopped answering; a card may be stuck. It says: {detail}",
            ),
            Text(
                "取出读卡区的卡，重新插拔读卡器；仍不行就更换读卡器。",
                "Remove any stuck card and replug the reader; replace it if that does not help.",
            ),
        )
    return Alert(
        "READER_ERROR",
        "critical",
        Text("读卡器故障", "Reader fault"),
        Text(f"读卡器报告错误：{detail}", f"The reader reports an error: {detail}"),
        Text(
            "重新插拔读卡器；在设备上运行 yzt doctor 查看详情。",
            "Replug the reader; run yzt doctor on the kiosk for details.",
        ),
    )


def _camera(detail: str) -> Alert:
    return Alert(
        "CAMERA_FAULT",
        "warning",
        Text("摄像头故障", "Camera fault"),
        Text(
            f"摄像头没有画面（{detail}），人脸核验暂不可用。",
            f"The camera gives no picture ({detail}); face checks are unavailable.",
        ),
        Text(
            "检查摄像头连线，确认镜头没有被遮挡；设备会自动重开摄像头。",
            "Check the camera cable and that nothing covers the lens; the kiosk reopens it.",
        ),
    )


def _link_down(error: str) -> Alert:
    return Alert(
        "VERIFIER_UNREACHABLE",
        "warning",
        Text("离线判定中", "Deciding offline"),
        Text(
            f"设备连不上核验服务，正按本地风险名单离线判定：{error}",
            f"The kiosk cannot reach the verifier and decides from its local risk list: {error}",
        ),
        Text(
            "检查设备到核验服务的网络、防火墙和设备令牌。",
            "Check the network path, firewall and the kiosk's token to the verifier.",
        ),
    )


def _risklist_stale(age: Text, window: Text) -> Alert:
    return Alert(
        "RISKLIST_STALE",
        "critical",
        Text("风险名单过期", "Risk list stale"),
        Text(
            f"风险名单数据已有 {age.zh}，超过 {window.zh} 时限；断网时每个人都会被要求人工核验。",
            f"The risk list is {age.en} old, past the {window.en} window: "
            "offline, everyone gets CHECK.",
        ),
        Text(
            "恢复设备网络并运行 yzt kiosk sync；若所有设备都如此，检查发布名单的核验服务。",
            "Restore the kiosk's network and run yzt kiosk sync; if every kiosk shows this, "
            "check the verifier that publishes the list.",
        ),
    )


def _risklist_aging(age: Text, window: Text) -> Alert:
    return Alert(
        "RISKLIST_AGING",
        "warning",
        Text("风险名单偏旧", "Risk list ageing"),
        Text(
            f"风险名单数据已有 {age.zh}（{window.zh} 后过期）。",
            f"The risk list's data is {age.en} old (stale after {window.en}).",
        ),
        Text(
            "检查设备网络；可在设备上运行 yzt kiosk sync 立即更新。",
            "Check the kiosk's network; yzt kiosk sync on it refreshes the list now.",
        ),
    )


def _risklist_missing() -> Alert:
    return Alert(
        "RISKLIST_MISSING",
        "warning",
        Text("没有风险名单", "No risk list"),
        Text(
            "设备还没有下载过风险名单，断网时无法离线判定。",
            "The kiosk has never downloaded a risk list, so it cannot decide offline.",
        ),
        Text(
            "在设备上运行 yzt kiosk sync；检查它配置的公钥是否与核验服务一致。",
            "Run yzt kiosk sync on it; check its public key matches the verifier's.",
        ),
    )


def _backlog(pending: int, oldest: float) -> Alert:
    age = _age(oldest)
    return Alert(
        "OUTBOX_BACKLOG",
        "warning",
        Text("记录积压", "Upload backlog"),
        Text(
            f"{pending} 条核验记录等待上传，最早的已等待 {age.zh}。",
            f"{pending} events wait to be uploaded; the oldest for {age.en}.",
        ),
        Text(
            "检查设备网络；记录不会丢失，恢复后自动补传。",
            "Check the kiosk's network; events are kept and upload by themselves once it returns.",
        ),
    )


def _outbox_full(refused: int) -> Alert:
    return Alert(
        "OUTBOX_FULL",
        "critical" if refused else "warning",
        Text("记录存储将满", "Outbox nearly full"),
        Text(
            f"设备本地记录存储已用到上限的 80% 以上；已有 {refused} 条新记录无法保存。",
            f"The kiosk's event store is over 80 % of its cap; {refused} new events "
            "could not be kept.",
        ),
        Text(
            "恢复设备到核验服务的网络让记录上传；必要时调大 [offline] outbox_max_mb。",
            "Restore the kiosk's link so events upload; if needed raise [offline] outbox_max_mb.",
        ),
    )


def _drift(drift: float) -> Alert:
    zh, en = ("快", "ahead of") if drift > 0 else ("慢", "behind")
    seconds = f"{abs(drift):.1f}"
    return Alert(
        "CLOCK_DRIFT",
        "warning",
        Text("时钟偏差", "Clock drift"),
        Text(
            f"设备时钟比服务器{zh} {seconds} 秒。",
            f"The kiosk clock is {seconds} s {en} the verifier's.",
        ),
        Text(
            "检查设备的 NTP 时间同步（timedatectl status）。",
            "Check time sync (NTP) on the kiosk: timedatectl status.",
        ),
    )


def _version(version: str, expected: str) -> Alert:
    return Alert(
        "VERSION_MISMATCH",
        "warning",
        Text("版本不一致", "Other version"),
        Text(
            f"设备运行 {version}，应为 {expected}。",
            f"The kiosk runs {version}; the fleet runs {expected}.",
        ),
        Text(
            "按部署流程升级或回退该设备（docs/operations.md）。",
            "Upgrade or roll back this kiosk with the usual deploy (docs/operations.md).",
        ),
    )


def _section(doc: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = doc.get(key)
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def _count(value: Any) -> int | None:
    number = _number(value)
    return None if number is None or number < 0 else int(number)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    return str(value)[:200]
