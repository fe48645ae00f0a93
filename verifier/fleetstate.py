"""What staff should know about each kiosk, from its last heartbeat: a state and plain alerts.

Pure: a heartbeat row (``kiosk_id``, ``site``, ``doc``, ``received_at``) and the current instant
in, a :class:`KioskState` out. The stored document is read with
``verifier.api.heartbeat.read_status``: what does not validate is dropped, so an old or broken
kiosk shows as ``—``, never as an error.

States: ``offline`` (no heartbeat for ``[fleet] offline_after_s``), ``degraded`` (heartbeats
arrive but something needs a person), ``online``. An offline kiosk gets only the ``OFFLINE``
alert: the rest of its last document is history, shown greyed but not alerted on.

Every alert's words live in one table, ``ALERTS`` (alerts as data, like kiosk/texts.py for the
screen); the rules below only decide which code to raise and with which facts. Reader alerts
are the code the kiosk reported (it knows what failed; the verifier does not guess from words).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from verifier.api.heartbeat import KioskStatus, read_status
from verifier.config import FleetConfig

State = Literal["online", "degraded", "offline"]
Severity = Literal["critical", "warning"]
STATES: tuple[State, ...] = ("offline", "degraded", "online")
COUNT_KEYS = ("total", "elder", "PASS", "CHECK", "DENY")


@dataclass(frozen=True)
class Text:
    """One message in both languages the console shows."""

    zh: str
    en: str

    def as_json(self) -> dict[str, str]:
        return {"zh": self.zh, "en": self.en}

    def format(self, **facts: str | Text) -> Text:
        """Both templates filled in; a fact given as ``Text`` is said in each language."""

        def said(language: str) -> dict[str, str]:
            return {k: getattr(v, language) if isinstance(v, Text) else v for k, v in facts.items()}

        return Text(self.zh.format(**said("zh")), self.en.format(**said("en")))


@dataclass(frozen=True)
class Wording:
    """One row of ``ALERTS``: the usual severity, a title, why (cause) and what to do."""

    severity: Severity
    title: Text
    cause: Text
    action: Text


ALERTS: dict[str, Wording] = {
    "OFFLINE": Wording(
        "critical",
        Text("离线", "Offline"),
        Text(
            "已 {age} 没有收到心跳（正常每 30 秒一次）。",
            "No heartbeat for {age} (kiosks send one every 30 s).",
        ),
        Text(
            "检查设备电源和网络；在设备上运行 yzt doctor。",
            "Check the kiosk's power and network; run yzt doctor on it.",
        ),
    ),
    "READER_UNPLUGGED": Wording(
        "critical",
        Text("读卡器未连接", "Reader disconnected"),
        Text(
            "读卡器已断开或找不到。读卡器报告：{detail}",
            "The card reader is unplugged or missing. It says: {detail}",
        ),
        Text(
            "检查读卡器的 USB/串口线并插好，设备会自动重连；线缆完好时在设备上运行 yzt doctor。",
            "Check the reader's USB/serial cable and plug it back in; the kiosk reconnects. "
            "If the cable is fine, run yzt doctor on the kiosk.",
        ),
    ),
    "READER_SERVICE_DOWN": Wording(
        "critical",
        Text("读卡服务停止", "Card service down"),
        Text(
            "读卡服务 pcscd 没有运行。读卡器报告：{detail}",
            "The card service (pcscd) is not running. It says: {detail}",
        ),
        Text(
            "在设备上运行 sudo systemctl restart pcscd，再运行 yzt doctor 检查。",
            "On the kiosk run sudo systemctl restart pcscd, then yzt doctor.",
        ),
    ),
    "READER_JAMMED": Wording(
        "critical",
        Text("读卡器卡住", "Reader jammed"),
        Text(
            "读卡器不再响应，可能有卡卡住。读卡器报告：{detail}",
            "The reader stopped answering; a card may be stuck. It says: {detail}",
        ),
        Text(
            "取出读卡区的卡，重新插拔读卡器；仍不行就更换读卡器。",
            "Remove any stuck card and replug the reader; replace it if that does not help.",
        ),
    ),
    "READER_CARD_PULLED": Wording(
        "warning",
        Text("读卡中卡被拿走", "Card taken away mid-read"),
        Text(
            "读卡时卡被拿走，读卡器会自动恢复。读卡器报告：{detail}",
            "A card left the reader during a read; the reader resumes by itself. It says: {detail}",
        ),
        Text(
            "若反复出现，请提醒持卡人把卡放稳，直到屏幕显示结果。",
            "If it keeps happening, ask people to leave the card still until the screen "
            "shows the result.",
        ),
    ),
    "READER_ERROR": Wording(
        "critical",
        Text("读卡器故障", "Reader fault"),
        Text("读卡器报告错误：{detail}", "The reader reports an error: {detail}"),
        Text(
            "重新插拔读卡器；在设备上运行 yzt doctor 查看详情。",
            "Replug the reader; run yzt doctor on the kiosk for details.",
        ),
    ),
    "CAMERA_FAULT": Wording(
        "warning",
        Text("摄像头故障", "Camera fault"),
        Text(
            "摄像头没有画面（{detail}），人脸核验暂不可用。",
            "The camera gives no picture ({detail}); face checks are unavailable.",
        ),
        Text(
            "检查摄像头连线，确认镜头没有被遮挡；设备会自动重开摄像头。",
            "Check the camera cable and that nothing covers the lens; the kiosk reopens it.",
        ),
    ),
    "VOICE_FAULT": Wording(
        "warning",
        Text("语音故障", "Voice fault"),
        Text(
            "设备无法播放语音提示（{detail}），结果只显示在屏幕上。",
            "The kiosk cannot speak its prompts ({detail}); results are shown on screen only.",
        ),
        Text(
            "检查扬声器和声卡，在设备上运行 yzt doctor（sound 项）；下一次播放成功后告警消失。"
            "若缺少 espeak-ng，安装后重启 yzt-kiosk。",
            "Check the speaker and sound card and run yzt doctor on the kiosk (the sound "
            "check); the alert clears once a prompt plays. If espeak-ng is missing, install it "
            "and restart yzt-kiosk.",
        ),
    ),
    "VERIFIER_UNREACHABLE": Wording(
        "warning",
        Text("离线判定中", "Deciding offline"),
        Text(
            "设备连不上核验服务，正按本地风险名单离线判定：{error}",
            "The kiosk cannot reach the verifier and decides from its local risk list: {error}",
        ),
        Text(
            "检查设备到核验服务的网络、防火墙和设备令牌。",
            "Check the network path, firewall and the kiosk's token to the verifier.",
        ),
    ),
    "RISKLIST_STALE": Wording(
        "critical",
        Text("风险名单过期", "Risk list stale"),
        Text(
            "风险名单数据已有 {age}，超过 {window} 时限；断网时每个人都会被要求人工核验。",
            "The risk list is {age} old, past the {window} window: offline, everyone gets CHECK.",
        ),
        Text(
            "恢复设备网络并运行 yzt kiosk sync；若所有设备都如此，检查发布名单的核验服务。",
            "Restore the kiosk's network and run yzt kiosk sync; if every kiosk shows this, "
            "check the verifier that publishes the list.",
        ),
    ),
    "RISKLIST_AGING": Wording(
        "warning",
        Text("风险名单偏旧", "Risk list ageing"),
        Text(
            "风险名单数据已有 {age}（{window} 后过期）。",
            "The risk list's data is {age} old (stale after {window}).",
        ),
        Text(
            "检查设备网络；可在设备上运行 yzt kiosk sync 立即更新。",
            "Check the kiosk's network; yzt kiosk sync on it refreshes the list now.",
        ),
    ),
    "RISKLIST_MISSING": Wording(
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
    ),
    "OUTBOX_FULL": Wording(
        "warning",
        Text("记录存储将满", "Outbox nearly full"),
        Text(
            "设备本地记录存储已用到上限的 80% 以上；已有 {refused} 条新记录无法保存。",
            "The kiosk's event store is over 80 % of its cap; {refused} new events could not "
            "be kept.",
        ),
        Text(
            "恢复设备到核验服务的网络让记录上传；必要时调大 [offline] outbox_max_mb。",
            "Restore the kiosk's link so events upload; if needed raise [offline] outbox_max_mb.",
        ),
    ),
    "OUTBOX_BACKLOG": Wording(
        "warning",
        Text("记录积压", "Upload backlog"),
        Text(
            "{pending} 条核验记录等待上传，最早的已等待 {age}。",
            "{pending} events wait to be uploaded; the oldest for {age}.",
        ),
        Text(
            "检查设备网络；记录不会丢失，恢复后自动补传。",
            "Check the kiosk's network; events are kept and upload by themselves once it returns.",
        ),
    ),
    "CLOCK_DRIFT": Wording(
        "warning",
        Text("时钟偏差", "Clock drift"),
        Text(
            "设备时钟比服务器{direction} {seconds} 秒。",
            "The kiosk clock is {seconds} s {direction} the verifier's.",
        ),
        Text(
            "检查设备的 NTP 时间同步（timedatectl status）。",
            "Check time sync (NTP) on the kiosk: timedatectl status.",
        ),
    ),
    "VERSION_MISMATCH": Wording(
        "warning",
        Text("版本不一致", "Other version"),
        Text(
            "设备运行 {version}，应为 {expected}。",
            "The kiosk runs {version}; the fleet runs {expected}.",
        ),
        Text(
            "按部署流程升级或回退该设备（docs/operations.md）。",
            "Upgrade or roll back this kiosk with the usual deploy (docs/operations.md).",
        ),
    ),
}
AHEAD, BEHIND = Text("快", "ahead of"), Text("慢", "behind")


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


def alert(code: str, *, severity: Severity | None = None, **facts: str | Text) -> Alert:
    """The alert ``code`` of ``ALERTS`` with its facts filled in."""
    wording = ALERTS[code]
    return Alert(
        code,
        severity or wording.severity,
        wording.title,
        wording.cause.format(**facts),
        wording.action,
    )


@dataclass(frozen=True)
class Vitals:
    """The columns of one fleet row (``None`` = not reported)."""

    reader_state: str | None = None
    reader_code: str | None = None
    reader_detail: str | None = None
    camera_state: str | None = None
    camera_detail: str | None = None
    voice_state: str | None = None
    voice_detail: str | None = None
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
    def of(cls, status: KioskStatus) -> Vitals:
        reader, camera, voice, link = status.reader, status.camera, status.voice, status.verifier
        risk, outbox, counts = status.risklist, status.outbox, status.counts_today
        drift = status.clock_drift_s
        if drift is None and status.clock is not None:
            drift = status.clock.drift_s
        return cls(
            reader_state=reader.state if reader else None,
            reader_code=reader.code if reader else None,
            reader_detail=reader.detail if reader else None,
            camera_state=camera.state if camera else None,
            camera_detail=camera.detail if camera else None,
            voice_state=voice.state if voice else None,
            voice_detail=voice.detail if voice else None,
            link_state=link.state if link else None,
            link_error=link.last_error if link else None,
            risklist_version=risk.version if risk else None,
            risklist_age_s=risk.age_s if risk else None,
            risklist_fresh=risk.fresh if risk else None,
            outbox_pending=outbox.pending if outbox else None,
            outbox_oldest_s=outbox.oldest_age_s if outbox else None,
            outbox_alarm=bool(outbox and outbox.alarm),
            outbox_refused=(outbox and outbox.refused) or 0,
            clock_drift_s=drift,
            version=status.version,
            counts={
                key: n
                for key in COUNT_KEYS
                if counts is not None and (n := getattr(counts, key)) is not None
            },
        )

    @classmethod
    def from_doc(cls, doc: Any) -> Vitals:
        """The columns of a stored or served document, read as far as it validates."""
        return cls.of(read_status(doc))


@dataclass(frozen=True)
class KioskState:
    """One kiosk as the console shows it."""

    kiosk_id: str
    site: str
    state: State
    received_at: datetime
    last_seen_s: float
    status: KioskStatus
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
    status = read_status(row["doc"])
    last_seen_s = max((now - row["received_at"]).total_seconds(), 0.0)
    vitals = Vitals.of(status)
    if last_seen_s > config.offline_after_s:
        alerts: tuple[Alert, ...] = (alert("OFFLINE", age=_age(last_seen_s)),)
        state: State = "offline"
    else:
        alerts = tuple(_alerts(vitals, config, expected_version))
        state = "degraded" if alerts else "online"
    return KioskState(
        row["kiosk_id"], row["site"], state, row["received_at"], last_seen_s, status, vitals, alerts
    )


def reference_version(docs: Iterable[Any], config: FleetConfig) -> str | None:
    """The version kiosks should run: the configured one, else the clear majority's (a tie
    names none, so a half-done rollout raises no alert either way)."""
    if config.expected_version:
        return config.expected_version
    versions = Counter(v for doc in docs if (v := read_status(doc).version))
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
    if v.reader_state == "error":
        yield alert(v.reader_code or "READER_ERROR", detail=v.reader_detail or "—")
    if v.camera_state == "lost":
        yield alert("CAMERA_FAULT", detail=v.camera_detail or v.camera_state)
    if v.voice_state == "error":
        yield alert("VOICE_FAULT", detail=v.voice_detail or "no detail")
    if v.link_state == "error":
        yield alert("VERIFIER_UNREACHABLE", error=v.link_error or "no answer")
    yield from _risklist(v, config)
    if v.outbox_alarm or v.outbox_refused:
        severity: Severity = "critical" if v.outbox_refused else "warning"
        yield alert("OUTBOX_FULL", severity=severity, refused=str(v.outbox_refused))
    pending, oldest = v.outbox_pending or 0, v.outbox_oldest_s or 0.0
    if pending > config.outbox_pending_max or oldest > config.outbox_oldest_max_s:
        yield alert("OUTBOX_BACKLOG", pending=str(pending), age=_age(oldest))
    drift = v.clock_drift_s
    if drift is not None and abs(drift) > config.clock_drift_max_s:
        direction = AHEAD if drift > 0 else BEHIND
        yield alert("CLOCK_DRIFT", direction=direction, seconds=f"{abs(drift):.1f}")
    if expected_version and v.version and v.version != expected_version:
        yield alert("VERSION_MISMATCH", version=v.version, expected=expected_version)


def _risklist(v: Vitals, config: FleetConfig) -> Iterable[Alert]:
    age = v.risklist_age_s
    if age is None:
        if v.risklist_fresh is False:
            yield alert("RISKLIST_MISSING")
        return
    window = _age(config.risklist_stale_s)
    if age > config.risklist_stale_s or v.risklist_fresh is False:
        yield alert("RISKLIST_STALE", age=_age(age), window=window)
    elif age > config.risklist_warn_s:
        yield alert("RISKLIST_AGING", age=_age(age), window=window)
