"""`analyze` and `trends` on a collected database, as people and agents call them."""

from __future__ import annotations

import json

import pytest
from helpers import app_with, collector, run_videos

from tiktok_research.store import Store


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    db = tmp_path_factory.mktemp("analysis") / "study.duckdb"
    with Store(db) as store:
        run_videos(collector(app_with(videos=6000), store))
    return db


def test_analyze_json_text_and_file(cli, collected, tmp_path):
    out = cli.json("analyze", "--db", collected, "--tz", "Europe/Berlin", "--top", "5")
    assert out["overview"]["videos"] > 1000 and len(out["hashtags"]) == 5
    assert (
        out["engagement"]["rated"]
        + out["engagement"]["excluded_zero_views"]
        + out["engagement"]["excluded_missing_views"]
        == out["overview"]["videos"]
    )
    assert out["tz"] == "Europe/Berlin" and len(out["busiest_hours"]) == 3
    assert out["trends"] and all(t["burst_onset"] for t in out["trends"])
    text = cli("analyze", "--db", collected, "--region", "DE").stdout
    assert text.startswith("Metadata analysis: regions DE") and "engagement rate" in text
    results = tmp_path / "results.json"
    out = cli.json("analyze", "--db", collected, "--top", "50", "--out", results)
    full = json.loads(results.read_text())
    assert out["file"] == str(results) and len(out["hashtags"]) == 20  # chat-sized
    assert len(full["metadata"]["hashtags"]) == 50 and len(full["metadata"]["time"]["per_day"]) > 80
    assert len(full["trends"]["trends"][0]["series"]) == len(full["metadata"]["time"]["per_day"])


def test_trends_by_each_kind(cli, collected):
    for by in ("hashtag", "sound", "keyword"):
        out = cli.json("trends", "--db", collected, "--by", by, "--top", "5")
        assert out["by"] == by and 0 < len(out["trends"]) <= 5 and out["citations"]
        assert all(t["series"] == [] for t in out["trends"])  # series only in the file
    text = cli("trends", "--db", collected).stdout
    assert "Kleinberg" in text


def test_analysis_usage_errors(cli, collected):
    for args, word in [
        (["--tz", "Mars/Olympus"], "Mars/Olympus"),
        (["--since", "2024-03-01", "--until", "2024-01-01"], "after"),
        (["--out", "results.csv"], "results.csv"),
        (["--since", "March"], "since"),
    ]:
        out = cli.json("analyze", "--db", collected, *args, expect=2)
        assert word in out["message"]
    bad = cli.json("trends", "--db", collected, "--by", "emoji", expect=2)
    assert "by" in bad["message"] and "hashtag" in bad["message"]
    empty = cli.json("analyze", "--db", collected, "--region", "ZZ")
    assert empty["message"].startswith("no videos match") and empty["overview"]["videos"] == 0


def test_publishable_needs_a_key_and_hides_creators(cli, collected, monkeypatch):
    monkeypatch.delenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", raising=False)
    refused = cli.json("analyze", "--db", collected, "--publishable", expect=2)
    assert "TIKTOK_RESEARCH_PSEUDONYM_KEY" in refused["message"]
    monkeypatch.setenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", "a-secret-key-of-enough-length")
    out = cli.json("analyze", "--db", collected, "--publishable")
    creators = [c["creator"] for c in out["creators"]["top_by_videos"]]
    assert creators and all(c.startswith("u_") for c in creators)
    with Store(collected, read_only=True) as s:
        names = {r[0] for r in s.con.execute("SELECT username FROM videos").fetchall()}
    assert not names & set(json.dumps(out).split('"'))


def test_network_gexf_from_a_collected_database_opens_in_strict_parsers(cli, collected, tmp_path):
    import xml.etree.ElementTree as ET

    import networkx as nx

    out = cli.json(
        "network", "--db", collected, "--by", "sound,hashtag", "--top-k", "20",
        "--out", tmp_path / "net.gexf",
    )  # fmt: skip
    ET.parse(tmp_path / "net.gexf")
    G = nx.read_gexf(tmp_path / "net.gexf")
    assert G.number_of_nodes() == out["nodes"] and G.number_of_edges() == out["edges"] > 0
    assert {d["modularity_class"] for _, d in G.nodes(data=True)} >= {0}
    assert out["pruning"]["top_k"] == 20 and out["communities"][0]["id"] == 0
    bad = cli.json("network", "--db", collected, "--out", tmp_path / "net.txt", expect=2)
    assert "net.txt" in bad["message"] and not (tmp_path / "net.txt").exists()


def test_coordination_command(cli, collected, tmp_path):
    out = cli.json(
        "coordination", "--db", collected, "--by", "sound,caption", "--out", tmp_path / "g.csv"
    )
    assert out["method"] == "default" and out["parameters"]["window"] == 60
    assert out["groups"] and out["evidence"] and "human" in out["caveat"]
    assert all(e["delta_seconds"] <= 60 for e in out["evidence"])
    lines = (tmp_path / "g.csv").read_text().splitlines()
    assert lines[0].startswith("group,account") and len(lines) == 1 + sum(
        g["size"] for g in out["groups"]
    )
    ct = cli.json("coordination", "--db", collected, "--method", "coortweet", "--fast-window", "10")
    assert ct["threshold"] is not None and ct["flagged_edges"][0]["weight_fast"] is not None
    none = cli.json("coordination", "--db", collected, "--region", "ZZ")
    assert none["message"].startswith("no coordinated pairs") and none["groups"] == []
    for args, word in [(["--window", "0"], "--window"), (["--edge-weight", "2"], "--edge-weight")]:
        assert word in cli.json("coordination", "--db", collected, *args, expect=2)["message"]
