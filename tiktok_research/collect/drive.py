"""One way to plan and to run a collection, for the CLI, the agent tools and the demo."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from ..api.client import ResearchClient
from ..store import Store
from .runner import Collector, RunSummary
from .tasks import Task, max_requests


class RunPlan(BaseModel):
    """What a collection would do, before any request is sent."""

    command: str
    tasks: int = Field(description="Tasks planned (windows, videos, users, lists).")
    windows: list[str] = Field(description="The date windows of a video query (at most 30 days).")
    max_requests: int | None = Field(
        description="The most requests the run can need (None: no bound without a record limit)."
    )
    quota_left_today: int = Field(description="Research requests left today, by the ledger.")
    daily_quota: int

    def render(self) -> str:
        windows = [w.split(":", 1)[1] for w in self.windows]
        bound = self.max_requests
        return (
            f"{self.command}: {self.tasks} task(s)"
            + (f", windows: {', '.join(windows)}" if windows else "")
            + "\nmost requests needed: "
            + (f"{bound:,}" if bound is not None else "no bound without --max-videos")
            + f"\nquota left today: {self.quota_left_today:,} of {self.daily_quota:,}"
        )


def plan_run(
    store: Store,
    command: str,
    tasks: list[Task],
    *,
    daily_quota: int,
    max_records: int | None = None,
    unbounded: bool = False,
) -> RunPlan:
    """The plan of a run: tasks, windows, the most requests it can need, today's quota left.

    ``unbounded``: the run adds tasks as it goes (replies), so no bound can be given.
    """
    used, _ = store.quota_used(datetime.now(UTC).date())
    return RunPlan(
        command=command,
        tasks=len(tasks),
        windows=[t.key for t in tasks if t.kind == "videos"],
        max_requests=None if unbounded else max_requests(tasks, max_records),
        quota_left_today=max(0, daily_quota - used),
        daily_quota=daily_quota,
    )


def run_collection(
    store: Store,
    client: ResearchClient,
    command: str,
    params: dict[str, Any],
    tasks: list[Task],
    *,
    wait: bool = False,
    daily_quota: int,
    max_records: int | None = None,
    progress: Any = None,
    run_id: int | None = None,
) -> RunSummary:
    """Start (or continue the unfinished run of) ``command`` and run it to its end or a stop.

    ``run_id``: continue that run instead (``collect resume``).
    """
    collector = Collector(store, client, wait=wait, daily_quota=daily_quota)
    rid = run_id if run_id is not None else collector.start(command, params, tasks)
    if progress is not None:
        progress_factory: Callable[..., Any] = progress
        with progress_factory(quota_left=collector.quota_left) as shown:
            collector.progress = shown
            return collector.run(rid, max_records)
    return collector.run(rid, max_records)
