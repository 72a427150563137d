"""metadata_analysis: what a set of collected or imported TikTok videos shows.

Over a selection of the study database (dates, regions, hashtags, keywords,
runs, sources): an overview (videos, creators, days, regions, sources, videos
with zero or unknown views, how old videos were when observed); top hashtags
counted once per video, with creators, views and median engagement, and
co-occurring pairs; engagement rates ((likes + comments + shares) / views,
videos without views counted but never divided by) as medians, p10/p90 and
means, the Gini coefficient of views, and engagement by hashtag, sound, creator,
region and duration; posting times per day and by hour and weekday in UTC and a
chosen time zone; sounds and their reuse; creators and the concentration of
views; and the strongest hashtag trends. ``settled`` keeps only videos observed
at least 10 days after posting; ``publishable`` suppresses counts below k and
shows creators only as keyed pseudonyms. Tables come back with at most 20 rows;
``out`` also writes everything (all rows, the daily series, the hour x weekday
grids) as JSON.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, Field

from ..analysis import detect
from ..analysis.exposure import Exposure, exposure
from ..analysis.metadata import (
    DEFAULT_K,
    WEEKDAYS,
    Creators,
    Engagement,
    HashtagRow,
    MetadataAnalysis,
    Overview,
    PairRow,
    Sounds,
    Spread,
    analyse,
)
from ..analysis.trends import TrendReport
from .common import JsonOut, SelectionInput, TimeZone, frames_for, pseudonymiser, write_json
from .contract import Annotations, ToolContext

NAME = "metadata_analysis"
TITLE = "Analyse the metadata of stored videos"
ANNOTATIONS = Annotations(read_only=True, idempotent=True, open_world=False)
INLINE = 20


class Input(SelectionInput):
    tz: TimeZone = Field(
        "UTC", description="IANA time zone for hour x weekday, e.g. Europe/Berlin."
    )
    top: int = Field(20, ge=1, le=200, description="Rows per table (at most 20 come inline).")
    publishable: bool = Field(
        False, description="Suppress counts below k; creators only as keyed pseudonyms."
    )
    k: int = Field(DEFAULT_K, ge=2, description="Smallest count shown when publishable.")
    key_file: str | None = Field(
        None, description="Pseudonym key file (default: $TIKTOK_RESEARCH_PSEUDONYM_KEY)."
    )
    out: JsonOut = Field(None, description="Also write the full results as JSON here.")


class TrendSummary(BaseModel):
    hashtag: str
    status: str
    burst_onset: str | None
    peak_day: str
    peak_videos: int
    half_life_days: int | None
    shape: str
    videos: int


class Output(BaseModel):
    selection: str
    message: str | None = Field(description="Why the results are empty, if they are.")
    tz: str
    publishable: bool
    notes: list[str]
    overview: Overview
    hashtags: list[HashtagRow]
    hashtag_pairs: list[PairRow]
    engagement: Engagement
    videos_per_day: Spread
    busiest_hours: list[str] = Field(description="The three busiest weekday-hours (local).")
    sounds: Sounds
    creators: Creators
    trends: list[TrendSummary] = Field(description="The strongest hashtag bursts (at most 10).")
    trend_method: str
    exposure: Exposure | None = Field(
        None, description="From donated data packages, when the database holds any."
    )
    file: str | None = Field(description="The full results, when out was given.")
    text: str


class Full(BaseModel):
    """Everything, for the results file."""

    metadata: MetadataAnalysis
    trends: TrendReport


def _cut(result: MetadataAnalysis) -> MetadataAnalysis:
    """At most 20 rows a table, for the chat."""
    r = result.model_copy(deep=True)
    r.hashtags, r.hashtag_pairs = r.hashtags[:INLINE], r.hashtag_pairs[:INLINE]
    e = r.engagement
    for name in ("by_hashtag", "by_sound", "by_creator", "by_region", "by_duration"):
        setattr(e, name, getattr(e, name)[:INLINE])
    r.sounds.top_by_videos = r.sounds.top_by_videos[:INLINE]
    r.sounds.top_by_creators = r.sounds.top_by_creators[:INLINE]
    r.creators.top_by_videos = r.creators.top_by_videos[:INLINE]
    r.creators.top_by_views = r.creators.top_by_views[:INLINE]
    return r


def _busiest(grid: list[list[int | None]]) -> list[str]:
    cells = sorted(
        ((v or 0, d, h) for d, row in enumerate(grid) for h, v in enumerate(row)), reverse=True
    )
    return [f"{WEEKDAYS[d]} {h:02d}:00 ({v:,} videos)" for v, d, h in cells[:3] if v]


def run(inp: Input, ctx: ToolContext) -> Output:
    pseudo = pseudonymiser(ctx, inp, inp.key_file) if inp.publishable else None
    with frames_for(ctx, inp) as f:
        result = analyse(
            f, tz=inp.tz, top=inp.top, publishable=inp.publishable, k=inp.k, pseudonymiser=pseudo
        )
        trends = detect(f, "hashtag", 10)
        assert f.store is not None
        donated = exposure(f.store, k=inp.k if inp.publishable else None)
    per_day = [d.videos for d in result.time.per_day if d.videos is not None]
    days = np.array(per_day, dtype=float)
    spread = (
        Spread(
            n=len(days),
            median=float(np.median(days)),
            p10=float(np.percentile(days, 10)),
            p90=float(np.percentile(days, 90)),
            mean=float(days.mean()),
        )
        if len(days)
        else Spread(n=0)
    )
    file = write_json(ctx, inp.out, Full(metadata=result, trends=trends)) if inp.out else None
    cut = _cut(result)
    text = result.render()
    if trends.trends:
        text += "\n" + trends.render()
    return Output(
        selection=result.selection,
        message=result.message,
        tz=result.tz,
        publishable=result.publishable,
        notes=result.notes,
        overview=cut.overview,
        hashtags=cut.hashtags,
        hashtag_pairs=cut.hashtag_pairs,
        engagement=cut.engagement,
        videos_per_day=spread,
        busiest_hours=_busiest(result.time.hour_weekday_local),
        sounds=cut.sounds,
        creators=cut.creators,
        trends=[
            TrendSummary(
                hashtag=t.item,
                status=t.status,
                burst_onset=str(t.burst_onset) if t.burst_onset else None,
                peak_day=str(t.peak_day),
                peak_videos=t.peak_videos,
                half_life_days=t.half_life_days,
                shape=t.shape,
                videos=t.videos,
            )
            for t in trends.trends
            if t.burst_onset is not None
        ],
        trend_method=trends.method,
        exposure=donated,
        file=file,
        text=text,
    )
