"""The collector: exact results, resume, quota stops, faults, splits, journal safety, compliance."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest
from helpers import QUERY, SINCE, UNTIL, app_with, collector, reference_ids, run_videos, stored_ids
from servers import ROOT, emulator_server

from tiktok_research.collect import (
    comment_tasks,
    user_tasks,
    video_tasks,
)
from tiktok_research.collect.journal import Journal, journal_path, merge_pages
from tiktok_research.store import Store


def test_collects_exactly_the_matches_and_keeps_a_true_ledger(db):
    app = app_with(videos=6000)
    with Store(db) as store:
        s = run_videos(collector(app, store))
        assert s.status == "done" and s.tasks_done == s.tasks_total == 4
        assert stored_ids(store) == sorted(reference_ids(app, QUERY, SINCE, UNTIL), reverse=True)
        used, records = store.quota_used(datetime.now(UTC).date())
        emu = app.state.emulator.stats()
        day = next(iter(emu["quota"]))
        assert (used, records) == (
            emu["quota"][day]["research"]["requests"],
            emu["quota"][day]["research"]["records"],
        )
        # provenance: the run knows its query, windows and API base; every record its run
        run = store.run(s.run_id)
        assert run["params"]["query"] == QUERY.to_api() and run["params"]["api_base"]
        assert (
            store.con.execute(
                "SELECT count(DISTINCT task_key) FROM checkpoints WHERE run_id = ?", [s.run_id]
            ).fetchall()[0][0]
            == 4
        )
        assert (
            store.con.execute(
                "SELECT count(*) FROM videos WHERE first_run_id <> ?", [s.run_id]
            ).fetchall()[0][0]
            == 0
        )
        assert not journal_path(db).exists() or journal_path(db).stat().st_size < 100


def test_background_merges_store_what_merging_in_line_stores(tmp_path, monkeypatch):
    """Pages merged on a second connection while the next are fetched: same rows, same ledger."""
    import threading

    import tiktok_research.collect.runner as runner

    threads = []
    real = runner.merge_pages

    def spy(store, journal=None, **kw):
        threads.append((threading.current_thread().name, kw.get("background", False)))
        return real(store, journal, **kw)

    monkeypatch.setattr(runner, "merge_pages", spy)
    out = {}
    for background in (True, False):
        app = app_with(videos=6000, seed=7, fault_rate=0.1, slow_rate=1.0, slow_seconds=0.03)
        with Store(tmp_path / f"bg-{background}.duckdb") as store:
            s = run_videos(collector(app, store, merge_every=3, background_merge=background))
            out[background] = (
                (s.status, s.pages, s.records, s.inserted, s.updated),
                store.con.execute(
                    "SELECT * EXCLUDE (first_seen_at, last_seen_at, first_run_id, last_run_id, "
                    "checked_at) FROM videos ORDER BY id"
                ).fetchall(),
                store.con.execute(
                    "SELECT task_key, status, code, records, cursor, has_more FROM api_requests "
                    "ORDER BY request_id"
                ).fetchall(),
                store.con.execute(
                    "SELECT task_key, cursor, pages, records FROM checkpoints ORDER BY task_key"
                ).fetchall(),
            )
    assert out[True] == out[False]
    assert out[True][0][3] == len(out[True][1]) > 1000
    in_thread = [name for name, bg in threads if bg]
    assert len(in_thread) > 3 and all(name.startswith("tiktok-merge") for name in in_thread)


def test_a_free_background_merge_takes_the_waiting_pages(db, monkeypatch):
    """A merge thread with nothing to do does not wait for ``merge_every`` pages: once it is
    free, MERGE_SOME waiting pages are merged while the task goes on."""
    import tiktok_research.collect.runner as runner

    merged = []
    real = runner.merge_pages

    def spy(store, journal=None, **kw):
        out = real(store, journal, **kw)
        merged.append((kw.get("background", False), out.pages))
        return out

    monkeypatch.setattr(runner, "merge_pages", spy)
    # fetching (20 ms a page) is slower than merging: the thread is free when pages wait
    app = app_with(videos=40000, seed=3, slow_rate=1.0, slow_seconds=0.02)
    with Store(db) as store:
        s = run_videos(collector(app, store, merge_every=10**6))
        assert s.status == "done" and s.tasks_total == 4 and s.pages > 120
        in_thread = [pages for bg, pages in merged if bg and pages]
        # merging only at each task's end would make 4 merges
        assert len(in_thread) > 5 and min(in_thread) >= runner.MERGE_SOME
        assert sum(pages for _, pages in merged) == s.pages
        assert stored_ids(store) == sorted(reference_ids(app, QUERY, SINCE, UNTIL), reverse=True)


def test_a_run_writes_its_tables_out_once_at_the_end_and_restores_the_settings(db):
    """During a run DuckDB holds more committed merges before writing them out; when the run
    ends the tables are written and DuckDB's settings are as they were."""
    app = app_with(videos=3000, seed=2)
    with Store(db) as store:
        before = store.con.execute(
            "SELECT current_setting('checkpoint_threshold'), current_setting('threads')"
        ).fetchone()
        seen = []
        real = store.checkpoint
        store.checkpoint = lambda: (seen.append("checkpoint"), real())[1]
        s = run_videos(collector(app, store, merge_every=5))
        assert s.status == "done" and s.inserted > 500 and seen == ["checkpoint"]
        after = store.con.execute(
            "SELECT current_setting('checkpoint_threshold'), current_setting('threads')"
        ).fetchone()
        assert after == before
        wal = db.with_name(db.name + ".wal")
        assert not wal.exists() or wal.stat().st_size == 0  # all of it is in the database file


def test_faults_do_not_change_the_result(db, tmp_path):
    clean_app = app_with(videos=20000, seed=4)
    with Store(tmp_path / "clean.duckdb") as store:
        run_videos(collector(clean_app, store))
        clean = stored_ids(store)
    faulty = app_with(videos=20000, seed=4, fault_rate=0.3)
    with Store(db) as store:
        s = run_videos(collector(faulty, store, attempts=30))
        assert s.status == "done" and stored_ids(store) == clean
    faults = faulty.state.emulator.stats()["faults"]
    assert set(faults) == {"internal_error", "gateway_timeout", "dropped", "search_id_expired"}


def test_a_search_id_that_keeps_failing_splits_the_window(db):
    mix = {"internal_error": 0, "gateway_timeout": 0, "dropped": 0, "search_id_expired": 1}
    app = app_with(videos=6000, fault_rate=0.3, fault_mix=mix)
    with Store(db) as store:
        s = run_videos(
            collector(app, store, sid=1), since=date(2024, 1, 1), until=date(2024, 1, 30)
        )
        assert s.status == "done"
        keys = [r[0] for r in store.con.execute("SELECT task_key FROM checkpoints").fetchall()]
        assert any(">" in k for k in keys)  # split windows were added
        assert stored_ids(store) == sorted(
            reference_ids(app, QUERY, date(2024, 1, 1), date(2024, 1, 30)), reverse=True
        )


def test_quota_stops_cleanly_and_the_same_command_resumes(db):
    app = app_with(videos=6000, quota_requests=10)
    emu = app.state.emulator
    with Store(db) as store:
        s = run_videos(collector(app, store))
        assert s.status == "stopped" and "resets at" in s.message and s.resets_at
        saved = len(stored_ids(store))
        assert saved == s.records > 0
        run = store.run(s.run_id)
        assert run["status"] == "stopped"
        days = 1
        while True:
            emu.offset += 86400  # a new UTC day at the API
            s2 = run_videos(collector(app, store))
            assert s2.run_id == s.run_id
            if s2.status == "done":
                break
            days += 1
            assert days < 10
        assert days >= 2
        ids = stored_ids(store)
        assert ids == sorted(reference_ids(app, QUERY, SINCE, UNTIL), reverse=True)
        served = sum(emu.stats()["requests"]["video/query/"].get(k, 0) for k in ("200",))
        pages = store.con.execute(
            "SELECT count(*) FROM api_requests WHERE status = 200"
        ).fetchall()[0][0]
        assert served == pages  # nothing fetched twice


def test_the_labs_daily_quota_is_never_overspent_even_through_retries(db):
    """``daily_quota`` bounds what the API counts today, failed attempts included."""
    app = app_with(videos=6000, fault_rate=0.4)
    emu = app.state.emulator
    with Store(db) as store:
        for quota in (7, 15):  # a second run on the same database shares the ledger
            s = run_videos(collector(app, store, daily_quota=quota))
            assert s.status == "stopped" and s.quota_left == 0 and "resets at" in s.message
            counted = store.quota_used(datetime.now(UTC).date())[0]
            assert counted == quota
        (day,) = emu.stats()["quota"].values()
        assert day["research"]["requests"] == 15  # the API counted nothing beyond the lab's quota
        assert emu.stats()["requests"]["video/query/"].get("500")  # retries were spent too
        assert len(stored_ids(store)) == s.records > 0


def test_wait_sleeps_until_the_reset(db):
    app = app_with(videos=4000, quota_requests=6)
    emu = app.state.emulator
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        emu.offset += 86400

    with Store(db) as store:
        s = run_videos(collector(app, store, wait=True, sleep=sleep))
        assert s.status == "done" and slept
        assert stored_ids(store) == sorted(reference_ids(app, QUERY, SINCE, UNTIL), reverse=True)


def test_max_videos_and_dry_run_bound(db):
    from tiktok_research.collect import max_requests

    app = app_with(videos=6000)
    with Store(db) as store:
        s = run_videos(collector(app, store), max_videos=250)
        assert 250 <= s.records < 350
    tasks = video_tasks(QUERY, SINCE, UNTIL)
    assert max_requests(tasks, 250) == len(tasks) * 3
    assert max_requests(tasks, None) is None
    assert max_requests(comment_tasks([1, 2]), None) == 20


def test_comments_and_users(db):
    app = app_with(videos=6000)
    with Store(db) as store:
        col = collector(app, store)
        run_videos(col)
        top = first_column(store, "SELECT id FROM videos ORDER BY comment_count DESC LIMIT 3")
        s = col.run(
            col.start("collect comments", {"video_ids": top, "replies": True}, comment_tasks(top))
        )
        assert s.status == "done"
        n, parents = store.con.execute(
            "SELECT count(*), count(DISTINCT video_id) FROM comments"
        ).fetchall()[0]
        assert parents == 3 and n == s.records
        top_level, expected, replies = store.con.execute(
            "SELECT count(*) FILTER (parent_comment_id = video_id), "
            "sum(reply_count) FILTER (parent_comment_id = video_id), "
            "count(*) FILTER (parent_comment_id <> video_id) FROM comments"
        ).fetchall()[0]
        assert replies == expected > 0 and top_level + replies == n
        reply_tasks = store.con.execute(
            "SELECT count(*) FROM checkpoints WHERE task_key LIKE 'replies:%' AND done"
        ).fetchall()[0][0]
        assert (
            reply_tasks
            == store.con.execute(
                "SELECT count(*) FROM comments WHERE parent_comment_id = video_id AND reply_count > 0"
            ).fetchall()[0][0]
        )
        names = first_column(
            store, "SELECT username FROM videos GROUP BY 1 ORDER BY count(*) DESC LIMIT 2"
        )
        s = col.run(
            col.start("collect users", {"u": names}, user_tasks(names + ["nobody_x"], LISTS))
        )
        assert s.status == "done"
        assert (
            store.con.execute(
                "SELECT count(*) FROM users WHERE username IN (?, ?) "
                "AND follower_count IS NOT NULL",
                names,
            ).fetchall()[0][0]
            == 2
        )
        edges = store.con.execute(
            "SELECT count(*) FROM follow_edges WHERE following = ? OR follower = ?",
            [names[0], names[0]],
        ).fetchall()[0][0]
        assert edges > 0
        kinds = {
            r[0] for r in store.con.execute("SELECT DISTINCT list_name FROM user_videos").fetchall()
        }
        assert kinds <= {"liked", "pinned", "reposted"} and "pinned" in kinds
        skipped = store.con.execute(
            "SELECT task->>'skipped' FROM checkpoints WHERE task_key = 'user_info:nobody_x'"
        ).fetchall()[0][0]
        assert "cannot find the user" in skipped


#: every user list the Research API has
LISTS = ["followers", "following", "liked", "pinned", "reposted"]


def first_column(store, sql):
    return [r[0] for r in store.con.execute(sql).fetchall()]


def spy_on(monkeypatch, module, name, note):
    """Record ``note(args)`` for every call of ``module.name``; returns the list of notes."""
    seen = []
    real = getattr(module, name)

    def spy(*a, **kw):
        seen.append(note(a))
        return real(*a, **kw)

    monkeypatch.setattr(module, name, spy)
    return seen


def test_typed_pages_store_what_text_pages_store(tmp_path, monkeypatch):
    """Answers parsed typed (the default) and as text give the same rows, for every endpoint."""
    import tiktok_research.ingest.pages as pages

    typed_groups = spy_on(monkeypatch, pages, "_stage_group_typed", lambda a: a[3].name)
    text_groups = spy_on(monkeypatch, pages, "_stage_group", lambda a: a[2].name)
    out = {}
    for typed in (True, False):
        if not typed:
            assert text_groups == []  # no group fell back to text
            monkeypatch.setattr(pages, "_parse_answers", lambda f: (None, []))
        app = app_with(videos=3000, seed=11)
        with Store(tmp_path / f"p-{typed}.duckdb") as store:
            col = collector(app, store, background_merge=False)
            run_videos(col)
            top = first_column(
                store, "SELECT id FROM videos ORDER BY comment_count DESC, id LIMIT 2"
            )
            col.run(col.start("c", {"v": top, "replies": True}, comment_tasks(top)))
            names = first_column(
                store, "SELECT username FROM videos GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 2"
            )
            col.run(col.start("u", {"u": names}, user_tasks(names, LISTS)))
            when = "first_seen_at, last_seen_at, checked_at"
            out[typed] = {
                t: store.con.execute(f"SELECT * EXCLUDE ({when}) FROM {t} ORDER BY ALL").fetchall()
                for t in ("videos", "comments", "users", "follow_edges", "user_videos")
            }
            out[typed]["rejects"] = store.con.execute(
                "SELECT * FROM import_rejects ORDER BY ALL"
            ).fetchall()
    assert out[True] == out[False]
    assert all(out[True][t] for t in ("videos", "comments", "users", "follow_edges"))
    assert {"videos", "comments", "user_info", "followers", "liked"} <= set(typed_groups)


def test_a_torn_journal_line_is_dropped_and_nothing_else(db):
    app = app_with(videos=4000)
    with Store(db) as store:
        col = collector(app, store, merge_every=10**6)
        col.merge_every = 10**6
        real = col._merge
        col._merge = lambda s=None: None  # leave every page in the journal, as a crash would
        run_videos(col, until=date(2024, 1, 30))
        col._merge = real
        col.journal.close()
    path = journal_path(db)
    with path.open("ab") as f:
        f.write(b'{"run_id": 1, "task_key": "videos:2024-01-01:2024-01-30", "endpo')  # torn
    with Store(db) as store:
        merged = merge_pages(store, Journal(store))
        assert merged.pages > 0
        assert stored_ids(store) == sorted(
            reference_ids(app, QUERY, date(2024, 1, 1), date(2024, 1, 30)), reverse=True
        )


def test_a_journal_of_another_database_is_set_aside(tmp_path):
    db = tmp_path / "x.duckdb"
    with Store(db) as store:
        j = Journal(store)
        j.repair()
    old = journal_path(db).read_bytes()
    for p in (db, db.with_suffix(".duckdb.wal")):
        p.unlink(missing_ok=True)
    with Store(db) as store:  # a new database under the same name
        Journal(store).repair()
        assert journal_path(db).read_bytes() != old
    assert list(tmp_path.glob("x.duckdb.journal.orphaned-*"))


def _collect_cmd(db: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "tiktok_research.cli",
        "collect",
        "videos",
        "--db",
        str(db),
        "--region",
        "US",
        "--region",
        "DE",
        "--since",
        "2024-01-01",
        "--until",
        "2024-03-31",
        "--retry-base",
        "0.01",
        "--json",
    ]


def test_kill_9_and_resume_lose_nothing_and_respend_at_most_one_request_per_kill(tmp_path):
    db = tmp_path / "kill.duckdb"
    # ~40 pages at 0.15 s each: every kill lands mid-run
    args = ("--videos", "12000", "--seed", "6", "--slow-rate", "1", "--slow-seconds", "0.15")
    with emulator_server(*args) as (base, _):
        env = {
            **os.environ,
            "TIKTOK_API_BASE": base,
            "TIKTOK_CLIENT_KEY": "emulator-client-key",
            "TIKTOK_CLIENT_SECRET": "emulator-client-secret",
            "PYTHONPATH": str(ROOT),
            "TIKTOK_RESEARCH_TOKEN_CACHE": str(tmp_path / "tokens.json"),
        }
        rng = random.Random(11)
        kills = 0
        for _ in range(3):
            proc = subprocess.Popen(
                _collect_cmd(db),
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            time.sleep(rng.uniform(1.0, 2.0))
            assert proc.poll() is None, "the collection ended before it could be killed"
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
            proc.wait()
        done = subprocess.run(
            _collect_cmd(db), env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
        stats = httpx.get(base + "/_emulator/stats").json()
    with Store(db, read_only=True) as store:
        ids = stored_ids(store)
        pages = store.con.execute(
            "SELECT count(*) FROM api_requests WHERE status = 200"
        ).fetchall()[0][0]
        snaps, distinct = store.con.execute(
            "SELECT count(*), count(DISTINCT (video_id, observed_at)) FROM video_snapshots"
        ).fetchall()[0]
        runs = store.con.execute("SELECT count(*) FROM runs").fetchall()[0][0]
    reference = app_with(videos=12000, seed=6)
    assert ids == sorted(reference_ids(reference, QUERY, SINCE, UNTIL), reverse=True)
    assert len(ids) == len(set(ids)) and snaps == distinct
    assert runs == 1  # every rerun continued the same run
    served = stats["requests"]["video/query/"]["200"]
    assert pages <= served <= pages + kills


@pytest.mark.parametrize("lists", [["followers"], []])
def test_user_tasks_are_planned(lists):
    tasks = user_tasks(["@a", "a", "b"], lists)
    assert [t.key for t in tasks][:1] == ["user_info:a"]
    assert len(tasks) == 2 * (1 + len(lists))
