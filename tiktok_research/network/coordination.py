"""Coordinated sharing: accounts that post the same sound, hashtag, caption, mention or duet
source within seconds of each other, again and again.

Pairs are formed the way CooRTweet forms them (Righetti & Balluff 2025): shares of
the same object by different accounts at most ``window`` seconds apart
(inclusive), the older share first, loops removed, ``min_participation`` applied
before and after pairing. They are found by sorting shares by (object, time) and
reading, for each share, the later shares inside its window with
``searchsorted``: the work is the pairs inside the window, never a self-join of
an object's shares, so a sound used 100k times costs only its in-window pairs.

Two ways to flag account pairs:

- ``coortweet``: CooRTweet's own rule: an account pair is flagged when its number
  of co-share pairs is strictly above the ``edge_weight`` quantile (type 7, as R's
  default) of all pairs' weights.
- ``default`` (chance-aware): a pair is flagged only when its co-shares exceed
  what the two accounts' activity and the objects' popularity explain. Under the
  null model each share falls at a random time of the data's span, so accounts u
  and v are expected to co-share ``sum_o s_uo * s_vo * (2 * window / span)``
  times (s_uo: u's shares of object o); a pair is flagged when the Poisson
  probability of at least the observed count is below ``alpha`` divided by the
  number of pairs tested (Bonferroni), with at least ``min_participation``
  co-shares. This keeps CooRTweet's percentile idea of "more than usual" but
  measures "usual" against chance (in the spirit of CooRnet's and CooRTweet's
  thresholds), so a hyperactive account that meets popular sounds by chance is
  not flagged while a small group that repeats itself is.

Groups are the connected components of the flagged pairs. A flag calls for human
review: co-use of a trending sound is often organic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..analysis.frames import Frames
from .incidence import coded

CoKind = Literal["sound", "hashtag", "caption", "mention", "duet"]
CO_KINDS: tuple[CoKind, ...] = ("sound", "hashtag", "caption", "mention", "duet")
DEFAULT_KINDS: tuple[CoKind, ...] = ("sound", "caption")
#: captions with fewer words than this (after removing hashtags, mentions and links) are
#: too generic to say anything about coordination
MIN_CAPTION_WORDS = 4
CAVEAT = (
    "Co-use of a trending sound, hashtag or caption is often organic: a flag calls for a "
    "human look at the evidence, not a verdict of inauthentic behaviour."
)
CITATIONS = [
    "Righetti, N., & Balluff, P. (2025). CooRTweet: A generalized R software for coordinated "
    "network detection. Computational Communication Research 7(1). "
    "doi:10.5117/CCR2025.1.7.RIGH",
    "Giglietto, F., Righetti, N., Rossi, L., & Marino, G. (2020). It takes a village to "
    "manipulate the media: coordinated link sharing behavior during 2018 and 2019 Italian "
    "elections. Information, Communication & Society 23(6). doi:10.1080/1369118X.2020.1739732",
]


@dataclass
class Shares:
    account: np.ndarray  # int32 index into accounts
    obj: np.ndarray  # int32 index into objects
    content: np.ndarray  # int64 video id
    time: np.ndarray  # int64 epoch seconds
    accounts: list[str]
    objects: list[str]


@dataclass
class CoPairs:
    """Co-share rows: share x (older) and share y of the same object, dt = t_y - t_x."""

    x: np.ndarray  # share indexes
    y: np.ndarray
    dt: np.ndarray


@dataclass
class Edge:
    a: str
    b: str
    weight: int
    avg_time_delta: float
    n_content_a: int
    n_content_b: int
    symmetry: float
    objects: list[str]
    expected: float | None = None
    p_value: float | None = None
    weight_fast: int | None = None
    avg_time_delta_fast: float | None = None
    flagged: bool = False


@dataclass
class Evidence:
    """One co-share of a flagged pair: the same object, two accounts, seconds apart."""

    group: int
    object: str
    first: str
    first_video: int
    first_time: int  # epoch seconds (UTC)
    second: str
    second_video: int
    second_time: int
    delta_seconds: int


@dataclass
class Result:
    method: str
    kinds: list[str]
    window: int
    fast_window: int | None
    shares: int
    co_share_rows: int
    edges: list[Edge]
    threshold: float | None  # coortweet: the weight quantile
    groups: list[list[str]] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    peak_bytes: int = 0


def _shares_sql(f: Frames, kind: CoKind) -> str:
    ts = "CAST(epoch(create_time) AS BIGINT)"
    if kind == "sound":
        return (
            f"SELECT username AS account, 'sound:' || CAST(music_id AS VARCHAR) AS obj, id, "
            f"{ts} AS t FROM {f.videos} WHERE music_id IS NOT NULL"
        )
    if kind == "hashtag":
        return f"SELECT username AS account, 'hashtag:' || tag AS obj, id, {ts} AS t FROM {f.tags}"
    if kind == "mention":
        return (
            f"SELECT username AS account, 'mention:' || m AS obj, id, {ts} AS t FROM "
            f"(SELECT username, id, create_time, unnest(mentions) AS m FROM {f.videos})"
        )
    if kind == "duet":
        return (
            f"SELECT username AS account, 'duet:' || CAST(source_id AS VARCHAR) AS obj, id, "
            f"{ts} AS t FROM {f.duets}"
        )
    # a caption, normalised: lower case, without hashtags, mentions, links and extra spaces
    norm = (
        "trim(regexp_replace(regexp_replace(lower(caption), "
        "'(https?://[^[:space:]]+|www\\.[^[:space:]]+|[#@][^[:space:]]*)', ' ', 'g'), "
        "'[[:space:]]+', ' ', 'g'))"
    )
    return (
        f"SELECT account, 'caption:' || c AS obj, id, t FROM (SELECT username AS account, "
        f"{norm} AS c, id, {ts} AS t FROM {f.videos} WHERE caption IS NOT NULL) "
        f"WHERE length(c) - length(replace(c, ' ', '')) + 1 >= {MIN_CAPTION_WORDS}"
    )


def shares(f: Frames, kinds: list[CoKind] | tuple[CoKind, ...]) -> Shares:
    """One row per share: (account, object, video, time), objects prefixed with their kind."""
    union = " UNION ALL ".join(_shares_sql(f, k) for k in dict.fromkeys(kinds))
    con = f.con
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE co_shares AS SELECT DISTINCT account, obj, id, t
        FROM ({union}) WHERE account IS NOT NULL AND t IS NOT NULL"""
    )
    try:
        objects = [r[0] for r in f.rows("SELECT DISTINCT obj FROM co_shares ORDER BY 1")]
        accounts, cols = coded(f, "co_shares", "p.id, p.t")
    finally:
        con.execute("DROP TABLE IF EXISTS co_shares")
    return Shares(
        account=np.asarray(cols["account"], dtype=np.int32),
        obj=np.asarray(cols["obj"], dtype=np.int32),
        content=np.asarray(cols["id"], dtype=np.int64),
        time=np.asarray(cols["t"], dtype=np.int64),
        accounts=accounts,
        objects=objects,
    )


def windowed_pairs(obj: np.ndarray, time: np.ndarray, window: int) -> CoPairs:
    """Every pair of shares of the same object at most ``window`` seconds apart, by sorting and
    ``searchsorted``: O(shares log shares + pairs in the window)."""
    order = np.lexsort((time, obj))
    key = obj[order].astype(np.int64) << 33 | (time[order] - time.min())  # object, then time
    end = np.searchsorted(key, key + window, side="right")
    later = end - np.arange(len(key)) - 1
    total = int(later.sum())
    left = np.repeat(np.arange(len(key)), later)
    step = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(later) - later, later)
    right = left + 1 + step
    x, y = order[left], order[right]
    return CoPairs(x=x, y=y, dt=time[y] - time[x])


def _participating(account: np.ndarray, n: int, minimum: int) -> np.ndarray:
    """Accounts with at least ``minimum`` shares (each share is one row: account, object,
    video, as CooRTweet counts them)."""
    return np.bincount(account, minlength=n) >= minimum


def co_shares(s: Shares, window: int, min_participation: int) -> CoPairs:
    """CooRTweet's pairing: participation, windowed pairs, loops removed, participation again,
    the older share first."""
    n = len(s.accounts)
    active = _participating(s.account, n, min_participation)
    keep = active[s.account]
    idx = np.flatnonzero(keep)
    p = windowed_pairs(s.obj[idx], s.time[idx], window)
    x, y, dt = idx[p.x], idx[p.y], p.dt
    ok = (s.account[x] != s.account[y]) & (s.content[x] != s.content[y])
    x, y, dt = x[ok], y[ok], dt[ok]
    # the order from the sort puts the older share first; equal times keep the sort's order
    # again: a row stays if either side's account still has enough shares in the result
    in_result = np.unique(np.concatenate([x, y]))  # each share once, however many pairs
    again = _participating(s.account[in_result], n, min_participation)
    stay = again[s.account[x]] | again[s.account[y]]
    return CoPairs(x=x[stay], y=y[stay], dt=dt[stay])


@dataclass
class EdgeTable:
    """Per unordered account pair (lo < hi): co-share rows, mean delta, distinct contents."""

    lo: np.ndarray
    hi: np.ndarray
    weight: np.ndarray
    avg: np.ndarray
    n_lo: np.ndarray
    n_hi: np.ndarray
    order: np.ndarray  # row indexes sorted by pair
    first: np.ndarray  # where each pair's rows start in ``order``


def edge_table(s: Shares, rows: CoPairs) -> EdgeTable:
    """Aggregate co-share rows by account pair, vectorised."""
    n = len(s.accounts)
    a, b = s.account[rows.x], s.account[rows.y]
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    key = lo.astype(np.int64) * n + hi
    order = np.argsort(key, kind="stable")
    ks = key[order]
    first = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]]) if len(ks) else np.empty(0, int)
    counts = np.diff(np.r_[first, len(ks)])
    dt = rows.dt[order].astype(np.float64)
    avg = np.add.reduceat(dt, first) / counts if len(first) else np.empty(0)
    pair_of_row = np.repeat(np.arange(len(first)), counts)
    xs, ys = rows.x[order], rows.y[order]
    lo_s = lo[order]
    # the content each side contributed: the lo account's video and the hi account's video
    lo_content = np.where(s.account[xs] == lo_s, s.content[xs], s.content[ys])
    hi_content = np.where(s.account[xs] == lo_s, s.content[ys], s.content[xs])

    def distinct(content: np.ndarray) -> np.ndarray:
        pairs = np.unique(np.column_stack([pair_of_row, content]), axis=0)
        return np.bincount(pairs[:, 0], minlength=len(first))

    return EdgeTable(
        lo=ks[first] // n if len(first) else np.empty(0, np.int64),
        hi=ks[first] % n if len(first) else np.empty(0, np.int64),
        weight=counts,
        avg=avg,
        n_lo=distinct(lo_content) if len(first) else np.empty(0, np.int64),
        n_hi=distinct(hi_content) if len(first) else np.empty(0, np.int64),
        order=order,
        first=first,
    )


def expected_co_shares(s: Shares, lo: np.ndarray, hi: np.ndarray, window: int) -> np.ndarray:
    """Co-shares each pair would have by chance: sum over objects of s_uo * s_vo times the
    chance that two shares fall within the window (2 * window / the data's time span)."""
    from scipy.sparse import csr_matrix

    span = max(1, int(s.time.max() - s.time.min())) if len(s.time) else 1
    shape = (len(s.accounts), len(s.objects))
    per = csr_matrix((np.ones(len(s.account)), (s.account, s.obj)), shape=shape)
    per.sum_duplicates()
    overlap = np.asarray(per[lo].multiply(per[hi]).sum(axis=1)).ravel()
    return overlap * (2 * window / span)


def quantile_type7(values: np.ndarray, q: float) -> float:
    """R's default quantile (type 7), which numpy's "linear" method is."""
    return float(np.quantile(values, q, method="linear")) if len(values) else 0.0


def _components(n: int, pairs: list[tuple[int, int]]) -> list[list[int]]:
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for u, v in pairs:
        parent[root(u)] = root(v)
    groups: dict[int, list[int]] = {}
    for u in sorted({x for p in pairs for x in p}):
        groups.setdefault(root(u), []).append(u)
    return sorted(groups.values(), key=lambda g: (-len(g), g))


def detect(
    s: Shares,
    *,
    method: Literal["default", "coortweet"] = "default",
    window: int = 60,
    min_participation: int = 2,
    edge_weight: float = 0.5,
    fast_window: int | None = None,
    alpha: float = 0.01,
    kinds: list[str] | None = None,
) -> Result:
    """Co-share pairs, account edges, flags, groups and evidence."""
    rows = co_shares(s, window, min_participation)
    t = edge_table(s, rows)
    weights = t.weight.astype(np.float64)
    threshold, lam, p_val = None, None, None
    if method == "coortweet":
        threshold = quantile_type7(weights, edge_weight)
        flagged = weights > threshold
    else:
        lam = expected_co_shares(s, t.lo, t.hi, window)
        from scipy.stats import poisson  # imported here: scipy.stats takes a second to load

        p_val = np.where(lam > 0, poisson.sf(t.weight - 1, np.maximum(lam, 1e-300)), 0.0)
        tested = max(1, len(weights))
        flagged = (t.weight >= min_participation) & (p_val <= alpha / tested)
    fast_w = fast_avg = None
    if fast_window is not None:
        inside = rows.dt[t.order] <= fast_window
        counts = np.diff(np.r_[t.first, len(t.order)])
        owner = np.repeat(np.arange(len(t.first)), counts)
        fast_w = np.bincount(owner[inside], minlength=len(t.first))
        fast_sum = np.bincount(
            owner[inside], weights=rows.dt[t.order][inside], minlength=len(t.first)
        )
        fast_avg = np.divide(fast_sum, fast_w, out=np.full(len(fast_w), np.nan), where=fast_w > 0)

    def objects_of(i: int) -> list[str]:
        stop = int(t.first[i + 1]) if i + 1 < len(t.first) else len(t.order)
        sel = t.order[t.first[i] : stop]
        return sorted({s.objects[o] for o in s.obj[rows.x[sel]]})

    edges = []
    for i in range(len(t.first)):
        nu, nv = int(t.n_lo[i]), int(t.n_hi[i])
        edges.append(
            Edge(
                a=s.accounts[int(t.lo[i])],
                b=s.accounts[int(t.hi[i])],
                weight=int(t.weight[i]),
                avg_time_delta=float(t.avg[i]),
                n_content_a=nu,
                n_content_b=nv,
                symmetry=min(nu, nv) / max(nu, nv) if max(nu, nv) else 0.0,
                objects=objects_of(i) if flagged[i] else [],
                expected=float(lam[i]) if lam is not None else None,
                p_value=float(p_val[i]) if p_val is not None else None,
                weight_fast=int(fast_w[i]) if fast_w is not None else None,
                avg_time_delta_fast=None
                if fast_avg is None or np.isnan(fast_avg[i])
                else float(fast_avg[i]),
                flagged=bool(flagged[i]),
            )
        )
    edges.sort(key=lambda e: (not e.flagged, -e.weight, e.a, e.b))
    pairs = [(int(t.lo[i]), int(t.hi[i])) for i in np.flatnonzero(flagged)]
    groups = [[s.accounts[i] for i in g] for g in _components(len(s.accounts), pairs)]
    member = {a: gi for gi, g in enumerate(groups) for a in g}
    evidence = []
    for k in np.flatnonzero(flagged).tolist():
        stop = int(t.first[k + 1]) if k + 1 < len(t.first) else len(t.order)
        for r in t.order[t.first[k] : stop][:5]:
            x, y = int(rows.x[r]), int(rows.y[r])
            evidence.append(
                Evidence(
                    group=member[s.accounts[int(t.lo[k])]],
                    object=s.objects[int(s.obj[x])],
                    first=s.accounts[int(s.account[x])],
                    first_video=int(s.content[x]),
                    first_time=int(s.time[x]),
                    second=s.accounts[int(s.account[y])],
                    second_video=int(s.content[y]),
                    second_time=int(s.time[y]),
                    delta_seconds=int(rows.dt[r]),
                )
            )
    evidence.sort(key=lambda e: (e.group, e.first_time))
    return Result(
        method=method,
        kinds=list(kinds or []),
        window=window,
        fast_window=fast_window,
        shares=len(s.account),
        co_share_rows=len(rows.x),
        edges=edges,
        threshold=threshold,
        groups=groups,
        evidence=evidence,
    )
