"""The MCP server over stdio, as an agent's client sees it: the tools of tools/*.json, a
whole study conversation against an emulator on 127.0.0.1, and bad input as tool errors."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters
from servers import emulator_server

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).with_name("tiktok-research")


def params(data_dir: Path, **env: str) -> StdioServerParameters:
    # the SDK gives a stdio child only an allow-listed environment: pass what it needs
    base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG") if k in os.environ}
    base["TIKTOK_RESEARCH_TOKEN_CACHE"] = str(data_dir.parent / "token.json")
    return StdioServerParameters(
        command=str(BIN), args=["mcp", "--data-dir", str(data_dir)], env={**base, **env}
    )


def run(p: StdioServerParameters, calls: list[tuple[str, dict[str, Any]]]) -> tuple[Any, list]:
    """List the tools, then make the calls in order; returns (tools, results)."""

    async def main() -> tuple[Any, list]:
        async with Client(p) as c:
            tools = await c.list_tools()
            results = [await c.call_tool(name, args) for name, args in calls]
            return tools, results

    return anyio.run(main)


def test_the_server_lists_exactly_the_committed_tools(tmp_path):
    assert BIN.exists(), "install the package (pip install -e .) so the console script exists"
    tools, _ = run(params(tmp_path / "data"), [])
    committed = {p.stem: json.loads(p.read_text()) for p in sorted((ROOT / "tools").glob("*.json"))}
    listed = {t.name: t.model_dump(by_alias=True, exclude_none=True) for t in tools.tools}
    assert set(listed) == set(committed)
    for name, want in committed.items():
        got = listed[name]
        assert got["inputSchema"] == want["inputSchema"], name
        assert got["outputSchema"] == want["outputSchema"], name
        assert got["annotations"] == want["annotations"], name
        assert got["title"] == want["title"] and got["description"] == want["description"]


def test_a_study_conversation_through_mcp_only(tmp_path):
    data = tmp_path / "data"
    with emulator_server("--videos", "3000", "--seed", "5") as (base, _proc):
        p = params(
            data,
            TIKTOK_API_BASE=base,
            TIKTOK_CLIENT_KEY="emulator-client-key",
            TIKTOK_CLIENT_SECRET="emulator-client-secret",
        )
        plan = json.loads(
            (ROOT / "tools" / "ethics_review.json").read_text()
        )  # the schema the agent sees names the plan's fields
        assert "StudyPlan" in plan["inputSchema"]["$defs"]
        from tiktok_research import guidance

        search = {
            "hashtags": ["climate"],
            "regions": ["US"],
            "since": "2024-01-01",
            "until": "2024-02-15",
        }
        _, results = run(
            p,
            [
                (
                    "study_design",
                    {
                        "research_question": "How does climate content spread on TikTok?",
                        "research_type": "trend",
                        "country": "DE",
                        "approval_status": "approved",
                    },
                ),
                ("ethics_review", {"plan": guidance.load().example_plan}),
                ("api_search", search),
                ("api_search", {**search, "collect": True}),
                ("collection_status", {}),
                ("metadata_analysis", {"tz": "America/New_York", "top": 5, "out": "results.json"}),
                ("trend_lifecycle", {"by": "sound", "top": 3}),
                ("network_builder", {"by": ["sound", "hashtag"], "out": "net.gexf", "top_k": 10}),
                ("coordination_detector", {"by": ["sound", "caption"]}),
                ("report_builder", {"out": "report.html", "tz": "Europe/Berlin"}),
            ],
        )
    for r in results:
        assert not r.is_error, r.content[0].text
        assert r.structured_content == json.loads(r.content[0].text)
    design, ethics, planned, collected, status, analysis, trends, network, coordination, report = (
        r.structured_content for r in results
    )
    assert design["ranked_routes"] and design["ranked_routes"][0]["sources"]
    assert ethics["verdict"] == "none" and ethics["findings"] == []
    assert not planned["collected"] and len(planned["plan"]["windows"]) == 2
    assert {c["field_name"]: c["field_values"] for c in planned["query"]["and"]} == {
        "hashtag_name": ["climate"],
        "region_code": ["US"],
    }
    run_ = collected["run"]
    assert collected["collected"] and run_["status"] == "done" and run_["records"] > 0
    assert 0 < len(collected["sample"]) <= 10
    assert all("climate" in v["hashtag_names"] for v in collected["sample"])
    assert collected["plan"]["quota_left_today"] == 1000
    assert status["counts"]["videos"] == run_["inserted"]
    assert status["quota_today"]["requests"] == run_["requests"]
    assert (data / "tiktok-research.duckdb").exists()  # the database sits in the data directory
    assert analysis["overview"]["videos"] == status["counts"]["videos"]
    assert analysis["hashtags"][0]["hashtag"] == "climate"  # every video matched #climate
    assert analysis["file"] == str(data / "results.json") and (data / "results.json").exists()
    assert trends["by"] == "sound" and len(trends["trends"]) <= 3 and trends["citations"]
    assert network["file"] == str(data / "net.gexf") and (data / "net.gexf").exists()
    assert network["nodes"] > 0 and network["communities"] and network["format"] == "gexf"
    assert coordination["method"] == "default" and "human" in coordination["caveat"]
    assert coordination["shares"] > 0 and coordination["parameters"]["by"] == ["sound", "caption"]
    assert report["path"] == str(data / "report.html") and (data / "report.html").exists()
    assert [s["title"] for s in report["sections"]][0] == "Overview" and report["warnings"]


@pytest.mark.parametrize(
    ("tool", "args", "expected"),
    [
        (
            "study_design",
            {"research_question": "Why?", "research_type": "trend", "budget": "lots"},
            ["budget", "'lots'", "none", "high"],
        ),
        ("study_design", {"research_type": "trend"}, ["research_question", "required"]),
        (
            "api_search",
            {"hashtags": "climate", "since": "2024-01-01", "until": "2024-01-02"},
            ["hashtags", "list"],
        ),
        ("import_dataset", {"paths": ["../../etc/passwd"]}, ["outside the data directory"]),
        ("collection_status", {"db": "/tmp/elsewhere.duckdb"}, ["outside the data directory"]),
        ("no_such_tool", {}, ["unknown tool", "api_search"]),
    ],
)
def test_bad_input_comes_back_as_a_tool_error_naming_the_field(tmp_path, tool, args, expected):
    _, (result,) = run(params(tmp_path / "data"), [(tool, args)])
    assert result.is_error
    text = result.content[0].text
    assert "Traceback" not in text
    for word in expected:
        assert word in text, text
