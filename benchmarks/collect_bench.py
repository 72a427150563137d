"""Collection efficiency and overhead against the in-process emulator; prints a table.

    python benchmarks/collect_bench.py               # 100k videos
    python benchmarks/collect_bench.py --videos 20000

Collects every video of the corpus (all regions, its whole date range) and
reports: requests used against the minimum (the sum over windows of
ceil(matching / 100), hidden videos included because they occupy page slots),
and the client + store overhead per page, i.e. wall time minus the time spent
inside the emulator. A second column leaves out the whole in-process transport
(the emulator plus what stands in for a socket: an event-loop turn and ASGI
request and response objects per request), which a real HTTP connection replaces.
Targets: 100 % page efficiency, <= 2 ms overhead per page.
Both merge modes are measured: in line (the fetching thread merges) and in the
background (a second thread merges while pages are fetched; the default). In the
background the merge's time is not on the fetching thread, only its competition
for the two cores.
"""

from __future__ import annotations

import argparse
import math
import statistics
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


def collect(videos: int, background: bool) -> dict[str, float]:
    """One whole collection against a fresh in-process emulator; its numbers."""
    cfg = EmulatorConfig(
        videos=videos,
        quota_requests=10**6,
        quota_records=10**9,
        clock_start=datetime(2024, 6, 1, tzinfo=UTC).timestamp(),
    )
    app = create_app(cfg)
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
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            Store(Path(tmp) / "bench.duckdb") as store,
            ResearchClient.for_app(timed) as client,
        ):
            client.credentials = ResearchClient.for_app(app).credentials
            client.tokens.credentials = client.credentials
            # time inside the in-process transport: the emulator plus the stand-in for a socket
            # (an event loop turn and ASGI request/response objects per request)
            transport = client.http._transport
            handle = transport.handle_request
            in_transport = 0.0

            def timed_handle(request):
                nonlocal in_transport
                t = time.perf_counter()
                try:
                    return handle(request)
                finally:
                    in_transport += time.perf_counter() - t

            transport.handle_request = timed_handle
            col = Collector(store, client, daily_quota=10**6, background_merge=background)
            run = col.start("collect videos", {"query": query.to_api()}, tasks)
            t0 = time.perf_counter()
            summary = col.run(run)
            wall = time.perf_counter() - t0
            stored = store.con.execute("SELECT count(*) FROM videos").fetchall()[0][0]
    finally:
        collect_mod.merge_pages = real_merge
    served = sum(emu.requests["video/query/"].values())
    pages = summary.pages
    return {
        "stored": stored,
        "served": served,
        "minimum": minimum,
        "wall": wall,
        "emulator": timed.seconds,
        "overhead": (wall - timed.seconds) / pages * 1e3,
        "client": (wall - in_transport) / pages * 1e3,
        "merge": merge_time / pages * 1e3,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    print(f"corpus {args.videos:,} videos, {args.repeat} runs per mode, median shown\n")
    print(
        "| merge | videos stored | requests | minimum | efficiency | wall s | emulator s "
        "| overhead/page ms (runs) | without the in-process transport ms | merge ms/page |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for background in (False, True):
        runs = [collect(args.videos, background) for _ in range(args.repeat)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        each = ", ".join(f"{r['overhead']:.2f}" for r in runs)
        print(
            f"| {'background' if background else 'in line'} | {med['stored']:,.0f} "
            f"| {med['served']:,.0f} | {med['minimum']:,.0f} "
            f"| {med['minimum'] / med['served']:.1%} | {med['wall']:.2f} "
            f"| {med['emulator']:.2f} | **{med['overhead']:.2f}** ({each}) "
            f"| {med['client']:.2f} | {med['merge']:.2f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
