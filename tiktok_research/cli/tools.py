"""``tools list|manifest|run`` and ``mcp``: the agent tools from the shell, the manifest, and
the MCP server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..tools import TOOLS
from .common import JsonOption, emit, guarded
from .from_tool import tool_command

app = typer.Typer()
tools_app = typer.Typer(
    help="The agent tools: list them, run one, write or check the manifest.",
    no_args_is_help=True,
)
app.add_typer(tools_app, name="tools")
run_app = typer.Typer(
    help="Run one agent tool with options generated from its input schema.",
    no_args_is_help=True,
)
tools_app.add_typer(run_app, name="run")
for _tool in TOOLS.values():
    run_app.command(_tool.name.replace("_", "-"))(tool_command(_tool))


@tools_app.command("list")
def tools_list(as_json: JsonOption = False) -> None:
    """Every agent tool with its title and whether it reads, writes or goes online."""
    rows = [
        {
            "name": t.name,
            "title": t.title,
            "read_only": t.annotations.read_only,
            "destructive": t.annotations.destructive,
            "open_world": t.annotations.open_world,
            "inputs": list(t.input.model_fields),
        }
        for t in TOOLS.values()
    ]

    def flags(r: dict) -> str:
        return ", ".join(
            w
            for w, on in (
                ("read-only", r["read_only"]),
                ("writes", not r["read_only"]),
                ("deletes", r["destructive"]),
                ("online", r["open_world"]),
            )
            if on
        )

    text = "\n".join(f"{r['name']:<22} {r['title']}  [{flags(r)}]" for r in rows)
    emit(rows if as_json else {"tools": rows}, as_json, text)


@tools_app.command("manifest")
@guarded
def tools_manifest(
    write: Annotated[
        bool, typer.Option("--write", help="Write skill.yaml and tools/*.json.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--check", help="Exit 1 if the committed files are out of date.")
    ] = False,
    root: Annotated[Path, typer.Option("--root", help="The project's top folder.")] = Path("."),
    as_json: JsonOption = False,
) -> None:
    """skill.yaml and tools/<name>.json, generated from the tools (print, write or check)."""
    from ..tools import manifest

    if write and check:
        raise UsageError("give --write or --check, not both")
    if write:
        changed = manifest.write(root)
        emit({"written": changed}, as_json, "\n".join(changed) or "up to date")
    elif check:
        stale = manifest.check(root)
        emit(
            {"stale": stale},
            as_json,
            "up to date"
            if not stale
            else "out of date (run `tiktok-research tools manifest --write`):\n  "
            + "\n  ".join(stale),
        )
        if stale:
            raise typer.Exit(1)
    else:
        emit(manifest.skill(), as_json, manifest.files()["skill.yaml"])


@app.command("mcp")
def mcp_cmd(
    data_dir: Annotated[
        Path,
        typer.Option(
            "--data-dir",
            help="Directory the tools read and write files in; paths outside it are refused.",
            envvar="TIKTOK_RESEARCH_DATA_DIR",
        ),
    ] = Path("tiktok-research-data"),
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Study database (default: DATA_DIR/tiktok-research.duckdb)."),
    ] = None,
) -> None:
    """Serve the agent tools over MCP on stdin/stdout (for OpenClaw and other MCP clients)."""
    from ..mcp_server import serve

    serve(data_dir, db)
