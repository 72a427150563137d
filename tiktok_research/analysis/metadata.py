"""Metadata analysis of a selection: hashtags, engagement, time, sounds, creators.

Done the way heavy-tailed, unsettled platform data needs: hashtags lower-cased
and counted once per video; engagement rates only where views are known and
positive (the others are counted, never divided by); medians and p10/p90 beside
means; the Gini coefficient of views; hour x weekday in UTC and in a chosen
IANA time zone; every result states how old the videos were when observed,
since counts keep changing for about ten days after posting.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from ..privacy import Pseudonymiser
from .frames import SETTLED_DAYS, Frames, check_tz

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DEFAULT_K = 10
#: a group's engagement is shown when it has at least this many rated videos
MIN_GROUP = 5
#: co-occurring pairs are counted among this many most used hashtags
PAIR_POOL = 200


class Spread(BaseModel):
    """A heavy-tailed quantity: median and p10/p90 beside the mean."""

    n: int = Field(description="Values summarised.")
    median: float | None = None
    p10: float | None = None
    p90: float | None = None
    mean: float | None = None


class Overview(BaseModel):
    videos: int = 0
    creators: int = 0
    days: int = Field(0, description="Days with at least one video.")
    first_day: date | None = None
    last_day: date | None = None
    regions: dict[str, int | None] = Field(
        default_factory=dict, description="Videos per region (top 20)."
    )
    sources: dict[str, int | None] = Field(default_factory=dict, description="Videos per source.")
    zero_views: int = Field(0, description="Videos with a view count of 0.")
    missing_views: int = Field(0, description="Videos without a view count.")
    age_at_observation_days: Spread = Field(
        default_factory=lambda: Spread(n=0),
        description="How old the videos were when their counts were last observed.",
    )
    settled_share: float | None = Field(
        None, description=f"Share observed at least {SETTLED_DAYS} days after posting."
    )


class HashtagRow(BaseModel):
    hashtag: str
    videos: int | None
    share_of_videos: float | None
    creators: int | None
    total_views: int | None
    median_views: float | None
    median_engagement: float | None
    suppressed: bool = False


class PairRow(BaseModel):
    a: str
    b: str
    videos: int | None
    suppressed: bool = False


class GroupEngagement(BaseModel):
    key: str
    videos: int | None = Field(description="Videos with a known engagement rate.")
    median: float | None
    p10: float | None
    p90: float | None
    mean: float | None
    suppressed: bool = False


class Engagement(BaseModel):
    definition: str = "(likes + comments + shares) / views, per video"
    rated: int = Field(0, description="Videos with a rate (views known and above 0).")
    excluded_zero_views: int = 0
    excluded_missing_views: int = 0
    rate: Spread = Spread(n=0)
    views: Spread = Spread(n=0)
    views_gini: float | None = Field(
        None, description="Gini coefficient of views (0 equal, 1 all)."
    )
    by_hashtag: list[GroupEngagement] = Field(default_factory=list)
    by_sound: list[GroupEngagement] = Field(default_factory=list)
    by_creator: list[GroupEngagement] = Field(default_factory=list)
    by_region: list[GroupEngagement] = Field(default_factory=list)
    by_duration: list[GroupEngagement] = Field(default_factory=list)


class DayCount(BaseModel):
    day: date
    videos: int | None


class TimeOfPosting(BaseModel):
    tz: str
    per_day: list[DayCount] = Field(description="Videos per day (UTC).")
    weekdays: list[str] = list(WEEKDAYS)
    hour_weekday_utc: list[list[int | None]] = Field(description="7 x 24: weekday, hour (UTC).")
    hour_weekday_local: list[list[int | None]] = Field(
        description="7 x 24 in the chosen time zone (daylight saving applied)."
    )


class SoundRow(BaseModel):
    music_id: int
    title: str | None
    author: str | None
    videos: int | None
    creators: int | None
    total_views: int | None
    suppressed: bool = False


class Sounds(BaseModel):
    sounds: int = Field(0, description="Distinct sounds.")
    with_sound: int = Field(0, description="Videos with a known sound.")
    videos_per_sound: Spread = Spread(n=0)
    reused_share: float | None = Field(
        None, description="Share of videos whose sound is used by at least one other video."
    )
    top_by_videos: list[SoundRow] = Field(default_factory=list)
    top_by_creators: list[SoundRow] = Field(default_factory=list)


class CreatorRow(BaseModel):
    creator: str
    videos: int | None
    total_views: int | None
    suppressed: bool = False


class Creators(BaseModel):
    creators: int = 0
    videos_per_creator: Spread = Spread(n=0)
    top_by_videos: list[CreatorRow] = Field(default_factory=list)
    top_by_views: list[CreatorRow] = Field(default_factory=list)
    top1pct_view_share: float | None = Field(
        None, description="Views held by the top 1% of creators."
    )
    top10pct_view_share: float | None = Field(
        None, description="Views held by the top 10% of creators."
    )


class MetadataAnalysis(BaseModel):
    """The metadata analysis of a selection."""

    selection: str = Field(description="The selection, in words.")
    generated_at: datetime
    tz: str
    top: int
    publishable: bool = False
    k: int | None = Field(None, description="Cells below k are suppressed (publishable).")
    message: str | None = Field(None, description="Why results are empty, if they are.")
    notes: list[str] = Field(default_factory=list)
    overview: Overview
    hashtags: list[HashtagRow]
    hashtag_pairs: list[PairRow]
    engagement: Engagement
    time: TimeOfPosting
    sounds: Sounds
    creators: Creators

    def frames(self) -> dict[str, pd.DataFrame]:
        """Each table as a pandas DataFrame (for notebooks)."""
        e, s, c = self.engagement, self.sounds, self.creators

        def df(rows: Sequence[BaseModel]) -> pd.DataFrame:
            return pd.DataFrame([r.model_dump() for r in rows])

        hw = {
            name: pd.DataFrame(grid, index=list(WEEKDAYS), columns=range(24))
            for name, grid in (
                ("hour_weekday_utc", self.time.hour_weekday_utc),
                ("hour_weekday_local", self.time.hour_weekday_local),
            )
        }
        return {
            "hashtags": df(self.hashtags),
            "hashtag_pairs": df(self.hashtag_pairs),
            "engagement_by_hashtag": df(e.by_hashtag),
            "engagement_by_sound": df(e.by_sound),
            "engagement_by_creator": df(e.by_creator),
            "engagement_by_region": df(e.by_region),
            "engagement_by_duration": df(e.by_duration),
            "per_day": df(self.time.per_day),
            **hw,
            "sounds_by_videos": df(s.top_by_videos),
            "sounds_by_creators": df(s.top_by_creators),
            "creators_by_videos": df(c.top_by_videos),
            "creators_by_views": df(c.top_by_views),
        }

    def render(self) -> str:
        """The analysis for people (plain text)."""
        o, e = self.overview, self.engagement
        lines = [f"Metadata analysis: {self.selection}"]
        if self.message:
            return "\n".join([*lines, self.message])
        lines.append(
            f"  {o.videos:,} videos by {o.creators:,} creators on {o.days} days "
            f"({o.first_day} to {o.last_day}); views 0 for {o.zero_views:,}, unknown for "
            f"{o.missing_views:,}"
        )
        age = o.age_at_observation_days
        lines.append(
            f"  observed at a median age of {_f(age.median, 1)} days; "
            f"{_pct(o.settled_share)} at least {SETTLED_DAYS} days old (settled)"
        )
        lines.append(
            f"  engagement rate ({e.definition}): median {_f(e.rate.median, 4)}, p10 "
            f"{_f(e.rate.p10, 4)}, p90 {_f(e.rate.p90, 4)}, mean {_f(e.rate.mean, 4)} over "
            f"{e.rated:,} videos; Gini of views {_f(e.views_gini, 3)}"
        )
        lines.append(
            "  top hashtags: "
            + ", ".join(f"#{h.hashtag} ({_n(h.videos)})" for h in self.hashtags[:10])
        )
        lines.append(
            "  top sounds: "
            + ", ".join(
                f"{s.title or s.music_id} ({_n(s.videos)})" for s in self.sounds.top_by_videos[:5]
            )
        )
        lines.append(
            f"  top 1% of creators hold {_pct(self.creators.top1pct_view_share)} of views, "
            f"top 10% hold {_pct(self.creators.top10pct_view_share)}"
        )
        busiest = _busiest(self.time.hour_weekday_local)
        if busiest:
            lines.append(f"  most posting: {busiest} ({self.tz})")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _f(x: float | None, digits: int) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def _n(x: int | None) -> str:
    return "<k" if x is None else f"{x:,}"


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def _busiest(grid: list[list[int | None]]) -> str | None:
    cells = [(v or 0, d, h) for d, row in enumerate(grid) for h, v in enumerate(row)]
    if not cells or max(cells)[0] == 0:
        return None
    _, d, h = max(cells)
    return f"{WEEKDAYS[d]} {h:02d}:00-{h:02d}:59"


def _num(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return None if math.isnan(x) or math.isinf(x) else x


def _spread(f: Frames, expr: str, table: str, where: str = "") -> Spread:
    n, qs, mean = f.one(
        f"SELECT count({expr}), quantile_cont({expr}, [0.1, 0.5, 0.9]), avg({expr}) "
        f"FROM {table}{where}"
    )
    if not n:
        return Spread(n=0)
    p10, med, p90 = qs
    return Spread(n=int(n), median=_num(med), p10=_num(p10), p90=_num(p90), mean=_num(mean))


class _Cells:
    """Small-cell suppression for publishable output (k-anonymity of counts)."""

    def __init__(self, k: int | None):
        self.k = k

    def hide(self, n: int | None) -> bool:
        return self.k is not None and n is not None and 0 < n < self.k

    def count(self, n: Any) -> int | None:
        if n is None:
            return None
        return None if self.hide(int(n)) else int(n)


def _groups(
    f: Frames, key: str, table: str, top: int, cells: _Cells, label: Callable[[Any], str] = str
) -> list[GroupEngagement]:
    rows = f.rows(
        f"""SELECT {key} AS k, count(engagement) AS n,
               quantile_cont(engagement, [0.1, 0.5, 0.9]), avg(engagement)
        FROM {table} WHERE {key} IS NOT NULL GROUP BY k
        HAVING count(engagement) >= {MIN_GROUP} ORDER BY n DESC, k LIMIT {int(top)}"""
    )
    out = []
    for k, n, qs, mean in rows:
        hidden = cells.hide(int(n))
        p10, med, p90 = qs
        out.append(
            GroupEngagement(
                key=label(k),
                videos=None if hidden else int(n),
                median=None if hidden else _num(med),
                p10=None if hidden else _num(p10),
                p90=None if hidden else _num(p90),
                mean=None if hidden else _num(mean),
                suppressed=hidden,
            )
        )
    return out


def _grid(f: Frames, ts: str, cells: _Cells) -> list[list[int | None]]:
    grid: list[list[int | None]] = [[0] * 24 for _ in range(7)]
    for dow, hour, n in f.rows(
        f"SELECT isodow({ts}), hour({ts}), count(*) FROM {f.videos} "
        "WHERE create_time IS NOT NULL GROUP BY ALL"
    ):
        grid[int(dow) - 1][int(hour)] = cells.count(n)
    return grid


def _hashtags(f: Frames, top: int, cells: _Cells, n: int) -> list[HashtagRow]:
    """The most used hashtags, counted once per video."""
    T = f.tags
    hashtags = []
    for tag, nv, nc, tv, mv, me in f.rows(
        f"""WITH top AS (SELECT tag, count(*) AS n FROM {T} GROUP BY tag
                         ORDER BY n DESC, tag LIMIT {int(top)})
        SELECT tag, any_value(top.n) AS n, count(DISTINCT username), sum(views), median(views),
               median(engagement)
        FROM {T} JOIN top USING (tag) GROUP BY tag ORDER BY n DESC, tag"""
    ):
        hidden = cells.hide(nv)
        hashtags.append(
            HashtagRow(
                hashtag=tag,
                videos=None if hidden else nv,
                share_of_videos=None if hidden else nv / n,
                creators=cells.count(nc) if not hidden else None,
                total_views=None if hidden or tv is None else int(tv),
                median_views=None if hidden else _num(mv),
                median_engagement=None if hidden else _num(me),
                suppressed=hidden,
            )
        )
    return hashtags


def _sounds(f: Frames, top: int, cells: _Cells, publishable: bool) -> Sounds:
    """Sounds by videos and by creators, and how much they are reused."""
    V = f.videos
    f.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sel_sounds AS
        SELECT music_id, any_value(music_title) AS title, any_value(music_author) AS author,
               count(*) AS n, count(DISTINCT username) AS nc, sum(views) AS tv
        FROM {V} WHERE music_id IS NOT NULL GROUP BY music_id"""
    )
    try:
        n_sounds, with_sound, reused = f.one(
            "SELECT count(*), coalesce(sum(n), 0), coalesce(sum(n) FILTER (n > 1), 0) "
            "FROM sel_sounds"
        )

        def sound_rows(order: str) -> list[SoundRow]:
            out = []
            for mid, title, author, nv, nc, tv in f.rows(
                f"SELECT music_id, title, author, n, nc, tv FROM sel_sounds "
                f"ORDER BY {order}, music_id LIMIT {int(top)}"
            ):
                hidden = cells.hide(nv)
                out.append(
                    SoundRow(
                        music_id=int(mid),
                        title=title,
                        author=None if publishable else author,
                        videos=None if hidden else nv,
                        creators=None if hidden else cells.count(nc),
                        total_views=None if hidden or tv is None else int(tv),
                        suppressed=hidden,
                    )
                )
            return out

        return Sounds(
            sounds=n_sounds,
            with_sound=with_sound,
            videos_per_sound=_spread(f, "n", "sel_sounds"),
            reused_share=reused / with_sound if with_sound else None,
            top_by_videos=sound_rows("n DESC"),
            top_by_creators=sound_rows("nc DESC, n DESC"),
        )
    finally:
        f.con.execute("DROP TABLE IF EXISTS sel_sounds")


def four_answers(
    f: Frames, top: int = 50
) -> tuple[
    list[tuple[str, int | None]], float | None, list[tuple[int, int | None]], list[list[int | None]]
]:
    """The seed's four answers as this analysis computes them: top hashtags, mean engagement,
    top sounds and posting hour x weekday (UTC). For the benchmark against the seed."""
    cells = _Cells(None)
    tags = [(h.hashtag, h.videos) for h in _hashtags(f, top, cells, f.n)]
    mean = _spread(f, "engagement", f.videos).mean
    sounds = [(s.music_id, s.videos) for s in _sounds(f, top, cells, False).top_by_videos]
    return tags, mean, sounds, _grid(f, "(create_time AT TIME ZONE 'UTC')", cells)


def analyse(
    f: Frames,
    *,
    tz: str = "UTC",
    top: int = 20,
    publishable: bool = False,
    k: int = DEFAULT_K,
    pseudonymiser: Pseudonymiser | None = None,
    now: datetime | None = None,
) -> MetadataAnalysis:
    """Every metadata result for the selection in ``f``."""
    check_tz(tz)
    if publishable and pseudonymiser is None:
        raise ValueError("publishable output needs a pseudonymiser for creators")
    cells = _Cells(k if publishable else None)

    def who(name: Any) -> str:
        return str(pseudonymiser(str(name))) if publishable and pseudonymiser else str(name)

    V, T = f.videos, f.tags
    n = f.n
    now = now or datetime.now(UTC)
    notes = [
        "Counts keep changing for about 10 days after posting: the age at observation is "
        "given, and --settled keeps only videos observed at least 10 days after posting.",
    ]
    if publishable:
        notes.append(
            f"Publishable: counts below {k} are suppressed (shown as null), creators are "
            "keyed pseudonyms, sound authors are left out."
        )
    if n == 0:
        return _empty(f, tz, top, publishable, k, now, notes)

    # -- overview ---------------------------------------------------------------------------
    videos, creators, days, first, last, zero, missing = f.one(
        f"""SELECT count(*), count(DISTINCT username), count(DISTINCT CAST(create_time AS DATE)),
               min(CAST(create_time AS DATE)), max(CAST(create_time AS DATE)),
               count(*) FILTER (views = 0), count(*) FILTER (views IS NULL) FROM {V}"""
    )
    settled = f.one(
        f"SELECT avg(CASE WHEN age_days >= {SETTLED_DAYS} THEN 1.0 ELSE 0.0 END) FROM {V} "
        "WHERE age_days IS NOT NULL"
    )[0]
    overview = Overview(
        videos=videos,
        creators=creators,
        days=days,
        first_day=first,
        last_day=last,
        regions={
            str(r): cells.count(c)
            for r, c in f.rows(
                f"SELECT coalesce(region_code, 'unknown'), count(*) AS c FROM {V} "
                "GROUP BY 1 ORDER BY c DESC, 1 LIMIT 20"
            )
        },
        sources={
            str(s): cells.count(c)
            for s, c in f.rows(
                f"SELECT coalesce(source, 'unknown'), count(*) AS c FROM {V} GROUP BY 1 "
                "ORDER BY c DESC"
            )
        },
        zero_views=zero,
        missing_views=missing,
        age_at_observation_days=_spread(f, "age_days", V),
        settled_share=_num(settled),
    )

    # -- hashtags ---------------------------------------------------------------------------
    hashtags = _hashtags(f, top, cells, n)
    pairs = [
        PairRow(a=a, b=b, videos=cells.count(c), suppressed=cells.hide(c))
        for a, b, c in f.rows(
            f"""WITH pool AS (SELECT tag FROM {T} GROUP BY tag ORDER BY count(*) DESC, tag
                              LIMIT {PAIR_POOL}),
                t AS (SELECT id, tag FROM {T} SEMI JOIN pool USING (tag))
            SELECT x.tag, y.tag, count(*) AS c FROM t x JOIN t y ON x.id = y.id AND x.tag < y.tag
            GROUP BY ALL ORDER BY c DESC, 1, 2 LIMIT {int(top)}"""
        )
    ]

    # -- engagement -------------------------------------------------------------------------
    gini = f.one(
        f"""SELECT CASE WHEN count(*) > 0 AND sum(views) > 0 THEN
                2 * sum(r * views) / (count(*) * sum(views)) - (count(*) + 1) / count(*) END
        FROM (SELECT views, row_number() OVER (ORDER BY views) AS r FROM {V}
              WHERE views IS NOT NULL)"""
    )[0]
    f.con.execute(
        f"CREATE OR REPLACE TEMP TABLE sel_sound_eng AS SELECT "
        f"CAST(music_id AS VARCHAR) AS sound, engagement FROM {V}"
    )
    try:
        by_sound = _groups(f, "sound", "sel_sound_eng", top, cells)
    finally:
        f.con.execute("DROP TABLE IF EXISTS sel_sound_eng")
    engagement = Engagement(
        rated=int(f.one(f"SELECT count(engagement) FROM {V}")[0]),
        excluded_zero_views=zero,
        excluded_missing_views=missing,
        rate=_spread(f, "engagement", V),
        views=_spread(f, "views", V),
        views_gini=_num(gini),
        by_hashtag=_groups(f, "tag", T, top, cells),
        by_sound=by_sound,
        by_creator=_groups(f, "username", V, top, cells, who),
        by_region=_groups(f, "region_code", V, top, cells),
        by_duration=_groups(f, "duration_class", V, top, cells),
    )

    # -- time -------------------------------------------------------------------------------
    per_day = [
        DayCount(day=d, videos=cells.count(c))
        for d, c in f.rows(
            f"SELECT CAST(create_time AS DATE) AS d, count(*) FROM {V} "
            "WHERE create_time IS NOT NULL GROUP BY d ORDER BY d"
        )
    ]
    local = "(create_time AT TIME ZONE '" + tz.replace("'", "''") + "')"
    time = TimeOfPosting(
        tz=tz,
        per_day=per_day,
        hour_weekday_utc=_grid(f, "(create_time AT TIME ZONE 'UTC')", cells),
        hour_weekday_local=_grid(f, local, cells),
    )

    # -- sounds -----------------------------------------------------------------------------
    sounds = _sounds(f, top, cells, publishable)

    # -- creators ---------------------------------------------------------------------------
    f.con.execute(
        f"""CREATE OR REPLACE TEMP TABLE sel_creators AS
        SELECT username, count(*) AS n, coalesce(sum(views), 0) AS tv
        FROM {V} WHERE username IS NOT NULL GROUP BY username"""
    )
    try:
        n_creators, total_views = f.one("SELECT count(*), sum(tv) FROM sel_creators")

        def share(fraction: float) -> float | None:
            if not n_creators or not total_views:
                return None
            m = max(1, math.ceil(n_creators * fraction))
            held = f.one(
                f"SELECT sum(tv) FROM (SELECT tv FROM sel_creators ORDER BY tv DESC LIMIT {m})"
            )[0]
            return float(held) / float(total_views)

        def creator_rows(order: str) -> list[CreatorRow]:
            out = []
            for u, nv, tv in f.rows(
                f"SELECT username, n, tv FROM sel_creators ORDER BY {order}, username "
                f"LIMIT {int(top)}"
            ):
                hidden = cells.hide(nv)
                out.append(
                    CreatorRow(
                        creator=who(u),
                        videos=None if hidden else nv,
                        total_views=None if hidden else int(tv),
                        suppressed=hidden,
                    )
                )
            return out

        creators_out = Creators(
            creators=n_creators,
            videos_per_creator=_spread(f, "n", "sel_creators"),
            top_by_videos=creator_rows("n DESC"),
            top_by_views=creator_rows("tv DESC"),
            top1pct_view_share=share(0.01),
            top10pct_view_share=share(0.10),
        )
    finally:
        f.con.execute("DROP TABLE IF EXISTS sel_creators")

    return MetadataAnalysis(
        selection=f.selection.describe(),
        generated_at=now,
        tz=tz,
        top=top,
        publishable=publishable,
        k=k if publishable else None,
        notes=notes,
        overview=overview,
        hashtags=hashtags,
        hashtag_pairs=pairs,
        engagement=engagement,
        time=time,
        sounds=sounds,
        creators=creators_out,
    )


def _empty(
    f: Frames, tz: str, top: int, publishable: bool, k: int, now: datetime, notes: list[str]
) -> MetadataAnalysis:
    zero_grid: list[list[int | None]] = [[0] * 24 for _ in range(7)]
    return MetadataAnalysis(
        selection=f.selection.describe(),
        generated_at=now,
        tz=tz,
        top=top,
        publishable=publishable,
        k=k if publishable else None,
        message=f"no videos match ({f.selection.describe()})",
        notes=notes,
        overview=Overview(),
        hashtags=[],
        hashtag_pairs=[],
        engagement=Engagement(),
        time=TimeOfPosting(
            tz=tz, per_day=[], hour_weekday_utc=zero_grid, hour_weekday_local=zero_grid
        ),
        sounds=Sounds(),
        creators=Creators(),
    )


def view_shares(f: Frames) -> np.ndarray:
    """Cumulative share of all views held by the top 1, 2, ... creators (a Lorenz curve read
    from the top), for the concentration chart."""
    views = np.asarray(
        [
            r[0]
            for r in f.rows(
                f"SELECT coalesce(sum(views), 0) AS v FROM {f.videos} WHERE username IS NOT NULL "
                "GROUP BY username ORDER BY v DESC"
            )
        ],
        dtype=np.float64,
    )
    total = views.sum()
    return np.cumsum(views) / total if total > 0 else np.zeros(len(views))


def distribution(f: Frames, column: str, limit: int = 1_000_000) -> np.ndarray:
    """Positive values of ``engagement`` or ``views`` (a sample of ``limit`` at most)."""
    if column not in ("engagement", "views"):
        raise ValueError(f"no distribution of {column!r}")
    rows = f.con.execute(
        f"SELECT {column} FROM {f.videos} WHERE {column} > 0 USING SAMPLE {int(limit)} ROWS"
    ).fetchnumpy()
    return np.asarray(rows[column], dtype=np.float64)
