"""The ``[face]`` table for command-line use: read from a kiosk TOML file, with flag overrides."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from kiosk.face.config import FaceConfig
from kiosk.face.errors import FaceInputError


def load_face_config(
    path: Path | None, *, engine: str | None = None, models_dir: Path | None = None
) -> FaceConfig:
    """The ``[face]`` table of ``path`` (defaults without one), ``engine`` validated as if in it."""
    table: dict[str, object] = {}
    if path is not None:
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8")).get("face", {})
        except OSError as exc:
            raise FaceInputError(f"{path}: cannot read: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise FaceInputError(f"{path}: not valid TOML: {exc}") from None
    if engine is not None:
        table["engine"] = engine
    try:
        config = FaceConfig.model_validate(table)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(["face", *(str(part) for part in first["loc"])])
        raise FaceInputError(f"{path}: {key}: {first['msg']}") from None
    if models_dir is not None:
        models = config.models.model_copy(update={"dir": models_dir})
        config = config.model_copy(update={"models": models})
    return config
