"""The kiosk daemon: reader events and camera QR codes → tap pipeline → outbox → screen, voice,
gate.

``start()`` reads as the boot sequence and ``aclose()`` undoes all of it: the daemon owns its
files (outbox, offline data), voice, face check, camera, screen server and loops. Every
long-running loop is supervised: a crash is logged, shown to staff and the loop restarts, so the
daemon never dies from reader or verifier trouble. Each effect of a decision is one named step
of ``_record``. One tap at a time: card events are handled in order, the card still on the reader is
not verified again, and the QR scanner looks at the camera only while no tap is running.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import socket
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import uvicorn
from fastapi import APIRouter

from kiosk.config import KioskConfig
from kiosk.decision import Decision, NoOfflineData, OfflineData, unreadable
from kiosk.gate import GateError, SerialGate, open_gate
from kiosk.metrics import KioskMetrics
from kiosk.outbox import Outbox, Uploader
from kiosk.periodic import every
from kiosk.recent import RecentTaps
from kiosk.screen import READING, Screen, ScreenState
from kiosk.status import StatusBoard, drift_s, reader_code
from kiosk.subject import subject_of
from kiosk.tap import PersonHook, Tap, TapPipeline
from kiosk.texts import advice_phrases, spoken_key, spoken_phrases
from kiosk.ui.app import create_ui_app
from kiosk.verifier_client import VerifierClient, VerifierUnavailable
from kiosk.voice import Voice, VoiceError
from readers import (
    CardPresent,
    CardRemoved,
    CardUnreadable,
    IdCard,
    Reader,
    ReaderEvent,
    ReaderFault,
    ReaderRestored,
    open_reader,
)
from readers.backoff import Backoff
from readers.masking import mask_name

if TYPE_CHECKING:
    from kiosk.face.camera import Camera
    from kiosk.face_hook import FaceHook
    from kiosk.qr.codes import CodeReader
    from kiosk.qr.scanner import QrScanner

log = logging.getLogger(__name__)

RESTART_PAUSE_S = 0.5
RESTART_PAUSE_MAX_S = 30.0


class KioskStartError(Exception):
    """The daemon cannot start (port taken, data dir unwritable); the message says which."""


class _QuietServer(uvicorn.Server):
    """uvicorn without its own signal handling: the daemon's owner decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class KioskDaemon:
    def __init__(
        self,
        config: KioskConfig,
        *,
        reader_factory: Callable[[str], Reader] = open_reader,
        offline: OfflineData | None = None,
        extra_routes: Sequence[APIRouter] = (),
    ) -> None:
        """``offline``: offline data already opened (the daemon still starts and closes it);
        by default ``start()`` opens ``kiosk.offline.OfflineState`` when a risk-list key is
        pinned."""
        self.config = config
        self.screen = Screen()
        self.status = StatusBoard(config.kiosk.id, config.kiosk.site)
        self.metrics = KioskMetrics()
        self.recent = RecentTaps()
        self.offline: OfflineData = NoOfflineData() if offline is None else offline
        self._open_offline = offline is None
        # opened by start() (_init_store): a data dir it cannot use stops the start
        self.outbox: Outbox
        self.uploader: Uploader
        self.ui_port: int | None = None
        self._reader_factory = reader_factory
        self._extra_routes = extra_routes
        self._tasks: list[asyncio.Task[None]] = []
        self._pulses: set[asyncio.Task[None]] = set()
        self._card_subject: str | None = None
        self._card_present = False
        self._person: FaceHook | None = None
        self._tap_lock = asyncio.Lock()
        self._qr: QrScanner | None = None
        self._qr_codes: CodeReader | None = None
        self._qr_camera: Camera | None = None
        self._cleanup = contextlib.AsyncExitStack()
        section = config.verifier
        self.client = VerifierClient(
            str(section.url),
            config.token(),
            connect_timeout_s=section.connect_timeout_s,
            retries=section.retries,
        )
        self.voice = Voice(
            config.voice,
            config.data.dir / "voice",
            lambda problem: self.status.error(f"voice: {problem}"),
        )
        self.gate: SerialGate | None = open_gate(config.gate)

    # boot sequence ------------------------------------------------------------------------

    async def start(self) -> None:
        try:
            self._init_store()
            self._init_offline()
            await self._init_voice()
            await self._init_face()
            self._init_qr()
            await self._start_ui()
            await self.offline.start()
        except BaseException:
            await self.aclose()
            raise
        self._spawn("uploader", self.uploader.run)
        self._spawn("heartbeat", self._heartbeat_loop)
        self._spawn("reader", self._read_cards)
        if self._qr is not None:
            self._spawn("qr", self._qr.run)
        log.info("kiosk %s started; screen at %s", self.config.kiosk.id, self.screen_url)

    async def aclose(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.voice.aclose()
        await self._cleanup.aclose()
        await self.client.aclose()

    @property
    def screen_url(self) -> str:
        return f"http://{self.config.ui.host}:{self.ui_port}/"

    def _init_store(self) -> None:
        data = self.config.data.dir
        try:
            data.mkdir(parents=True, exist_ok=True)
            self.outbox = Outbox(
                data / "outbox.sqlite3", max_bytes=int(self.config.offline.outbox_max_mb * 2**20)
            )
        except (OSError, sqlite3.Error) as exc:
            raise KioskStartError(f"data.dir: cannot use {data}: {exc}") from None
        self._cleanup.callback(self.outbox.close)
        section = self.config.verifier
        self.uploader = Uploader(
            self.outbox,
            self.client,
            interval_s=section.upload_interval_s,
            batch=section.upload_batch,
        )

    def _init_offline(self) -> None:
        """Offline decisions need the pinned risk-list key; without it every offline tap is
        CHECK."""
        config = self.config
        pinned = config.offline.public_key_file or config.verifier.public_key_file
        if self._open_offline and pinned is not None:
            from kiosk.offline import OfflineState
            from kiosk.offline.risklist import RiskListError

            try:
                self.offline = OfflineState.from_kiosk(config)
            except (RiskListError, OSError) as exc:
                raise KioskStartError(f"offline data: {exc}") from None
        self._cleanup.push_async_callback(self.offline.aclose)

    async def _init_voice(self) -> None:
        if not self.config.voice.enabled:
            return
        try:
            qr = advice_phrases() if self.config.qr.enabled else {}
            await self.voice.render(spoken_phrases() | qr)
        except (VoiceError, OSError) as exc:
            self.voice.report(str(exc))

    async def _init_face(self) -> None:
        if not self.config.face.enabled:
            return
        from kiosk.face.errors import FaceSetupError
        from kiosk.face_hook import FaceHook

        try:
            self._person = FaceHook(self.config.face)
        except FaceSetupError as exc:
            raise KioskStartError(f"face: {exc}") from None
        self._cleanup.push_async_callback(self._person.aclose)
        await self._person.start()

    def _init_qr(self) -> None:
        """The QR scanner on the face check's camera, or on its own when there is no face check."""
        if not self.config.qr.enabled:
            return
        from kiosk.face.camera import Camera
        from kiosk.qr.codes import CodeReader, QrSetupError
        from kiosk.qr.scanner import QrScanner

        try:
            self._qr_codes = CodeReader(
                self.config.qr, self.offline.card_revoked, synced=self.offline.trust_list
            )
        except QrSetupError as exc:
            raise KioskStartError(str(exc)) from None
        camera = self._person.camera if self._person is not None else None
        if camera is None:
            camera = Camera(self.config.face.camera)
            camera.start()
            self._cleanup.push_async_callback(asyncio.to_thread, camera.close)
        self._qr_camera = camera
        pipeline = self._pipeline()
        self._qr = QrScanner(
            camera,
            scan_fps=self.config.qr.scan_fps,
            repeat_after_s=self.config.qr.repeat_after_s,
            on_code=lambda text: self._on_qr(text, pipeline),
            idle=lambda: not self._tap_lock.locked(),
            on_frame=self.metrics.qr_frames.inc,
        )

    async def _start_ui(self) -> None:
        app = create_ui_app(
            screen=self.screen,
            status=self.staff_status,
            metrics=self.render_metrics,
            extra_routes=self._extra_routes,
        )
        sock = _bind(self.config.ui.host, self.config.ui.port)
        self.ui_port = sock.getsockname()[1]
        server = _QuietServer(
            uvicorn.Config(app, log_level="warning", lifespan="off", access_log=False)
        )
        self._tasks.append(asyncio.create_task(server.serve(sockets=[sock]), name="ui"))
        while not server.started:
            await asyncio.sleep(0.01)

    def _pipeline(self) -> TapPipeline:
        person: PersonHook | None = self._person
        return TapPipeline(
            site=self.config.kiosk.site,
            pepper=self.config.pepper(),
            client=self.client,
            offline=self.offline,
            deadline_s=self.config.verifier.deadline_s,
            person=person,
        )

    # loops ------------------------------------------------------------------------------

    def _spawn(self, name: str, loop: Callable[[], Awaitable[None]]) -> None:
        """Run ``loop`` for ever: a failure is logged (once per kind) and retried with back-off."""

        async def supervised() -> None:
            backoff, last = Backoff(2 * RESTART_PAUSE_S, RESTART_PAUSE_MAX_S), ""
            while True:
                try:
                    await loop()
                    backoff.reset()
                    pause = RESTART_PAUSE_S
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    message = f"{name}: {type(exc).__name__}: {exc}"
                    if message != last:
                        log.exception("%s loop failed; restarting", name)
                    last = message
                    self.status.error(message)
                    pause = backoff.next()
                await asyncio.sleep(pause)

        self._tasks.append(asyncio.create_task(supervised(), name=name))

    async def _read_cards(self) -> None:
        pipeline = self._pipeline()
        try:
            reader = self._reader_factory(self.config.reader.uri)
        except Exception as exc:
            self._reader_down(f"cannot open {self.config.reader.uri}: {exc}", "READER_ERROR")
            raise
        self.status.reader_ok("reader opened")
        self.metrics.reader_up.set(1)
        try:
            async for event in reader.events():
                await self.handle(event, pipeline)
        finally:
            await reader.aclose()

    async def handle(self, event: ReaderEvent, pipeline: TapPipeline) -> None:
        """React to one reader event."""
        match event:
            case CardPresent(card=card):
                self._reader_up()
                await self._on_card(card, pipeline)
            case CardUnreadable(reason=cause, field=field):
                self._reader_up()
                self._card_present = True
                started = time.perf_counter()
                self.screen.show(READING)
                tap = Tap(str(uuid.uuid4()), unreadable(cause, field), None, None, None)
                self._record(tap, None, started)
            case CardRemoved():
                self._card_present = False
                self._card_subject = None
                self.screen.idle_after(self.config.ui.removal_hold_s)
            case ReaderFault(message=message, code=code):
                self._reader_down(message, reader_code(code))
            case ReaderRestored():
                self._reader_up()

    async def _on_card(self, card: IdCard, pipeline: TapPipeline) -> None:
        started = time.perf_counter()
        subject = subject_of(pipeline.pepper, card.id_number)
        if self._card_present and subject == self._card_subject:
            return
        self._card_present, self._card_subject = True, subject
        async with self._tap_lock:
            self.screen.show(READING)
            tap = await pipeline.decide(card)
            self._record(tap, masked(card), started)

    async def _on_qr(self, text: str, pipeline: TapPipeline) -> None:
        """A new QR code from the camera: an elder card runs the tap pipeline, a refused card or
        a health certificate is shown as decided, any other code is ignored."""
        from kiosk.qr.codes import CardCode

        assert self._qr_codes is not None
        code = self._qr_codes.read(text)
        if code is None:
            return
        async with self._tap_lock:
            started = time.perf_counter()
            self.screen.show(READING)
            if isinstance(code, CardCode):
                tap, name = await pipeline.decide_qr(code.card), None
                self.metrics.qr_codes.labels("yzt", "QR_VALID").inc()
            else:
                tap, name = code.as_tap(), code.masked_name
                self.metrics.qr_codes.labels(code.format, code.decision.reasons[0]).inc()
            self._record(tap, name, started)

    def _record(self, tap: Tap, masked_name: str | None, started: float) -> None:
        """Every effect of a decision, one step each: kept for upload before anything changes
        on the screen, then what people see, hear and walk through, then what staff see (counts,
        metrics, the verifier's trouble, the last taps)."""
        latency_s = time.perf_counter() - started
        self._keep(tap, latency_s)
        self._show(tap.decision, masked_name)
        self._say(tap.decision)
        self._pass_gate(tap.decision)
        self._count(tap, latency_s)
        self._note_verifier_trouble(tap.decision)
        self.recent.add(tap.decision, masked_name)

    def _keep(self, tap: Tap, latency_s: float) -> None:
        """Outbox, then wake the uploader.

        A tap is sent when it names a holder (subject) or what was shown (card type: a health
        certificate's event has ``hc1`` and no subject). A card without a readable identity has
        neither, so it is counted but not sent.
        """
        if tap.subject is not None or tap.card_type is not None:
            try:
                self.outbox.add(self._event(tap, latency_s * 1000))
            except sqlite3.Error as exc:  # a full or broken disk must not leave the elder waiting
                log.error("outbox: event %s not recorded: %s", tap.event_id, exc)
                self.status.error(f"outbox: event not recorded: {exc}")
        self.uploader.nudge()

    def _show(self, decision: Decision, masked_name: str | None) -> None:
        age = decision.data_age_s
        self.screen.show(
            ScreenState(
                state="result",
                verdict=decision.verdict,
                reasons=list(decision.reasons),
                name=masked_name,
                source=decision.source,
                data_age_s=None if age is None else round(age, 1),
            ),
            idle_after_s=self.config.ui.result_hold_s,
        )

    def _say(self, decision: Decision) -> None:
        self.voice.say(spoken_key(decision.verdict, decision.reasons))

    def _pass_gate(self, decision: Decision) -> None:
        """A PASS pulses the gate in the background: the screen never waits for the relay."""
        if decision.verdict != "PASS" or self.gate is None:
            return
        pulse = asyncio.get_running_loop().create_task(self._open_gate(self.gate))
        self._pulses.add(pulse)
        pulse.add_done_callback(self._pulses.discard)

    def _count(self, tap: Tap, latency_s: float) -> None:
        """Today's counts on the status page and the Prometheus metrics."""
        decision = tap.decision
        self.status.count(decision.verdict, tap.age_band)
        self.metrics.taps.labels(decision.verdict, decision.source).inc()
        self.metrics.tap_seconds.observe(latency_s)

    def _note_verifier_trouble(self, decision: Decision) -> None:
        """A tap decided without the verifier shows staff why it did not answer."""
        if decision.source != "online" and self.client.last_error:
            self.status.error(f"verifier: {self.client.last_error}")
            self.metrics.verifier_errors.inc()

    def _event(self, tap: Tap, latency_ms: float) -> dict[str, Any]:
        return {
            "event_id": tap.event_id,
            "kiosk_id": self.config.kiosk.id,
            "site": self.config.kiosk.site,
            "at": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "verdict": tap.decision.verdict,
            "reasons": list(tap.decision.reasons),
            "source": tap.decision.source,
            "card_type": tap.card_type,
            "age_band": tap.age_band,
            "subject": tap.subject,
            "latency_ms": round(latency_ms, 1),
        }

    async def _open_gate(self, gate: SerialGate) -> None:
        try:
            await gate.pulse()
        except GateError as exc:
            self.status.error(str(exc))
            log.warning("%s", exc)

    def _reader_up(self) -> None:
        if self.status.reader.state != "ok":
            self.status.reader_ok()
        self.screen.set_reader_ok(True)
        self.metrics.reader_up.set(1)

    def _reader_down(self, message: str, code: str) -> None:
        """The card on a failed reader is as good as gone: its result fades like on removal.

        Whoever stands there when a working reader fails is told to find staff. ``code`` says
        what failed (kiosk/status.py ``READER_CODES``), for the fleet console's alert.
        """
        if self.status.reader.state == "ok":
            self.voice.say("OUT_OF_SERVICE")
        self._card_present, self._card_subject = False, None
        self.screen.idle_after(self.config.ui.removal_hold_s)
        self.status.reader_error(message, code)
        self.screen.set_reader_ok(False)
        self.metrics.reader_up.set(0)

    async def _heartbeat_loop(self) -> None:
        await every(self.config.verifier.heartbeat_interval_s, self.send_heartbeat)

    async def send_heartbeat(self) -> None:
        try:
            server_time = await self.client.heartbeat(self.status_document())
        except VerifierUnavailable as exc:
            log.info("heartbeat not delivered: %s", exc)
            return
        self.status.clock_drift_s = drift_s(server_time)

    # staff views --------------------------------------------------------------------------

    def staff_status(self) -> dict[str, Any]:
        """``/api/status``: the heartbeat's document and the last taps, which stay on the
        kiosk (kiosk/recent.py)."""
        return {**self.status_document(), "recent": self.recent.document()}

    def status_document(self) -> dict[str, Any]:
        """The heartbeat's document (``kiosk.status``), as the verifier's model accepts it."""
        client = self.client
        link = (
            "unknown"
            if client.last_ok is None and client.last_error is None
            else ("ok" if client.last_error is None else "error")
        )
        return self.status.document(
            verifier={
                "url": str(self.config.verifier.url),
                "state": link,
                "latency_ms": None if client.latency_ms is None else round(client.latency_ms, 1),
                "last_error": client.last_error,
            },
            outbox=self.outbox.status(),
            **self.offline.status(),
            camera=self._camera_status(),
            voice={
                "state": "off"
                if not self.config.voice.enabled
                else ("error" if self.voice.problem else "ok"),
                "detail": self.voice.problem,
            },
            gate={"kind": self.config.gate.kind},
        )

    def _camera_status(self) -> dict[str, Any]:
        """The heartbeat's ``camera`` section, in the same shape with or without a face check
        (the QR scanner's own camera when there is no face check)."""
        if self._person is None and self._qr_camera is not None:
            camera = self._qr_camera.status()
            return {"state": camera["state"], "detail": camera["detail"]}
        if self._person is None:
            return {"state": "off"}
        face = self._person.status()
        return {
            "state": face["camera"],
            "detail": face.get("camera_detail"),
            "engine": face.get("engine"),
            "photo_source": face.get("photo_source"),
            "unavailable_reason": face.get("unavailable_reason"),
        }

    def render_metrics(self) -> bytes:
        self.metrics.outbox_pending.set(self.outbox.pending())
        return self.metrics.render()


def masked(card: IdCard) -> str | None:
    name = card.name or card.name_en
    return mask_name(name) if name else None


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise KioskStartError(f"ui.port: cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
