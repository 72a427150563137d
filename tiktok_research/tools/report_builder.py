"""report_builder: the study report a researcher can read, show and cite.

Writes one self-contained HTML file (inline CSS and SVG figures; nothing is loaded
from the network) with an overview, hashtags, engagement, posting times, sounds,
creators, trend lifecycles, the account network (its GEXF written beside the
report), coordination findings with their caveat, compliance with the 15-day
refresh duty, and a methods appendix built from what the database recorded:
the access route, every query with its windows, requests and records per
endpoint, imported files with their rejects, deletions, the API's known limits
with sources, the software version and every analysis parameter, and how to
cite. Sections without data say so. ``publishable`` pseudonymises creators with
the project key, suppresses counts below k and quotes no caption. Returns the
path, each section with a one-line finding, and warnings (synthetic data, data
past the refresh duty).
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator

from ..analysis import Selection
from ..analysis.frames import ANALYSIS_MEMORY_LIMIT
from ..errors import NoDatabase, UsageError
from ..report import Report, Section, build_report
from .common import SelectionInput, TimeZone, pseudonymiser
from .contract import Annotations, ToolContext

NAME = "report_builder"
TITLE = "Write the study report"
ANNOTATIONS = Annotations(read_only=False, destructive=False, idempotent=True, open_world=False)


class Input(SelectionInput):
    out: str = Field("report.html", description="The HTML file to write.")
    tz: TimeZone = Field("UTC", description="IANA time zone for posting times.")
    publishable: bool = Field(
        False, description="Pseudonymise creators, suppress small cells, quote no captions."
    )
    k: int = Field(10, ge=2, description="Smallest count shown when publishable.")
    key_file: str | None = Field(
        None, description="Pseudonym key file (default: $TIKTOK_RESEARCH_PSEUDONYM_KEY)."
    )

    @field_validator("out")
    @classmethod
    def _html(cls, v: str) -> str:
        if not v.lower().endswith((".html", ".htm")):
            raise ValueError(f"the report is HTML: name it *.html, not {v!r}")
        return v


class Output(BaseModel):
    path: str
    network_file: str | None
    sections: list[Section] = Field(description="Each section with its one-line finding.")
    warnings: list[str]
    publishable: bool
    text: str


def run(inp: Input, ctx: ToolContext) -> Output:
    db = ctx.database(inp.db)
    if not db.exists():
        raise NoDatabase(f"no database at {db}: run an import or a collection first")
    out = ctx.output(inp.out, inp.out, "report")
    # an unwritable place is a usage error before any work is done
    try:
        out.touch()
    except OSError as exc:
        raise UsageError(f"cannot write the report to {out}: {exc.strerror}") from None
    pseudo = pseudonymiser(ctx, inp, inp.key_file) if inp.publishable else None
    report: Report = build_report(
        db,
        out,
        selection=Selection(**inp.model_dump(include=set(Selection.model_fields))),
        tz=inp.tz,
        publishable=inp.publishable,
        pseudonymiser=pseudo,
        k=inp.k,
        memory_limit=ctx.env.get("TIKTOK_RESEARCH_MEMORY_LIMIT") or ANALYSIS_MEMORY_LIMIT,
    )
    text = "\n".join(
        [f"report: {report.path}"]
        + [f"  {s.title}: {s.finding}" for s in report.sections]
        + [f"warning: {w}" for w in report.warnings]
    )
    return Output(**report.model_dump(), text=text)
