"""Metadata analysis speed and memory on large stores, against the seed's naive analysis.

    python benchmarks/analysis_bench.py                  # 1M and 10M videos
    python benchmarks/analysis_bench.py --sizes 200000   # a quick run

Stores are generated straight into DuckDB (Zipf-like hashtags, sounds and
creators; views of at least 1 so the seed's division is defined) and cached
under --dir. Each measurement runs in a fresh process, so its peak RSS is its
own. The baseline re-implements the seed's ``analyze_tiktok_metadata`` as
written (pandas string splitting) on the same rows, and its four answers (top
hashtags, mean engagement, top sounds, posting hour x weekday) must equal ours.
Targets: the full analysis at 1M videos in at most 5 s and at 10M in at most
60 s, peak RSS at most 3 GB; ours at least 5x faster than the seed on its four.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def build(path: Path, n: int) -> None:
    """A store of ``n`` synthetic videos (written once, then reused)."""
    from tiktok_research.store import Store

    if path.exists():
        return
    creators, tags, sounds = max(1000, n // 5), max(500, n // 200), max(200, n // 50)
    with Store(path) as store:
        store.con.execute(
            f"""INSERT INTO videos (id, username, create_time, region_code, view_count,
                   like_count, comment_count, share_count, music_id, music_title, hashtag_names,
                   video_duration, video_description, source, first_seen_at, last_seen_at,
                   first_run_id, last_run_id)
            SELECT id, username, create_time, region_code, views,
                   CAST(views * random() * 0.12 AS BIGINT), CAST(views * random() * 0.01 AS BIGINT),
                   CAST(views * random() * 0.005 AS BIGINT), music_id, NULL, tags,
                   5 + random() * 100, 'a caption', 'research_api',
                   TIMESTAMPTZ '2024-08-01 00:00:00+00', TIMESTAMPTZ '2024-08-01 00:00:00+00', 1, 1
            FROM (SELECT 7300000000000000000 + i AS id,
                   'user' || CAST(floor(pow(random(), 3) * {creators}) AS BIGINT) AS username,
                   TIMESTAMPTZ '2024-01-01 00:00:00+00'
                       + to_seconds(CAST(random() * 86400 * 180 AS BIGINT)) AS create_time,
                   ['US', 'DE', 'GB', 'FR', 'BR'][1 + CAST(floor(pow(random(), 2) * 5) AS INT)]
                       AS region_code,
                   1 + CAST(floor(pow(random(), 4) * 1000000) AS BIGINT) AS views,
                   6800000000000000000 + CAST(floor(pow(random(), 3) * {sounds}) AS BIGINT)
                       AS music_id,
                   list_distinct(list_transform(range(1 + CAST(floor(random() * 5) AS INT)),
                       lambda j: 'tag' || CAST(floor(pow(random(), 3) * {tags}) AS BIGINT))) AS tags
            FROM range({n}) t(i))"""
        )
        store.checkpoint()


def ours(db: str) -> dict:
    from functools import partial

    from tiktok_research.analysis import analyse, detect, open_frames
    from tiktok_research.analysis.frames import ANALYSIS_MEMORY_LIMIT
    from tiktok_research.analysis.metadata import four_answers
    from tiktok_research.store import Store as Plain

    # as the tools open it: DuckDB kept to the analysis' memory, spilling beyond
    Store = partial(Plain, memory_limit=ANALYSIS_MEMORY_LIMIT)

    t0 = time.perf_counter()
    with Store(db, read_only=True) as store, open_frames(store) as f:
        four = four_answers(f, top=50)
    four_seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    with Store(db, read_only=True) as store, open_frames(store) as f:
        a = analyse(f, tz="Europe/Berlin", top=50)
        trends = detect(f, "hashtag", 20)
    seconds = time.perf_counter() - t0
    tags, mean, sounds, grid = four
    # the mean is summed in parallel, so its last bits may differ between two runs
    assert (
        tags == [(h.hashtag, h.videos) for h in a.hashtags]
        and sounds == [(s.music_id, s.videos) for s in a.sounds.top_by_videos]
        and grid == a.time.hour_weekday_utc
        and abs(mean - a.engagement.rate.mean) <= 1e-9 * abs(mean)
    ), "the four answers on their own differ from the full analysis"
    return {
        "seconds": seconds,
        "four_seconds": four_seconds,
        "top_hashtags": {h.hashtag: h.videos for h in a.hashtags},
        "mean_engagement": a.engagement.rate.mean,
        "top_sounds": {str(s.music_id): s.videos for s in a.sounds.top_by_videos},
        "posting": a.time.hour_weekday_utc,
        "trends": len(trends.trends),
    }


def seed(db: str) -> dict:
    """The seed's analyze_tiktok_metadata, as written, on the same rows."""
    import duckdb
    import pandas as pd

    con = duckdb.connect(db, read_only=True)
    df = con.execute(
        "SELECT array_to_string(hashtag_names, ',') AS hashtags, like_count, comment_count, "
        "share_count, view_count AS play_count, create_time, music_id FROM videos"
    ).df()
    con.close()

    def analyze_tiktok_metadata(df: pd.DataFrame) -> dict:
        hashtags = df["hashtags"].str.split(",").explode()
        hashtag_counts = hashtags.value_counts()
        df["engagement_rate"] = (df["like_count"] + df["comment_count"] + df["share_count"]) / df[
            "play_count"
        ]
        df["hour"] = pd.to_datetime(df["create_time"]).dt.hour
        df["day"] = pd.to_datetime(df["create_time"]).dt.dayofweek
        sound_counts = df["music_id"].value_counts()
        return {
            "top_hashtags": hashtag_counts.head(50),
            "avg_engagement": df["engagement_rate"].mean(),
            "top_sounds": sound_counts.head(20),
            "posting_patterns": df.groupby(["day", "hour"]).size(),
        }

    t0 = time.perf_counter()
    r = analyze_tiktok_metadata(df)
    seconds = time.perf_counter() - t0
    grid = [[0] * 24 for _ in range(7)]
    for (d, h), n in r["posting_patterns"].items():
        grid[int(d)][int(h)] = int(n)
    return {
        "seconds": seconds,
        "all_hashtags": {
            str(k): int(v)
            for k, v in df["hashtags"].str.split(",").explode().value_counts().items()
        },
        "top_hashtags": {str(k): int(v) for k, v in r["top_hashtags"].items()},
        "mean_engagement": float(r["avg_engagement"]),
        "top_sounds": {str(k): int(v) for k, v in r["top_sounds"].items()},
        "all_sounds": {str(k): int(v) for k, v in df["music_id"].value_counts().items()},
        "posting": grid,
    }


def child(kind: str, db: str) -> tuple[dict, float]:
    """Run ``kind`` in a fresh process; its result and its own peak RSS in MB."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", kind, db], capture_output=True, text=True, check=True
    )
    result = json.loads(proc.stdout)
    return result, result["peak_mb"]


def same_answers(a: dict, b: dict) -> bool:
    """Our four answers equal the seed's (ties in the top lists may order differently)."""
    tags = all(b["all_hashtags"].get(t) == n for t, n in a["top_hashtags"].items())
    tags &= sorted(a["top_hashtags"].values(), reverse=True) == sorted(
        b["top_hashtags"].values(), reverse=True
    )
    sounds = all(b["all_sounds"].get(s) == n for s, n in list(a["top_sounds"].items())[:20])
    sounds &= sorted(list(a["top_sounds"].values())[:20], reverse=True) == sorted(
        b["top_sounds"].values(), reverse=True
    )
    mean = abs(a["mean_engagement"] - b["mean_engagement"]) < 1e-9 * max(1, b["mean_engagement"])
    return tags and sounds and mean and a["posting"] == b["posting"]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", type=int, nargs="*", default=[1_000_000, 10_000_000])
    p.add_argument("--dir", type=Path, default=Path("/tmp/tiktok-analysis-bench"))
    p.add_argument("--child", nargs=2)
    args = p.parse_args()
    if args.child:
        kind, db = args.child
        result = ours(db) if kind == "ours" else seed(db)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result, default=str))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    print(
        "| videos | build s | ours: full analysis s | ours: the 4 answers s | ours peak MB | "
        "seed: 4 answers s | seed peak MB | ratio on the 4 | same answers |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        db = args.dir / f"videos-{n}.duckdb"
        t0 = time.perf_counter()
        build(db, n)
        built = time.perf_counter() - t0
        mine, mine_mb = child("ours", str(db))
        if n <= 2_000_000:  # the seed's pandas frame of 10M rows would not fit the budget
            base, base_mb = child("seed", str(db))
            ratio = f"{base['seconds'] / mine['four_seconds']:.1f}x"
            same = "yes" if same_answers(mine, base) else "NO"
            seed_cols = f"{base['seconds']:.2f} | {base_mb:,.0f}"
        else:
            ratio, same, seed_cols = "-", "-", "- | -"
        print(
            f"| {n:,} | {built:.1f} | {mine['seconds']:.2f} | {mine['four_seconds']:.2f} | "
            f"{mine_mb:,.0f} | {seed_cols} | "
            f"{ratio} | {same} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
