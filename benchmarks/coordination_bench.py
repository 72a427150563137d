"""Coordinated-sharing pair forming: ours (sort + searchsorted) against CooRTweet's approach.

    python benchmarks/coordination_bench.py

Synthetic shares: Zipf-distributed objects (the most used one in about 1% of all
shares: 50k at 5M) and accounts, uniform times over 90 days. The baseline does what CooRTweet
does in R, in pandas: a self-merge of each object's shares, then the window filter;
on 500k shares its pairs must equal ours. Target: 5M shares with a 60 s window in at
most 3 s on 2 cores (pair forming, CooRTweet's participation rules and loop removal
included); the full detection (account edges, the chance model, groups) is timed too.
"""

from __future__ import annotations

import resource
import time

import numpy as np
import pandas as pd

from tiktok_research.network.coordination import Shares, co_shares, detect, windowed_pairs


def synthetic(n: int, seed: int = 1) -> Shares:
    rng = np.random.default_rng(seed)
    objects, accounts = max(1000, n // 5), max(1000, n // 10)

    def zipf(k: int, a: float) -> np.ndarray:
        p = np.arange(1, k + 1, dtype=np.float64) ** -a
        return rng.choice(k, size=n, p=p / p.sum()).astype(np.int32)

    obj = zipf(objects, 0.7)  # the most used object: about 1% of all shares
    account = zipf(accounts, 0.9)
    t = rng.integers(0, 90 * 86_400, n).astype(np.int64)
    return Shares(
        account=account,
        obj=obj,
        content=np.arange(n, dtype=np.int64) + 7_300_000_000_000_000_000,
        time=t,
        accounts=[f"u{i}" for i in range(accounts)],
        objects=[f"o{i}" for i in range(objects)],
    )


def pandas_self_merge(s: Shares, window: int) -> set[tuple[int, int]]:
    """CooRTweet's approach: every pair of an object's shares, then the window."""
    df = pd.DataFrame({"obj": s.obj, "t": s.time, "i": np.arange(len(s.obj))})
    m = df.merge(df, on="obj", suffixes=("_x", "_y"))
    m = m[(m["i_x"] < m["i_y"]) & ((m["t_x"] - m["t_y"]).abs() <= window)]
    return set(zip(m["i_x"].tolist(), m["i_y"].tolist(), strict=True))


def ours_pairs(s: Shares, window: int) -> set[tuple[int, int]]:
    p = windowed_pairs(s.obj, s.time, window)
    return {(min(a, b), max(a, b)) for a, b in zip(p.x.tolist(), p.y.tolist(), strict=True)}


def main() -> None:
    window = 60
    print("| shares | method | pairs in window | seconds | pairs/s | ratio | same pairs |")
    print("|---|---|---|---|---|---|---|")
    s = synthetic(500_000)
    t0 = time.perf_counter()
    theirs = pandas_self_merge(s, window)
    base = time.perf_counter() - t0
    t0 = time.perf_counter()
    p = windowed_pairs(s.obj, s.time, window)
    mine = time.perf_counter() - t0
    same = "yes" if ours_pairs(s, window) == theirs else "NO"
    print(
        f"| 500,000 | pandas self-merge per object | {len(theirs):,} | {base:.2f} | "
        f"{len(theirs) / base:,.0f} | 1x | |"
    )
    print(
        f"| 500,000 | ours: sort + searchsorted | {len(p.x):,} | {mine:.3f} | "
        f"{len(p.x) / mine:,.0f} | {base / mine:.0f}x | {same} |"
    )
    s = synthetic(5_000_000)
    t0 = time.perf_counter()
    rows = co_shares(s, window, 2)
    forming = time.perf_counter() - t0
    print(
        f"| 5,000,000 | ours: pairs with CooRTweet's rules | {len(rows.x):,} | {forming:.2f} | "
        f"{len(rows.x) / forming:,.0f} | | |"
    )
    t0 = time.perf_counter()
    r = detect(s, window=window)
    full = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"| 5,000,000 | ours: full detection ({len(r.edges):,} account pairs) | "
        f"{r.co_share_rows:,} | {full:.2f} | | | |"
    )
    print(f"\npeak RSS of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
