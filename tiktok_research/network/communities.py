"""Communities and centrality on igraph: Leiden (modularity), deterministic with a seed.

Leiden was picked by measurement over networkx's Louvain (see
``benchmarks/network_bench.py``): on a 4k-account, 5M-edge co-hashtag projection
igraph's Leiden took 2 s where networkx's pure-Python Louvain took 36 s, at about
the same modularity (0.076 and 0.078), and Leiden guarantees connected
communities (Traag, Waltman & van Eck 2019, doi:10.1038/s41598-019-41695-z).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import igraph as ig

#: betweenness is exact while (nodes x edges) stays below this; beyond, it is estimated
#: from a sample of source nodes, as many as the same budget allows (20 to 500)
BETWEENNESS_BUDGET = 50_000_000


@dataclass
class Structure:
    membership: np.ndarray  # community per node, numbered by size (0 = largest)
    modularity: float
    components: int
    largest_component: int
    degree: np.ndarray
    strength: np.ndarray
    betweenness: np.ndarray
    betweenness_sampled: bool


def to_igraph(
    n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, directed: bool
) -> ig.Graph:
    import igraph as ig  # imported here: igraph (with its drawing modules) is slow to load

    g = ig.Graph(n=n, edges=np.column_stack([src, dst]).tolist(), directed=directed)
    g.es["weight"] = weight.tolist()
    return g


def structure(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray,
    *,
    directed: bool = False,
    seed: int = 1,
) -> Structure:
    """Leiden communities (on the undirected graph), components, degree, strength and
    betweenness (in hops; estimated from sampled sources on large graphs)."""
    g = to_igraph(n, src, dst, weight, directed)
    und = g.as_undirected(combine_edges="sum") if directed else g
    random.seed(seed)  # igraph draws from Python's random: a seed makes Leiden repeatable
    if und.ecount():
        parts = und.community_leiden(
            objective_function="modularity", weights="weight", n_iterations=-1
        )
        raw = np.asarray(parts.membership)
        modularity = float(und.modularity(parts.membership, weights="weight"))
    else:
        raw, modularity = np.arange(n), 0.0
    # number communities by size, largest first (ties by first member), as people read them
    sizes = np.bincount(raw)
    first = np.full(len(sizes), n)
    np.minimum.at(first, raw, np.arange(n))
    rank = np.empty(len(sizes), dtype=np.int64)
    rank[np.lexsort((first, -sizes))] = np.arange(len(sizes))
    comps = und.connected_components()
    sampled = n * max(g.ecount(), 1) > BETWEENNESS_BUDGET
    if sampled:
        k = int(min(n, 500, max(20, BETWEENNESS_BUDGET // max(g.ecount(), 1))))
        rng = np.random.default_rng(seed)
        sources = rng.choice(n, size=k, replace=False).tolist()
        between = np.asarray(g.betweenness(directed=directed, sources=sources)) * (n / k)
    else:
        between = np.asarray(g.betweenness(directed=directed))
    mode = "all"
    return Structure(
        membership=rank[raw],
        modularity=modularity,
        components=len(comps),
        largest_component=max(comps.sizes()) if n else 0,
        degree=np.asarray(g.degree(mode=mode)),
        strength=np.asarray(g.strength(mode=mode, weights="weight")),
        betweenness=between,
        betweenness_sampled=sampled,
    )
