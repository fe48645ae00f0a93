"""``create_ui_app``: the screen page, SSE pushes, staff status and metrics.

Nothing here decides anything; it renders what the daemon's ``Screen`` and status hold. The
endpoints are ``async`` so they run on the daemon's loop, next to the state they read.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import FileResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST

from kiosk.screen import ReaderState, Screen, ScreenState
from kiosk.texts import texts_document
from kiosk.version import kiosk_version

STATIC = Path(__file__).parent / "static"


def create_ui_app(
    *,
    screen: Screen,
    status: Callable[[], dict[str, Any]],
    metrics: Callable[[], bytes],
    extra_routes: Sequence[APIRouter] = (),
) -> FastAPI:
    app = FastAPI(title="yzt kiosk", version=kiosk_version(), docs_url=None, redoc_url=None)

    @app.get("/", include_in_schema=False)
    def screen_page() -> FileResponse:
        return FileResponse(STATIC / "screen.html")

    @app.get("/status", include_in_schema=False)
    def status_page() -> FileResponse:
        return FileResponse(STATIC / "status.html")

    @app.get("/api/screen")
    async def get_screen() -> ScreenState:
        return screen.current

    @app.get("/api/screen/events", response_class=EventSourceResponse)
    async def screen_events() -> AsyncIterator[ServerSentEvent]:
        async for update in screen.updates():
            kind = "reader" if isinstance(update, ReaderState) else "screen"
            yield ServerSentEvent(data=update.model_dump(), event=kind)

    @app.get("/api/texts")
    async def get_texts() -> dict[str, object]:
        return texts_document()

    @app.get("/api/status")
    async def get_status() -> dict[str, Any]:
        return status()

    @app.get("/metrics", include_in_schema=False)
    async def get_metrics() -> Response:
        return Response(metrics(), media_type=CONTENT_TYPE_LATEST)

    for router in extra_routes:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
