"""Exposure from donated data: what participants actually watched.

Per participant and pooled: videos watched per day, viewing sessions (a gap of more
than 30 minutes starts a new one) and their length, the share of watched videos
the participant later liked, and - for watched videos enriched through the
Research API - the top hashtags and sounds. Small cells are suppressed in
publishable output.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from ..store import Store
from .frames import donation_frames

SESSION_GAP_MINUTES = 30


class ParticipantExposure(BaseModel):
    participant: str = Field(description="Keyed pseudonym.")
    watched: int | None
    days: int
    per_day_median: float | None
    sessions: int
    session_minutes_median: float | None
    liked_after_watching: float | None = Field(
        description="Share of watched videos the participant later liked."
    )
    suppressed: bool = False


class Exposure(BaseModel):
    participants: int
    watched: int
    enriched_share: float | None = Field(
        description="Share of watched videos whose metadata the store holds."
    )
    per_participant: list[ParticipantExposure]
    pooled_per_day_median: float | None
    pooled_session_minutes_median: float | None
    pooled_liked_after_watching: float | None
    top_hashtags: list[tuple[str, int | None]]
    top_sounds: list[tuple[str, int | None]]
    notes: list[str]


def _sessions(times: pd.Series) -> list[float]:
    """Session lengths in minutes; a gap longer than SESSION_GAP_MINUTES starts a new one."""
    t = np.sort(np.array([x.timestamp() for x in times.dropna()])) / 60  # minutes
    if not len(t):
        return []
    starts = np.r_[0, np.flatnonzero(np.diff(t) > SESSION_GAP_MINUTES) + 1]
    ends = np.r_[starts[1:] - 1, len(t) - 1]
    return list(t[ends] - t[starts])


def _liked_after(group: pd.DataFrame) -> float | None:
    watch = group[group["kind"] == "watch"]
    likes = group[group["kind"] == "like"].groupby("video_id")["happened_at"].max()
    if not len(watch):
        return None
    first_watch = watch.groupby("video_id")["happened_at"].min()
    later = first_watch.index.isin(likes.index) & (
        likes.reindex(first_watch.index).to_numpy() >= first_watch.to_numpy()
    )
    return float(later.mean())


def exposure(store: Store, *, top: int = 10, k: int | None = None) -> Exposure | None:
    """Exposure summaries, or None when the store holds no donations."""
    events, watched = donation_frames(store)
    if events.empty:
        return None

    def cell(n: int) -> int | None:
        return None if k is not None and 0 < n < k else n

    rows = []
    pooled_days: list[int] = []
    pooled_sessions: list[float] = []
    pooled_liked = []
    for who, g in events.groupby("participant"):
        w = g[g["kind"] == "watch"]
        per_day = w.groupby(w["happened_at"].dt.date).size() if len(w) else pd.Series(dtype=int)
        sessions = _sessions(w["happened_at"])
        liked = _liked_after(g)
        pooled_days += per_day.tolist()
        pooled_sessions += sessions
        if liked is not None:
            pooled_liked.append((liked, len(w)))
        hidden = k is not None and 0 < len(w) < k
        rows.append(
            ParticipantExposure(
                participant=str(who),
                watched=None if hidden else len(w),
                days=len(per_day),
                per_day_median=None if hidden or not len(per_day) else float(per_day.median()),
                sessions=len(sessions),
                session_minutes_median=None
                if hidden or not sessions
                else float(np.median(sessions)),  # fmt: skip
                liked_after_watching=None if hidden else liked,
                suppressed=hidden,
            )
        )
    n_watched = int((events["kind"] == "watch").sum())
    tags: Counter = Counter()
    sounds: Counter = Counter()
    for _, r in watched.iterrows():
        for t in r["hashtag_names"] if r["hashtag_names"] is not None else []:
            tags[t] += 1
        if not pd.isna(r["music_id"]):
            sounds[str(r["music_title"] or int(r["music_id"]))] += 1
    total_w = sum(n for _, n in pooled_liked)
    return Exposure(
        participants=len(rows),
        watched=n_watched,
        enriched_share=len(watched) / events[events["kind"] == "watch"]["video_id"].nunique()
        if n_watched
        else None,
        per_participant=rows[:20],
        pooled_per_day_median=float(np.median(pooled_days)) if pooled_days else None,
        pooled_session_minutes_median=float(np.median(pooled_sessions))
        if pooled_sessions
        else None,
        pooled_liked_after_watching=sum(s * n for s, n in pooled_liked) / total_w
        if total_w
        else None,
        top_hashtags=[(t, cell(n)) for t, n in tags.most_common(top)],
        top_sounds=[(s, cell(n)) for s, n in sounds.most_common(top)],
        notes=[
            f"Sessions split at gaps of more than {SESSION_GAP_MINUTES} minutes; package times "
            "are read as UTC.",
            "Hashtags and sounds only for watched videos enriched through the Research API "
            "(tiktok-research enrich --from-donations).",
        ],
    )
