"""Account-account (and hashtag-hashtag) projections of an incidence, without a Python loop
over pairs.

Pairs are counted by sorting: the incidence is ordered by (object, account), every
object's accounts form a run, all pairs inside each run are generated at once with
``numpy.repeat`` arithmetic (32-bit indices, the upper triangle only), and equal
pairs are summed after one sort of their 64-bit keys. Objects are processed in
chunks so memory stays bounded. A viral object (one sound used by 100k accounts)
would turn the projection into a near-clique, so objects used by more than
``max_object_degree`` accounts are left out, and each one left out is reported.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

#: objects used by more accounts than this are left out of projections by default: one such
#: object alone adds up to 2,000 x 1,999 / 2 ~ 2 million pairs
DEFAULT_MAX_OBJECT_DEGREE = 2000
#: pairs generated per chunk (bounds the memory of pair counting to a few hundred MB)
CHUNK_PAIRS = 20_000_000
#: the most pairs a projection may generate: beyond, the guard lowers the degree limit
#: further (and says so), so a 1M-video store projects in seconds and about 1 GB; a graph
#: with more edges than this is beyond what Gephi or a reader can use anyway
PAIR_BUDGET = 20_000_000


@dataclass
class Dropped:
    """An object left out by the viral-object guard."""

    object: str
    label: str
    degree: int
    pairs: int  # the pairs it would have added


@dataclass
class Pairs:
    """Summed pairs: ``lo < hi`` node indexes and their weights."""

    lo: np.ndarray  # int32
    hi: np.ndarray  # int32
    weight: np.ndarray  # float64 (counts are whole numbers unless newman)
    dropped: list[Dropped] = field(default_factory=list)
    objects_used: int = 0
    limit: int | None = None  # the degree limit applied (lower than asked: the pair budget)


#: groups up to this size share cached upper-triangle patterns; larger ones are paired row by
#: row (no k x k temporaries, which would dominate the memory a viral-ish object costs)
PATTERN_MAX = 256


@functools.lru_cache(maxsize=PATTERN_MAX)
def _triangle(k: int) -> tuple[np.ndarray, np.ndarray]:
    iu, ju = np.triu_indices(k, 1)
    return iu.astype(np.int32), ju.astype(np.int32)


def _chunk_keys(a: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """The keys ``left << 32 | right`` (shifts, not divisions, undo them) of all pairs inside each run ``a[s:s+k]`` (``a`` sorted
    within runs, so left < right), written straight into one array. Runs of equal small size
    share one upper-triangle pattern (two gathers for all of them); a large run is paired row by
    row."""
    total = int((sizes.astype(np.int64) * (sizes - 1) // 2).sum())
    out = np.empty(total, dtype=np.int64)
    at = 0
    for k in np.unique(sizes).tolist():
        group_starts = starts[sizes == k]
        if k <= PATTERN_MAX:
            members = a[group_starts[:, None] + np.arange(k)]  # groups x k
            iu, ju = _triangle(k)
            block = out[at : at + members.shape[0] * len(iu)].reshape(members.shape[0], len(iu))
            np.bitwise_or(members[:, iu].astype(np.int64) << 32, members[:, ju], out=block)
            at += block.size
            continue
        for s0 in group_starts.tolist():
            m = a[s0 : s0 + k].astype(np.int64)
            for i in range(k - 1):
                row = out[at : at + k - 1 - i]
                np.bitwise_or(m[i + 1 :], m[i] << 32, out=row)
                at += k - 1 - i
    return out


def _chunk_weights(sizes: np.ndarray) -> np.ndarray:
    """Newman's 1/(k-1) for every pair, in the order ``_chunk_keys`` makes them."""
    parts = []
    for k in np.unique(sizes):
        m = int((sizes == k).sum())
        parts.append(np.full(m * int(k) * (int(k) - 1) // 2, 1.0 / (int(k) - 1)))
    return np.concatenate(parts) if parts else np.empty(0)


def count_pairs(
    node: np.ndarray,
    group: np.ndarray,
    n_nodes: int,
    *,
    group_names: list[str] | None = None,
    group_labels: list[str] | None = None,
    max_group_size: int | None = None,
    newman: bool = False,
    pair_budget: int | None = None,
) -> Pairs:
    """Sum, over groups, every pair of distinct nodes in the same group.

    ``node``/``group``: one entry per (node, group) membership, each pair once. The
    weight of a pair is the number of groups it shares, or with ``newman`` the sum
    of 1/(k-1) over them (k: the group's size; Newman 2001). Groups larger than
    ``max_group_size`` are left out; with ``pair_budget`` (default ``PAIR_BUDGET``) the
    limit is lowered until the pairs fit.
    """
    budget = PAIR_BUDGET if pair_budget is None else pair_budget
    order = np.lexsort((node, group))
    a = node[order].astype(np.int32)
    g = group[order]
    if len(g) == 0:
        empty = np.empty(0, dtype=np.int32)
        return Pairs(empty, empty, np.empty(0))
    bounds = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[bounds, len(g)])
    dropped: list[Dropped] = []
    keep = sizes >= 2
    limit = max_group_size
    pairs_of = sizes.astype(np.int64) * (sizes - 1) // 2
    if int(pairs_of[keep & (sizes <= (limit or sizes.max()))].sum()) > budget:
        # the largest degree limit whose groups' pairs fit the budget
        cand = np.sort(sizes[keep & (sizes <= (limit or sizes.max()))])
        fits = np.cumsum(cand.astype(np.int64) * (cand - 1) // 2) <= budget
        limit = int(cand[fits][-1]) if fits.any() else 1
        while limit > 1 and int(pairs_of[keep & (sizes <= limit)].sum()) > budget:
            limit -= 1  # ties at the limit: step below them
    if limit is not None:
        viral = sizes > limit
        for i in np.flatnonzero(viral):
            gid = int(g[bounds[i]])
            d = int(sizes[i])
            dropped.append(
                Dropped(
                    object=group_names[gid] if group_names else str(gid),
                    label=group_labels[gid] if group_labels else str(gid),
                    degree=d,
                    pairs=d * (d - 1) // 2,
                )
            )
        keep &= ~viral
    dropped.sort(key=lambda d: -d.degree)
    starts, sizes = bounds[keep], sizes[keep]
    n_pairs = sizes.astype(np.int64) * (sizes - 1) // 2
    keys_parts, weight_parts = [], []
    # chunks of whole groups, each at most CHUNK_PAIRS pairs (or one big group)
    cut = np.searchsorted(
        np.cumsum(n_pairs), np.arange(1, int(n_pairs.sum() // CHUNK_PAIRS) + 2) * CHUNK_PAIRS
    )
    edges = np.unique(np.r_[0, np.minimum(cut, len(sizes)), len(sizes)])
    for lo_i, hi_i in zip(edges[:-1], edges[1:], strict=True):
        if hi_i <= lo_i:
            continue
        key = _chunk_keys(a, starts[lo_i:hi_i], sizes[lo_i:hi_i])
        if newman:
            w = _chunk_weights(sizes[lo_i:hi_i])
            uniq, inv = np.unique(key, return_inverse=True)
            keys_parts.append(uniq)
            weight_parts.append(np.bincount(inv, weights=w))
        else:
            key.sort()
            new = np.empty(len(key), dtype=bool)
            new[:1] = True
            np.not_equal(key[1:], key[:-1], out=new[1:])
            first = np.flatnonzero(new)
            keys_parts.append(key[first])
            weight_parts.append(np.diff(first, append=len(key)).astype(np.float64))
    if not keys_parts:
        empty = np.empty(0, dtype=np.int32)
        return Pairs(empty, empty, np.empty(0), dropped, int(keep.sum()), limit)
    keys = np.concatenate(keys_parts)
    weights = np.concatenate(weight_parts)
    if len(keys_parts) > 1:  # the same pair can come from several (sorted) chunks
        uniq, inv = np.unique(keys, return_inverse=True)
        weights = np.bincount(inv, weights=weights)
        keys = uniq
    return Pairs(
        (keys >> 32).astype(np.int32),
        (keys & 0xFFFFFFFF).astype(np.int32),
        weights,
        dropped,
        int(keep.sum()),
        limit,
    )


def prune(
    lo: np.ndarray,
    hi: np.ndarray,
    weight: np.ndarray,
    *,
    min_weight: float = 0.0,
    top_k: int | None = None,
) -> np.ndarray:
    """A mask of the edges kept: weight at least ``min_weight`` and, with ``top_k``, among the
    ``top_k`` heaviest edges of at least one of its two nodes."""
    keep = weight >= min_weight
    if top_k is not None and len(weight):
        idx = np.flatnonzero(keep)
        ends = np.concatenate([lo[idx], hi[idx]])
        edge = np.concatenate([idx, idx])
        w = np.concatenate([weight[idx], weight[idx]])
        order = np.lexsort((edge, -w, ends))  # per node, heaviest first (ties by edge order)
        ends_sorted = ends[order]
        first = np.flatnonzero(np.r_[True, ends_sorted[1:] != ends_sorted[:-1]])
        rank = np.arange(len(order)) - np.repeat(first, np.diff(np.r_[first, len(order)]))
        top = np.zeros(len(weight), dtype=bool)
        top[edge[order][rank < top_k]] = True
        keep &= top
    return keep
