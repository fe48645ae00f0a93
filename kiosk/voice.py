"""Spoken prompts: rendered once to WAV with espeak-ng at start, played with a Debian player.

Rendering ahead means speech starts as soon as the verdict is shown. Files are named by a hash of
voice, speed and text, so a restart reuses them. A box without a sound device (or without a
player) is logged once and the kiosk goes on silently; ``problem`` says why, and ``on_problem``
hears of each new one (the daemon puts it in the status staff and the fleet see). A prompt that
plays again clears it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from kiosk.config import VoiceSection

log = logging.getLogger(__name__)


class VoiceError(Exception):
    """espeak-ng is missing or could not render a phrase."""


class Voice:
    def __init__(
        self,
        section: VoiceSection,
        directory: Path,
        on_problem: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.section = section
        self.directory = directory
        self.on_problem = on_problem
        self.files: dict[str, Path] = {}
        self.problem: str | None = None
        self._playing: asyncio.subprocess.Process | None = None
        self._watch: asyncio.Task[None] | None = None

    async def render(self, phrases: dict[str, str]) -> dict[str, Path]:
        """Render every phrase not already on disk; raise ``VoiceError`` if espeak-ng fails."""
        if shutil.which("espeak-ng") is None:
            raise VoiceError("espeak-ng is not installed (Debian package espeak-ng)")
        self.directory.mkdir(parents=True, exist_ok=True)
        paths = {key: self._path_for(text) for key, text in phrases.items()}
        await asyncio.gather(*(self._render_one(text, paths[key]) for key, text in phrases.items()))
        self.files = paths
        return paths

    def say(self, key: str) -> None:
        """Start playing phrase ``key``, cutting off whatever is still playing."""
        path = self.files.get(key)
        if path is None or not self.section.enabled:
            return
        self._stop()
        self._watch = asyncio.get_running_loop().create_task(self._play(path))

    async def aclose(self) -> None:
        self._stop()
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch

    def _path_for(self, text: str) -> Path:
        key = f"{self.section.language}|{self.section.speed_wpm}|{text}".encode()
        return self.directory / f"{hashlib.sha256(key).hexdigest()[:16]}.wav"

    async def _render_one(self, text: str, path: Path) -> None:
        if path.is_file() and path.stat().st_size > 44:
            return
        tmp = path.with_suffix(".tmp")
        process = await asyncio.create_subprocess_exec(
            "espeak-ng",
            "-v",
            self.section.language,
            "-s",
            str(self.section.speed_wpm),
            "-w",
            str(tmp),
            text,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await process.communicate()
        if process.returncode != 0 or not tmp.is_file():
            raise VoiceError(f"espeak-ng could not render a phrase: {err.decode().strip()}")
        tmp.replace(path)

    async def _play(self, path: Path) -> None:
        try:
            process = await asyncio.create_subprocess_exec(
                *self.section.player,
                str(path),
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as exc:
            self.report(f"voice player {self.section.player[0]!r} cannot start: {exc}")
            return
        self._playing = process
        _, err = await process.communicate()
        if process.returncode == 0:
            self.problem = None
        elif process.returncode != -15:
            last = err.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            self.report(f"voice player failed (no sound device?): {last[0]}")

    def report(self, message: str) -> None:
        """Record why the kiosk is silent: logged and passed on once, not at every prompt."""
        if message == self.problem:
            return
        if self.problem is None:
            log.warning("%s; the kiosk goes on without sound", message)
        self.problem = message
        self.on_problem(message)

    def _stop(self) -> None:
        if self._playing is not None and self._playing.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self._playing.terminate()
        self._playing = None
