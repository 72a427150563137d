"""The one tool contract: what every agent tool is, and the context it runs in.

A tool is a module with ``NAME``, ``TITLE``, a docstring (its description),
``ANNOTATIONS``, pydantic ``Input`` and ``Output`` models and
``run(inp, ctx) -> Output``. The CLI, the MCP server, ``skill.yaml`` and
``tools/*.json`` are all generated from these: a field, default or choice is
written once, in the models.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from ..api.auth import Credentials
from ..api.client import ResearchClient, RetryPolicy
from ..errors import UsageError
from ..store import DEFAULT_DB, Store

DEFAULT_DATA_DIR = "tiktok-research-data"


class Annotations(BaseModel):
    """MCP tool annotations (hints to the client; camelCase on the wire)."""

    model_config = ConfigDict(frozen=True)

    read_only: bool = True
    destructive: bool = False
    idempotent: bool = True
    open_world: bool = False

    def mcp(self) -> dict[str, bool]:
        return {
            "readOnlyHint": self.read_only,
            "destructiveHint": self.destructive,
            "idempotentHint": self.idempotent,
            "openWorldHint": self.open_world,
        }


@dataclass
class ToolContext:
    """Everything a tool may reach outside its input; tools read no globals.

    ``confine``: file paths in inputs and outputs must lie under ``data_dir``
    (the MCP server sets it, so an agent cannot read or write elsewhere).
    ``app``: an in-process emulator (ASGI app) to talk to instead of HTTP.
    """

    db: Path = Path(DEFAULT_DB)
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    api_base: str | None = None
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    http: Callable[[], httpx.Client] = lambda: httpx.Client(
        headers={"User-Agent": "tiktok-research"}, timeout=30
    )
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    confine: bool = False
    app: Any = None
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kw: Any) -> ToolContext:
        """A context from the environment: TIKTOK_RESEARCH_DB, TIKTOK_RESEARCH_DATA_DIR,
        TIKTOK_API_BASE (credentials are read only when a tool needs them)."""
        env = dict(os.environ if env is None else env)
        kw.setdefault("db", Path(env.get("TIKTOK_RESEARCH_DB") or DEFAULT_DB))
        kw.setdefault("data_dir", Path(env.get("TIKTOK_RESEARCH_DATA_DIR") or DEFAULT_DATA_DIR))
        kw.setdefault("api_base", env.get("TIKTOK_API_BASE") or None)
        return cls(env=env, **kw)

    # -- files -----------------------------------------------------------------------------
    def path(self, value: str | Path, what: str) -> Path:
        """A path a caller named. With ``confine`` (an agent over MCP) relative paths sit in
        the data directory and one outside it is refused, naming both; otherwise (the shell)
        paths are taken as given."""
        p = Path(value).expanduser()
        if self.confine and not p.is_absolute():
            p = self.data_dir / p
        if self.confine:
            root = self.data_dir.resolve()
            if not p.resolve().is_relative_to(root):
                raise UsageError(
                    f"{what} {str(value)!r} is outside the data directory {root}; "
                    "give a path inside it (relative paths are taken from there)"
                )
        return p

    def output(self, value: str | Path | None, default: str, what: str = "output") -> Path:
        """Where to write a file: ``value`` or ``default``, inside the data directory."""
        p = self.path(value or default, what)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"cannot write the {what} to {p}: {exc.strerror}") from None
        return p

    def database(self, value: str | Path | None) -> Path:
        """The study database: ``value`` (a path) or the context's."""
        return self.path(value, "database") if value else self.db

    def store(self, db: str | Path | None = None, read_only: bool = False) -> Store:
        path = self.database(db)
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        return Store(path, read_only=read_only)

    # -- the Research API --------------------------------------------------------------------
    def credentials(self) -> Credentials:
        """Credentials from the environment (or the emulator in-process); a clear error when
        none are set."""
        return Credentials.from_env(dict(self.env))

    def client(self) -> ResearchClient:
        """A Research API client: the in-process emulator if the context has one, else
        ``api_base`` ($TIKTOK_API_BASE, default TikTok's)."""
        if self.app is not None:
            return ResearchClient.for_app(self.app, retry=self.retry)
        base = self.api_base or self.env.get("TIKTOK_API_BASE") or None
        return ResearchClient(self.credentials(), base_url=base, retry=self.retry)


@dataclass(frozen=True)
class Tool:
    """One agent tool, read from its module."""

    name: str
    title: str
    description: str
    annotations: Annotations
    input: type[BaseModel]
    output: type[BaseModel]
    run: Callable[[Any, ToolContext], BaseModel]
    module: ModuleType

    @classmethod
    def from_module(cls, module: ModuleType) -> Tool:
        doc = inspect.cleandoc(module.__doc__ or "")
        # the first line is "name: summary"; the description is what follows the name, its
        # paragraphs unwrapped (agents reflow text themselves)
        if doc.startswith(module.NAME + ":"):
            doc = doc.split(":", 1)[1].strip()
        paragraphs = [" ".join(p.split()) for p in doc.split("\n\n") if p.strip()]
        description = "\n\n".join(paragraphs)
        description = description[:1].upper() + description[1:]
        return cls(
            name=module.NAME,
            title=module.TITLE,
            description=description,
            annotations=module.ANNOTATIONS,
            input=module.Input,
            output=module.Output,
            run=module.run,
            module=module,
        )

    def validate(self, data: Mapping[str, Any]) -> BaseModel:
        """The input model from plain data; a UsageError naming each wrong field."""
        try:
            return self.input.model_validate(dict(data))
        except ValidationError as exc:
            raise UsageError(explain(exc)) from None

    def call(self, data: Mapping[str, Any], ctx: ToolContext) -> BaseModel:
        """Validate ``data`` and run the tool."""
        return self.run(self.validate(data), ctx)

    def input_schema(self) -> dict[str, Any]:
        return self.input.model_json_schema()

    def output_schema(self) -> dict[str, Any]:
        # what the tool returns: every field is present in the serialised result
        return self.output.model_json_schema(mode="serialization")

    def mcp(self) -> dict[str, Any]:
        """The MCP Tool object (as in ``tools/<name>.json``)."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "inputSchema": self.input_schema(),
            "outputSchema": self.output_schema(),
            "annotations": {"title": self.title, **self.annotations.mcp()},
        }


def explain(exc: ValidationError) -> str:
    """Every problem of a validation error as ``field: what was expected (got value)``."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        if not where:  # a check across fields: its message says what is wrong
            parts.append(msg)
            continue
        got = repr(err.get("input"))
        got = got if len(got) <= 80 else got[:77] + "..."
        quiet = err["type"] in ("missing", "extra_forbidden") or err["type"] == "value_error"
        parts.append(f"{where}: {msg}" + ("" if quiet else f" (got {got})"))
    return "; ".join(parts)
