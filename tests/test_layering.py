"""The package's imports point one way (see the layout in README): a test reads every import
(ast) and fails on an edge that points upward, or from a room the map does not know."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "tiktok_research"

BASE = {"api_spec", "errors", "schema", "files"}
#: room -> the rooms it may import (besides itself)
#: everything below the agent surface
_BELOW_TOOLS = {
    "api",
    "store",
    "ingest",
    "importers",
    "collect",
    "emulator",
    "analysis",
    "network",
    "report",
    "guidance",
    "privacy",
}
ALLOWED: dict[str, set[str]] = {
    "api_spec": set(),
    "errors": set(),
    "files": {"errors"},
    "schema": {"errors"},
    "privacy": {"errors", "schema"},
    "guidance": {"errors", "files"},
    "store": {"schema", "errors"},
    "emulator": {"api_spec"},
    "api": {"api_spec", "errors"},
    "ingest": BASE | {"store"},
    "importers": BASE | {"ingest", "store", "privacy"},
    "collect": BASE | {"api", "ingest", "store"},
    "analysis": BASE | {"store", "privacy"},
    "network": BASE | {"store", "privacy", "analysis"},
    "report": BASE | {"store", "privacy", "analysis", "network", "guidance", "collect"},
    "demo": BASE | _BELOW_TOOLS | {"tools"},
    "tools": BASE | _BELOW_TOOLS,
    "mcp_server": BASE | {"tools", "store"},
    "cli": BASE | _BELOW_TOOLS | {"tools", "demo", "mcp_server"},
}


def _room(module: str) -> str | None:
    """The room of a module path (None: outside the package, or the package's own
    ``__init__`` names such as ``__version__``, which every room may use)."""
    parts = module.split(".")
    if parts[0] != "tiktok_research" or len(parts) < 2:
        return None
    room = parts[1]
    exists = (PKG / room).is_dir() or (PKG / f"{room}.py").exists()
    return room if exists else None


def edges() -> list[tuple[str, str, str]]:
    """(file, importing room, imported room) for every import inside the package."""
    out = []
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        package = module if rel.name == "__init__" else module.rsplit(".", 1)[0]
        room = _room(module + ".") if module == "tiktok_research" else _room(module)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    prefix = ".".join(base)
                    mod = f"{prefix}.{node.module}" if node.module else prefix
                else:
                    mod = node.module or ""
                targets = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
            for t in targets:
                other = _room(t)
                if other and room and other != room:
                    out.append((str(path.relative_to(PKG.parent)), room, other))
    return out


def test_every_room_is_on_the_map():
    rooms = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    rooms |= {p.stem for p in PKG.glob("*.py") if not p.name.startswith("_")}
    unknown = sorted(rooms - set(ALLOWED))
    assert not unknown, f"rooms missing from the layering map: {unknown}"


def test_imports_point_down():
    wrong = [f"{f}: {a} imports {b}" for f, a, b in edges() if b not in ALLOWED.get(a, set())]
    assert not wrong, "upward or unplanned imports:\n" + "\n".join(wrong)


def test_nothing_imports_the_cli():
    assert not [e for e in edges() if e[2] == "cli" and e[1] != "cli"]


def test_the_map_finds_real_edges():
    # the reader must see relative imports of every depth, or the checks above prove nothing
    found = {(a, b) for _, a, b in edges()}
    assert ("collect", "store") in found and ("emulator", "api_spec") in found
    assert ("importers", "ingest") in found and ("cli", "tools") in found
