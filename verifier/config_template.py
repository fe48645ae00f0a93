"""The commented TOML file of a settings model, written from the model itself so the defaults
live in one place (the ``Field``s), not again in a hand-kept template.

Each section model becomes a ``[table]`` headed by its field's description; each key gets its
description as a comment, then ``key = default``. A key that is unset by default (``None``, an
empty list or table) is shown commented out with its first ``examples`` entry; a ``SecretStr``
key is named with its environment variable only, since secrets never sit in the file.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

WIDTH = 100


def render(
    settings: type[BaseSettings], values: Mapping[str, Mapping[str, Any]], title: str
) -> str:
    """The whole file: ``title`` (a comment), then every section; ``values`` fill in what the
    models leave required or that the caller chooses (e.g. paths under a data folder)."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    delimiter = str(settings.model_config.get("env_nested_delimiter", "__"))
    parts = [_comment(title)]
    for name, field in settings.model_fields.items():
        section = field.annotation
        if not (isinstance(section, type) and issubclass(section, BaseModel)):
            raise TypeError(f"{name}: only sections (models) at the top level")
        env = f"{prefix}{name}{delimiter}".upper()
        body = _section(name, section, values.get(name, {}), env)
        parts.append(f"{_comment(field.description or '')}\n[{name}]\n{body}")
    return "\n\n".join(parts) + "\n"


def _section(name: str, model: type[BaseModel], values: Mapping[str, Any], env: str) -> str:
    keys: list[str] = []
    tables: list[str] = []
    for key, field in model.model_fields.items():
        if SecretStr in (field.annotation, *get_args(field.annotation)):
            keys.append(_comment(f"{key}: environment only ({env}{key.upper()}); {_about(field)}"))
        elif key in values:
            keys.append(f"{_comment(_about(field))}\n{key} = {_toml(values[key])}")
        elif field.is_required():
            raise ValueError(f"{name}.{key}: required, so the caller must give a value")
        else:
            default = field.get_default(call_default_factory=True)
            (tables if isinstance(default, dict) else keys).append(_key(key, field, default, name))
    return "\n".join(keys + tables)


def _key(key: str, field: FieldInfo, default: Any, section: str) -> str:
    unset = default is None or default == [] or default == {}
    about = _comment(_about(field) + (" [default: unset]" if unset else ""))
    shown = _example(field, f"{section}.{key}") if unset else default
    hide = "# " if unset else ""
    if isinstance(default, dict):
        lines = (f"{hide}{_toml(k)} = {_toml(v)}" for k, v in shown.items())
        return f"{about}\n[{section}.{key}]\n" + "\n".join(lines)
    return f"{about}\n{hide}{key} = {_toml(shown)}"


def _about(field: FieldInfo) -> str:
    return field.description or field.title or ""


def _example(field: FieldInfo, where: str) -> Any:
    if not field.examples:
        raise ValueError(f"{where}: unset by default, so it needs an example to show")
    return field.examples[0]


def _toml(value: Any) -> str:
    """TOML for the scalars and lists configs hold (JSON's spelling is TOML's for these)."""
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def _comment(text: str) -> str:
    return "\n".join(textwrap.wrap(text, WIDTH - 2, initial_indent="# ", subsequent_indent="# "))
