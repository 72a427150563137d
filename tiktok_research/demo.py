"""The demo: a whole study against the embedded emulator, offline, in well under a minute.

Design advice for its question; collection from an in-process Research API
emulator (every video of three months in several 30-day windows, the comments
of the most-commented videos, a few creators with their followers); the
metadata analysis and trends; the account network; coordination detection,
scored against the groups the emulator planted; and the report, whose path it
prints last. Every step goes through the agent tools, as an assistant would.
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
from .emulator.vocab import REGIONS
from .store import Store
from .tools import (
    ToolContext,
    coordination_detector,
    network_builder,
    report_builder,
    study_design,
    trend_lifecycle,
)

SINCE, UNTIL = date(2024, 1, 1), date(2024, 3, 31)
QUESTION = "Which hashtags and sounds trend on TikTok, and who pushes them together?"


class DemoRun(BaseModel):
    run_id: int
    command: str
    status: str
    pages: int
    records: int


class HashtagCount(BaseModel):
    hashtag: str
    videos: int


class Scored(BaseModel):
    """Flagged accounts against the emulator's planted coordinated groups."""

    precision: float
    recall: float
    flagged_accounts: int
    planted_accounts: int
    groups: int


class DemoResult(BaseModel):
    """What the demo did, and where everything is."""

    db: str = Field(description="The demo's database file.")
    design: str = Field(description="The access route the design advice ranks first.")
    query: str = Field(description="The video query, in words.")
    windows: list[str] = Field(description="The 30-day windows it was split into.")
    runs: list[DemoRun]
    counts: dict[str, int] = Field(description="Rows stored per table.")
    requests: dict[str, int] = Field(description="Requests in the quota ledger, per bucket.")
    emulator_counted: dict[str, int] = Field(
        description="Requests the emulator counted, per bucket (must equal the ledger's)."
    )
    top_hashtags: list[HashtagCount]
    trends: list[str] = Field(description="The strongest hashtag bursts found.")
    network: str
    coordination: Scored
    report: str = Field(description="The report (HTML, opens offline).")


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
    ctx = ToolContext(db=db, data_dir=out, app=app, env={})
    design = study_design.run(
        study_design.Input.model_validate(
            {
                "research_question": QUESTION,
                "research_type": "trend",
                "country": "DE",
                "approval_status": "approved",
            }
        ),
        ctx,
    )
    runs: list[RunSummary] = []
    query = Q.region(*REGIONS)  # every video of the period: trends and groups need them all
    with Store(db) as store, ResearchClient.for_app(app) as client:
        col = Collector(store, client)
        if progress is not None:
            col.progress = progress
        tasks = video_tasks(query, SINCE, UNTIL)
        params = {"query": query.to_api(), "since": str(SINCE), "until": str(UNTIL)}
        runs.append(col.run(col.start("collect videos", params, tasks)))
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
    trends = trend_lifecycle.run(trend_lifecycle.Input.model_validate({"top": 5}), ctx)
    network = network_builder.run(
        network_builder.Input.model_validate(
            {
                "by": ["sound", "hashtag"],
                "max_object_degree": 500,
                "top_k": 20,
                "out": str(out / "network.gexf"),
            }
        ),
        ctx,
    )
    coordination = coordination_detector.run(coordination_detector.Input.model_validate({}), ctx)
    planted = {
        m for g in app.state.emulator.corpus.truth()["coordinated_groups"] for m in g["members"]
    }
    flagged = {m for g in coordination.groups for m in g.members}
    hit = len(flagged & planted)
    report = report_builder.run(
        report_builder.Input.model_validate({"out": str(out / "report.html")}), ctx
    )
    return DemoResult(
        db=str(db),
        design=design.ranked_routes[0].name if design.ranked_routes else "none",
        query=f"every video from {len(REGIONS)} regions",
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
        trends=[f"#{t.item} ({t.status}, peak {t.peak_day})" for t in trends.trends[:3]],
        network=f"{network.nodes:,} accounts, {network.edges:,} links, "
        f"{len(network.communities)} largest communities listed; {network.file}",
        coordination=Scored(
            precision=hit / len(flagged) if flagged else 0.0,
            recall=hit / len(planted) if planted else 0.0,
            flagged_accounts=len(flagged),
            planted_accounts=len(planted),
            groups=len(coordination.groups),
        ),
        report=report.path,
    )


def render(result: DemoResult) -> str:
    s = result.model_dump()
    c = s["counts"]
    co = result.coordination
    lines = [
        "tiktok-research demo (embedded Research API emulator, no network; synthetic data)",
        f"  design:   for {QUESTION!r} the advice ranks first: {result.design}",
        f"  query:    {s['query']}",
        f"  windows:  {', '.join(s['windows'])}",
    ]
    for r in s["runs"]:
        lines.append(
            f"  run {r['run_id']}: {r['command']:<17} {r['status']:<5} {r['pages']:>4} "
            f"pages  {r['records']:>6,} records"
        )
    lines += [
        f"  stored:   {c['videos']:,} videos ({c['video_snapshots']:,} metric snapshots), "
        f"{c['comments']:,} comments, {c['users']:,} users, {c['follow_edges']:,} follow edges",
        f"  quota:    {s['requests']['research']:,} research and "
        f"{s['requests']['follow']:,} follower-list requests in the ledger (the emulator "
        f"counted {s['emulator_counted']['research']:,} and "
        f"{s['emulator_counted']['follow']:,})",
        "  top hashtags: "
        + ", ".join(f"#{t['hashtag']} ({t['videos']})" for t in s["top_hashtags"]),
        "  trends:   " + "; ".join(result.trends),
        f"  network:  {result.network}",
        f"  coordination: {co.groups} group(s), {co.flagged_accounts} accounts flagged; against "
        f"the {co.planted_accounts} planted accounts: precision {co.precision:.2f}, recall "
        f"{co.recall:.2f}",
        f"  database: {s['db']}",
        f"report: {result.report}",
    ]
    return "\n".join(lines)
