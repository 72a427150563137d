"""Coordinated sharing: CooRTweet's rules on hand-written cases, the chance-aware default,
and both scored against the emulator's planted groups."""

from __future__ import annotations

import tempfile
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tiktok_research.analysis import open_frames
from tiktok_research.emulator import Corpus, CorpusConfig, export_corpus
from tiktok_research.errors import UsageError
from tiktok_research.importers import import_files
from tiktok_research.network.coordination import (
    Shares,
    detect,
    quantile_type7,
    shares,
    windowed_pairs,
)
from tiktok_research.store import Store
from tiktok_research.tools import TOOLS


def make(rows: list[tuple[str, str, int, int]]) -> Shares:
    """Shares from (account, object, video, time) rows."""
    accounts = sorted({r[0] for r in rows})
    objects = sorted({r[1] for r in rows})
    return Shares(
        account=np.array([accounts.index(r[0]) for r in rows], dtype=np.int32),
        obj=np.array([objects.index(r[1]) for r in rows], dtype=np.int32),
        content=np.array([r[2] for r in rows], dtype=np.int64),
        time=np.array([r[3] for r in rows], dtype=np.int64),
        accounts=accounts,
        objects=objects,
    )


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 300)), max_size=60), st.integers(1, 60))
def test_windowed_pairs_equal_a_self_join(events, window):
    obj = np.array([o for o, _ in events], dtype=np.int32)
    time = np.array([t for _, t in events], dtype=np.int64)
    p = windowed_pairs(obj, time, window) if events else None
    got = set() if p is None else {(int(a), int(b)) for a, b in zip(p.x, p.y, strict=True)}
    want = {
        (i, j) if (time[i], i) <= (time[j], j) else (j, i)
        for i, j in combinations(range(len(events)), 2)
        if obj[i] == obj[j] and abs(time[i] - time[j]) <= window
    }
    assert {frozenset(x) for x in got} == {frozenset(x) for x in want}
    if p is not None:
        assert (p.dt >= 0).all() and (p.dt <= window).all()  # the older share first


def test_coortweet_pairs_weights_orientation_participation_and_threshold():
    rows = [
        # a and b share sound s1 three times within 10 s; b is always second
        ("a", "s1", 1, 100), ("b", "s1", 2, 105),
        ("a", "s1", 3, 1000), ("b", "s1", 4, 1010),
        ("a", "s2", 5, 5000), ("b", "s2", 6, 5000),
        # c once with a (inside the window), d once outside it
        ("c", "s2", 7, 5030), ("d", "s2", 8, 5100),
        # e shares only once: below min_participation 2, never paired
        ("e", "s1", 9, 101),
        # a loop: the same account twice, and the same video twice, are not pairs
        ("c", "s2", 10, 5031),
    ]  # fmt: skip
    s = make(rows)
    r = detect(s, method="coortweet", window=60, min_participation=2, edge_weight=0.5)
    edges = {(e.a, e.b): e for e in r.edges}
    assert set(edges) == {("a", "b"), ("a", "c"), ("b", "c")}
    ab = edges[("a", "b")]
    # co-share rows, not distinct objects: (1,2), (3,4), (5,6)
    assert ab.weight == 3 and ab.avg_time_delta == pytest.approx((5 + 10 + 0) / 3)
    assert ab.n_content_a == 3 and ab.n_content_b == 3 and ab.symmetry == 1.0
    # a-c: (5, 7) 30 s and (5, 10) 31 s; b-c: (6, 7) and (6, 10)
    assert edges[("a", "c")].weight == 2 and edges[("b", "c")].weight == 2
    # threshold: the type-7 median of [3, 2, 2] is 2; strictly greater flags only a-b
    assert r.threshold == quantile_type7(np.array([3.0, 2.0, 2.0]), 0.5) == 2.0
    assert [(e.a, e.b) for e in r.edges if e.flagged] == [("a", "b")]
    assert r.groups == [["a", "b"]]
    assert {(e.first, e.second) for e in r.evidence} == {("a", "b")}  # older share first
    fast = detect(s, method="coortweet", window=60, fast_window=5)
    assert {(e.a, e.b): e.weight_fast for e in fast.edges}[("a", "b")] == 2


def test_quantile_is_r_type_7():
    w = np.array([1, 2, 3, 4, 10], dtype=float)
    assert quantile_type7(w, 0.5) == 3 and quantile_type7(w, 0.9) == pytest.approx(7.6)


def test_default_ignores_a_hyperactive_account_and_flags_a_small_group():
    rng = np.random.default_rng(3)
    rows = []
    vid = 0
    day = 86_400
    # a hyperactive account posting the 5 popular sounds all the time, and 40 ordinary
    # accounts using them now and then: chance co-shares with the hyperactive one
    for t in rng.integers(0, 30 * day, 3000):
        vid += 1
        rows.append(("hyper", f"pop{rng.integers(5)}", vid, int(t)))
    for u in range(40):
        for t in rng.integers(0, 30 * day, 60):
            vid += 1
            rows.append((f"user{u}", f"pop{rng.integers(5)}", vid, int(t)))
    # a group of three posting the same rare sound within seconds, five times
    for k in range(5):
        start = int(rng.integers(0, 30 * day))
        for i, m in enumerate(("g1", "g2", "g3")):
            vid += 1
            rows.append((m, f"rare{k}", vid, start + 7 * i))
    s = make(rows)
    default = detect(s, window=60)
    assert default.groups == [["g1", "g2", "g3"]]
    flagged = {a for e in default.edges if e.flagged for a in (e.a, e.b)}
    assert "hyper" not in flagged
    hyper = [e for e in default.edges if "hyper" in (e.a, e.b)]
    assert hyper and max(e.weight for e in hyper) >= 2  # it does meet others by chance
    coortweet = detect(s, method="coortweet", window=60)
    assert "hyper" in {a for g in coortweet.groups for a in g}  # the rule CooRTweet uses


@pytest.fixture(scope="module")
def planted():
    out = {}
    for seed in (1, 3):
        corpus = Corpus(CorpusConfig(seed=seed, videos=20_000))
        truth = {m for g in corpus.truth()["coordinated_groups"] for m in g["members"]}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "videos.ndjson"
            export_corpus(corpus, str(path))
            with Store(Path(tmp) / "s.duckdb") as store:
                import_files(store, [path])
                with open_frames(store) as f:
                    out[seed] = (truth, shares(f, ["sound", "caption"]))
    return out


def _score(truth: set[str], groups: list[list[str]]) -> tuple[float, float]:
    flagged = {a for g in groups for a in g}
    tp = len(flagged & truth)
    return (tp / len(flagged) if flagged else 0.0), tp / len(truth)


def test_default_finds_the_planted_groups_and_coortweet_does_not_separate_chance(planted):
    truth, s = planted[1]
    precision, recall = _score(truth, detect(s).groups)
    assert precision >= 0.9 and recall >= 0.9
    ct_precision, _ = _score(truth, detect(s, method="coortweet").groups)
    assert ct_precision < precision  # CooRTweet's median cut flags chance co-sharing
    truth3, s3 = planted[3]
    p3, r3 = _score(truth3, detect(s3).groups)
    assert p3 >= 0.85 and r3 >= 0.85


def test_tool_input_checks_and_no_pairs(tmp_path):
    tool = TOOLS["coordination_detector"]
    for bad, word in [
        ({"window": 0}, "window"),
        ({"edge_weight": 1.5}, "edge_weight"),
        ({"by": "sound,emoji"}, "by"),
        ({"out": "groups.txt"}, "groups.txt"),
    ]:
        with pytest.raises(UsageError, match=word):
            tool.validate(bad)
    assert tool.validate({"by": "sound,caption"}).by == ["sound", "caption"]
