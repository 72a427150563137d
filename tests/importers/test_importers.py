"""Importers: every format, the edge cases real files have, and the validation report."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tiktok_research.importers import import_files
from tiktok_research.importers.detect import detect_format
from tiktok_research.ingest import readers
from tiktok_research.ingest.staged import StagedRows
from tiktok_research.store import Store

BIG = 7_234_567_890_123_456_789


def write_lines(path: Path, *objs, raw_tail: str = "") -> Path:
    path.write_text(
        "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs) + raw_tail,
        encoding="utf-8",
    )
    return path


def videos(store: Store, cols: str = "*") -> list[dict]:
    cur = store.con.execute(f"SELECT {cols} FROM videos ORDER BY id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


# --- Research API -------------------------------------------------------------------
def test_whole_response_with_id_variants_and_big_ids(store, fixtures):
    rep = import_files(store, [fixtures / "research_api_page.json"])
    f = rep.files[0]
    assert (f.format, f.status, f.rows_read, f.inserted, f.rejected) == (
        "research-api",
        "imported",
        2,
        2,
        0,
    )
    rows = {v["id"]: v for v in videos(store)}
    a, b = rows[7312345678901234567], rows[7312345678901234999]  # 'video_id' spelling for b
    assert a["music_id"] == 7012345678901234567  # exact above 2**53
    assert a["favorites_count"] == 12  # from 'favourites_count'
    assert a["hashtag_names"] == ["climate", "fridaysforfuture"]
    assert a["mentions"] == ["greta"] and a["video_mention_list"] == ["greta"]
    assert a["playlist_id"] is None  # 0 means none
    assert json.loads(a["video_tag"]) == {"type": "", "number": 0}
    assert a["create_time"].isoformat() == "2024-03-01T12:00:00+00:00"
    assert b["hashtag_names"] == ["مرحبا", "🔥"]
    assert "favorites_count" in f.fields_present and "duet_from_id" in f.fields_missing


def test_comment_response_and_json_list_and_user_info(store, fixtures, tmp_path):
    rep = import_files(store, [fixtures / "comments_page.json"])
    assert rep.files[0].kinds["comments"].inserted == 2
    top, reply = store.con.execute(
        "SELECT parent_comment_id, video_id FROM comments ORDER BY id"
    ).fetchall()
    assert top == (7312345678901234567, 7312345678901234567) and reply[0] == 7312345678901235001
    listing = tmp_path / "list.json"
    listing.write_text(
        json.dumps(
            [
                {"id": str(BIG), "view_count": 1},
                {
                    "username": "Ann",
                    "display_name": "Ann A",
                    "follower_count": 10,
                    "is_verified": True,
                },
            ]
        )
    )
    rep = import_files(store, [listing])
    assert rep.files[0].kinds["videos"].inserted == 1
    assert rep.files[0].kinds["users"].inserted == 1
    assert store.con.execute(
        "SELECT username, follower_count, is_verified FROM users"
    ).fetchall() == [("ann", 10, True)]


def test_ndjson_of_response_pages(store, fixtures, tmp_path):
    page = json.loads((fixtures / "research_api_page.json").read_text())
    path = write_lines(
        tmp_path / "pages.ndjson",
        page,
        {"data": {}, "error": {"code": "internal_error", "message": "boom"}},
    )
    rep = import_files(store, [path])
    f = rep.files[0]
    assert f.inserted == 2 and f.rejected == 1
    assert f.rejects[0].line == 2 and "internal_error" in f.rejects[0].reason


def test_bad_rows_are_reported_by_line_and_good_rows_kept(store, tmp_path):
    huge = "x" * 2_000_000
    path = tmp_path / "mixed.ndjson"
    path.write_bytes(
        b"\xef\xbb\xbf"  # UTF-8 BOM
        + json.dumps({"id": BIG, "video_description": "BOM line #A", "view_count": 1}).encode()
        + b"\n\n"  # blank line
        + json.dumps({"video_id": str(BIG + 1), "video_description": "nul\u0000inside"}).encode()
        + b"\n"
        + json.dumps({"id": BIG + 2, "view_count": "lots"}).encode()
        + b"\n"
        + json.dumps({"view_count": 3}).encode()
        + b"\n"
        + json.dumps({"id": 7.2e18}).encode()
        + b"\n"
        + json.dumps({"id": BIG + 3, "video_description": huge}).encode()
        + b"\n"
        + json.dumps({"id": BIG + 4, "create_time": 5}).encode()
        + b"\n"
        + b'{"id": 7234567890123456799, "video_descr'  # truncated last line
    )
    rep = import_files(store, [path])
    f = rep.files[0]
    assert rep.exit_code == 3
    assert (f.rows_read, f.inserted, f.rejected) == (8, 3, 5)
    got = [(r.line, r.field) for r in f.rejects]
    assert got == [(4, "view_count"), (5, "id"), (6, "id"), (8, "create_time"), (9, None)]
    assert "'lots'" in f.rejects[0].reason
    assert "lost precision" in f.rejects[2].reason
    assert "invalid JSON" in f.rejects[4].reason
    kept = {v["id"]: v for v in videos(store, "id, video_description, hashtag_names")}
    assert kept[BIG]["video_description"] == "BOM line #A"  # the BOM is not part of line 1
    assert kept[BIG + 1]["video_description"] == "nulinside"
    assert len(kept[BIG + 3]["video_description"]) == 2_000_000
    # the report is also in the database
    assert store.con.execute("SELECT count(*) FROM import_rejects").fetchone()[0] == 5


def test_wrong_types_name_the_field(store, tmp_path):
    path = write_lines(
        tmp_path / "types.ndjson",
        {"id": BIG, "like_count": -1},
        {"id": BIG + 1, "is_stem_verified": "maybe"},
        {"id": BIG + 2, "hashtag_names": 42, "region_code": "Germany"},
        {"id": BIG + 3, "create_time": "yesterday"},
    )
    f = import_files(store, [path]).files[0]
    assert {(r.line, r.field) for r in f.rejects} == {
        (1, "like_count"),
        (2, "is_stem_verified"),
        (3, "region_code"),
        (4, "create_time"),
    }
    assert f.inserted == 0


def test_same_video_in_two_files_is_one_row_with_two_snapshots(store, tmp_path):
    a = write_lines(tmp_path / "a.ndjson", {"id": BIG, "view_count": 10, "username": "x"})
    b = write_lines(tmp_path / "b.ndjson", {"video_id": str(BIG), "view_count": 25})
    ra = import_files(store, [a])
    rb = import_files(store, [b])
    assert (ra.files[0].inserted, rb.files[0].updated) == (1, 1)
    assert videos(store, "id, view_count, username") == [
        {"id": BIG, "view_count": 25, "username": "x"}
    ]
    snaps = store.con.execute(
        "SELECT view_count, run_id FROM video_snapshots ORDER BY observed_at"
    ).fetchall()
    assert snaps == [(10, ra.run_id), (25, rb.run_id)]


# --- Zeeschuimer -------------------------------------------------------------------
def test_zeeschuimer_capture(store, fixtures):
    rep = import_files(store, [fixtures / "zeeschuimer.ndjson"])
    f = rep.files[0]
    assert (f.format, f.inserted, f.rejected) == ("zeeschuimer", 2, 0)
    rows = {v["id"]: v for v in videos(store)}
    carol, dave = rows[7234567890123456800], rows[7234567890123456801]
    assert carol["username"] == "carol" and dave["username"] == "dave"
    assert carol["hashtag_names"] == ["fun"]  # challenges + textExtra, lower-cased, once
    assert carol["mentions"] == ["bob"]
    assert carol["duet_from_id"] == 7234567890123456700 and carol["is_duet"] is True
    assert dave["duet_from_id"] is None and dave["is_duet"] is False
    assert (carol["view_count"], carol["like_count"], carol["favorites_count"]) == (1000, 100, 7)
    assert carol["music_title"] == "original sound" and carol["music_author"] == "Carol C"
    assert carol["region_code"] == "DE" and carol["video_duration"] == 15
    assert carol["effect_ids"] == ["123"]
    # observed when captured, not when imported
    assert carol["last_seen_at"].isoformat() == "2024-03-01T13:33:20+00:00"
    users = dict(store.con.execute("SELECT username, display_name FROM users").fetchall())
    assert users == {"carol": "Carol C", "dave": "Dave D"}
    assert store.con.execute(
        "SELECT follower_count, user_id, is_verified FROM users WHERE username = 'carol'"
    ).fetchone() == (1200, 6900000000000000001, True)


# --- CSV ---------------------------------------------------------------------------
def test_4cat_csv_export(store, fixtures):
    f = import_files(store, [fixtures / "4cat.csv"]).files[0]
    assert (f.format, f.inserted, f.rejected) == ("4cat-csv", 2, 0)
    eve = videos(store)[0]
    assert eve["video_description"] == "multi\nline caption #a @frank"
    assert eve["hashtag_names"] == ["a", "b"] and eve["mentions"] == ["frank"]
    assert (eve["view_count"], eve["like_count"]) == (1234, 1200)
    assert eve["is_duet"] is False and eve["region_code"] == "FR"
    assert eve["create_time"].isoformat() == "2024-03-01T10:00:00+00:00"
    assert eve["music_title"] == "song" and eve["music_id"] == 6800000000000000003
    assert store.con.execute(
        "SELECT display_name, follower_count FROM users WHERE username='eve'"
    ).fetchone() == ("Eve E", 55)


def _csv(path: Path, header: list[str], rows: list[list], delimiter: str = ",") -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_generic_csv_aliases_times_and_hashtag_spellings(store, tmp_path):
    path = _csv(
        tmp_path / "g.csv",
        ["Video ID", "desc", "create_time", "play_count", "likes", "hashtags", "author"],
        [
            [BIG, "a", 1709294400, "1.2K", "1,234", "#Climate #مرحبا", "@Ann"],
            [BIG + 1, "b", 1709294400000, 7, 0, '["x", "Y"]', "bob"],
            [BIG + 2, "c", "2024-03-01T14:00:00+02:00", 8, 0, "p q,r", "cy"],
            [BIG + 3, "d", "2024-03-01 12:00:00", "", "", "", ""],
        ],
    )
    f = import_files(store, [path]).files[0]
    assert (f.format, f.inserted, f.rejected) == ("csv", 4, 0), f.rejects
    rows = videos(store, "id, create_time, view_count, like_count, hashtag_names, username")
    assert [r["create_time"].isoformat() for r in rows] == ["2024-03-01T12:00:00+00:00"] * 4
    assert rows[0]["view_count"] == 1200 and rows[0]["like_count"] == 1234
    assert [r["hashtag_names"] for r in rows] == [
        ["climate", "مرحبا"],
        ["x", "y"],
        ["p", "q", "r"],
        None,
    ]
    assert rows[0]["username"] == "ann" and rows[3]["username"] is None


def test_generic_csv_with_explicit_map_bom_nul_and_semicolons(store, tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(
        "\ufeffclip;words;seen\n".encode()
        + f"{BIG};caption\x00 with nul;99\n".encode()
        + f"{BIG + 1};other;x\n".encode()
    )
    f = import_files(
        store, [path], mapping={"clip": "id", "words": "video_description", "seen": "view_count"}
    ).files[0]
    assert f.inserted == 1 and f.rejected == 1
    assert (f.rejects[0].line, f.rejects[0].field) == (3, "view_count")
    assert "NUL" in f.warnings[0]
    assert videos(store, "id, video_description, view_count") == [
        {"id": BIG, "video_description": "caption with nul", "view_count": 99}
    ]


def test_csv_with_scientific_ids_and_ragged_rows(store, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text(
        f"id,description\n7.23457E+18,mangled by a spreadsheet\n{BIG},ok\n"
        f"{BIG + 1},too,many,fields\n",
        encoding="utf-8",
    )
    f = import_files(store, [path]).files[0]
    assert [(r.line, r.field) for r in f.rejects] == [(2, "id"), (4, None)]
    assert "lost precision" in f.rejects[0].reason and "4 fields" not in f.rejects[0].reason
    assert "expected 2 fields" in f.rejects[1].reason
    assert f.inserted == 1


def test_csv_comments_are_recognised(store, tmp_path):
    path = _csv(
        tmp_path / "c.csv",
        ["comment_id", "video_id", "text", "likes", "parent_comment_id"],
        [[BIG + 10, BIG, "nice", 3, BIG]],
    )
    f = import_files(store, [path]).files[0]
    assert f.kinds["comments"].inserted == 1
    assert store.con.execute("SELECT id, video_id, text FROM comments").fetchone() == (
        BIG + 10,
        BIG,
        "nice",
    )


# --- whole-file problems, strict, exit codes -------------------------------------------
def test_unusable_inputs_do_not_stop_the_others(store, tmp_path, fixtures):
    empty = tmp_path / "empty.json"
    empty.write_text("")
    unknown = tmp_path / "notes.txt"
    unknown.write_text("just some notes\nnothing tabular\n")
    rep = import_files(
        store, [tmp_path / "missing.ndjson", empty, unknown, fixtures / "zeeschuimer.ndjson"]
    )
    status = [f.status for f in rep.files]
    assert status == ["unusable", "unusable", "unusable", "imported"]
    assert "no such file" in rep.files[0].error and "empty" in rep.files[1].error
    assert "unknown format" in rep.files[2].error
    assert rep.exit_code == 2
    assert store.con.execute("SELECT count(*) FROM videos").fetchone()[0] == 2


def test_strict_stores_nothing_from_a_file_with_a_bad_row(store, tmp_path):
    bad = write_lines(tmp_path / "bad.ndjson", {"id": BIG}, {"id": "nope"})
    good = write_lines(tmp_path / "good.ndjson", {"id": BIG + 1}, {"id": BIG + 2})
    rep = import_files(store, [bad, good], strict=True)
    assert [f.status for f in rep.files] == ["not-imported", "imported"]
    assert rep.files[0].rejected == 1 and rep.files[1].inserted == 2
    assert [v["id"] for v in videos(store, "id")] == [BIG + 1, BIG + 2]


def test_detection(fixtures, tmp_path):
    assert detect_format(fixtures / "zeeschuimer.ndjson") == "zeeschuimer"
    assert detect_format(fixtures / "research_api_page.json") == "research-api"
    assert detect_format(fixtures / "4cat.csv") == "4cat-csv"
    plain = _csv(tmp_path / "p.tsv", ["video_id", "text"], [[1, "x"]], delimiter="\t")
    assert detect_format(plain) == "csv"


# --- chunks: streaming, line numbers across chunks, atomic batches -----------------------
def _chunked_file(tmp_path: Path, n: int, bad_lines: set[int]) -> Path:
    objs = []
    for i in range(1, n + 1):
        objs.append(
            '{"id": "broken'
            if i in bad_lines
            else json.dumps(
                {"id": BIG + i, "video_description": f"row {i} @u{i % 3}", "view_count": i}
            )
        )
    return write_lines(tmp_path / "chunked.ndjson", *objs)


def test_line_numbers_hold_across_chunks(store, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 4096)  # many chunks, some clean, some not
    path = _chunked_file(tmp_path, 600, bad_lines={7, 333, 600})
    f = import_files(store, [path]).files[0]
    assert [r.line for r in f.rejects] == [7, 333, 600]
    assert f.inserted == 597 and f.rows_read == 600
    assert store.con.execute(
        "SELECT min(id) - ?, max(id) - ? FROM videos", [BIG, BIG]
    ).fetchone() == (1, 599)


def _crash_in_merge(tmp_path, path, db, nth: int, setup: str = "") -> None:
    """Import ``path`` in a child process that dies inside the ``nth`` videos merge."""
    script = textwrap.dedent(f"""
        import os
        from tiktok_research.importers import import_files
        from tiktok_research.ingest import readers, staged
        from tiktok_research.store import Store
        {setup}
        calls = {{"n": 0}}
        real = Store.merge
        def merge(self, entity, *args, **kw):
            res = real(self, entity, *args, **kw)
            if entity == "videos":
                calls["n"] += 1
                if calls["n"] == {nth}:
                    os._exit(9)  # die inside the transaction
            return res
        Store.merge = merge
        with Store({str(db)!r}) as s:
            import_files(s, [{str(path)!r}])
    """)
    proc = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    assert proc.returncode == 9, proc.stderr


def test_a_crash_mid_import_leaves_whole_batches_only(tmp_path):
    path = _chunked_file(tmp_path, 400, bad_lines=set())
    db = tmp_path / "crash.duckdb"
    setup = (
        "readers.CHUNK_BYTES = 8192; staged.BATCH_ROWS = 1  # every chunk is a batch\n"
        "        staged.StagedRows.whole = lambda self, source: False  # chunk by chunk"
    )
    _crash_in_merge(tmp_path, path, db, 3, setup)
    with Store(db, read_only=True) as s:
        n, lo, hi = s.con.execute(
            "SELECT count(*), min(id) - ?, max(id) - ? FROM videos", [BIG, BIG]
        ).fetchone()
        snaps = s.con.execute("SELECT count(*) FROM video_snapshots").fetchone()[0]
    # two whole batches survive, nothing of the third
    assert n > 0 and lo == 1 and hi == n
    assert snaps == n  # snapshots went in the same transactions
    chunk_rows = 8192 // len((path.read_text().splitlines()[0] + "\n").encode())
    assert n <= 2 * (chunk_rows + 1)


def test_a_crash_while_storing_a_whole_file_leaves_nothing(tmp_path):
    path = _chunked_file(tmp_path, 400, bad_lines=set())
    db = tmp_path / "crash.duckdb"
    _crash_in_merge(tmp_path, path, db, 1)  # after the videos are written, before the commit
    with Store(db) as s:
        assert s.con.execute("SELECT count(*) FROM videos").fetchone()[0] == 0
        assert s.con.execute("SELECT count(*) FROM video_snapshots").fetchone()[0] == 0
        report = import_files(s, [path])  # and the file imports in full afterwards
        assert report.files[0].inserted == 400
        assert s.con.execute("SELECT count(*) FROM video_snapshots").fetchone()[0] == 400


@pytest.mark.parametrize("layout", ["ndjson", "csv"])
def test_streaming_memory_does_not_hold_the_file(store, tmp_path, monkeypatch, layout):
    """The reader hands over bounded chunks: no chunk holds the whole file."""
    monkeypatch.setattr(StagedRows, "whole", lambda self, source: False)  # chunk by chunk
    monkeypatch.setattr(readers, "CHUNK_BYTES", 16384)
    monkeypatch.setattr(readers, "RECORD_BATCH", 100)
    if layout == "ndjson":
        path = _chunked_file(tmp_path, 2000, set())
    else:
        path = _csv(tmp_path / "s.csv", ["id", "desc"], [[BIG + i, f"r{i}"] for i in range(2000)])
    sizes = []
    real = StagedRows.chunk

    def spy(self, *a, **kw):
        done = real(self, *a, **kw)
        sizes.append(self.report.rows_read - sum(sizes))
        return done

    monkeypatch.setattr(StagedRows, "chunk", spy)
    f = import_files(store, [path]).files[0]
    assert f.inserted == 2000
    assert len(sizes) > 5 and max(sizes) < 2000 / 4


def test_an_id_beyond_int64_is_named_and_leaves_its_neighbours_exact(store, tmp_path):
    too_long = "73219876543210987654"
    big, ok = int(too_long), 7321987654321098765  # json.dumps writes both digit for digit
    doc = tmp_path / "page.json"
    t = 1_700_000_000
    page = {"data": {"videos": [{"id": big, "create_time": t}, {"id": ok, "create_time": t}]}}
    doc.write_text(json.dumps({**page, "error": {"code": "ok"}}))
    array = tmp_path / "list.json"
    array.write_text(json.dumps([{"id": big}, {"id": ok + 1}]))
    lines = tmp_path / "lines.ndjson"
    lines.write_text(json.dumps({"id": big}) + "\n" + json.dumps({"id": ok + 2}) + "\n")
    report = import_files(store, [doc, array, lines])
    for f in report.files:
        assert f.rejected == 1 and f.inserted == 1, f
        (reject,) = f.rejects
        assert reject.field == "id" and "out of the int64 range" in reject.reason
        assert f"'{too_long}'" in reject.reason and "floating" not in reject.reason
    ids = sorted(r[0] for r in store.con.execute("SELECT id FROM videos").fetchall())
    assert ids == [7321987654321098765, 7321987654321098766, 7321987654321098767]


def test_a_user_info_response_takes_its_name_from_the_import_or_a_wrapper(store, tmp_path):
    info = {"display_name": "Some One", "follower_count": 12, "bio_description": "hi"}
    bare = tmp_path / "user.json"
    bare.write_text(json.dumps({"data": info, "error": {"code": "ok"}}))
    (f,) = import_files(store, [bare]).files
    assert f.rejected == 1 and "--username" in f.rejects[0].reason
    assert import_files(store, [bare], username="@someone").files[0].inserted == 1
    wrapped = tmp_path / "wrapped.json"
    wrapped.write_text(json.dumps({"request": {"username": "wrapped_one"}, "data": info}))
    assert import_files(store, [wrapped]).files[0].inserted == 1
    rows = store.con.execute("SELECT username, follower_count FROM users ORDER BY 1").fetchall()
    assert rows == [("someone", 12), ("wrapped_one", 12)]
