"""The collection commands with the CLI alone, against `emulator serve` on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from helpers import app_with, reference_ids
from servers import ROOT, emulator_server

from tiktok_research.api import Q
from tiktok_research.store import Store

SECRET = "cli-s3cret-never-printed"


def cli_env(base: str, tmp: Path) -> dict[str, str]:
    return {
        **os.environ,
        "TIKTOK_API_BASE": base,
        "TIKTOK_CLIENT_KEY": "emulator-client-key",
        "TIKTOK_CLIENT_SECRET": SECRET,
        "PYTHONPATH": str(ROOT),
        "TIKTOK_RESEARCH_TOKEN_CACHE": str(tmp / "tokens.json"),
    }


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "tiktok_research.cli", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_faulty_api_gives_the_same_data_as_a_clean_one(tmp_path):
    videos = ("--region", "US", "--region", "DE", "--since", "2024-01-01", "--until", "2024-02-29")
    with emulator_server(
        "--videos", "15000", "--seed", "2", "--fault-rate", "0.3", "--client-secret", SECRET
    ) as (base, _):
        env = cli_env(base, tmp_path)
        db = tmp_path / "faulty.duckdb"
        res = run_cli(
            env,
            "collect",
            "videos",
            "--db",
            db,
            *videos,
            "--retry-base",
            "0.01",
            "--max-retries",
            "20",
            "--json",
        )
        assert res.returncode == 0, res.stderr
        summary = json.loads(res.stdout)
        assert summary["status"] == "done" and summary["tasks_done"] == summary["tasks_total"]
        faults = json.loads(run_cli(env, "status", "--db", db, "--json").stdout)
        assert faults["quota_today"]["requests"] > summary["pages"]  # failed attempts counted
        for out in (res.stdout, res.stderr, faults.__repr__()):
            assert SECRET not in out
        token = json.loads((tmp_path / "tokens.json").read_text())
        tok = next(iter(token.values()))["access_token"]
        for f in tmp_path.iterdir():
            if f.is_file() and f.name != "tokens.json":
                data = f.read_bytes()
                assert SECRET.encode() not in data and tok.encode() not in data, f
    with Store(db, read_only=True) as store:
        got = [r[0] for r in store.con.execute("SELECT id FROM videos ORDER BY id DESC").fetchall()]
    clean = app_with(videos=15000, seed=2)
    assert got == sorted(
        reference_ids(clean, Q.region("US", "DE"), date(2024, 1, 1), date(2024, 2, 29)),
        reverse=True,
    )


def test_comments_users_refresh_and_status_with_the_cli(tmp_path):
    with emulator_server(
        "--videos", "6000", "--deletion-rate", "0.2", "--client-secret", SECRET
    ) as (base, _):
        env = cli_env(base, tmp_path)
        db = tmp_path / "c.duckdb"
        assert (
            run_cli(
                env,
                "collect",
                "videos",
                "--db",
                db,
                "--hashtag",
                "climate",
                "--keyword",
                "truth",
                "--since",
                "2024-01-01",
                "--until",
                "2024-01-31",
            ).returncode
            == 0
        )
        res = run_cli(
            env,
            "collect",
            "comments",
            "--db",
            db,
            "--from-videos",
            "--min-comments",
            "5",
            "--limit",
            "3",
            "--json",
        )
        assert res.returncode == 0 and json.loads(res.stdout)["tasks_total"] == 3
        with Store(db, read_only=True) as store:
            user = store.con.execute(
                "SELECT username FROM videos GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            ).fetchall()[0][0]
        res = run_cli(
            env,
            "collect",
            "users",
            "--db",
            db,
            "--username",
            user,
            "--followers",
            "--pinned",
            "--json",
        )
        assert res.returncode == 0, res.stderr
        res = run_cli(env, "refresh", "--db", db, "--older-than", "0d", "--json")
        assert res.returncode == 0, res.stderr
        out = json.loads(res.stdout)
        assert out["checked"]["video"] > 0 and out["method"]["video"] == "batch compliance"
        res = run_cli(env, "status", "--db", db)
        assert "last refresh: 20" in res.stdout and "refresh" in res.stdout
        bad = run_cli(env, "refresh", "--db", db, "--older-than", "soon", "--json")
        assert bad.returncode == 2 and "15d" in json.loads(bad.stdout)["message"]


def test_quota_stop_exit_code_and_dry_run(tmp_path, cli):
    db = tmp_path / "q.duckdb"
    plan = cli.json(
        "collect",
        "videos",
        "--db",
        db,
        "--hashtag",
        "vote",
        "--since",
        "2024-01-01",
        "--until",
        "2024-03-31",
        "--max-videos",
        "1000",
        "--dry-run",
    )
    assert plan["max_requests"] == 4 * 10 and plan["quota_left_today"] == 1000
    with emulator_server(
        "--videos", "6000", "--quota-requests", "3", "--client-secret", SECRET
    ) as (base, _):
        env = cli_env(base, tmp_path)
        res = run_cli(
            env,
            "collect",
            "videos",
            "--db",
            db,
            "--region",
            "US",
            "--since",
            "2024-01-01",
            "--until",
            "2024-03-31",
            "--json",
        )
        assert res.returncode == 1
        out = json.loads(res.stdout)
        assert out["status"] == "stopped" and out["resets_at"].endswith("00:00:00+00:00")
        assert out["records"] > 0


def test_demo_runs_end_to_end(tmp_path, cli):
    out = cli.json("demo", "--out", tmp_path / "demo", "--videos", "8000")
    assert Path(out["db"]).exists() and len(out["windows"]) >= 3
    assert [r["status"] for r in out["runs"]] == ["done", "done", "done"]
    assert out["counts"]["videos"] > 500 and out["counts"]["comments"] > 0
    assert out["counts"]["follow_edges"] > 0 and out["requests"]["research"] > 10
    assert out["requests"] == out["emulator_counted"]  # the ledger agrees with the API
    # the whole study: design, analysis, network, coordination scored, the report
    assert out["design"] and out["trends"] and "accounts" in out["network"]
    co = out["coordination"]
    assert co["precision"] >= 0.9 and co["recall"] >= 0.9 and co["planted_accounts"] > 0
    assert Path(out["report"]).exists() and Path(out["report"]).parent == tmp_path / "demo"
    text = cli("demo", "--out", tmp_path / "demo2", "--videos", "3000").stdout
    assert "database:" in text and "top hashtags" in text and "precision" in text
    assert text.rstrip().splitlines()[-1] == f"report: {tmp_path / 'demo2' / 'report.html'}"


def test_collect_commands_have_help(cli):
    for cmd in (
        ["collect", "--help"],
        ["collect", "videos", "--help"],
        ["collect", "comments", "--help"],
        ["collect", "users", "--help"],
        ["collect", "resume", "--help"],
        ["refresh", "--help"],
        ["status", "--help"],
        ["demo", "--help"],
    ):
        assert "Usage" in cli(*cmd).stdout


def test_usage_errors(cli, tmp_path):
    db = tmp_path / "u.duckdb"
    out = cli.json(
        "collect", "videos", "--db", db, "--since", "2024-01-01", "--until", "2024-01-31", expect=2
    )
    assert "at least one of" in out["message"]
    out = cli.json(
        "collect",
        "videos",
        "--db",
        db,
        "--hashtag",
        "x",
        "--since",
        "2024-02-01",
        "--until",
        "2024-01-01",
        expect=2,
    )
    assert "before" in out["message"]
    out = cli.json(
        "collect",
        "videos",
        "--db",
        db,
        "--hashtag",
        "x",
        "--fields",
        "id,nope",
        "--since",
        "2024-01-01",
        "--until",
        "2024-01-02",
        expect=2,
    )
    assert "nope" in out["message"]
    query = tmp_path / "q.json"
    query.write_text(
        '{"and": [{"operation": "EQ", "field_name": "region_code", "field_values": ["US"]}]}'
    )
    out = cli.json(
        "collect",
        "videos",
        "--db",
        db,
        "--query-file",
        query,
        "--hashtag",
        "x",
        "--since",
        "2024-01-01",
        "--until",
        "2024-01-02",
        expect=2,
    )
    assert "not both" in out["message"]
    out = cli.json("collect", "comments", "--db", db, expect=2)
    assert "--video-id" in out["message"]
    out = cli.json("collect", "resume", "--db", db, expect=2)
    assert "no unfinished collection" in out["message"]


def test_collect_resume_finishes_a_run_the_quota_stopped(tmp_path):
    videos = ("--region", "US", "--since", "2024-01-01", "--until", "2024-02-29")
    with emulator_server("--videos", "6000", "--seed", "4", "--client-secret", SECRET) as (
        base,
        _,
    ):
        env = cli_env(base, tmp_path)
        db = tmp_path / "r.duckdb"
        res = run_cli(env, "collect", "videos", "--db", db, *videos, "--daily-quota", "3", "--json")
        assert res.returncode == 1, res.stderr
        stopped = json.loads(res.stdout)
        assert stopped["status"] == "stopped" and stopped["pages"] == 3
        assert "resets at" in stopped["message"]
        res = run_cli(env, "collect", "resume", "--db", db, "--json")
        assert res.returncode == 0, res.stderr
        done = json.loads(res.stdout)
        assert done["run_id"] == stopped["run_id"] and done["status"] == "done"
        assert done["tasks_done"] == done["tasks_total"]
    with Store(db, read_only=True) as store:
        got = sorted(r[0] for r in store.con.execute("SELECT id FROM videos").fetchall())
        spent = store.con.execute(
            "SELECT count(*) FROM api_requests WHERE endpoint = 'video/query/'"
        ).fetchall()[0][0]
    ref = reference_ids(
        app_with(videos=6000, seed=4), Q.region("US"), date(2024, 1, 1), date(2024, 2, 29)
    )
    assert got == sorted(ref)
    assert spent == done["pages"]  # the stop wasted no request: resume paged on from page 4
