"""The demo: a whole collection against the embedded emulator, in a few seconds, offline.

It starts the emulator in-process, collects a hashtag query over three months
(several 30-day windows, many pages), the comments of the most-commented
videos and a few creators with their followers, into a fresh database, and
summarises what is there and where.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from .api.client import ResearchClient
from .api.query import Q
from .collect import Collector, RunSummary, comment_tasks, user_tasks, video_tasks
from .collect.journal import journal_path
from .emulator import EmulatorConfig, create_app
from .store import Store

SINCE, UNTIL = date(2024, 1, 1), date(2024, 3, 31)
HASHTAGS = ("climate", "climatechange", "fridaysforfuture", "election", "vote")


class DemoRun(BaseModel):
    run_id: int
    command: str
    status: str
    pages: int
    records: int


class HashtagCount(BaseModel):
    hashtag: str
    videos: int


class DemoResult(BaseModel):
    """What the demo collected, and where it is."""

    db: str = Field(description="The demo's database file.")
    query: str = Field(description="The video query, in words.")
    windows: list[str] = Field(description="The 30-day windows it was split into.")
    runs: list[DemoRun]
    counts: dict[str, int] = Field(description="Rows stored per table.")
    requests: dict[str, int] = Field(description="Requests in the quota ledger, per bucket.")
    emulator_counted: dict[str, int] = Field(
        description="Requests the emulator counted, per bucket (must equal the ledger's)."
    )
    top_hashtags: list[HashtagCount]


def run_demo(out: Path, videos: int = 30_000, seed: int = 1, progress: Any = None) -> DemoResult:
    out.mkdir(parents=True, exist_ok=True)
    db = out / "demo.duckdb"
    for p in (db, db.with_name(db.name + ".wal"), journal_path(db)):
        p.unlink(missing_ok=True)
    # the emulator's clock sits after the corpus, so every video is searchable
    app = create_app(
        EmulatorConfig(
            videos=videos, seed=seed, clock_start=datetime(2024, 4, 15, tzinfo=UTC).timestamp()
        )
    )
    runs: list[RunSummary] = []
    with Store(db) as store, ResearchClient.for_app(app) as client:
        col = Collector(store, client)
        if progress is not None:
            col.progress = progress
        query = Q.hashtag(HASHTAGS[0])
        for h in HASHTAGS[1:]:
            query = query | Q.hashtag(h)
        tasks = video_tasks(query, SINCE, UNTIL)
        runs.append(
            col.run(
                col.start(
                    "collect videos",
                    {"query": query.to_api(), "since": str(SINCE), "until": str(UNTIL)},
                    tasks,
                )
            )
        )
        top = store.most_commented(limit=8)
        runs.append(col.run(col.start("collect comments", {"video_ids": top}, comment_tasks(top))))
        creators = store.top_creators(4)
        runs.append(
            col.run(
                col.start(
                    "collect users",
                    {"usernames": creators, "lists": ["followers"]},
                    user_tasks(creators, ["followers"]),
                )
            )
        )
        counts = store.counts()
        top_tags = store.top_hashtags(8)
        today = datetime.now(UTC).date()
        spent = {b: store.quota_used(today, b)[0] for b in ("research", "follow")}
    # what the API counted against the quota, by bucket (its clock has its own day)
    (counted,) = app.state.emulator.stats()["quota"].values()
    return DemoResult(
        db=str(db),
        query=query.describe(),
        windows=[t.key.split(":", 1)[1] for t in tasks],
        runs=[
            DemoRun(
                run_id=r.run_id,
                command=r.command,
                status=r.status,
                pages=r.pages,
                records=r.records,
            )
            for r in runs
        ],
        counts={
            k: counts[k]
            for k in ("videos", "video_snapshots", "comments", "users", "follow_edges", "runs")
        },
        requests=spent,
        emulator_counted={b: counted.get(b, {}).get("requests", 0) for b in spent},
        top_hashtags=[HashtagCount(hashtag=t, videos=n) for t, n in top_tags],
    )


def render(result: DemoResult) -> str:
    summary = result.model_dump()
    c = summary["counts"]
    lines = [
        "tiktok-research demo (embedded Research API emulator, no network)",
        f"  query:    {summary['query']}",
        f"  windows:  {', '.join(summary['windows'])}",
    ]
    for r in summary["runs"]:
        lines.append(
            f"  run {r['run_id']}: {r['command']:<17} {r['status']:<5} {r['pages']:>4} "
            f"pages  {r['records']:>6,} records"
        )
    lines += [
        f"  stored:   {c['videos']:,} videos ({c['video_snapshots']:,} metric snapshots), "
        f"{c['comments']:,} comments, {c['users']:,} users, {c['follow_edges']:,} follow edges",
        f"  quota:    {summary['requests']['research']:,} research and "
        f"{summary['requests']['follow']:,} follower-list requests in the ledger (the emulator "
        f"counted {summary['emulator_counted']['research']:,} and "
        f"{summary['emulator_counted']['follow']:,})",
        "  top hashtags: "
        + ", ".join(f"#{t['hashtag']} ({t['videos']})" for t in summary["top_hashtags"]),
        f"  database: {summary['db']}",
        "next: tiktok-research status --db "
        + summary["db"]
        + "   |   tiktok-research export --db "
        + summary["db"]
        + " --table videos --format csv --out videos.csv",
    ]
    return "\n".join(lines)
