"""The typed paths for clean Research API files store exactly what the text path stores.

Every file here is imported twice, once typed (the default: the whole file in
two passes of DuckDB's reader if it is clean, else chunk by chunk, each parsed
typed where it is clean) and once with every chunk read as text, and every
stored value, every reject and the report are compared. Small chunks make one
file mix typed and text chunks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tiktok_research.importers import import_files
from tiktok_research.ingest import readers
from tiktok_research.ingest.staged import StagedRows
from tiktok_research.store import Store

BIG = 7_234_567_890_123_456_789

#: bookkeeping that says *when* a row was seen: differs between any two imports
WHEN = {"first_seen_at", "last_seen_at", "observed_at", "checked_at"}


def video(i: int, **kw: Any) -> dict[str, Any]:
    v = {
        "id": BIG + i,
        "username": f"User{i % 4}",
        "create_time": 1_700_000_000 + i * 3600,
        "video_description": f"clip {i} #Tag{i % 3} @Friend{i % 2}.",
        "region_code": ["us", "DE", "FR"][i % 3],
        "view_count": 1000 + i,
        "like_count": i,
        "comment_count": 0,
        "share_count": 2,
        "favorites_count": 1,
        "music_id": 6_800_000_000_000_000_000 + i % 5,
        "hashtag_names": [f"Tag{i % 3}", "#fyp", "fyp", " spaced "],
        "effect_ids": ["e1", ""],
        "voice_to_text": "words",
        "is_stem_verified": i % 2 == 0,
        "video_duration": 12.5 + i,
        "playlist_id": 0,
    }
    v.update(kw)
    return v


def write(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "".join(
            (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    return path


def dump(store: Store) -> dict[str, list[tuple]]:
    """Every stored row of every record table, without the when-columns, in a stable order."""
    out = {}
    for table in ("videos", "comments", "users", "video_snapshots", "comment_snapshots"):
        cols = [
            r[0]
            for r in store.con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                "ORDER BY ordinal_position",
                [table],
            ).fetchall()
            if r[0] not in WHEN
        ]
        out[table] = store.con.execute(
            f"SELECT {', '.join(cols)} FROM {table} ORDER BY ALL"
        ).fetchall()
    out["rejects"] = store.con.execute(
        "SELECT line, record, field, reason FROM import_rejects ORDER BY ALL"
    ).fetchall()
    return out


def both(tmp_path: Path, files: list[Path], **kw: Any) -> tuple[Any, Any, dict, dict]:
    """Import ``files`` typed and as text into two new stores: (reports, dumps)."""
    reports, dumps = [], []
    for typed in (True, False):
        with Store(tmp_path / f"typed-{typed}.duckdb") as store:
            reports.append(import_files(store, files, typed=typed, **kw))
            dumps.append(dump(store))
    return reports[0], reports[1], dumps[0], dumps[1]


def same_report(a: Any, b: Any) -> None:
    for fa, fb in zip(a.files, b.files, strict=True):
        keep = {"file", "status", "rows_read", "inserted", "updated", "rejected", "kinds"}
        assert fa.model_dump(include=keep) == fb.model_dump(include=keep)
        assert fa.fields_present == fb.fields_present
        assert fa.rejects == fb.rejects


@pytest.fixture
def typed_chunks(monkeypatch):
    """Counts the files stored whole ("whole") or not ("not whole"), and the chunks the
    typed parse accepted ("typed") or sent to the text path ("text")."""
    seen = {"whole": 0, "not whole": 0, "typed": 0, "text": 0}
    real, real_whole = readers.parse_typed, StagedRows.whole

    def spy(*a: Any, **kw: Any) -> Any:
        table = real(*a, **kw)
        seen["typed" if table is not None else "text"] += 1
        return table

    def spy_whole(*a: Any, **kw: Any) -> bool:
        done = real_whole(*a, **kw)
        seen["whole" if done else "not whole"] += 1
        return done

    monkeypatch.setattr(readers, "parse_typed", spy)
    monkeypatch.setattr(StagedRows, "whole", spy_whole)
    return seen


def varied_videos(n: int) -> list[Any]:
    """``n`` clean videos using every way a clean file may differ: JSON fields, a mention list,
    the other spelling of favourites, ``video_id`` for the id, milliseconds."""
    rows: list[Any] = [video(i) for i in range(n)]
    rows[3]["hashtag_info_list"] = [{"hashtag_id": 1, "hashtag_name": "tag0"}]
    rows[5]["video_label"] = {"content": "label"}
    rows[6]["video_mention_list"] = ["@Someone", "someone", "Other."]
    rows[7]["favourites_count"] = rows[7].pop("favorites_count")
    rows[8] = {"video_id": rows[8].pop("id"), **rows[8]}
    rows[9]["create_time"] = 1_700_000_000_123
    return rows


def test_clean_file_goes_typed_and_stores_what_text_stores(tmp_path, typed_chunks):
    rows = varied_videos(40)
    rows[9]["video_description"] = "a\u0000b @x"
    rows.append(video(1, view_count=5))  # the same video twice: the later line wins
    f = write(tmp_path / "clean.ndjson", rows)
    typed, text, a, b = both(tmp_path, [f])
    # a NUL byte and a repeated record: not stored whole, but typed chunk by chunk
    assert typed_chunks == {"whole": 0, "not whole": 1, "typed": 1, "text": 0}
    assert a == b
    same_report(typed, text)
    assert typed.files[0].rejected == 0 and typed.files[0].inserted == 40
    vids = {r[0]: r for r in a["videos"]}
    assert len(vids) == 40 and min(vids) == BIG  # ids exact above 2**53


def test_clean_file_goes_whole_and_stores_what_text_stores(tmp_path, typed_chunks):
    rows = varied_videos(40)
    rows[9]["video_description"] = "caf\u00e9 @X"
    rows[10].update(hashtag_names=["\u00a0Été ", "#ÉTÉ", "été"], username="  @Spaced ")
    rows[11].update(hashtag_names=[], effect_ids=None, region_code=None, username="@")
    rows.insert(20, "   ")  # a blank line
    f = tmp_path / "clean.ndjson"
    text_of = write(tmp_path / "lf.ndjson", rows).read_text(encoding="utf-8")
    f.write_bytes(b"\xef\xbb\xbf" + text_of.replace("\n", "\r\n").encode())  # BOM, CRLF
    typed, text, a, b = both(tmp_path, [f])
    assert typed_chunks == {"whole": 1, "not whole": 0, "typed": 0, "text": 0}
    assert a == b
    same_report(typed, text)
    assert typed.files[0].rejected == 0 and typed.files[0].inserted == 40
    assert typed.files[0].rows_read == 40 and len(a["video_snapshots"]) == 40
    vids = {r[0]: r for r in a["videos"]}
    assert vids[BIG + 10][13] == ["été"]  # hashtags cleaned and deduplicated


@pytest.mark.parametrize(
    "flaw",
    [
        {"like_count": -1},  # breaks a rule: the row is not stored, so the count falls short
        {"id": BIG + 3},  # the same record twice: which one wins depends on line numbers
        {"hashtag_names": "#a #b"},  # a list written as text: the reader refuses it
        "cut",
    ],
)
def test_a_file_not_clean_is_rolled_back_and_read_in_chunks(tmp_path, typed_chunks, flaw):
    rows: list[Any] = [video(i) for i in range(30)]
    if flaw == "cut":  # a line cut short: the reader refuses it only when it gets there
        rows[17] = json.dumps(rows[17])[:40]
    else:
        rows[17].update(flaw)
    f = write(tmp_path / "flawed.ndjson", rows)
    typed, text, a, b = both(tmp_path, [f])
    assert typed_chunks["not whole"] == 1 and typed_chunks["whole"] == 0
    assert a == b  # nothing of the attempt stays: the same rows, snapshots and rejects
    same_report(typed, text)
    assert len(a["videos"]) == 29 + ("hashtag_names" in flaw)


@pytest.mark.parametrize("late", [False, True])
def test_a_file_of_one_kind_is_stored_without_counting_its_kinds(tmp_path, monkeypatch, late):
    """The first row's kind is tried alone; a row of another kind (here a comment, at the end)
    rolls that back, and the file is stored whole after a pass counting its kinds."""
    counted = []
    real = StagedRows._count_kinds
    monkeypatch.setattr(
        StagedRows, "_count_kinds", lambda self, source: counted.append(1) or real(self, source)
    )
    rows: list[Any] = varied_videos(30)
    if late:
        rows.append(
            {"id": BIG + 999, "video_id": BIG, "text": "late", "create_time": 1_700_000_000}
        )
    whole = []
    real_whole = StagedRows.whole
    monkeypatch.setattr(
        StagedRows,
        "whole",
        lambda self, source: whole.append(real_whole(self, source)) or whole[-1],
    )
    f = write(tmp_path / "one.ndjson", rows)
    typed, text, a, b = both(tmp_path, [f])
    assert whole == [True] and counted == ([1] if late else [])
    assert a == b
    same_report(typed, text)
    assert typed.files[0].rows_read == 30 + late and len(a["comments"]) == late
    assert len(a["videos"]) == len(a["video_snapshots"]) == 30


def test_a_nul_byte_keeps_a_file_from_being_stored_whole(tmp_path, typed_chunks):
    f = write(tmp_path / "nul.ndjson", [video(1), video(2, video_description="a\u0000b")])
    f.write_bytes(f.read_bytes().replace(b"\\u0000", b"\x00"))  # a raw NUL, not an escape
    typed, text, a, b = both(tmp_path, [f])
    assert typed_chunks["not whole"] == 1 and a == b
    assert typed.files[0].warnings == ["removed 1 NUL byte(s) from the text"]
    assert typed.files[0].inserted == 2


def test_comments_and_user_info_lines(tmp_path, typed_chunks):
    comments = [
        {
            "id": BIG + 100 + i,
            "video_id": BIG,
            "text": f"nice {i}",
            "like_count": i,
            "reply_count": 0,
            "parent_comment_id": BIG,
            "create_time": 1_700_000_000,
        }
        for i in range(5)
    ]
    users = [
        {"username": "Alice", "display_name": "A", "follower_count": 10, "is_verified": False},
        {"username": "@bob", "bio_description": "hi", "likes_count": 3},
    ]
    f = write(tmp_path / "mixed.ndjson", [*comments, *users, video(1)])
    typed, text, a, b = both(tmp_path, [f])
    assert typed_chunks["whole"] == 1
    assert a == b and len(a["comments"]) == 5 and len(a["users"]) == 2
    same_report(typed, text)


def test_dirty_chunks_fall_back_and_report_the_same_rejects(tmp_path, monkeypatch, typed_chunks):
    monkeypatch.setattr(readers, "CHUNK_BYTES", 2_000)  # many chunks: some clean, some not
    rows: list[Any] = [video(i) for i in range(60)]
    rows[4]["id"] = str(rows[4]["id"])  # a string id: not typed, but readable as text
    rows[11]["view_count"] = -3  # typed, but breaks a rule: the chunk is redone as text
    rows[20]["create_time"] = 86_400  # 1970: a placeholder
    rows[27]["region_code"] = "USA"
    rows[33]["id"] = 7.2e18  # precision lost
    rows[38] = '{"id": 1, "truncated'
    rows[45]["hashtag_names"] = "#a #b"  # text instead of a list
    rows[50]["id"] = 0  # no id
    rows[52]["username"] = "  @Spaced  "
    rows.insert(55, "")  # a blank line
    f = write(tmp_path / "dirty.ndjson", rows)
    (tmp_path / "dirty.ndjson").write_text(
        f.read_text(encoding="utf-8").replace(f'"id": {BIG + 57}', '"id": 12345678901234567890123'),
        encoding="utf-8",
    )
    typed, text, a, b = both(tmp_path, [f])
    assert typed_chunks["not whole"] == 1
    assert typed_chunks["typed"] > 0 and typed_chunks["text"] > 0
    assert a == b
    same_report(typed, text)
    reasons = {(r.line, r.field) for r in typed.files[0].rejects}
    assert (12, "view_count") in reasons and (28, "region_code") in reasons
    assert (34, "id") in reasons and (51, "id") in reasons
    assert any(r.field is None and r.line == 39 for r in typed.files[0].rejects)


def test_strict_and_update_paths_agree(tmp_path, typed_chunks):
    f = write(tmp_path / "v.ndjson", [video(i) for i in range(10)])
    g = write(tmp_path / "w.ndjson", [video(i, view_count=9_999) for i in range(5, 15)])
    typed, text, a, b = both(tmp_path, [f, g], strict=True)
    assert a == b and typed.files[1].updated == 5
    same_report(typed, text)
    assert typed_chunks["whole"] == 2  # the second file updates 5 stored videos


def test_strict_with_rejects_stores_nothing_on_either_path(tmp_path, typed_chunks):
    f = write(tmp_path / "v.ndjson", [video(i) for i in range(10)] + [video(99, like_count=-1)])
    typed, text, a, b = both(tmp_path, [f], strict=True)
    assert typed_chunks["not whole"] == 1 and typed.files[0].status == "not-imported"
    assert a == b and a["videos"] == []
    same_report(typed, text)


@pytest.mark.parametrize("tail", ["\n", ""])
def test_line_chunks_cover_the_file_exactly(tmp_path, monkeypatch, tail):
    """Chunks are views of whole lines: joined, they are the file (BOM and NULs removed)."""
    monkeypatch.setattr(readers, "CHUNK_BYTES", 64)
    lines = ['{"a": 1}', "x" * 300, '{"b": "\u00e9\u0000"}', "", "last"]
    path = tmp_path / "f.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + "\n".join(lines).encode() + tail.encode())
    staging = readers.Staging()
    chunks = list(readers._line_chunks(path, staging))
    assert (
        b"".join(bytes(c) for _, c, _ in chunks)
        == ("\n".join(lines) + "\n").replace("\u0000", "").encode()
    )
    assert [first for first, _, _ in chunks][0] == 1
    for (first, data, n), nxt in zip(chunks, [*chunks[1:], (len(lines) + 1, b"", 0)], strict=True):
        assert bytes(data).count(b"\n") == n and nxt[0] == first + n
    assert staging.nul_bytes == 1
