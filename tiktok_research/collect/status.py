"""Where a study's data stands: runs and their age, counts, quota today, the refresh duty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from .. import api_spec
from ..store import Store


class RunInfo(BaseModel):
    run_id: int
    kind: str = Field(description="collect, import or refresh.")
    command: str
    status: str
    started_at: str
    age_days: float = Field(description="Days since the run started.")
    finished_at: str | None = None
    message: str | None = None


class QuotaToday(BaseModel):
    requests: int = Field(description="Research requests spent today (UTC), every run counted.")
    records: int = Field(description="Records those requests returned.")
    requests_left: int = Field(description="Of the daily quota.")
    daily_quota: int


class Status(BaseModel):
    """The state of a study database."""

    db: str
    counts: dict[str, int] = Field(description="Rows per table.")
    runs: list[RunInfo]
    overdue: dict[str, int] = Field(
        description="Videos and comments not checked within the refresh duty."
    )
    last_refresh: str | None = Field(description="When the last refresh finished (UTC).")
    quota_today: QuotaToday
    warnings: list[str]

    def render(self) -> str:
        """The status for people."""
        lines = [f"database {self.db}"]
        for r in self.runs:
            lines.append(
                f"  run {r.run_id:>4} {r.kind:<8} {r.status:<20} "
                f"{r.age_days:>6} days ago  {r.command}"
            )
        c = self.counts
        lines.append(
            f"  {c['videos']:,} videos, {c['comments']:,} comments, {c['users']:,} users, "
            f"{c['follow_edges']:,} follow edges; last refresh: {self.last_refresh or 'never'}"
        )
        q = self.quota_today
        lines.append(f"  quota today: {q.requests:,} requests spent, {q.requests_left:,} left")
        lines += [f"warning: {w}" for w in self.warnings]
        return "\n".join(lines)


def status(
    store: Store,
    duty_days: int = api_spec.REFRESH_DAYS,
    daily_quota: int = api_spec.DAILY_REQUESTS,
) -> Status:
    """Runs with their age, record counts, and what is past the refresh duty."""
    now = datetime.now(UTC)
    runs = [
        RunInfo(
            **{
                **r,
                "started_at": r["started_at"].isoformat(),
                "finished_at": r["finished_at"].isoformat() if r["finished_at"] else None,
            },
            age_days=round((now - r["started_at"]).total_seconds() / 86400, 1),
        )
        for r in store.runs_overview()
    ]
    overdue = store.overdue(now - timedelta(days=duty_days))
    used, records = store.quota_used(now.date(), "research")
    warnings = [
        f"{n:,} {t} were last checked more than {duty_days} days ago: run "
        "`tiktok-research refresh` (Research API terms: refresh at least every "
        f"{duty_days} days and delete what is gone)"
        for t, n in overdue.items()
        if n
    ]
    last = store.last_refresh()
    return Status(
        db=str(store.path),
        counts=store.counts(),
        runs=runs,
        overdue=overdue,
        last_refresh=last.isoformat() if last else None,
        quota_today=QuotaToday(
            requests=used,
            records=records,
            requests_left=max(0, daily_quota - used),
            daily_quota=daily_quota,
        ),
        warnings=warnings,
    )
