"""import_dataset: bring files a researcher already holds into the study database.

Reads Research API output (whole responses, JSON lists, NDJSON; videos,
comments, user info), Zeeschuimer/4CAT captures, 4CAT CSV exports and any CSV
(``map`` names columns the aliases do not know). Every row is checked: what is
stored, what is refused and why (file, line, field, reason). Records are
upserted by id, so importing the same video twice keeps one row with two
metric snapshots. At most 20 refused rows come back inline; all of them are in
the database table ``import_rejects`` under the run id.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..importers import import_files, parse_mapping
from ..ingest.report import FileReport, RejectedRow
from .contract import Annotations, ToolContext

NAME = "import_dataset"
TITLE = "Import a dataset with a validation report"
ANNOTATIONS = Annotations(read_only=False, destructive=False, idempotent=True, open_world=False)
MAX_REJECTS = 20


class Input(BaseModel):
    paths: list[str] = Field(min_length=1, description="Files to import.")
    format: Literal["auto", "research-api", "zeeschuimer", "4cat-csv", "csv"] = Field(
        "auto", description="The files' format (auto: detected per file)."
    )
    map: list[str] = Field(
        default_factory=list,
        description="SRC=FIELD: read CSV column SRC as canonical field FIELD.",
    )
    strict: bool = Field(
        False, description="Store nothing from a file in which any row is rejected."
    )
    username: str | None = Field(
        None, description="The user a saved user-info response belongs to (it does not say)."
    )
    db: str | None = Field(None, description="Study database (default: the server's).")


class FileSummary(BaseModel):
    file: str
    format: str | None
    status: str = Field(description="imported, imported-with-rejects, not-imported or unusable.")
    rows_read: int
    inserted: int
    updated: int
    rejected: int
    fields_missing: list[str]
    warnings: list[str]
    error: str | None


class Output(BaseModel):
    db: str
    run_id: int | None
    exit_code: int = Field(description="0 all stored, 3 some rows rejected, 2 a file unusable.")
    files: list[FileSummary]
    rejects: list[RejectedRow] = Field(description="The first refused rows (at most 20).")
    rejects_not_shown: int = Field(description="More refused rows, in table import_rejects.")
    text: str


def _summary(f: FileReport) -> FileSummary:
    return FileSummary(**f.model_dump(include=set(FileSummary.model_fields)))


def run(inp: Input, ctx: ToolContext) -> Output:
    mapping = parse_mapping(inp.map)
    paths = [ctx.path(p, "input file") for p in inp.paths]
    with ctx.store(inp.db) as store:
        report = import_files(store, paths, inp.format, mapping, inp.strict, inp.username)
    # chat-sized: the first refused rows inline, the rest counted (all are in the database)
    shown = report.model_copy(deep=True)
    room = MAX_REJECTS
    for f in shown.files:
        f.rejects_not_shown += max(0, len(f.rejects) - room)
        f.rejects = f.rejects[:room]
        room -= len(f.rejects)
    return Output(
        db=report.db,
        run_id=report.run_id,
        exit_code=report.exit_code,
        files=[_summary(f) for f in report.files],
        rejects=[r for f in shown.files for r in f.rejects],
        rejects_not_shown=sum(f.rejects_not_shown for f in shown.files),
        text=shown.to_text(),
    )
