"""Network projection speed against the seed's pair loops, and at 1M videos.

    python benchmarks/network_bench.py

1. A 20k-video / 4k-creator sample with Zipf-distributed sounds and hashtags:
   the seed's ``build_tiktok_network`` re-implemented as written (networkx,
   a Python loop over every pair of an object's users) against ours, for
   co-sound and co-hashtag networks. The edge weights must be identical; the
   target is at least 50x. Ours is timed twice: from the store (incidence SQL
   and pair counting) and the pair counting alone; the seed from its DataFrame.
2. Co-sound plus co-hashtag networks for 1M videos / 200k creators with the
   viral-object guard on: target at most 10 s; peak RSS reported.
3. Communities: igraph's Leiden against networkx's Louvain on the sample's
   co-hashtag projection (time and modularity), the measurement behind the
   choice of Leiden.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def build_store(path: Path, videos: int, creators: int, seed: int = 7) -> None:
    from tiktok_research.store import Store

    if path.exists():
        return
    sounds, tags = max(200, videos // 20), max(300, videos // 50)
    with Store(path) as store:
        store.con.execute(f"SELECT setseed({seed / 100})")
        store.con.execute(
            f"""INSERT INTO videos (id, username, create_time, view_count, music_id,
                   hashtag_names, source, first_seen_at, last_seen_at, first_run_id, last_run_id)
            SELECT 7300000000000000000 + i,
                   'user' || CAST(floor(pow(random(), 2) * {creators}) AS BIGINT),
                   TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(i * 60),
                   100, 6800000000000000000 + CAST(floor(pow(random(), 3) * {sounds}) AS BIGINT),
                   list_distinct(list_transform(range(1 + CAST(floor(random() * 4) AS INT)),
                       lambda j: 'tag' || CAST(floor(pow(random(), 3) * {tags}) AS BIGINT))),
                   'research_api', TIMESTAMPTZ '2024-08-01 00:00:00+00',
                   TIMESTAMPTZ '2024-08-01 00:00:00+00', 1, 1
            FROM range({videos}) t(i)"""
        )


def seed_network(df, network_type: str = "sound"):
    """The seed's build_tiktok_network, as written."""
    import networkx as nx

    G = nx.Graph()
    if network_type == "sound":
        for _sound_id, group in df.groupby("music_id"):
            users = group["author_id"].unique()
            for i, u1 in enumerate(users):
                for u2 in users[i + 1 :]:
                    if G.has_edge(u1, u2):
                        G[u1][u2]["weight"] += 1
                    else:
                        G.add_edge(u1, u2, weight=1)
    elif network_type == "hashtag":
        for _hashtag, group in df.explode("hashtags").groupby("hashtags"):
            users = group["author_id"].unique()
            for i, u1 in enumerate(users):
                for u2 in users[i + 1 :]:
                    if G.has_edge(u1, u2):
                        G[u1][u2]["weight"] += 1
                    else:
                        G.add_edge(u1, u2, weight=1)
    return G


def sample_comparison(db: Path) -> list[str]:
    import duckdb

    from tiktok_research.analysis import open_frames
    from tiktok_research.network import build, count_pairs, incidence
    from tiktok_research.store import Store

    con = duckdb.connect(str(db), read_only=True)
    df = con.execute(
        "SELECT username AS author_id, music_id, hashtag_names AS hashtags FROM videos"
    ).df()
    con.close()
    df["hashtags"] = df["hashtags"].map(list)
    rows = []
    for kind in ("sound", "hashtag"):
        # ours first: the seed's graph of millions of Python objects would slow what follows
        with Store(db, read_only=True) as store, open_frames(store) as f:
            t0 = time.perf_counter()
            g = build(f, [kind], max_object_degree=None)
            ours_s = time.perf_counter() - t0
            inc = incidence(f, [kind])
        best_core = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            count_pairs(inc.account, inc.obj, inc.n_accounts)
            best_core = min(best_core, time.perf_counter() - t0)
        t0 = time.perf_counter()
        G = seed_network(df, kind)
        seed_s = time.perf_counter() - t0
        ours_w = {
            frozenset((g.ids[s], g.ids[d])): w
            for s, d, w in zip(g.src.tolist(), g.dst.tolist(), g.weight.tolist(), strict=True)
        }
        seed_w = {frozenset((u, v)): d["weight"] for u, v, d in G.edges(data=True)}
        same = "yes" if ours_w == seed_w else "NO"
        edges = G.number_of_edges()
        del G, seed_w
        gc.collect()
        rows.append(
            f"| co-{kind} | {edges:,} | {seed_s:.2f} | {ours_s:.3f} | "
            f"{seed_s / ours_s:.0f}x | {best_core:.3f} | {seed_s / best_core:.0f}x | {same} |"
        )
    return rows


def large(db: str) -> dict:
    from tiktok_research.analysis import open_frames
    from tiktok_research.network import build
    from tiktok_research.store import Store

    t0 = time.perf_counter()
    out = {}
    with Store(db, read_only=True, memory_limit="2GB") as store, open_frames(store) as f:
        for kind in ("sound", "hashtag"):
            g = build(f, [kind])
            out[kind] = {"nodes": g.n, "edges": len(g.src), "dropped": len(g.dropped)}
    out["seconds"] = time.perf_counter() - t0
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def communities(db: Path) -> list[str]:
    import networkx as nx

    from tiktok_research.analysis import open_frames
    from tiktok_research.network import build
    from tiktok_research.network.communities import structure
    from tiktok_research.store import Store

    with Store(db, read_only=True) as store, open_frames(store) as f:
        g = build(f, ["hashtag"], max_object_degree=None)
    import random

    from tiktok_research.network.communities import to_igraph

    ig_graph = to_igraph(g.n, g.src, g.dst, g.weight, False)
    random.seed(1)
    t0 = time.perf_counter()
    parts = ig_graph.community_leiden(
        objective_function="modularity", weights="weight", n_iterations=-1
    )
    leiden_s = time.perf_counter() - t0
    leiden_q = ig_graph.modularity(parts.membership, weights="weight")
    t0 = time.perf_counter()
    st = structure(g.n, g.src, g.dst, g.weight)
    all_s = time.perf_counter() - t0
    G = nx.Graph()
    G.add_weighted_edges_from(zip(g.src.tolist(), g.dst.tolist(), g.weight.tolist(), strict=True))
    t0 = time.perf_counter()
    parts = nx.community.louvain_communities(G, weight="weight", seed=1)
    louvain_s = time.perf_counter() - t0
    q = nx.community.modularity(G, parts, weight="weight")
    return [
        f"| igraph Leiden | {leiden_s:.2f} | {leiden_q:.3f} |",
        f"| networkx Louvain | {louvain_s:.2f} | {q:.3f} |",
        f"| ours in all: Leiden, components, degree, strength, sampled betweenness | "
        f"{all_s:.2f} | {st.modularity:.3f} |",
    ]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--dir", type=Path, default=Path("/tmp/tiktok-network-bench"))
    p.add_argument("--large", type=int, default=1_000_000)
    p.add_argument("--child", nargs=1)
    args = p.parse_args()
    if args.child:
        print(json.dumps(large(args.child[0])))
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    sample = args.dir / "sample-20k.duckdb"
    build_store(sample, 20_000, 4_000)
    print(
        "| network (20k videos, 4k creators) | edges | seed s | ours s (from the store) | "
        "ratio | ours s (pair counting) | ratio | same weights |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for row in sample_comparison(sample):
        print(row, flush=True)
    big = args.dir / f"videos-{args.large}.duckdb"
    build_store(big, args.large, args.large // 5)
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(big)], capture_output=True, text=True, check=True
    )
    r = json.loads(proc.stdout)
    print()
    print(
        "| videos | creators | co-sound nodes / edges | co-hashtag nodes / edges | objects "
        "left out (sound, hashtag) | seconds | peak MB |"
    )
    print("|---|---|---|---|---|---|---|")
    print(
        f"| {args.large:,} | {args.large // 5:,} | {r['sound']['nodes']:,} / "
        f"{r['sound']['edges']:,} | {r['hashtag']['nodes']:,} / {r['hashtag']['edges']:,} | "
        f"{r['sound']['dropped']}, {r['hashtag']['dropped']} | {r['seconds']:.2f} | "
        f"{r['peak_mb']:,.0f} |"
    )
    print()
    print(
        "| communities on the sample's co-hashtag projection (4k nodes, 5M edges) | seconds | "
        "modularity |"
    )
    print("|---|---|---|")
    for row in communities(sample):
        print(row)


if __name__ == "__main__":
    main()
