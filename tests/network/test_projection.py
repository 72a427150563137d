"""Pair counting: equal to brute force on random inputs, the guard, pruning."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tiktok_research.network import count_pairs, prune
from tiktok_research.network import projection as proj


def brute(pairs: set[tuple[int, int]], newman: bool = False) -> dict[tuple[int, int], float]:
    """The seed's way: for every object, every pair of its accounts."""
    by_obj: dict[int, list[int]] = {}
    for a, o in sorted(pairs):
        by_obj.setdefault(o, []).append(a)
    out: Counter = Counter()
    for accounts in by_obj.values():
        k = len(accounts)
        for u, v in combinations(sorted(accounts), 2):
            out[(u, v)] += 1 / (k - 1) if newman else 1
    return dict(out)


memberships = st.sets(st.tuples(st.integers(0, 25), st.integers(0, 12)), max_size=150)


@settings(max_examples=200, deadline=None)
@given(memberships, st.booleans(), st.sampled_from([1, 3, 1 << 30]))
def test_weights_equal_brute_force(pairs, newman, chunk):
    saved, proj.CHUNK_PAIRS = proj.CHUNK_PAIRS, chunk  # chunking must not change a thing
    try:
        node = np.array([a for a, _ in pairs], dtype=np.int32)
        group = np.array([o for _, o in pairs], dtype=np.int32)
        got = count_pairs(node, group, 26, newman=newman)
    finally:
        proj.CHUNK_PAIRS = saved
    result = {(int(a), int(b)): w for a, b, w in zip(got.lo, got.hi, got.weight, strict=True)}
    want = brute(pairs, newman)
    assert result.keys() == want.keys()
    assert all(abs(result[k] - want[k]) < 1e-9 for k in want)
    assert all(a < b for a, b in result)


def test_the_guard_drops_exactly_the_objects_above_the_limit():
    # object 0: 5 accounts, object 1: 3 accounts, object 2: 4 accounts
    members = (
        [(a, 0) for a in range(5)] + [(a, 1) for a in (0, 1, 2)] + [(a, 2) for a in (5, 6, 7, 8)]
    )
    node = np.array([a for a, _ in members], dtype=np.int32)
    group = np.array([o for _, o in members], dtype=np.int32)
    got = count_pairs(
        node,
        group,
        9,
        group_names=["s:0", "s:1", "s:2"],
        group_labels=["a", "b", "c"],
        max_group_size=3,
    )
    # the largest first, each with the pairs it would have added: 5*4/2 and 4*3/2
    assert [(d.object, d.label, d.degree, d.pairs) for d in got.dropped] == [
        ("s:0", "a", 5, 10),
        ("s:2", "c", 4, 6),
    ]
    assert {(int(a), int(b)) for a, b in zip(got.lo, got.hi, strict=True)} == {
        (0, 1),
        (0, 2),
        (1, 2),
    }
    assert got.objects_used == 1


def test_pruning_by_weight_and_per_node_top_k():
    lo = np.array([0, 0, 0, 1, 2], dtype=np.int32)
    hi = np.array([1, 2, 3, 2, 3], dtype=np.int32)
    w = np.array([5.0, 1.0, 3.0, 2.0, 1.0])
    assert prune(lo, hi, w, min_weight=2).tolist() == [True, False, True, True, False]
    # node 0 keeps 0-1 (5); node 1 keeps 0-1; node 2 keeps 1-2 (2); node 3 keeps 0-3 (3)
    assert prune(lo, hi, w, top_k=1).tolist() == [True, False, True, True, False]


def test_the_pair_budget_lowers_the_limit_and_says_which_objects():
    # groups of 6, 5 and 3 members: 15 + 10 + 3 pairs; a budget of 12 keeps only the 3-group
    members = [(a, 0) for a in range(6)] + [(a, 1) for a in range(5)] + [(a, 2) for a in range(3)]
    node = np.array([a for a, _ in members], dtype=np.int32)
    group = np.array([o for _, o in members], dtype=np.int32)
    got = count_pairs(node, group, 6, max_group_size=100, pair_budget=12)
    assert got.limit == 3 and [d.degree for d in got.dropped] == [6, 5]
    assert len(got.weight) == 3
    assert count_pairs(node, group, 6, max_group_size=100, pair_budget=28).limit == 100
