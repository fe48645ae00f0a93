"""Every alert the fleet raises, as data: one row of ``ALERTS`` per code, in both languages.

Like kiosk/texts.py for the screen's words, this table is the only place an alert is worded;
verifier/fleet/state.py only decides which code to raise and with which facts (``alert``). A
reader alert's code is the one the kiosk sends with its reader's state (``reader.code`` of the
heartbeat, verifier/fleet/heartbeat.py ``ReaderCode``), so no cause is guessed from words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from verifier.fleet.heartbeat import ReaderCode

Severity = Literal["critical", "warning"]
AlertCode = Literal[
    "OFFLINE",
    ReaderCode,
    "CAMERA_FAULT",
    "VOICE_FAULT",
    "VERIFIER_UNREACHABLE",
    "RISKLIST_STALE",
    "RISKLIST_AGING",
    "RISKLIST_MISSING",
    "OUTBOX_FULL",
    "OUTBOX_BACKLOG",
    "CLOCK_DRIFT",
    "VERSION_MISMATCH",
]
"""Every alert; the reader's are the codes the kiosk sends, so a code it may send has a row."""
READER_FALLBACK: ReaderCode = "READER_ERROR"
"""The reader alert for a reader error sent without a code: kiosks from before the heartbeat
carried ``reader.code`` still say what failed, in words, which are shown but not interpreted."""


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


ALERTS: dict[AlertCode, Wording] = {
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

    code: AlertCode
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


def alert(code: AlertCode, *, severity: Severity | None = None, **facts: str | Text) -> Alert:
    """The alert ``code`` of ``ALERTS`` with its facts filled in."""
    wording = ALERTS[code]
    return Alert(
        code,
        severity or wording.severity,
        wording.title,
        wording.cause.format(**facts),
        wording.action,
    )


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


def age_text(seconds: float) -> Text:
    """An age said in both languages."""
    return Text(human_age(seconds, zh=True), human_age(seconds))
