"""The demo panel: a page with one button per demo card, and the HTTP calls behind it.

Mounted on the demo kiosk's UI app (``/demo``); ``yzt demo tap|remove`` use the same calls.
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


def panel_router(slot: CardSlot, cards: dict[str, str]) -> APIRouter:
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
        return {"inserted": name}

    @router.post("/api/remove")
    def remove() -> dict[str, str]:
        slot.remove()
        return {"removed": "card"}

    return router
