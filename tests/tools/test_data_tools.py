"""The data tools through the contract, on the in-process emulator: plan, collect, import,
status, refresh."""

from __future__ import annotations

import json

from helpers import app_with

from tiktok_research.api import RetryPolicy
from tiktok_research.tools import TOOLS, ToolContext


def ctx_for(tmp_path, app=None) -> ToolContext:
    return ToolContext(
        db=tmp_path / "data" / "s.duckdb",
        data_dir=tmp_path / "data",
        app=app,
        confine=True,
        retry=RetryPolicy(sleep=lambda s: None),  # compliance polls and backoff without waiting
    )


def test_collect_status_and_refresh_through_the_tools(tmp_path):
    app = app_with(videos=3000, deletion_rate=0.2)
    ctx = ctx_for(tmp_path, app)
    search = {"regions": ["DE"], "since": "2024-01-01", "until": "2024-01-31", "collect": True}
    out = TOOLS["api_search"].call(search, ctx)
    assert out.run.status == "done" and out.run.inserted > 0 and len(out.sample) == 10
    assert all(v["region_code"] == "DE" for v in out.sample)
    again = TOOLS["api_search"].call(search, ctx)  # the same collection again: updates
    assert again.run.run_id != out.run.run_id and again.run.updated == out.run.inserted
    comments = TOOLS["api_search"].call(
        {"mode": "comments", "most_commented": 2, "collect": True}, ctx
    )
    assert comments.run.status == "done" and comments.sample and comments.query is None
    st = TOOLS["collection_status"].call({}, ctx)
    assert st.counts["videos"] == out.run.inserted and len(st.runs) == 3 and st.runs_not_shown == 0
    assert st.quota_today.requests == out.run.requests + again.run.requests + comments.run.requests
    app.state.emulator.offset += 31 * 86400  # a month on: some videos are gone
    ref = TOOLS["compliance_refresh"].call({"older_than_days": 0}, ctx)
    assert ref.checked["video"] == out.run.inserted and ref.deleted["video"] > 0
    assert "deleted" in ref.text


def test_import_dataset_reports_rejects_chat_sized(tmp_path):
    ctx = ctx_for(tmp_path)
    (tmp_path / "data").mkdir()
    lines = [
        json.dumps({"id": 7_000_000_000_000_000_000 + i, "create_time": 1_700_000_000})
        for i in range(5)
    ]
    lines += [json.dumps({"id": "not-an-id"}) for _ in range(30)]
    (tmp_path / "data" / "v.ndjson").write_text("\n".join(lines) + "\n")
    out = TOOLS["import_dataset"].call({"paths": ["v.ndjson"]}, ctx)
    assert out.exit_code == 3 and out.files[0].inserted == 5 and out.files[0].rejected == 30
    assert len(out.rejects) == 20 and out.rejects_not_shown == 10
    assert out.rejects[0].field == "id" and "not-an-id" in out.rejects[0].reason
    assert sum(line.startswith("  rejected ") for line in out.text.splitlines()) == 20
