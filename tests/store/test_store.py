from datetime import UTC, datetime

import pyarrow as pa
import pytest

from tiktok_research.errors import StoreError
from tiktok_research.store import Store

BIG = 7_234_567_890_123_456_789


def _t(day: int) -> datetime:
    return datetime(2024, 3, day, tzinfo=UTC)


def _merge(store: Store, rows: dict, run: int) -> object:
    store.con.register("src", pa.table(rows))
    try:
        with store.transaction():
            return store.merge("videos", "src", run)
    finally:
        store.con.unregister("src")


def test_upsert_updates_latest_values_and_keeps_every_snapshot(store):
    run1 = store.start_run("import", "test", {})
    res = _merge(
        store,
        {
            "id": pa.array([BIG, BIG + 1], pa.int64()),
            "view_count": [10, 20],
            "video_description": ["first", None],
            "_observed_at": [_t(1), _t(1)],
        },
        run1,
    )
    assert (res.inserted, res.updated, res.snapshots) == (2, 0, 2)
    run2 = store.start_run("import", "test", {})
    res = _merge(
        store,
        {
            "id": pa.array([BIG], pa.int64()),
            "view_count": [15],
            "video_description": [None],
            "_observed_at": [_t(5)],
        },
        run2,
    )
    assert (res.inserted, res.updated, res.snapshots) == (0, 1, 1)
    row = store.con.execute(
        "SELECT view_count, video_description, first_run_id, last_run_id, first_seen_at, "
        "last_seen_at FROM videos WHERE id = ?",
        [BIG],
    ).fetchone()
    # newer counts win; a value the newer observation lacks is kept
    assert row == (15, "first", run1, run2, _t(1), _t(5))
    assert store.con.execute("SELECT count(*) FROM videos").fetchone()[0] == 2
    snaps = store.con.execute(
        "SELECT observed_at, view_count, run_id FROM video_snapshots WHERE video_id = ? "
        "ORDER BY observed_at",
        [BIG],
    ).fetchall()
    assert snaps == [(_t(1), 10, run1), (_t(5), 15, run2)]


def test_an_older_observation_does_not_overwrite_newer_values(store):
    run = store.start_run("import", "test", {})
    _merge(
        store,
        {
            "id": pa.array([BIG], pa.int64()),
            "view_count": [500],
            "username": [None],
            "_observed_at": [_t(10)],
        },
        run,
    )
    _merge(
        store,
        {
            "id": pa.array([BIG], pa.int64()),
            "view_count": [5],
            "username": ["old"],
            "_observed_at": [_t(2)],
        },
        run,
    )
    row = store.con.execute(
        "SELECT view_count, username, first_seen_at, last_seen_at FROM videos"
    ).fetchone()
    assert row == (500, "old", _t(2), _t(10))
    assert store.con.execute("SELECT count(*) FROM video_snapshots").fetchone()[0] == 2


def test_same_record_twice_in_one_batch_keeps_the_latest(store):
    run = store.start_run("import", "test", {})
    res = _merge(
        store,
        {
            "id": pa.array([BIG, BIG], pa.int64()),
            "view_count": [1, 2],
            "_observed_at": [_t(1), _t(1)],
            "_ord": [1, 2],
        },
        run,
    )
    assert (res.inserted, res.updated) == (1, 0)
    assert store.con.execute("SELECT view_count FROM videos").fetchone()[0] == 2


def test_a_failed_batch_leaves_nothing(store):
    run = store.start_run("import", "test", {})
    store.con.register(
        "src", pa.table({"id": pa.array([BIG], pa.int64()), "_observed_at": [_t(1)]})
    )
    with pytest.raises(RuntimeError), store.transaction():
        store.merge("videos", "src", run)
        raise RuntimeError("crash in the middle of a batch")
    assert store.con.execute("SELECT count(*) FROM videos").fetchone()[0] == 0
    assert store.con.execute("SELECT count(*) FROM video_snapshots").fetchone()[0] == 0


def test_merge_needs_keys_and_observation_time(store):
    store.con.register("src", pa.table({"view_count": [1], "_observed_at": [_t(1)]}))
    with pytest.raises(StoreError, match="key"):
        store.merge("videos", "src", 1)
    store.con.register("src2", pa.table({"id": pa.array([1], pa.int64())}))
    with pytest.raises(StoreError, match="_observed_at"):
        store.merge("videos", "src2", 1)


def test_runs_record_provenance(store):
    run = store.start_run("collect", "collect videos", {"query": {"and": []}, "window": "x"})
    store.finish_run(run, "done", {"videos": 3})
    rec = store.run(run)
    assert rec["status"] == "done" and rec["params"]["window"] == "x"
    assert rec["stats"] == {"videos": 3} and rec["finished_at"] >= rec["started_at"]


def test_reopening_keeps_data_and_schema(db):
    with Store(db) as s:
        run = s.start_run("import", "t", {})
        s.con.register(
            "src", pa.table({"id": pa.array([BIG], pa.int64()), "_observed_at": [_t(1)]})
        )
        with s.transaction():
            s.merge("videos", "src", run)
    with Store(db, read_only=True) as s:
        assert s.con.execute("SELECT id FROM videos").fetchone()[0] == BIG


def test_read_only_open_of_a_missing_database_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no database"):
        Store(tmp_path / "missing.duckdb", read_only=True)
