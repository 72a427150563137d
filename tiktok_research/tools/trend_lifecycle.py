"""trend_lifecycle: which hashtags, sounds or caption keywords flared up, and how.

Finds trends by burstiness, not volume (Kleinberg's two-state burst detection on
daily counts against each day's total), so a mid-sized hashtag that bursts is
found without raising ``top``. For each: first seen, burst onset and end, peak
day and height, time to peak, half-life, active span, the shape class after
Lehmann et al. (2012) and its status at the end of the data (emerging, peaking,
declining, steady, ended). The method and its citations come with the result;
``out`` also writes the daily series as JSON.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from ..analysis.trends import TrendReport, TrendRow, detect
from .common import JsonOut, SelectionInput, frames_for, write_json
from .contract import Annotations, ToolContext

NAME = "trend_lifecycle"
TITLE = "Find trends and their lifecycles"
ANNOTATIONS = Annotations(read_only=True, idempotent=True, open_world=False)


class Input(SelectionInput):
    by: Literal["hashtag", "sound", "keyword"] = Field("hashtag", description="What trends.")
    top: int = Field(10, ge=1, le=20, description="Trends to list, strongest burst first.")
    min_videos: int = Field(10, ge=2, description="Only items on at least this many videos.")
    out: JsonOut = Field(None, description="Also write the report with daily series here.")


class Output(BaseModel):
    by: str
    selection: str
    method: str
    citations: list[str]
    first_day: str | None
    last_day: str | None
    candidates: int
    message: str | None
    trends: list[TrendRow] = Field(description="The trends (daily series only in the file).")
    file: str | None
    text: str


def run(inp: Input, ctx: ToolContext) -> Output:
    with frames_for(ctx, inp) as f:
        report: TrendReport = detect(f, inp.by, inp.top, min_videos=inp.min_videos)
    file = write_json(ctx, inp.out, report) if inp.out else None
    rows = [t.model_copy(update={"series": []}) for t in report.trends]
    return Output(
        by=report.by,
        selection=report.selection,
        method=report.method,
        citations=report.citations,
        first_day=str(report.first_day) if report.first_day else None,
        last_day=str(report.last_day) if report.last_day else None,
        candidates=report.candidates,
        message=report.message,
        trends=rows,
        file=file,
        text=report.render(),
    )
