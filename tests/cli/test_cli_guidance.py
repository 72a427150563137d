"""The advice commands with --json, and pseudonymised exports, as an agent uses them."""

from __future__ import annotations

import json

import yaml

from tiktok_research import guidance


def test_design_command(cli):
    out = cli.json(
        "design",
        "How do parties campaign before the Saxony election?",
        "--type",
        "political_communication",
        "--country",
        "DE",
        "--weeks",
        "30",
        "--need",
        "recommendation_data",
    )
    assert out["ranked_routes"][0]["id"] == "dsa_vetted"
    assert out["ranked_routes"][0]["rationale"] and out["sources"]
    bad = cli.json("design", "Why q?", "--type", "vibes", expect=2)
    assert "unknown --type" in bad["message"]  # in the command line's own words
    text = cli("design", "Why q?", "--type", "trend").stdout
    assert text.startswith("# Study design") and "## Limitations to report" in text


def test_datasets_search_command(cli):
    out = cli.json("datasets", "search", "election", "--keyword", "germany", "--field", "deletions")
    assert out["matches"][0]["id"] == "politok_de"
    assert out["matches"][0]["link"].startswith("https://huggingface.co/")
    assert "PoliTok-DE" in cli("datasets", "search", "election").stdout


def test_ethics_review_command(cli, tmp_path):
    plan = dict(guidance.load().example_plan)
    plan["data_sources"] = ["research_api", "scraping"]
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(plan))
    out = cli.json("ethics-review", path)
    assert out["verdict"] == "high" and [f["id"] for f in out["findings"]] == ["scraping"]
    assert set(out["dmp"]) == {"ethical_issues_exist", "ethical_issues_description", "dataset"}
    jpath = tmp_path / "plan.json"
    jpath.write_text(json.dumps(guidance.load().example_plan))
    assert cli.json("ethics-review", jpath)["verdict"] == "none"
    missing = cli.json("ethics-review", tmp_path / "nope.yaml", expect=2)
    assert "does not exist" in missing["message"]
    sample = tmp_path / "sample.yaml"
    sample.write_text(cli("ethics-review", "--example").stdout)
    assert cli.json("ethics-review", sample)["verdict"] == "none"


def test_advice_commands_have_help(cli):
    for cmd in (
        ["design", "--help"],
        ["datasets", "search", "--help"],
        ["ethics-review", "--help"],
    ):
        assert "Usage" in cli(*cmd).stdout
