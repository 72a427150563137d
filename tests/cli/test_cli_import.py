"""The import and export commands as an agent calls them."""

from __future__ import annotations

import json

import duckdb

from tiktok_research.store import Store

KEY = "a-secret-key-of-enough-length"


def test_import_json_report_and_exit_codes(cli, db, fixtures, tmp_path):
    out = cli.json("import", fixtures / "zeeschuimer.ndjson", "--db", db)
    assert out["exit_code"] == 0 and out["files"][0]["inserted"] == 2
    bad = tmp_path / "bad.ndjson"
    bad.write_text('{"id": 1}\n{"id": "x"}\n')
    out = cli.json("import", bad, "--db", db, expect=3)
    assert out["files"][0]["rejects"][0] == {
        "file": str(bad),
        "line": 2,
        "record": None,
        "field": "id",
        "reason": "expected an integer id (digits), got 'x'",
    }
    out = cli.json("import", tmp_path / "nope.csv", "--db", db, expect=2)
    assert out["files"][0]["status"] == "unusable"


def test_text_report_names_file_line_field(cli, db, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,desc,plays\n1,a,7\n2,b,many\n")
    res = cli("import", bad, "--db", db, expect=3)
    assert (
        f"rejected {bad}:line 3: view_count: expected a whole number >= 0, got 'many'" in res.stdout
    )


def test_map_option_errors_are_usage_errors(cli, db, tmp_path):
    f = tmp_path / "x.csv"
    f.write_text("a,b\n1,2\n")
    out = cli.json("import", f, "--db", db, "--map", "a=not_a_field", expect=2)
    assert "not a canonical field" in out["message"]
    out = cli.json("import", f, "--db", db, "--map", "zzz=id", expect=2)
    assert "zzz" in out["files"][0]["error"]
    out = cli.json("import", f, "--db", db, "--map", "a=id", "--map", "b=view_count")
    assert out["files"][0]["inserted"] == 1


def test_export_command(cli, db, fixtures, tmp_path):
    cli("import", fixtures / "research_api_page.json", "--db", db)
    out = cli.json(
        "export",
        "--db",
        db,
        "--table",
        "videos",
        "--format",
        "ndjson",
        "--out",
        tmp_path / "v.ndjson",
    )
    assert out["rows"] == 2
    ids = [json.loads(line)["id"] for line in (tmp_path / "v.ndjson").read_text().splitlines()]
    assert ids == [7312345678901234567, 7312345678901234999]
    out = cli.json("export", "--db", tmp_path / "none.duckdb", "--out", tmp_path / "x", expect=2)
    assert "no database" in out["message"]


def test_every_command_has_help(cli):
    for cmd in (["--help"], ["import", "--help"], ["export", "--help"]):
        assert "Usage" in cli(*cmd).stdout


def test_pseudonymised_export_leaves_no_raw_username(cli, db, tmp_path, fixtures, monkeypatch):
    cli(
        "import",
        fixtures / "zeeschuimer.ndjson",
        fixtures / "4cat.csv",
        fixtures / "research_api_page.json",
        "--db",
        db,
    )
    with Store(db, read_only=True) as s:
        names = {
            r[0]
            for r in s.con.execute(
                "SELECT username FROM users UNION SELECT username FROM videos "
                "UNION SELECT unnest(mentions) FROM videos"
            ).fetchall()
            if r[0]
        }
        displays = {
            r[0] for r in s.con.execute("SELECT display_name FROM users").fetchall() if r[0]
        }
    assert {"carol", "dave", "eve", "bob", "greta"} <= names
    monkeypatch.delenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", raising=False)
    refused = cli.json(
        "export",
        "--db",
        db,
        "--out",
        tmp_path / "out" / "v.csv",
        "--format",
        "csv",
        "--pseudonymise",
        expect=2,
    )
    assert "secret key" in refused["message"] and not (tmp_path / "out" / "v.csv").exists()
    monkeypatch.setenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", KEY)

    def export(table: str, fmt: str, out):
        cli("export", "--db", db, "--table", table, "--format", fmt, "--out", out, "--pseudonymise")
        return out

    outputs = [
        export(table, fmt, tmp_path / "out" / f"{table}.{fmt}")
        for table in ("videos", "users", "comments")
        for fmt in ("csv", "ndjson", "parquet")
    ]
    for out in outputs:
        data = (
            out.read_bytes()
            if out.suffix != ".parquet"
            else str(duckdb.sql(f"SELECT * FROM '{out}'").fetchall()).encode()
        )
        low = data.lower()
        for n in names | displays:
            assert n.lower().encode() not in low, (out, n)
    again = export("users", "csv", tmp_path / "again.csv")
    assert again.read_text() == (tmp_path / "out" / "users.csv").read_text()  # stable
    monkeypatch.setenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", KEY + "-other")
    other = export("users", "csv", tmp_path / "other.csv")
    assert other.read_text() != again.read_text()
