"""Every kind of graph on a small hand-made store, and every export parsed back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tiktok_research.analysis import open_frames
from tiktok_research.network import build
from tiktok_research.network.communities import structure
from tiktok_research.network.export import write
from tiktok_research.tools import TOOLS, ToolContext

S1, S2 = 7_234_567_890_123_456_789, 7_234_567_890_123_456_790  # beyond 2^53
T0 = datetime(2024, 3, 1, tzinfo=UTC)


def add(store, rows: list[dict]) -> None:
    cols = {
        "id": pa.int64(),
        "username": pa.string(),
        "create_time": pa.timestamp("us", tz="UTC"),
        "view_count": pa.int64(),
        "music_id": pa.int64(),
        "music_title": pa.string(),
        "hashtag_names": pa.list_(pa.string()),
        "mentions": pa.list_(pa.string()),
        "duet_from_id": pa.int64(),
        "video_description": pa.string(),
        "_observed_at": pa.timestamp("us", tz="UTC"),
    }
    data = {
        c: pa.array(
            [r.get(c, T0 + timedelta(days=30) if c == "_observed_at" else None) for r in rows], t
        )
        for c, t in cols.items()
    }
    store.con.register("_rows", pa.table(data))
    store.con.execute("CREATE OR REPLACE TEMP TABLE _add AS SELECT * FROM _rows")
    store.con.unregister("_rows")
    with store.transaction():
        store.merge("videos", "_add", 1)


@pytest.fixture
def small(store):
    """a, b, c share sound S1; b, c share S2; d uses S1 too; hashtags, mentions, a duet."""
    v = 7_300_000_000_000_000_000
    add(
        store,
        [
            dict(id=v + 1, username="a", create_time=T0, view_count=5_000_000_000, music_id=S1,
                 music_title="song one", hashtag_names=["x", "y"], mentions=["b"]),
            dict(id=v + 2, username="b", create_time=T0, view_count=10, music_id=S1,
                 hashtag_names=["x"], mentions=["a", "c"]),
            dict(id=v + 3, username="b", create_time=T0, view_count=10, music_id=S2,
                 hashtag_names=["y"], mentions=["c"]),
            dict(id=v + 4, username="c", create_time=T0, view_count=10, music_id=S1,
                 hashtag_names=["x", "y"], duet_from_id=v + 1),
            dict(id=v + 5, username="c", create_time=T0, view_count=10, music_id=S2,
                 hashtag_names=["z"], duet_from_id=v + 99),
            dict(id=v + 6, username="d", create_time=T0, view_count=10, music_id=S1,
                 video_description="bad\x0bchar"),
        ],
    )  # fmt: skip
    return store


def edges(g) -> dict[tuple[str, str], float]:
    return {
        (g.ids[s], g.ids[d]): w
        for s, d, w in zip(g.src.tolist(), g.dst.tolist(), g.weight.tolist(), strict=True)
    }


def test_co_sound_and_co_hashtag_projections(small):
    with open_frames(small) as f:
        sound = build(f, ["sound"])
        tags = build(f, ["hashtag"])
        both = build(f, ["sound", "hashtag"])
        guarded = build(f, ["sound"], max_object_degree=3)
        newman = build(f, ["sound"], newman=True)
    assert edges(sound) == {
        ("a", "b"): 1, ("a", "c"): 1, ("a", "d"): 1, ("b", "c"): 2, ("b", "d"): 1, ("c", "d"): 1,
    }  # fmt: skip
    # x: a b c; y: a b c; z: c
    assert edges(tags) == {("a", "b"): 2, ("a", "c"): 2, ("b", "c"): 2}
    assert edges(both)[("b", "c")] == 4 and edges(both)[("a", "d")] == 1
    # S1 has 4 accounts: above 3, left out and reported with its 6 pairs
    assert edges(guarded) == {("b", "c"): 1}
    (d,) = guarded.dropped
    assert (d.object, d.label, d.degree, d.pairs) == (f"sound:{S1}", "song one", 4, 6)
    # Newman: S1 adds 1/3 to each of its pairs, S2 adds 1/1 to b-c
    assert edges(newman)[("b", "c")] == pytest.approx(1 / 3 + 1)
    assert edges(newman)[("a", "d")] == pytest.approx(1 / 3)
    assert sound.attrs["views"][sound.ids.index("a")] == 5_000_000_000


def test_bipartite_directed_and_cooccurrence(small):
    with open_frames(small) as f:
        bip = build(f, ["sound"], graph="bipartite")
        mentions = build(f, ["mention"], graph="mentions")
        duets = build(f, ["duet"], graph="duets")
        cooc = build(f, ["hashtag"], graph="hashtags")
    assert edges(bip)[("c", f"sound:{S2}")] == 1 and edges(bip)[("a", f"sound:{S1}")] == 1
    assert set(bip.node_type) == {"account", "sound"} and bip.n == 6
    assert mentions.directed and edges(mentions) == {("a", "b"): 1, ("b", "a"): 1, ("b", "c"): 2}
    # c dueted a's video; the other source is not stored: left out and said so
    assert edges(duets) == {("c", "a"): 1} and "not in the database" in duets.notes[0]
    assert edges(cooc) == {
        ("hashtag:x", "hashtag:y"): 2,
    }


@pytest.mark.parametrize("ext", ["gexf", "graphml", "csv", "parquet"])
def test_every_export_parses_back_with_its_weights_and_exact_ids(small, tmp_path, ext):
    with open_frames(small) as f:
        g = build(f, ["sound"], graph="bipartite")
    st = structure(g.n, g.src, g.dst, g.weight)
    path = write(g, tmp_path / f"g.{ext}", st.membership)
    want = {frozenset(k): w for k, w in edges(g).items()}
    if ext in ("gexf", "graphml"):
        ET.parse(path)  # a strict XML parser
        G = nx.read_gexf(path) if ext == "gexf" else nx.read_graphml(path)
        got = {frozenset((u, v)): d["weight"] for u, v, d in G.edges(data=True)}
        assert f"sound:{S1}" in G.nodes and f"sound:{S2}" in G.nodes
        node = G.nodes["a"]
        assert node["views"] == 5_000_000_000 and "followers" not in node  # unknown: left out
        assert isinstance(node["modularity_class"], int | np.integer)
    else:
        read = (lambda p: pa.csv.read_csv(p)) if ext == "csv" else pq.read_table
        e = read(path).to_pylist()
        got = {frozenset((r["source"], r["target"])): r["weight"] for r in e}
        nodes = read(path.with_name(f"g.nodes.{ext}")).to_pylist()
        assert {n["id"] for n in nodes} >= {f"sound:{S1}", f"sound:{S2}"}
        assert {n["id"]: n["views"] for n in nodes}["a"] == 5_000_000_000
    assert got == want


def test_gexf_types_and_control_characters(small, tmp_path):
    with open_frames(small) as f:
        g = build(f, ["sound"])
    g.labels[g.ids.index("d")] = "d\x0bwith a tab\x0c"
    st = structure(g.n, g.src, g.dst, g.weight)
    path = write(g, tmp_path / "g.gexf", st.membership)
    text = path.read_text()
    assert "\x0b" not in text and "\x0c" not in text
    types = {
        a.get("title"): a.get("type") for a in ET.parse(path).iter() if a.tag.endswith("attribute")
    }
    assert types["views"] == "long" and types["videos"] == "long"
    assert types["modularity_class"] in ("int", "integer")
    assert 'weight="2"' in text  # the edge's own weight attribute


def test_communities_are_deterministic_with_a_seed(small):
    with open_frames(small) as f:
        g = build(f, ["sound", "hashtag"])
    a = structure(g.n, g.src, g.dst, g.weight, seed=3)
    b = structure(g.n, g.src, g.dst, g.weight, seed=3)
    assert a.membership.tolist() == b.membership.tolist() and a.modularity == b.modularity
    assert a.components == 1 and a.degree[g.ids.index("d")] == 3


def test_the_tool_reports_guard_communities_and_refuses_bad_input(small, tmp_path):
    ctx = ToolContext(db=small.path, data_dir=tmp_path, confine=True)
    small.close()
    out = TOOLS["network_builder"].call(
        {"by": "sound,hashtag", "max_object_degree": 3, "out": "net.gexf"}, ctx
    )
    assert out.file == str(tmp_path / "net.gexf") and out.dropped_total == 1
    assert (
        out.nodes == 4
        and out.communities
        and out.top_nodes[0].strength >= out.top_nodes[-1].strength
    )
    for bad, word in [({"by": ["emoji"]}, "by"), ({"out": "net.txt"}, "net.txt")]:
        with pytest.raises(Exception, match=word):
            TOOLS["network_builder"].validate(bad)
    empty = TOOLS["network_builder"].call({"regions": ["ZZ"], "out": "e.gexf"}, ctx)
    assert empty.nodes == 0 and "no videos match" in empty.message
    assert nx.read_gexf(tmp_path / "e.gexf").number_of_nodes() == 0
