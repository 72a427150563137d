"""The agent tools over MCP (stdio): ``tiktok-research mcp``.

Every tool in ``tools.TOOLS`` is listed with exactly the schemas and
annotations of ``tools/<name>.json`` (the low-level server of the official SDK
lets the contract's schemas be served as they are, instead of schemas derived
again from function signatures). A call is validated by the tool's own model;
a bad argument or a failing tool comes back as a tool error whose text names
the field and what was expected, never a traceback. File paths are confined to
the data directory.
"""

from __future__ import annotations

import json
import logging
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

from . import __version__
from .errors import TikTokResearchError
from .store import DEFAULT_DB
from .tools import TOOLS, Tool, ToolContext

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "Tools for TikTok research: plan a study (study_design, dataset_finder, ethics_review), "
    "collect through the Research API or import files (api_search, import_dataset), and keep "
    "the data compliant (collection_status, compliance_refresh). api_search plans without "
    "spending quota unless collect is true. Files are read and written inside the server's "
    "data directory."
)


def mcp_tool(tool: Tool) -> types.Tool:
    """The MCP Tool object of a contract tool (the same as ``tools/<name>.json``)."""
    d = tool.mcp()
    return types.Tool(
        name=d["name"],
        title=d["title"],
        description=d["description"],
        input_schema=d["inputSchema"],
        output_schema=d["outputSchema"],
        annotations=types.ToolAnnotations.model_validate(d["annotations"]),
    )


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=message)], is_error=True)


def call(name: str, arguments: dict[str, Any], ctx: ToolContext) -> types.CallToolResult:
    """Run one tool call to a result (blocking; the server runs it in a worker thread)."""
    tool = TOOLS.get(name)
    if tool is None:
        return _error(f"unknown tool {name!r}; the tools are: {', '.join(TOOLS)}")
    try:
        out = tool.call(arguments, ctx)
    except TikTokResearchError as exc:
        return _error(f"{name}: {exc}")
    except Exception as exc:  # a bug, not the caller's mistake: say what, log the rest
        log.exception("tool %s failed", name)
        return _error(f"{name} failed unexpectedly: {type(exc).__name__}: {exc}")
    data = out.model_dump(mode="json")
    # the serialised result as text too, for clients that read only text content
    text = json.dumps(data, ensure_ascii=False)
    return types.CallToolResult(content=[types.TextContent(text=text)], structured_content=data)


def build_server(ctx: ToolContext) -> Server[Any]:
    """The MCP server for ``ctx`` (its data directory, database and API settings)."""

    async def list_tools(
        _req: Any, _params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[mcp_tool(t) for t in TOOLS.values()])

    async def call_tool(_req: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        return await anyio.to_thread.run_sync(
            partial(call, params.name, dict(params.arguments or {}), ctx)
        )

    return Server(
        "tiktok-research",
        version=__version__,
        title="TikTok research",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
    )


def serve(data_dir: Path, db: Path | None = None) -> None:
    """Serve the tools over stdio until the client closes the connection."""
    data_dir.mkdir(parents=True, exist_ok=True)
    ctx = ToolContext.from_env(data_dir=data_dir, confine=True)
    if db is not None:
        ctx.db = db
    elif not ctx.env.get("TIKTOK_RESEARCH_DB"):
        ctx.db = data_dir / DEFAULT_DB
    server = build_server(ctx)

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)
