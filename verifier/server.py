"""Running the app under uvicorn: one process, or several workers built by a factory that reads
the config path from ``YZT_VERIFIER_CONFIG`` (uvicorn needs an import string for workers)."""

from __future__ import annotations

import logging.config
import os
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from verifier.app import create_app
from verifier.config import load_config

CONFIG_ENV = "YZT_VERIFIER_CONFIG"
LOG_CONFIG: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"out": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["out"], "level": "INFO"},
    "loggers": {"uvicorn": {"level": "INFO"}, "uvicorn.access": {"level": "INFO"}},
}


def app_factory() -> FastAPI:
    """For ``uvicorn --factory verifier.server:app_factory`` (workers)."""
    return create_app(load_config(Path(os.environ[CONFIG_ENV])))


def run_app(app: FastAPI, *, host: str, port: int) -> None:
    """Serve ``app`` in this process with the verifier's plain log lines (no subject or ID
    number ever appears in them: access lines carry method, path and status)."""
    logging.config.dictConfig(LOG_CONFIG)
    uvicorn.run(app, host=host, port=port, log_config=LOG_CONFIG)


def serve(config_path: Path, *, host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted."""
    if workers > 1:
        logging.config.dictConfig(LOG_CONFIG)
        os.environ[CONFIG_ENV] = str(config_path.resolve())
        uvicorn.run(
            "verifier.server:app_factory",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=LOG_CONFIG,
        )
        return
    run_app(create_app(load_config(config_path)), host=host, port=port)
