"""Networks of a selection: account projections, bipartite graphs, directed mention and duet
graphs, and the hashtag co-occurrence graph, with the guard and pruning stated."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from ..analysis.frames import Frames
from .incidence import Incidence, Kind, incidence
from .projection import DEFAULT_MAX_OBJECT_DEGREE, PAIR_BUDGET, Dropped, count_pairs, prune

GraphKind = Literal["accounts", "bipartite", "mentions", "duets", "hashtags"]


@dataclass
class Graph:
    """Nodes (ids, labels, attributes) and weighted edges (node indexes)."""

    kind: GraphKind
    objects: list[Kind]
    directed: bool
    ids: list[str]
    labels: list[str]
    node_type: list[str]  # account, or the object kind (bipartite, hashtags)
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    attrs: dict[str, np.ndarray] = field(default_factory=dict)  # int64 per node, -1: unknown
    weighting: str = "shared objects"
    dropped: list[Dropped] = field(default_factory=list)
    pruned: dict[str, int | float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def n(self) -> int:
        return len(self.ids)


def _account_attrs(f: Frames, names: list[str]) -> dict[str, np.ndarray]:
    rows = {
        u: (v, w, fl)
        for u, v, w, fl in f.rows(f"SELECT username, videos, views, followers FROM {f.accounts}")
    }
    out = {}
    for i, name in enumerate(("videos", "views", "followers")):
        out[name] = np.array(
            [int(rows[u][i]) if u in rows and rows[u][i] is not None else -1 for u in names],
            dtype=np.int64,
        )
    return out


def _pruned(
    g_src: np.ndarray,
    g_dst: np.ndarray,
    weight: np.ndarray,
    min_weight: float,
    top_k: int | None,
) -> tuple[np.ndarray, dict[str, int | float | None]]:
    keep = prune(g_src, g_dst, weight, min_weight=min_weight, top_k=top_k)
    return keep, {
        "min_weight": min_weight,
        "top_k": top_k,
        "edges_before": int(len(weight)),
        "edges_removed": int((~keep).sum()),
    }


def build(
    f: Frames,
    objects: list[Kind],
    *,
    graph: GraphKind = "accounts",
    max_object_degree: int | None = DEFAULT_MAX_OBJECT_DEGREE,
    min_weight: float = 0.0,
    top_k: int | None = None,
    newman: bool = False,
) -> Graph:
    """The graph of the selection in ``f``."""
    if graph == "hashtags":
        return _hashtags(f, max_object_degree, min_weight, top_k, newman)
    inc = incidence(f, objects)
    if graph == "bipartite":
        return _bipartite(f, inc, objects, min_weight, top_k)
    if graph in ("mentions", "duets"):
        return _directed(f, inc, graph, min_weight, top_k)
    pairs = count_pairs(
        inc.account,
        inc.obj,
        inc.n_accounts,
        group_names=inc.objects,
        group_labels=inc.labels,
        max_group_size=max_object_degree,
        newman=newman,
    )
    keep, pruned = _pruned(pairs.lo, pairs.hi, pairs.weight, min_weight, top_k)
    pruned["max_object_degree"] = pairs.limit
    notes = []
    if pairs.limit is not None and (max_object_degree is None or pairs.limit < max_object_degree):
        notes.append(
            f"the guard lowered max_object_degree to {pairs.limit:,} so the projection stays "
            f"within memory ({PAIR_BUDGET:,} pairs at most)"
        )
    return Graph(
        kind="accounts",
        objects=objects,
        directed=False,
        ids=inc.accounts,
        labels=inc.accounts,
        node_type=["account"] * inc.n_accounts,
        src=pairs.lo[keep],
        dst=pairs.hi[keep],
        weight=pairs.weight[keep],
        attrs=_account_attrs(f, inc.accounts),
        weighting="sum of 1/(k-1) over shared objects of k accounts (Newman 2001)"
        if newman
        else "number of shared objects",
        dropped=pairs.dropped,
        pruned=pruned,
        notes=notes,
    )


def _bipartite(
    f: Frames, inc: Incidence, objects: list[Kind], min_weight: float, top_k: int | None
) -> Graph:
    n_acc = inc.n_accounts
    src = inc.account.astype(np.int32)
    dst = (inc.obj + n_acc).astype(np.int32)
    weight = inc.videos.astype(np.float64)
    keep, pruned = _pruned(src, dst, weight, min_weight, top_k)
    acc = _account_attrs(f, inc.accounts)
    used = np.bincount(inc.obj, weights=inc.videos, minlength=inc.n_objects).astype(np.int64)
    attrs = {
        "videos": np.r_[acc["videos"], used],
        "views": np.r_[acc["views"], np.full(inc.n_objects, -1)],
        "followers": np.r_[acc["followers"], np.full(inc.n_objects, -1)],
    }
    return Graph(
        kind="bipartite",
        objects=objects,
        directed=False,
        ids=inc.accounts + inc.objects,
        labels=inc.accounts + inc.labels,
        node_type=["account"] * n_acc + [o.split(":", 1)[0] for o in inc.objects],
        src=src[keep],
        dst=dst[keep],
        weight=weight[keep],
        attrs=attrs,
        weighting="videos of the account with the object",
        pruned=pruned,
    )


def _directed(
    f: Frames, inc: Incidence, graph: GraphKind, min_weight: float, top_k: int | None
) -> Graph:
    """Author -> mentioned account, or author -> the duet source's author."""
    prefix = "mention:" if graph == "mentions" else "duet:"
    notes = []
    pick = np.array([o.startswith(prefix) for o in inc.objects], dtype=bool)
    rows = pick[inc.obj]
    targets = np.array(inc.labels, dtype=object)[inc.obj[rows]]
    if graph == "duets":
        # a source video not in the store has no known author: its label is the bare video id
        known = np.array([not str(t).isdigit() for t in targets], dtype=bool)
        if (~known).any():
            notes.append(
                f"{int((~known).sum())} duet link(s) left out: their source video is not in "
                "the database, so its author is unknown"
            )
        rows_idx = np.flatnonzero(rows)[known]
        targets = targets[known]
    else:
        rows_idx = np.flatnonzero(rows)
    names = sorted(set(inc.accounts) | {str(t) for t in targets})
    index = {n: i for i, n in enumerate(names)}
    src = np.array([index[inc.accounts[a]] for a in inc.account[rows_idx]], dtype=np.int32)
    dst = np.array([index[str(t)] for t in targets], dtype=np.int32)
    w = inc.videos[rows_idx].astype(np.float64)
    # one author can reach one target through several objects (duets of several videos)
    key = src.astype(np.int64) * len(names) + dst
    uniq, inv = np.unique(key, return_inverse=True)
    weight = np.bincount(inv, weights=w)
    src, dst = (uniq // len(names)).astype(np.int32), (uniq % len(names)).astype(np.int32)
    loops = src != dst
    src, dst, weight = src[loops], dst[loops], weight[loops]
    keep, pruned = _pruned(src, dst, weight, min_weight, top_k)
    return Graph(
        kind=graph,
        objects=["mention" if graph == "mentions" else "duet"],
        directed=True,
        ids=names,
        labels=names,
        node_type=["account"] * len(names),
        src=src[keep],
        dst=dst[keep],
        weight=weight[keep],
        attrs=_account_attrs(f, names),
        weighting="videos" if graph == "mentions" else "duets",
        pruned=pruned,
        notes=notes,
    )


def _hashtags(
    f: Frames, max_object_degree: int | None, min_weight: float, top_k: int | None, newman: bool
) -> Graph:
    """Hashtags linked by the videos they share."""
    con = f.con
    tags = [r[0] for r in f.rows(f"SELECT DISTINCT tag FROM {f.tags} ORDER BY 1")]
    cols = con.execute(
        f"""SELECT t.i AS tag, dense_rank() OVER (ORDER BY s.id) - 1 AS video
        FROM {f.tags} s JOIN (SELECT tag, row_number() OVER (ORDER BY tag) - 1 AS i
                              FROM (SELECT DISTINCT tag FROM {f.tags})) t USING (tag)"""
    ).fetchnumpy()
    pairs = count_pairs(
        np.asarray(cols["tag"], dtype=np.int32),
        np.asarray(cols["video"], dtype=np.int64),
        len(tags),
        newman=newman,  # groups are videos: a handful of hashtags each, nothing to guard
    )
    keep, pruned = _pruned(pairs.lo, pairs.hi, pairs.weight, min_weight, top_k)
    used = np.bincount(np.asarray(cols["tag"], dtype=np.int64), minlength=len(tags))
    return Graph(
        kind="hashtags",
        objects=["hashtag"],
        directed=False,
        ids=["hashtag:" + t for t in tags],
        labels=tags,
        node_type=["hashtag"] * len(tags),
        src=pairs.lo[keep],
        dst=pairs.hi[keep],
        weight=pairs.weight[keep],
        attrs={"videos": used.astype(np.int64)},
        weighting="videos using both hashtags",
        pruned=pruned,
    )
