"""Trend lifecycles of hashtags, sounds or caption keywords, found by burstiness, not volume.

Each item's daily counts are compared with the day's total by Kleinberg's
batched two-state burst model (a "burst" state emits at ``s`` times the item's
base rate; entering it costs ``gamma * ln(days)``), solved for every item at
once with a vectorised Viterbi pass. Items are ranked by the weight of their
strongest burst (the cost it saves over the base state), so a mid-sized hashtag
that flares up outranks a large one that is merely always there.

For each trend: first seen, burst onset and end, peak day and height, time to
peak, half-life after the peak, active span, the shape class after Lehmann et
al. (2012) from the shares of activity in the week before, on and in the week
after the peak, and its status at the end of the data.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, Field

from .frames import Frames

By = Literal["hashtag", "sound", "keyword"]

METHOD = (
    "Kleinberg's two-state batched burst detection on daily counts (s = {s}, gamma = {gamma}); "
    "shape classes from the shares of activity 7 days before, on, and 7 days after the peak "
    "day, in the spirit of Lehmann et al. (2012), assigned by fixed thresholds (the paper "
    "clusters): peak-concentrated when at least half is on the peak day, else anticipatory "
    "or reactive when one side holds at least twice the other, else symmetric."
)
CITATIONS = [
    "Kleinberg, J. (2003). Bursty and hierarchical structure in streams. Data Mining and "
    "Knowledge Discovery 7(4), 373-397. doi:10.1023/A:1024940629314",
    "Lehmann, J., Goncalves, B., Ramasco, J. J., & Cattuto, C. (2012). Dynamical classes of "
    "collective attention in Twitter. WWW '12. doi:10.1145/2187836.2187871",
]
WINDOW = 7  # days either side of the peak for the shape class
#: what separates caption words (anything but letters, digits and _ in any script)
WORD_SPLIT = r"[^\p{L}\p{N}_]+"
STOP = {
    "the", "and", "for", "you", "this", "that", "with", "your", "are", "was", "have", "just",
    "not", "but", "all", "from", "what", "when", "they", "can", "out", "about", "how", "its",
    "will", "get", "one", "our", "who", "has", "more", "like", "into", "der", "die", "das",
    "und", "ist", "los", "las", "que", "por", "una", "para",
}  # fmt: skip


class TrendRow(BaseModel):
    item: str = Field(description="The hashtag, sound (title or id) or keyword.")
    item_id: str = Field(description="Its key: the hashtag, the sound id, the keyword.")
    videos: int
    first_seen: date
    last_seen: date
    burst_onset: date | None
    burst_end: date | None
    burst_weight: float = Field(description="Cost the strongest burst saves (burstiness).")
    bursts: int = Field(description="Separate burst periods.")
    peak_day: date
    peak_videos: int
    peak_share: float = Field(description="Share of that day's videos.")
    time_to_peak_days: int = Field(description="From burst onset (or first seen) to the peak.")
    half_life_days: int | None = Field(
        description="Days from the peak until below half of it (None: not within the data)."
    )
    active_span_days: int
    shape: str = Field(description="peak-concentrated, anticipatory, reactive or symmetric.")
    before_share: float
    at_peak_share: float
    after_share: float
    status: Literal["emerging", "peaking", "declining", "steady", "ended"]
    series: list[int] = Field(description="Videos per day from the report's first day.")


class TrendReport(BaseModel):
    """The trends of a selection, strongest burst first."""

    by: By
    selection: str
    method: str
    citations: list[str]
    parameters: dict[str, float | int]
    first_day: date | None
    last_day: date | None
    candidates: int = Field(description="Items with enough videos to be considered.")
    message: str | None = None
    trends: list[TrendRow]

    def frame(self) -> pd.DataFrame:
        """The trends as a DataFrame (without the series)."""
        return pd.DataFrame([t.model_dump(exclude={"series"}) for t in self.trends])

    def series(self) -> pd.DataFrame:
        """Daily series, one column per trend."""
        if not self.trends or self.first_day is None:
            return pd.DataFrame()
        index = pd.date_range(self.first_day, periods=len(self.trends[0].series), freq="D")
        return pd.DataFrame({t.item: t.series for t in self.trends}, index=index)

    def render(self) -> str:
        lines = [f"Trends by {self.by}: {self.selection}"]
        if self.message:
            return "\n".join([*lines, self.message])
        lines.append(f"  {self.first_day} to {self.last_day}; {self.candidates:,} candidates")
        for t in self.trends:
            onset = f"burst {t.burst_onset} to {t.burst_end}, " if t.burst_onset else ""
            half = f"{t.half_life_days} d" if t.half_life_days is not None else "n/a"
            lines.append(
                f"  {t.item:<28} {t.status:<9} {onset}peak {t.peak_day} ({t.peak_videos}), "
                f"half-life {half}, {t.shape}, {t.videos:,} videos"
            )
        lines.append(f"  method: {self.method}")
        return "\n".join(lines)


def burst_states(
    counts: np.ndarray, totals: np.ndarray, s: float = 2.0, gamma: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Kleinberg's batched two-state model for many items at once.

    ``counts``: items x days; ``totals``: days. Returns (states, gain): the most
    likely state (0 base, 1 burst) per item and day, and per item and day how
    much cheaper the burst state explains that day than the base state.
    """
    counts = counts.astype(np.float64)
    d = totals.astype(np.float64)[None, :]
    items, days = counts.shape
    p0 = counts.sum(axis=1, keepdims=True) / max(float(totals.sum()), 1.0)
    p0 = np.clip(p0, 1e-12, 0.5)
    p1 = np.minimum(s * p0, 0.9999)
    cost0 = -(counts * np.log(p0) + (d - counts) * np.log1p(-p0))
    cost1 = -(counts * np.log(p1) + (d - counts) * np.log1p(-p1))
    up = gamma * np.log(max(days, 2))
    c0 = np.zeros(items)
    c1 = np.full(items, up)
    back0 = np.zeros((items, days), dtype=bool)  # True: came from state 1
    back1 = np.zeros((items, days), dtype=bool)  # True: came from state 0 (paid to go up)
    for t in range(days):
        from1 = c1 < c0
        n0 = np.where(from1, c1, c0) + cost0[:, t]
        from0 = c0 + up < c1
        n1 = np.where(from0, c0 + up, c1) + cost1[:, t]
        back0[:, t], back1[:, t] = from1, from0
        c0, c1 = n0, n1
    states = np.zeros((items, days), dtype=np.int8)
    cur = (c1 < c0).astype(np.int8)
    rows = np.arange(items)
    for t in range(days - 1, -1, -1):
        states[:, t] = cur
        prev_if0 = back0[rows, t].astype(np.int8)  # state 0 came from 1?
        prev_if1 = 1 - back1[rows, t].astype(np.int8)  # state 1 came from 1 unless it went up
        cur = np.where(cur == 0, prev_if0, prev_if1)
    return states, cost0 - cost1


def strongest_bursts(
    states: np.ndarray, gain: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item: the weight of its strongest burst (0 if none), that burst's (start, end) day
    indexes ((-1, -1) if none) and how many separate bursts it has - for all items at once."""
    items, days = states.shape
    padded = np.zeros((items, days + 2), dtype=np.int8)
    padded[:, 1:-1] = states
    edges = np.diff(padded, axis=1)
    rows, starts = np.nonzero(edges == 1)  # row-major: each item's runs in order
    _, ends = np.nonzero(edges == -1)
    ends = ends - 1
    cum = np.zeros((items, days + 1))
    cum[:, 1:] = np.cumsum(gain, axis=1)
    run_weight = cum[rows, ends + 1] - cum[rows, starts]
    weights = np.zeros(items)
    best = np.full((items, 2), -1, dtype=np.int64)
    if len(rows):
        order = np.lexsort((-run_weight, rows))  # by item, strongest run first
        first = order[np.r_[True, rows[order][1:] != rows[order][:-1]]]
        weights[rows[first]] = run_weight[first]
        best[rows[first], 0], best[rows[first], 1] = starts[first], ends[first]
    return weights, best, np.bincount(rows, minlength=items)


def _shape(series: np.ndarray, peak: int) -> tuple[str, float, float, float]:
    lo, hi = max(0, peak - WINDOW), min(len(series), peak + WINDOW + 1)
    total = float(series[lo:hi].sum()) or 1.0
    before = float(series[lo:peak].sum()) / total
    at = float(series[peak]) / total
    after = float(series[peak + 1 : hi].sum()) / total
    if at >= 0.5:
        shape = "peak-concentrated"
    elif before >= 2 * after:
        shape = "anticipatory"
    elif after >= 2 * before:
        shape = "reactive"
    else:
        shape = "symmetric"
    return shape, before, at, after


def _status(series: np.ndarray, smooth: np.ndarray, peak: int, bursting_at_end: bool) -> str:
    last = len(series) - 1
    height = float(smooth[peak]) or 1.0
    recent = float(series[max(0, last - 2) :].mean())
    if recent < 0.1 * height and peak < last - 2:
        return "ended"
    if peak >= last - 2:
        rising = smooth[last] >= smooth[max(0, last - 3)]
        return "emerging" if bursting_at_end and rising else "peaking"
    return "declining"


def _items(f: Frames, by: By) -> str:
    """SQL giving (item, label, day) rows, one per video and item."""
    day = "CAST(create_time AS DATE)"
    if by == "hashtag":
        return f"SELECT tag AS item, tag AS label, {day} AS day FROM {f.tags}"
    if by == "sound":
        return (
            f"SELECT CAST(music_id AS VARCHAR) AS item, coalesce(music_title, "
            f"CAST(music_id AS VARCHAR)) AS label, {day} AS day FROM {f.videos} "
            "WHERE music_id IS NOT NULL"
        )
    stop = ", ".join(f"'{w}'" for w in sorted(STOP))
    return f"""SELECT w AS item, w AS label, day FROM (
        SELECT DISTINCT id, {day} AS day, unnest(regexp_split_to_array(
            lower(regexp_replace(caption, '[#@][^[:space:]]*', ' ', 'g')),
            '{WORD_SPLIT}')) AS w
        FROM {f.videos} WHERE caption IS NOT NULL)
        WHERE length(w) >= 4 AND w NOT IN ({stop}) AND NOT regexp_full_match(w, '[0-9_]+')"""


def detect(
    f: Frames,
    by: By = "hashtag",
    top: int = 20,
    *,
    min_videos: int = 10,
    s: float = 2.0,
    gamma: float = 1.0,
) -> TrendReport:
    """The ``top`` items of the selection with the strongest bursts, with their lifecycles."""
    params: dict[str, float | int] = {
        "s": s,
        "gamma": gamma,
        "min_videos": min_videos,
        "shape_window_days": WINDOW,
    }

    def report(
        first_day: date | None, last_day: date | None, candidates: int, **kw: Any
    ) -> TrendReport:
        return TrendReport(
            by=by,
            selection=f.selection.describe(),
            method=METHOD.format(s=s, gamma=gamma),
            citations=CITATIONS,
            parameters=params,
            first_day=first_day,
            last_day=last_day,
            candidates=candidates,
            **kw,
        )

    first, last = f.one(
        f"SELECT min(CAST(create_time AS DATE)), max(CAST(create_time AS DATE)) FROM {f.videos}"
    )
    if first is None:
        return report(
            None, None, 0, message=f"no videos match ({f.selection.describe()})", trends=[]
        )
    days = (last - first).days + 1
    totals = np.zeros(days, dtype=np.int64)
    for d, n in f.rows(
        f"SELECT CAST(create_time AS DATE), count(*) FROM {f.videos} "
        "WHERE create_time IS NOT NULL GROUP BY 1"
    ):
        totals[(d - first).days] = n
    con = f.con
    con.execute(f"CREATE OR REPLACE TEMP TABLE trend_x AS {_items(f, by)}")
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE trend_keep AS
            SELECT item, any_value(label) AS label, row_number() OVER (ORDER BY item) - 1 AS ix
            FROM trend_x GROUP BY item HAVING count(*) >= {int(min_videos)}"""
        )
        keep = f.rows("SELECT item, label FROM trend_keep ORDER BY ix")
        cells = con.execute(
            f"""SELECT k.ix, date_diff('day', DATE '{first.isoformat()}', x.day) AS d,
                   count(*) AS n
            FROM trend_x x JOIN trend_keep k USING (item) GROUP BY ALL"""
        ).fetchnumpy()
    finally:
        con.execute("DROP TABLE IF EXISTS trend_x")
        con.execute("DROP TABLE IF EXISTS trend_keep")
    if not keep:
        return report(
            first, last, 0, message=f"no {by} has at least {min_videos} videos", trends=[]
        )
    items = [str(k) for k, _ in keep]
    labels = [str(lab) for _, lab in keep]
    counts = np.zeros((len(items), days), dtype=np.int64)
    counts[cells["ix"].astype(np.int64), cells["d"].astype(np.int64)] = cells["n"]
    states, gain = burst_states(counts, totals, s, gamma)
    weights, best, n_bursts = strongest_bursts(states, gain)
    # strongest burst first; items without a burst follow by volume
    order = np.lexsort((-counts.sum(axis=1), -weights))[:top]
    kernel = np.ones(3) / 3
    out = []
    for i in order:
        series = counts[i]
        smooth = np.convolve(series, kernel, mode="same")
        active = np.flatnonzero(series)
        run = (int(best[i, 0]), int(best[i, 1])) if best[i, 0] >= 0 else None
        # the peak of the strongest burst (a few days' slack either side), else of the series
        lo, hi = (max(0, run[0] - 3), min(days, run[1] + 4)) if run else (0, days)
        peak = int(lo + np.argmax(smooth[lo:hi]))
        if series[peak] == 0:  # the smoothed peak fell between active days
            peak = int(active[np.argmax(series[active])])
        height = smooth[peak]
        below = np.flatnonzero(smooth[peak:] < height / 2)
        start = run[0] if run else int(active[0])
        shape, before, at, after = _shape(series, peak)
        out.append(
            TrendRow(
                item=labels[i],
                item_id=items[i],
                videos=int(series.sum()),
                first_seen=first + timedelta(days=int(active[0])),
                last_seen=first + timedelta(days=int(active[-1])),
                burst_onset=first + timedelta(days=int(run[0])) if run else None,
                burst_end=first + timedelta(days=int(run[1])) if run else None,
                burst_weight=round(float(weights[i]), 3),
                bursts=int(n_bursts[i]),
                peak_day=first + timedelta(days=peak),
                peak_videos=int(series[peak]),
                peak_share=float(series[peak]) / float(totals[peak] or 1),
                time_to_peak_days=max(0, peak - start),
                half_life_days=int(below[0]) if len(below) else None,
                active_span_days=int(active[-1] - active[0] + 1),
                shape=shape,
                before_share=round(before, 4),
                at_peak_share=round(at, 4),
                after_share=round(after, 4),
                status="steady"
                if run is None
                else _status(series, smooth, peak, bool(states[i, -1])),
                series=[int(x) for x in series],
            )
        )
    return report(first, last, len(items), trends=out)
