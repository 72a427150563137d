"""What the analysis tools share: the selection input, the store's frames, keys, files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field

from ..analysis import Frames, Selection, open_frames
from ..analysis.frames import ANALYSIS_MEMORY_LIMIT, check_tz
from ..privacy import Pseudonymiser, load_key
from ..store import Store
from .contract import ToolContext


def split_list(v: object) -> object:
    """A list option as the command line writes it: ``sound,hashtag`` is two values."""
    if isinstance(v, str):
        return [p.strip() for p in v.split(",") if p.strip()]
    if isinstance(v, list):
        return [p.strip() for x in v for p in str(x).split(",") if p.strip()]
    return v


def _json_file(v: str | None) -> str | None:
    if v is not None and not v.lower().endswith(".json"):
        raise ValueError(f"the results file is JSON: name it *.json, not {v!r}")
    return v


#: an optional results file, checked to be JSON before any work is done
JsonOut = Annotated[str | None, AfterValidator(_json_file)]


def _tz(v: str) -> str:
    try:
        return check_tz(v)
    except Exception as exc:
        raise ValueError(str(exc)) from None


#: an IANA time zone name, checked before any work is done
TimeZone = Annotated[str, AfterValidator(_tz)]


class SelectionInput(Selection):
    """Which videos of which study database to analyse."""

    db: str | None = Field(None, description="Study database (default: the server's).")


@contextmanager
def frames_for(ctx: ToolContext, inp: SelectionInput) -> Iterator[Frames]:
    """The selection's frames on a read-only store."""
    selection = Selection(**inp.model_dump(include=set(Selection.model_fields)))
    limit = ctx.env.get("TIKTOK_RESEARCH_MEMORY_LIMIT") or ANALYSIS_MEMORY_LIMIT
    with (
        Store(ctx.database(inp.db), read_only=True, memory_limit=limit) as store,
        open_frames(store, selection) as f,
    ):
        yield f


def pseudonymiser(ctx: ToolContext, inp: SelectionInput, key_file: str | None) -> Pseudonymiser:
    """The keyed pseudonymiser for publishable output (the key kept apart from the data)."""
    key_path = ctx.path(key_file, "key file") if key_file else None
    return Pseudonymiser(load_key(key_path, data_paths=[ctx.database(inp.db)], env=ctx.env))


def write_json(ctx: ToolContext, out: str, model: BaseModel) -> str:
    """Write ``model`` as JSON to ``out`` (inside the data directory for agents)."""
    path: Path = ctx.output(out, out, "output file")
    path.write_text(model.model_dump_json(indent=2), encoding="utf-8")
    return str(path)
