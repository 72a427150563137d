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

from .api.client import ResearchClient
from .api.query import Q
from .collect import Collector, RunSummary, comment_tasks, user_tasks, video_tasks
from .emulator import EmulatorConfig, create_app
from .store import Store
from .store.journal import journal_path

SINCE, UNTIL = date(2024, 1, 1), date(2024, 3, 31)
HASHTAGS = ("climate", "climatechange", "fridaysforfuture", "election", "vote")


def run_demo(
    out: Path, videos: int = 30_000, seed: int = 1, progress: Any = None
) -> dict[str, Any]:
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
        top = [
            r[0]
            for r in store.con.execute(
                "SELECT id FROM videos ORDER BY comment_count DESC LIMIT 8"
            ).fetchall()
        ]
        runs.append(col.run(col.start("collect comments", {"video_ids": top}, comment_tasks(top))))
        creators = [
            r[0]
            for r in store.con.execute(
                "SELECT username FROM videos GROUP BY username ORDER BY count(*) DESC, username "
                "LIMIT 4"
            ).fetchall()
        ]
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
        top_tags = store.con.execute(
            "SELECT tag, count(*) AS n FROM (SELECT unnest(hashtag_names) AS tag FROM videos) "
            "GROUP BY tag ORDER BY n DESC, tag LIMIT 8"
        ).fetchall()
        today = datetime.now(UTC).date()
        spent = {b: store.quota_used(today, b)[0] for b in ("research", "follow")}
    # what the API counted against the quota, by bucket (its clock has its own day)
    (counted,) = app.state.emulator.stats()["quota"].values()
    return {
        "db": str(db),
        "query": query.describe(),
        "windows": [t.key.split(":", 1)[1] for t in tasks],
        "runs": [
            {
                "run_id": r.run_id,
                "command": r.command,
                "status": r.status,
                "pages": r.pages,
                "records": r.records,
            }
            for r in runs
        ],
        "counts": {
            k: counts[k]
            for k in ("videos", "video_snapshots", "comments", "users", "follow_edges", "runs")
        },
        "requests": spent,
        "emulator_counted": {b: counted.get(b, {}).get("requests", 0) for b in spent},
        "top_hashtags": [{"hashtag": t, "videos": n} for t, n in top_tags],
    }


def render(summary: dict[str, Any]) -> str:
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
