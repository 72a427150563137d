"""`tiktok-research emulator serve` runs on its own, on 127.0.0.1, and speaks raw HTTP."""

from __future__ import annotations

import httpx
import pytest
from asgi import token
from servers import emulator_server


def test_serve_prints_credentials_and_answers_raw_http():
    with (
        emulator_server("--videos", "2000", "--seed", "9", "--client-secret", "s3cret") as (
            base,
            proc,
        ),
        httpx.Client(base_url=base) as c,
    ):
        r = c.post(
            "/v2/research/video/query/?fields=id,region_code",
            headers=token(c, secret="s3cret"),
            json={
                "query": {
                    "and": [
                        {"operation": "EQ", "field_name": "region_code", "field_values": ["US"]}
                    ]
                },
                "start_date": "20240101",
                "end_date": "20240130",
                "max_count": 10,
            },
        )
        assert r.status_code == 200
        assert {v["region_code"] for v in r.json()["data"]["videos"]} == {"US"}
        assert c.get("/_emulator/stats").json()["requests"]["video/query/"] == {"200": 1}
    assert proc.returncode is not None  # stopped


def test_serve_banner_and_dropped_connections():
    with (
        emulator_server("--videos", "1000", "--fault-rate", "1.0") as (base, proc),
        httpx.Client(base_url=base) as c,
    ):
        auth = token(c)
        outcomes = set()
        for _ in range(40):
            try:
                r = c.post(
                    "/v2/research/user/info/?fields=display_name",
                    headers=auth,
                    json={"username": "nobody"},
                )
                outcomes.add(r.status_code)
            except httpx.RemoteProtocolError:
                outcomes.add("dropped")
        assert {500, 504, "dropped"} <= outcomes
        banner = proc.stdout.readline() + proc.stdout.readline() + proc.stdout.readline()
        assert "base URL:" in banner and "127.0.0.1" in banner and "client key" in banner


def test_truth_and_export_commands(cli, tmp_path, db):
    a = cli.json("emulator", "truth", "--videos", "3000", "--seed", "4")
    b = cli.json("emulator", "truth", "--videos", "3000", "--seed", "4")
    assert a == b and a["coordinated_groups"] and a["trending_hashtags"]
    out = tmp_path / "corpus.ndjson"
    res = cli.json("emulator", "export", "--videos", "3000", "--out", out)
    assert res["videos"] == 3000 and len(out.read_text().splitlines()) == 3000
    report = cli.json("import", out, "--db", db)
    assert report["files"][0]["inserted"] == 3000


def test_serve_refuses_bad_options(cli, tmp_path):
    res = cli("emulator", "serve", "--end", "yesterday", expect=2)
    assert "YYYY-MM-DD" in res.output
    for cmd in (["truth"], ["export", "--out", tmp_path / "never.ndjson"]):
        res = cli("emulator", *cmd, "--start", "2024-03-01", "--end", "2024-01-01", expect=2)
        assert "before start" in res.output


@pytest.mark.parametrize(
    "cmd",
    [
        ["emulator", "--help"],
        ["emulator", "serve", "--help"],
        ["emulator", "truth", "--help"],
        ["emulator", "export", "--help"],
    ],
)
def test_emulator_commands_have_help(cli, cmd):
    assert "Usage" in cli(*cmd).stdout
