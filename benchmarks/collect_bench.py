"""Collection efficiency and overhead against the in-process emulator; prints a table.

    python benchmarks/collect_bench.py               # 100k videos
    python benchmarks/collect_bench.py --videos 20000

Collects every video of the corpus (all regions, its whole date range) and
reports: requests used against the minimum (the sum over windows of
ceil(matching / 100), hidden videos included because they occupy page slots),
and the client + store overhead per page, i.e. wall time minus the time spent
inside the emulator. Targets: 100 % page efficiency, <= 2 ms overhead per page.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from tiktok_research.api.client import ResearchClient
from tiktok_research.api.query import Q
from tiktok_research.collect import Collector, journal, video_tasks
from tiktok_research.emulator import EmulatorConfig, create_app
from tiktok_research.emulator.vocab import REGIONS
from tiktok_research.store import Store


class Timed:
    """ASGI wrapper adding up the time spent inside the app."""

    def __init__(self, app):
        self.app, self.seconds, self.state = app, 0.0, app.state

    async def __call__(self, scope, receive, send):
        t = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.seconds += time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=100_000)
    args = ap.parse_args()
    cfg = EmulatorConfig(
        videos=args.videos,
        quota_requests=10**6,
        quota_records=10**9,
        clock_start=datetime(2024, 6, 1, tzinfo=UTC).timestamp(),
    )
    t0 = time.perf_counter()
    app = create_app(cfg)
    build = time.perf_counter() - t0
    emu = app.state.emulator
    timed = Timed(app)
    query = Q.region(*REGIONS)
    tasks = video_tasks(query, cfg.start, cfg.end)
    minimum = 0
    for t in tasks:
        start = datetime.strptime(t.body["start_date"], "%Y%m%d").replace(tzinfo=UTC)
        end = datetime.strptime(t.body["end_date"], "%Y%m%d").replace(tzinfo=UTC)
        rows = emu.engine.search(
            query.to_api(),
            int(start.timestamp()),
            int(end.timestamp()) + 86400,
            searchable_before=2**40,
        )
        minimum += math.ceil(len(rows) / 100)
    merge_time = 0.0
    real_merge = journal.merge_pages

    def timed_merge(store, journal_=None, **kw):
        nonlocal merge_time
        t = time.perf_counter()
        try:
            return real_merge(store, journal_, **kw)
        finally:
            merge_time += time.perf_counter() - t

    import tiktok_research.collect.runner as collect_mod

    collect_mod.merge_pages = timed_merge
    with (
        tempfile.TemporaryDirectory() as tmp,
        Store(Path(tmp) / "bench.duckdb") as store,
        ResearchClient.for_app(timed) as client,
    ):
        client.credentials = ResearchClient.for_app(app).credentials
        client.tokens.credentials = client.credentials
        col = Collector(store, client, daily_quota=10**6)
        run = col.start("collect videos", {"query": query.to_api()}, tasks)
        t0 = time.perf_counter()
        summary = col.run(run)
        wall = time.perf_counter() - t0
        stored = store.con.execute("SELECT count(*) FROM videos").fetchall()[0][0]
    served = sum(emu.requests["video/query/"].values())
    pages = summary.pages
    overhead = (wall - timed.seconds) / pages * 1e3
    print(f"corpus {args.videos:,} videos (built in {build:.1f} s), {len(tasks)} windows")
    print(
        f"{'videos stored':>14} {'requests':>9} {'minimum':>8} {'efficiency':>10} | "
        f"{'wall s':>7} {'emulator s':>10} {'overhead/page ms':>16} {'of it merge ms':>14}"
    )
    print(
        f"{stored:>14,} {served:>9,} {minimum:>8,} {minimum / served:>10.1%} | {wall:>7.2f} "
        f"{timed.seconds:>10.2f} {overhead:>16.2f} {merge_time / pages * 1e3:>14.2f}"
    )


if __name__ == "__main__":
    main()
