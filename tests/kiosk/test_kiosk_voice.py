"""kiosk/voice.py with the real espeak-ng: WAVs rendered ahead, silence when there is no device."""

from __future__ import annotations

import asyncio
import logging
import wave
from pathlib import Path

import pytest
from kiosktools import NO_DEVICE

from kiosk.config import VoiceSection
from kiosk.texts import spoken_phrases
from kiosk.voice import Voice


def duration_s(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.mark.parametrize("language", ["cmn", "yue"])
async def test_every_phrase_renders_to_a_spoken_wav(tmp_path: Path, language: str) -> None:
    voice = Voice(VoiceSection(language=language), tmp_path / "voice")
    files = await voice.render(spoken_phrases())
    assert set(files) == {"PASS", "CHECK", "DENY", "OUT_OF_SERVICE"}
    for path in files.values():
        assert duration_s(path) > 0.5, f"{path.name} is too short to be speech"


async def test_phrases_are_rendered_once_and_reused(tmp_path: Path) -> None:
    voice = Voice(VoiceSection(), tmp_path)
    first = await voice.render({"PASS": "请通行"})
    stamp = first["PASS"].stat().st_mtime_ns
    second = await Voice(VoiceSection(), tmp_path).render({"PASS": "请通行"})
    assert second["PASS"] == first["PASS"]
    assert second["PASS"].stat().st_mtime_ns == stamp
    cantonese = await Voice(VoiceSection(language="yue"), tmp_path).render({"PASS": "请通行"})
    assert cantonese["PASS"] != first["PASS"]


async def test_no_sound_device_is_logged_once_and_the_kiosk_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # "play" (sox) on a box without a sound card fails; so does a player that is not installed.
    for player in (["play", "-q"], ["no-such-player-here"]):
        voice = Voice(VoiceSection(player=player), tmp_path)
        await voice.render({"PASS": "请通行"})
        with caplog.at_level(logging.WARNING, logger="kiosk.voice"):
            caplog.clear()
            for _ in range(3):
                voice.say("PASS")
                await asyncio.sleep(0.3)
        assert voice.problem is not None
        assert len([r for r in caplog.records if "without sound" in r.message]) == 1
        await voice.aclose()


async def test_a_missing_sound_device_is_passed_on_once_and_cleared_when_a_prompt_plays(
    tmp_path: Path,
) -> None:
    heard: list[str] = []
    voice = Voice(VoiceSection(player=NO_DEVICE), tmp_path, heard.append)
    await voice.render({"PASS": "请通行"})
    for _ in range(3):
        voice.say("PASS")
        assert voice._watch is not None
        await voice._watch  # the player ran to its end
    assert len(heard) == 1 and heard[0] == voice.problem
    assert heard[0].startswith("voice player failed (no sound device?): ")
    assert "hw:99" in heard[0] or "card index for 99" in heard[0]

    voice.section = VoiceSection(player=["true"])  # a player that works again
    voice.say("PASS")
    assert voice._watch is not None
    await voice._watch
    assert voice.problem is None and len(heard) == 1
    await voice.aclose()
