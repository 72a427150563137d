"""The one place where the store becomes frames: a selection of videos, as DuckDB tables.

``open_frames`` gives the selected videos as a view (``sel_videos``: one row per
video with the derived columns every analysis needs) and their hashtags as a
table (``sel_tags``: one row per video and hashtag). Hashtags in the store are
already lower-case, without '#', once per video (ingestion guarantees it for
every source), so they are counted once per video here. Analyses query these
two, never the store's tables; the Python API turns any result into pandas or
Arrow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb
from pydantic import BaseModel, Field, field_validator, model_validator

from ..api_spec import VIDEO_LENGTHS
from ..errors import UsageError
from ..store import Store

#: counts keep changing for about this long after posting
SETTLED_DAYS = 10
#: DuckDB's memory for analyses (it spills to disk beyond), unless
#: $TIKTOK_RESEARCH_MEMORY_LIMIT says otherwise: 10M videos analyse in about 2 GB
ANALYSIS_MEMORY_LIMIT = "2GB"


class Selection(BaseModel):
    """Which stored videos an analysis looks at."""

    since: date | None = Field(None, description="First day (UTC) of creation.")
    until: date | None = Field(None, description="Last day (UTC) of creation.")
    regions: list[str] = Field(default_factory=list, description="Only these region codes.")
    hashtags: list[str] = Field(
        default_factory=list, description="Only videos with any of these hashtags."
    )
    keywords: list[str] = Field(
        default_factory=list, description="Only videos whose caption contains any of these."
    )
    runs: list[int] = Field(
        default_factory=list, description="Only videos these collection or import runs saw."
    )
    sources: list[str] = Field(
        default_factory=list, description="Only these sources (research_api, zeeschuimer, ...)."
    )
    settled: bool = Field(
        False,
        description=f"Only videos at least {SETTLED_DAYS} days old when last observed (their "
        "counts have mostly settled).",
    )

    @field_validator("regions")
    @classmethod
    def _upper(cls, v: list[str]) -> list[str]:
        return [r.strip().upper() for r in v if r.strip()]

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, v: list[str]) -> list[str]:
        return [h.strip().lstrip("#").lower() for h in v if h.strip().lstrip("#")]

    @model_validator(mode="after")
    def _order(self) -> Selection:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since {self.since} is after until {self.until}")
        return self

    def describe(self) -> str:
        parts = []
        if self.since or self.until:
            parts.append(f"created {self.since or '...'} to {self.until or '...'} (UTC)")
        for name in ("regions", "hashtags", "keywords", "runs", "sources"):
            values = getattr(self, name)
            if values:
                parts.append(f"{name} {', '.join(map(str, values))}")
        if self.settled:
            parts.append(f"settled (observed at least {SETTLED_DAYS} days after posting)")
        return "; ".join(parts) or "all stored videos"


def check_tz(tz: str) -> str:
    """An IANA time zone name; a usage error naming it otherwise."""
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"unknown time zone {tz!r}; use an IANA name such as Europe/Berlin or America/New_York"
        ) from None
    return tz


def _duration_class() -> str:
    cases = " ".join(
        f"WHEN video_duration < {hi} THEN '{name}'"
        for name, (_lo, hi) in VIDEO_LENGTHS.items()
        if hi != float("inf")
    )
    last = next(reversed(VIDEO_LENGTHS))
    return f"CASE WHEN video_duration IS NULL THEN NULL {cases} ELSE '{last}' END"


@dataclass
class Frames:
    """The selected videos, as tables on the store's connection."""

    con: duckdb.DuckDBPyConnection
    selection: Selection
    videos: str = "sel_videos"
    tags: str = "sel_tags"
    duets: str = "sel_duets"
    accounts: str = "sel_accounts"
    store: Store | None = None

    def one(self, sql: str, params: list[Any] | None = None) -> tuple[Any, ...]:
        return self.con.execute(sql, params or []).fetchall()[0]

    def rows(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        return self.con.execute(sql, params or []).fetchall()

    def df(self, sql: str, params: list[Any] | None = None) -> Any:
        """A pandas DataFrame (ids stay int64)."""
        return self.con.execute(sql, params or []).df()

    def arrow(self, sql: str, params: list[Any] | None = None) -> Any:
        return self.con.sql(sql, params=params or []).to_arrow_table()

    @property
    def n(self) -> int:
        return int(self.one(f"SELECT count(*) FROM {self.videos}")[0])


def _lit(value: Any) -> str:
    """A SQL literal (views take no parameters): text quoted, numbers and dates checked."""
    if isinstance(value, list):
        return "[" + ", ".join(_lit(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def _where(sel: Selection) -> str:
    conds = []
    if sel.since:
        conds.append(f"v.create_time >= {_lit(sel.since)}")
    if sel.until:
        conds.append(f"v.create_time < {_lit(sel.until)} + INTERVAL 1 DAY")
    if sel.regions:
        conds.append(f"list_contains({_lit(sel.regions)}, v.region_code)")
    if sel.hashtags:
        conds.append(f"list_has_any(v.hashtag_names, {_lit(sel.hashtags)})")
    if sel.keywords:
        words = _lit([k.lower() for k in sel.keywords])
        conds.append(
            f"list_bool_or(list_transform({words}, "
            "lambda k: contains(lower(v.video_description), k)))"
        )
    if sel.runs:
        runs = _lit(sel.runs)
        conds.append(
            f"(list_contains({runs}, v.first_run_id) OR list_contains({runs}, v.last_run_id) OR "
            f"v.id IN (SELECT video_id FROM video_snapshots WHERE list_contains({runs}, run_id)))"
        )
    if sel.sources:
        conds.append(f"list_contains({_lit(sel.sources)}, v.source)")
    if sel.settled:
        conds.append(f"v.last_seen_at - v.create_time >= INTERVAL {SETTLED_DAYS} DAY")
    return (" WHERE " + " AND ".join(conds)) if conds else ""


@contextmanager
def open_frames(store: Store, selection: Selection | None = None) -> Iterator[Frames]:
    """The selection's tables on the store's connection (dropped again afterwards)."""
    sel = selection or Selection()
    f = Frames(store.con, sel, store=store)
    where = _where(sel)
    con = store.con
    try:
        # a view: each analysis reads only the columns it needs from the store; the hashtags,
        # read by several analyses, are unnested once into a table
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {f.videos} AS
            SELECT v.id, v.username, v.create_time, v.region_code, v.source,
                   v.view_count AS views, v.like_count AS likes, v.comment_count AS comments,
                   v.share_count AS shares, v.music_id, v.music_title, v.music_author,
                   v.hashtag_names AS tags,
                   v.mentions, v.duet_from_id,
                   v.video_description AS caption, v.video_duration AS duration,
                   {_duration_class()} AS duration_class,
                   v.last_seen_at AS observed_at,
                   date_diff('second', v.create_time, v.last_seen_at) / 86400.0 AS age_days,
                   CASE WHEN v.view_count > 0 THEN (coalesce(v.like_count, 0)
                        + coalesce(v.comment_count, 0) + coalesce(v.share_count, 0))
                        / v.view_count END AS engagement
            FROM videos v{where}"""
        )
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE {f.tags} AS
            SELECT id, username, create_time, views, engagement, unnest(tags) AS tag
            FROM {f.videos}"""
        )
        # a duet's source video may lie outside the selection: its author comes from the store
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {f.duets} AS
            SELECT d.id, d.username, d.create_time, d.duet_from_id AS source_id,
                   s.username AS source_author
            FROM {f.videos} d LEFT JOIN videos s ON s.id = d.duet_from_id
            WHERE d.duet_from_id IS NOT NULL"""
        )
        # per account of the selection: its videos and views there, followers when known
        con.execute(
            f"""CREATE OR REPLACE TEMP VIEW {f.accounts} AS
            SELECT v.username, count(*) AS videos, sum(v.views) AS views,
                   any_value(u.follower_count) AS followers
            FROM {f.videos} v LEFT JOIN users u ON u.username = v.username
            WHERE v.username IS NOT NULL GROUP BY v.username"""
        )
        yield f
    finally:
        con.execute(f"DROP VIEW IF EXISTS {f.accounts}")
        con.execute(f"DROP VIEW IF EXISTS {f.duets}")
        con.execute(f"DROP TABLE IF EXISTS {f.tags}")
        con.execute(f"DROP VIEW IF EXISTS {f.videos}")


def donation_frames(store: Store) -> tuple[Any, Any]:
    """Donated events (participant, kind, video id, time) and, for watched videos the store
    holds (after enrichment), their hashtags and sound, as pandas frames."""
    events = store.con.execute(
        "SELECT participant, kind, video_id, happened_at FROM donation_events "
        "ORDER BY participant, happened_at"
    ).df()
    watched = store.con.execute(
        """SELECT DISTINCT e.participant, e.video_id, v.hashtag_names, v.music_id, v.music_title
        FROM donation_events e JOIN videos v ON v.id = e.video_id WHERE e.kind = 'watch'"""
    ).df()
    return events, watched
