"""collection_status: where a study database stands.

Runs (collections, imports, refreshes) with their state and age, record counts
per table, the research requests spent today against the daily quota, and how
many stored videos and comments are past TikTok's 15-day refresh duty, with a
warning to run ``compliance_refresh`` when any are.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from .. import api_spec
from ..collect.status import Status, status
from .contract import Annotations, ToolContext

NAME = "collection_status"
TITLE = "Show a study database's status"
ANNOTATIONS = Annotations(read_only=True, idempotent=True, open_world=False)
MAX_RUNS = 20


class Input(BaseModel):
    db: str | None = Field(None, description="Study database (default: the server's).")
    daily_quota: int = Field(
        api_spec.DAILY_REQUESTS, ge=1, description="Requests per day your lab may spend."
    )


class Output(Status):
    runs_not_shown: int = Field(0, description="Older runs left out (the newest 20 are shown).")
    text: str = ""


def run(inp: Input, ctx: ToolContext) -> Output:
    with ctx.store(inp.db, read_only=True) as store:
        st = status(store, daily_quota=inp.daily_quota)
    hidden = max(0, len(st.runs) - MAX_RUNS)
    out = Output(**{**st.model_dump(), "runs": st.runs[hidden:]}, runs_not_shown=hidden)
    out.text = st.render()
    return out
