"""Enrichment of donated videos: look their ids up through the Research API.

A TikTok video id carries its creation time (``id >> 32`` is the epoch second), so
ids are grouped into the 30-day windows a video query needs and asked for 100 at a
time (``video_id IN``). What comes back is stored like any collection; what does
not is recorded (published work finds about 1 in 8 donated videos missing).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, Field

from .. import api_spec
from ..api.query import Q
from .tasks import Task, video_tasks


class EnrichSummary(BaseModel):
    run_id: int | None
    status: str
    requested: int = Field(description="Donated video ids not stored yet.")
    found: int
    missing: int = Field(description="Ids the API returned nothing for (recorded).")
    missing_share: float | None
    message: str = ""

    def render(self) -> str:
        share = f"{100 * self.missing_share:.1f}%" if self.missing_share is not None else "n/a"
        return (
            f"enrichment run {self.run_id} {self.status}: {self.requested:,} donated videos "
            f"looked up, {self.found:,} found, {self.missing:,} missing ({share}; recorded in "
            "table donation_missing)" + (f"\n{self.message}" if self.message else "")
        )


def created(video_id: int) -> date:
    """The day a video was created, from its id."""
    return datetime.fromtimestamp(video_id >> 32, UTC).date()


def id_tasks(video_ids: list[int]) -> list[Task]:
    """Video queries for these ids: 30-day windows by creation day, 100 ids a query."""
    ids = sorted(video_ids, key=created)
    tasks: list[Task] = []
    i = 0
    while i < len(ids):
        start = created(ids[i])
        end = start + timedelta(days=api_spec.MAX_WINDOW_DAYS - 1)
        window = [v for v in ids[i:] if created(v) <= end]
        for n in range(0, len(window), api_spec.MAX_COUNT):
            chunk = window[n : n + api_spec.MAX_COUNT]
            (task,) = video_tasks(Q.video_id(*chunk), start, min(end, created(chunk[-1])))
            task.key = f"{task.key}#{len(tasks)}"
            tasks.append(task)
        i += len(window)
    return tasks
