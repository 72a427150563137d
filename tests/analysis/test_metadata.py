"""Metadata analysis with hand-computed answers on small stores."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest

from tiktok_research.analysis import Selection, analyse, open_frames
from tiktok_research.errors import UsageError
from tiktok_research.importers import import_files
from tiktok_research.privacy import Pseudonymiser
from tiktok_research.tools import TOOLS, ToolContext

BIG = 9_007_199_254_740_993  # 2^53 + 1: a float would round it
SOUND = 7_234_567_890_123_456_789
T0 = datetime(2024, 3, 4, 12, 0, tzinfo=UTC)  # a Monday


def add(store, rows: list[dict], observed: datetime | None = None) -> None:
    """Store videos (observed 30 days after T0 unless a row says otherwise)."""
    cols = {
        "id": pa.int64(),
        "username": pa.string(),
        "create_time": pa.timestamp("us", tz="UTC"),
        "view_count": pa.int64(),
        "like_count": pa.int64(),
        "comment_count": pa.int64(),
        "share_count": pa.int64(),
        "music_id": pa.int64(),
        "music_title": pa.string(),
        "hashtag_names": pa.list_(pa.string()),
        "region_code": pa.string(),
        "video_duration": pa.float64(),
        "video_description": pa.string(),
        "source": pa.string(),
        "_observed_at": pa.timestamp("us", tz="UTC"),
    }
    seen = observed or T0 + timedelta(days=30)
    data = {c: [r.get(c, seen if c == "_observed_at" else None) for r in rows] for c in cols}
    data["source"] = [r.get("source", "research_api") for r in rows]
    store.con.register(
        "_rows",
        pa.table(
            {c: pa.array(v, t) for (c, t), v in zip(cols.items(), data.values(), strict=True)}
        ),
    )
    store.con.execute("CREATE OR REPLACE TEMP TABLE _add AS SELECT * FROM _rows")
    store.con.unregister("_rows")
    with store.transaction():
        store.merge("videos", "_add", 1)


def video(i: int, user: str, views: int | None, likes=0, comments=0, shares=0, **kw) -> dict:
    return {
        "id": 7_300_000_000_000_000_000 + i,
        "username": user,
        "create_time": T0 + timedelta(hours=i),
        "view_count": views,
        "like_count": likes,
        "comment_count": comments,
        "share_count": shares,
        **kw,
    }


def test_hashtags_once_per_video_whatever_the_case_and_script(store, tmp_path):
    """Through the importer, as data arrives: case variants and repeats inside one video count
    once; emoji and Arabic hashtags are hashtags like any other."""
    page = {
        "data": {
            "videos": [
                {"id": 7300000000000000001, "username": "a", "create_time": 1709553600,
                 "view_count": 100, "like_count": 0,
                 "hashtag_names": ["Climate", "climate", "#CLIMATE", "fyp"],
                 "video_description": "#Climate #climate #CLIMATE #fyp"},
                {"id": 7300000000000000002, "username": "b", "create_time": 1709557200,
                 "view_count": 200, "hashtag_names": ["climate", "🌍", "مناخ"]},
                {"id": 7300000000000000003, "username": "b", "create_time": 1709560800,
                 "view_count": 300, "hashtag_names": ["Climate", "مناخ", "مناخ"]},
                {"id": 7300000000000000004, "username": "c", "create_time": 1709564400,
                 "view_count": 0, "hashtag_names": ["FYP"]},
            ]
        },
        "error": {"code": "ok"},
    }  # fmt: skip
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page, ensure_ascii=False), encoding="utf-8")
    assert import_files(store, [path]).files[0].inserted == 4
    with open_frames(store) as f:
        a = analyse(f, top=10)
    tags = {h.hashtag: h for h in a.hashtags}
    assert tags["climate"].videos == 3 and tags["climate"].creators == 2
    assert tags["مناخ"].videos == 2 and tags["🌍"].videos == 1 and tags["fyp"].videos == 2
    assert tags["climate"].share_of_videos == pytest.approx(0.75)
    assert tags["climate"].total_views == 600 and tags["climate"].median_views == 200
    assert tags["fyp"].median_engagement == 0.0  # video 4 has no rate; video 1 has 0/100
    pairs = {(p.a, p.b): p.videos for p in a.hashtag_pairs}
    assert pairs[("climate", "fyp")] == 1 and pairs[("climate", "مناخ")] == 2


def test_engagement_excludes_zero_and_missing_views_and_counts_them(store):
    rows = [
        video(1, "a", 100, likes=10),  # 0.10
        video(2, "a", 200, likes=10, comments=10, shares=20),  # 0.20
        video(3, "b", 1000, likes=50),  # 0.05
        video(4, "c", 0, likes=5),  # no rate: 0 views
        video(5, "d", None, likes=5),  # no rate: views unknown
        video(6, "e", 50, likes=20),  # 0.40
    ]
    add(store, rows)
    with open_frames(store) as f:
        a = analyse(f)
    e = a.engagement
    rates = np.array([0.10, 0.20, 0.05, 0.40])
    assert e.rated == 4 and e.excluded_zero_views == 1 and e.excluded_missing_views == 1
    assert e.rate.median == pytest.approx(np.median(rates))
    assert e.rate.p10 == pytest.approx(np.percentile(rates, 10))
    assert e.rate.p90 == pytest.approx(np.percentile(rates, 90))
    assert e.rate.mean == pytest.approx(rates.mean())
    views = np.sort(np.array([100, 200, 1000, 0, 50], dtype=float))
    n = len(views)
    gini = 2 * np.sum(np.arange(1, n + 1) * views) / (n * views.sum()) - (n + 1) / n
    assert e.views_gini == pytest.approx(gini)
    assert a.overview.zero_views == 1 and a.overview.missing_views == 1
    # top 1% of 5 creators is 1 creator: b with 1000 of 1350 views; top 10% is also 1
    assert a.creators.top1pct_view_share == pytest.approx(1000 / 1350)
    text = json.dumps(a.model_dump(mode="json"))
    assert "NaN" not in text and "Infinity" not in text


def test_ids_above_2_53_stay_exact(store):
    add(
        store, [video(1, "a", 10, music_id=SOUND, music_title="s"), {**video(2, "b", 5), "id": BIG}]
    )
    with open_frames(store) as f:
        a = analyse(f)
        ids = set(f.df(f"SELECT id FROM {f.videos}")["id"].tolist())
    assert a.sounds.top_by_videos[0].music_id == SOUND and BIG in ids
    assert json.loads(a.model_dump_json())["sounds"]["top_by_videos"][0]["music_id"] == SOUND


def test_hour_by_weekday_in_a_time_zone_across_a_daylight_saving_change(store):
    # New York moves its clocks on Sunday 10 March 2024: 15:00 UTC is 10:00 before, 11:00 after
    add(
        store,
        [
            {**video(1, "a", 10), "create_time": datetime(2024, 3, 9, 15, tzinfo=UTC)},
            {**video(2, "a", 10), "create_time": datetime(2024, 3, 11, 15, tzinfo=UTC)},
            {**video(3, "a", 10), "create_time": datetime(2024, 3, 11, 3, tzinfo=UTC)},
        ],
    )
    with open_frames(store) as f:
        a = analyse(f, tz="America/New_York")
    utc, local = a.time.hour_weekday_utc, a.time.hour_weekday_local
    assert utc[5][15] == 1 and utc[0][15] == 1 and utc[0][3] == 1  # Sat 15h, Mon 15h, Mon 3h
    assert local[5][10] == 1 and local[0][11] == 1  # Sat 10:00 EST, Mon 11:00 EDT
    assert local[6][23] == 1  # Mon 03:00 UTC is Sunday 23:00 in New York
    assert sum(map(sum, local)) == sum(map(sum, utc)) == 3
    assert [d.videos for d in a.time.per_day] == [1, 2]  # per day in UTC
    with (
        pytest.raises(UsageError, match="unknown time zone 'Mars/Olympus'"),
        open_frames(store) as f,
    ):
        analyse(f, tz="Mars/Olympus")


def test_settled_keeps_videos_observed_ten_days_after_posting(store):
    add(store, [video(1, "a", 10), video(2, "b", 20)], observed=T0 + timedelta(days=30))
    add(store, [video(3, "c", 30)], observed=T0 + timedelta(days=2))
    with open_frames(store) as f:
        a = analyse(f)
    assert a.overview.settled_share == pytest.approx(2 / 3)
    with open_frames(store, Selection(settled=True)) as f:
        s = analyse(f)
    assert s.overview.videos == 2 and "settled" in s.selection


def test_selection_by_date_region_hashtag_and_keyword(store):
    add(
        store,
        [
            video(
                1, "a", 10, region_code="DE", hashtag_names=["vote"], video_description="Go vote"
            ),
            video(
                30, "b", 10, region_code="US", hashtag_names=["x"], video_description="Heat wave"
            ),
            video(60, "c", 10, region_code="US", hashtag_names=["y"], video_description="cold"),
        ],
    )
    day = T0.date()
    cases = [
        (Selection(regions=["de"]), 1),
        (Selection(hashtags=["#VOTE"]), 1),
        (Selection(keywords=["heat"]), 1),
        (Selection(since=day + timedelta(days=1)), 2),
        (Selection(until=day + timedelta(days=1)), 2),
        (Selection(regions=["US"], keywords=["COLD", "heat"]), 2),
    ]
    for sel, n in cases:
        with open_frames(store, sel) as f:
            assert f.n == n, sel


def test_publishable_suppresses_small_cells_and_pseudonymises_creators(store):
    rows = [video(i, "big_creator", 100, likes=5, hashtag_names=["common"]) for i in range(12)]
    rows += [video(100 + i, "rare_creator", 10, hashtag_names=["rare"]) for i in range(3)]
    add(store, rows)
    p = Pseudonymiser(b"k" * 32)
    with open_frames(store) as f:
        a = analyse(f, publishable=True, k=10, pseudonymiser=p)
    tags = {h.hashtag: h for h in a.hashtags}
    assert tags["common"].videos == 12 and not tags["common"].suppressed
    assert tags["rare"].videos is None and tags["rare"].suppressed
    creators = [c.creator for c in a.creators.top_by_videos]
    assert p("big_creator") in creators and "big_creator" not in json.dumps(
        a.model_dump(mode="json")
    )
    assert a.publishable and a.k == 10


def test_an_empty_selection_says_so(store):
    with open_frames(store, Selection(regions=["ZZ"])) as f:
        a = analyse(f)
    assert a.message and "no videos match" in a.message and a.overview.videos == 0
    assert "NaN" not in a.model_dump_json() and "no videos match" in a.render()


def test_the_tool_checks_input_before_any_work(tmp_path):
    tool = TOOLS["metadata_analysis"]
    with pytest.raises(UsageError, match="since 2024-03-01 is after until 2024-01-01"):
        tool.validate({"since": "2024-03-01", "until": "2024-01-01"})
    with pytest.raises(UsageError, match="tz: unknown time zone 'Nowhere/Land'"):
        tool.validate({"tz": "Nowhere/Land"})
    ctx = ToolContext(db=tmp_path / "missing.duckdb", env={})
    with pytest.raises(UsageError, match="no database"):
        tool.call({}, ctx)
    assert not (tmp_path / "missing.duckdb").exists()


def test_frames_give_pandas_for_notebooks(store):
    add(store, [video(1, "a", 100, likes=1, hashtag_names=["x"])])
    with open_frames(store) as f:
        a = analyse(f)
    frames = a.frames()
    assert frames["hashtags"].loc[0, "hashtag"] == "x"
    assert frames["hour_weekday_utc"].shape == (7, 24)
    assert frames["per_day"].loc[0, "videos"] == 1 and frames["hashtags"]["videos"].tolist() == [1]
