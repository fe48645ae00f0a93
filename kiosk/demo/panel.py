"""The demo panel: a page with one button per demo card and a verifier switch, and the HTTP calls
behind them.

Mounted on the demo kiosk's UI app (``/demo``); ``yzt demo tap|remove|verifier`` use the same
calls. Each answer carries ``message``, the sentence the panel and the CLI show.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

PAGE = Path(__file__).parent / "panel.html"


class CardSlot(Protocol):
    """What the panel needs of the SAM simulator."""

    def insert(self, name: str) -> None: ...

    def remove(self) -> None: ...


class VerifierSwitch(Protocol):
    """What the panel needs of the demo's verifier child."""

    @property
    def verifier_running(self) -> bool: ...

    async def start_verifier(self) -> None:
        """Raises ``RuntimeError`` saying why it could not."""

    async def stop_verifier(self) -> None: ...


def verifier_state(verifier: VerifierSwitch) -> dict[str, object]:
    if verifier.verifier_running:
        message = "核验服务运行中 · verifier running: taps are verified online"
    else:
        message = (
            "核验服务已停止 · verifier stopped: taps are decided offline "
            "(saved result, else the signed risk list)"
        )
    return {"running": verifier.verifier_running, "message": message}


def panel_router(slot: CardSlot, cards: dict[str, str], verifier: VerifierSwitch) -> APIRouter:
    """``cards`` maps each demo card name to a one-line description for its button."""
    router = APIRouter(prefix="/demo", include_in_schema=False)

    @router.get("")
    def page() -> FileResponse:
        return FileResponse(PAGE)

    @router.get("/api/cards")
    def list_cards() -> dict[str, str]:
        return cards

    @router.post("/api/tap/{name}")
    def tap(name: str) -> dict[str, str]:
        if name not in cards:
            known = ", ".join(sorted(cards))
            raise HTTPException(404, f"no demo card {name!r}; known cards: {known}")
        slot.remove()
        slot.insert(name)
        return {"inserted": name, "message": f"已放卡 {name} · card {name!r} on the reader"}

    @router.post("/api/remove")
    def remove() -> dict[str, str]:
        slot.remove()
        return {"removed": "card", "message": "已取走卡片 · card taken away"}

    @router.get("/api/verifier")
    def verifier_status() -> dict[str, object]:
        return verifier_state(verifier)

    @router.post("/api/verifier/{action}")
    async def switch_verifier(action: str) -> dict[str, object]:
        if action not in ("start", "stop"):
            raise HTTPException(404, f"no verifier action {action!r}; expected start or stop")
        try:
            await (verifier.start_verifier() if action == "start" else verifier.stop_verifier())
        except RuntimeError as exc:  # the demo says why (port taken, did not answer)
            raise HTTPException(409, f"the verifier did not {action}: {exc}") from None
        return verifier_state(verifier)

    return router
