"""The tool contract: one registry that the CLI, the MCP server and the manifest come from."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tiktok_research.errors import UsageError
from tiktok_research.tools import TOOLS, ToolContext, manifest

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = {
    "study_design",
    "dataset_finder",
    "ethics_review",
    "api_search",
    "import_dataset",
    "collection_status",
    "compliance_refresh",
}


def test_every_tool_follows_the_contract():
    assert set(TOOLS) >= EXPECTED
    for name, t in TOOLS.items():
        assert t.name == name and re.fullmatch(r"[a-z_]+", name)
        assert t.title and len(t.description) > 40 and t.description[0].isupper()
        assert t.input_schema()["type"] == "object" and t.output_schema()["type"] == "object"
        mcp = t.mcp()
        assert set(mcp) == {
            "name",
            "title",
            "description",
            "inputSchema",
            "outputSchema",
            "annotations",
        }
        assert set(mcp["annotations"]) >= {"readOnlyHint", "destructiveHint", "openWorldHint"}
    assert TOOLS["compliance_refresh"].annotations.destructive
    assert TOOLS["study_design"].annotations.read_only


def test_the_committed_manifest_is_what_the_code_generates():
    assert manifest.check(ROOT) == [], "run `tiktok-research tools manifest --write`"
    assert {p.stem for p in (ROOT / "tools").glob("*.json")} == set(TOOLS)


def test_manifest_check_names_what_is_stale(tmp_path):
    manifest.write(tmp_path)
    assert manifest.check(tmp_path) == []
    p = tmp_path / "tools" / "api_search.json"
    p.write_text(p.read_text().replace("30-day", "31-day"))
    (tmp_path / "tools" / "old_tool.json").write_text("{}")
    assert manifest.check(tmp_path) == [
        "tools/api_search.json",
        "tools/old_tool.json (no such tool)",
    ]
    assert "tools/old_tool.json (removed)" in manifest.write(tmp_path)
    assert manifest.check(tmp_path) == []


def test_every_environment_variable_the_code_reads_is_declared():
    code = " ".join(p.read_text() for p in (ROOT / "tiktok_research").rglob("*.py"))
    used = set(re.findall(r"TIKTOK_[A-Z_]*[A-Z]", code))
    # guidance.py builds two names from one pattern
    used = {u for u in used if u != "TIKTOK_RESEARCH"} | {
        "TIKTOK_RESEARCH_GUIDANCE_DIR",
        "TIKTOK_RESEARCH_PROMPTS_DIR",
    }
    declared = {v.name for v in manifest.ENV_VARS}
    assert used <= declared, used - declared
    assert not [v for v in manifest.ENV_VARS if v.required], "nothing is needed for the demo"


def test_paths_are_confined_to_the_data_directory(tmp_path):
    ctx = ToolContext(data_dir=tmp_path / "data", confine=True)
    assert ctx.path("a/b.csv", "output") == tmp_path / "data" / "a" / "b.csv"
    for bad in ("../x.csv", str(tmp_path / "elsewhere.csv"), "/etc/passwd"):
        with pytest.raises(UsageError, match="outside the data directory"):
            ctx.path(bad, "output")
    free = ToolContext(data_dir=tmp_path / "data")
    assert free.path(tmp_path / "x.csv", "output") == tmp_path / "x.csv"


def test_bad_input_names_the_field_and_what_was_expected():
    with pytest.raises(UsageError) as e:
        TOOLS["study_design"].validate(
            {"research_question": "Why?", "research_type": "trend", "budget": "lots"}
        )
    assert "budget" in str(e.value) and "'lots'" in str(e.value)
    with pytest.raises(UsageError, match="research_question: Field required"):
        TOOLS["study_design"].validate({"research_type": "trend"})
    with pytest.raises(UsageError, match="since 2024-03-01 is after until 2024-01-01"):
        TOOLS["api_search"].validate(
            {"hashtags": ["x"], "since": "2024-03-01", "until": "2024-01-01"}
        )


def test_missing_credentials_name_the_variables(tmp_path):
    ctx = ToolContext(db=tmp_path / "s.duckdb", env={})
    inp = {"hashtags": ["climate"], "since": "2024-01-01", "until": "2024-01-31"}
    plan = TOOLS["api_search"].call(inp, ctx)  # planning needs no credentials
    assert plan.plan.windows and not plan.collected
    with pytest.raises(UsageError) as e:
        TOOLS["api_search"].call({**inp, "collect": True}, ctx)
    for name in ("TIKTOK_CLIENT_KEY", "TIKTOK_CLIENT_SECRET", "TIKTOK_API_BASE"):
        assert name in str(e.value)


def test_cli_tool_commands_are_generated_from_the_models(cli):
    for t in TOOLS.values():
        help_text = cli("tools", "run", t.name.replace("_", "-"), "--help").stdout
        for field in t.input.model_fields:
            assert "--" + field.replace("_", "-") in help_text, (t.name, field)
    listed = cli.json("tools", "list")
    assert {r["name"] for r in listed} == set(TOOLS)
    assert cli("tools", "manifest", "--check", "--root", ROOT).exit_code == 0


def test_manifest_cli_writes_and_checks(cli, tmp_path):
    shutil.copy(ROOT / "skill.yaml", tmp_path / "skill.yaml")
    out = cli.json("tools", "manifest", "--check", "--root", tmp_path, expect=1)
    assert "tools/api_search.json" in out["stale"]
    cli("tools", "manifest", "--write", "--root", tmp_path)
    assert cli.json("tools", "manifest", "--check", "--root", tmp_path)["stale"] == []
