"""compliance_refresh: the 15-day duty of the Research API terms.

Re-checks the stored videos and comments that were not checked (or collected)
within ``older_than_days`` through the batch compliance endpoints (falling back
to id queries for videos), deletes what is no longer available with its
snapshots and comments, and keeps an audit row for each deletion (id, when,
why; no content). Run it at least every 15 days on any database holding
Research API data. Spends Research API requests (they go into the quota ledger).
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, Field

from .. import api_spec
from ..collect.compliance import RefreshSummary, refresh
from .contract import Annotations, ToolContext

NAME = "compliance_refresh"
TITLE = "Refresh stored data (15-day duty)"
ANNOTATIONS = Annotations(read_only=False, destructive=True, idempotent=False, open_world=True)


class Input(BaseModel):
    db: str | None = Field(None, description="Study database (default: the server's).")
    older_than_days: float = Field(
        api_spec.REFRESH_DAYS,
        ge=0,
        description="Re-check what was not checked within this many days.",
    )


class Output(RefreshSummary):
    text: str = ""


def run(inp: Input, ctx: ToolContext) -> Output:
    with ctx.store(inp.db) as store, ctx.client() as client:
        summary = refresh(store, client, timedelta(days=inp.older_than_days))
    return Output(**summary.model_dump(), text=summary.render())
