"""The report: sections, the methods appendix from provenance, publishable mode, bad input."""

from __future__ import annotations

import re
from html import unescape

import pytest

from tiktok_research.demo import run_demo
from tiktok_research.report import SECTIONS
from tiktok_research.store import Store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    return run_demo(out, videos=6000, seed=2)


def test_the_demo_report_has_every_section_and_its_provenance(demo):
    with open(demo.report, encoding="utf-8") as fh:
        html = unescape(fh.read())
    for title in SECTIONS:
        assert f"<h2>{title}</h2>" in html
    # the appendix: the query as JSON, its windows, requests per endpoint, API limits + sources
    assert '"field_name": "region_code"' in html and "2024-01-01:2024-01-30" in html
    assert "video/query/" in html and "video/comment/list/" in html
    assert "Quotas reset at 00:00 UTC." in html and "developers.tiktok.com" in html
    assert "synthetic" in html  # the emulator's data is said to be synthetic
    assert html.count("<svg") >= 7 and "report.network.gexf" in html
    # self-contained: nothing to load from anywhere
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<script" not in html and "@import" not in html


def test_publishable_reports_hide_creators_and_captions(tmp_path, demo, monkeypatch, cli):
    monkeypatch.setenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", "a-secret-key-of-enough-length")
    out = cli.json("report", "--db", demo.db, "--out", tmp_path / "pub.html", "--publishable")
    html = (tmp_path / "pub.html").read_text(encoding="utf-8")
    with Store(demo.db, read_only=True) as s:
        names = {r[0] for r in s.con.execute("SELECT username FROM videos").fetchall()}
        captions = [r[0] for r in s.con.execute(
            "SELECT video_description FROM videos WHERE length(video_description) > 30 LIMIT 200"
        ).fetchall()]  # fmt: skip
    shown = set(re.findall(r"[a-z]+_[a-z]+\d+", html))
    assert not shown & names and "u_" in html
    assert not any(c in html for c in captions)
    assert "captions not quoted" in html and out["publishable"]


def test_an_empty_database_gives_a_short_report_with_a_warning(tmp_path, cli):
    Store(tmp_path / "empty.duckdb").close()
    out = cli.json("report", "--db", tmp_path / "empty.duckdb", "--out", tmp_path / "r.html")
    assert out["warnings"] and "no videos" in out["warnings"][0]
    assert all(s["empty"] for s in out["sections"][:9])
    html = (tmp_path / "r.html").read_text()
    assert "collect or import first" in html


def test_bad_report_requests_are_usage_errors(tmp_path, cli, demo):
    assert (
        "no database"
        in cli.json(
            "report", "--db", tmp_path / "none.duckdb", "--out", tmp_path / "r.html", expect=2
        )["message"]
    )
    assert (
        "html"
        in cli.json("report", "--db", demo.db, "--out", tmp_path / "r.pdf", expect=2)["message"]
    )
    bad = cli.json("report", "--db", demo.db, "--out", "/proc/nowhere/r.html", expect=2)
    assert "cannot write" in bad["message"]


def test_the_query_in_the_appendix_is_compact_and_still_json():
    import json

    from tiktok_research.report.methods import compact_json

    query = {
        "and": [{"operation": "IN", "field_name": "region_code", "field_values": ["US", "GB"]}],
        "not": [],
        "or": {},
    }
    text = compact_json(query)
    assert json.loads(text) == query
    assert '"field_values": ["US", "GB"]' in text  # plain lists stay on one line
    # nested objects are still indented by structure
    assert text.splitlines()[:4] == ["{", ' "and": [', "  {", '   "operation": "IN",']
