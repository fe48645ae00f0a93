"""The dependency rule (docs/architecture.md), read from the source with ``ast``: every
``import``, ``from … import`` and ``importlib.import_module("…")``, at any depth (the lazy imports
inside commands count too)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "readers": frozenset({"verifier", "kiosk", "yzt"}),
    "verifier": frozenset({"readers", "kiosk", "yzt"}),
    "kiosk": frozenset({"verifier", "yzt"}),
}
"""Package → the packages of ours it must never import (``yzt`` is the CLI root over all three)."""


def imported_modules(path: Path, package_root: Path) -> Iterator[tuple[int, str]]:
    """``(line, absolute module name)`` for every import in the file at ``path``."""
    here = path.relative_to(package_root.parent).parts[:-1]  # the package holding the file
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = here[: len(here) - node.level + 1] if node.level else ()
            yield node.lineno, ".".join((*base, *filter(None, [node.module])))
        elif (dynamic := _dynamic_import(node)) is not None:
            yield node.lineno, dynamic


def _dynamic_import(node: ast.AST) -> str | None:
    """The module named by ``importlib.import_module("…")`` or ``__import__("…")``."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    name = getattr(node.func, "attr", None) or getattr(node.func, "id", None)
    first = node.args[0]
    if name in {"import_module", "__import__"} and isinstance(first, ast.Constant):
        return str(first.value)
    return None


def violations(package_root: Path, forbidden: frozenset[str]) -> list[str]:
    """``file:line imports module`` for each import of a ``forbidden`` top-level package."""
    found = []
    for path in sorted(package_root.rglob("*.py")):
        for line, name in sorted(imported_modules(path, package_root)):
            if name.split(".")[0] in forbidden:
                found.append(f"{path.relative_to(package_root.parent)}:{line} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_the_package_keeps_the_dependency_rule(package: str) -> None:
    assert violations(REPO / package, FORBIDDEN[package]) == []


def test_the_check_sees_lazy_relative_and_dynamic_imports(tmp_path: Path) -> None:
    """Without this the rule could pass because the reader of the source sees nothing."""
    package = tmp_path / "kiosk"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import tool\n")
    (package / "sub" / "tool.py").write_text(
        "import importlib\n"
        "from ..gate import open_gate\n"
        "def version() -> str:\n"
        "    from yzt import __version__\n"
        "    return __version__\n"
        "policy = importlib.import_module('verifier.policy')\n"
        "import verifier.fleet.heartbeat as heartbeat\n"
    )
    assert violations(package, FORBIDDEN["kiosk"]) == [
        "kiosk/sub/tool.py:4 imports yzt",
        "kiosk/sub/tool.py:6 imports verifier.policy",
        "kiosk/sub/tool.py:7 imports verifier.fleet.heartbeat",
    ]
    modules = {name for _, name in imported_modules(package / "sub" / "tool.py", package)}
    assert "kiosk.gate" in modules
    assert "kiosk.sub" in {
        name for _, name in imported_modules(package / "sub/__init__.py", package)
    }
