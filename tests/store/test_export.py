"""Exports keep ids exact and lists readable in every format."""

from __future__ import annotations

import csv
import json

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from tiktok_research.errors import UsageError
from tiktok_research.importers import import_files
from tiktok_research.store import Store
from tiktok_research.store.export import export_table


@pytest.fixture
def filled(store, fixtures):
    import_files(
        store,
        [
            fixtures / "research_api_page.json",
            fixtures / "zeeschuimer.ndjson",
            fixtures / "comments_page.json",
        ],
    )
    return store


def test_csv_has_exact_ids_and_json_lists(filled, tmp_path):
    out = tmp_path / "v.csv"
    res = export_table(filled, "videos", "csv", out)
    assert res.rows == 4
    text = out.read_text(encoding="utf-8")
    assert "7312345678901234567" in text and "e+18" not in text.lower()
    rows = {r["id"]: r for r in csv.DictReader(out.open(encoding="utf-8"))}
    a = rows["7312345678901234567"]
    assert json.loads(a["hashtag_names"]) == ["climate", "fridaysforfuture"]
    assert a["music_id"] == "7012345678901234567"
    assert json.loads(rows["7312345678901234999"]["hashtag_names"]) == ["مرحبا", "🔥"]


def test_ndjson_round_trips_exact_ints(filled, tmp_path):
    out = tmp_path / "c.ndjson"
    export_table(filled, "comments", "ndjson", out)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [c["id"] for c in lines] == [7312345678901235001, 7312345678901235002]
    assert lines[1]["parent_comment_id"] == 7312345678901235001


def test_parquet_and_partitioned_parquet(filled, tmp_path):
    out = tmp_path / "v.parquet"
    export_table(filled, "videos", "parquet", out)
    table = pq.read_table(out)
    assert str(table.schema.field("id").type) == "int64"
    assert 7312345678901234567 in table.column("id").to_pylist()
    part = tmp_path / "parts"
    export_table(filled, "videos", "parquet", part, partition=True)
    dirs = sorted(p.name for p in part.iterdir())
    assert dirs == ["create_date=2024-03-01"]
    assert ds.dataset(part, partitioning="hive").count_rows() == 4


def test_bad_export_requests_are_named(filled, tmp_path):
    with pytest.raises(UsageError, match="unknown table"):
        export_table(filled, "secrets", "csv", tmp_path / "x")
    with pytest.raises(UsageError, match="parquet"):
        export_table(filled, "videos", "csv", tmp_path / "x", partition=True)
    with pytest.raises(UsageError, match="create date"):
        export_table(filled, "users", "parquet", tmp_path / "x", partition=True)


def test_export_reads_a_database_another_process_could_share(db, fixtures, tmp_path):
    with Store(db) as s:
        import_files(s, [fixtures / "4cat.csv"])
    with Store(db, read_only=True) as s:
        assert export_table(s, "users", "csv", tmp_path / "u.csv").rows == 2
