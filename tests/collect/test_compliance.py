"""The collector: exact results, resume, quota stops, faults, splits, journal safety, compliance."""

from __future__ import annotations

from datetime import date, timedelta

from helpers import app_with, collector, run_videos, stored_ids

from tiktok_research.api import ResearchClient, RetryPolicy
from tiktok_research.collect import (
    comment_tasks,
    refresh,
    status,
)
from tiktok_research.store import Store


def test_refresh_deletes_what_is_gone_and_audits_it(db):
    app = app_with(videos=6000, deletion_rate=0.2)
    emu = app.state.emulator
    with Store(db) as store:
        col = collector(app, store)
        run_videos(col, until=date(2024, 1, 30))
        top = [
            r[0]
            for r in store.con.execute(
                "SELECT id FROM videos ORDER BY comment_count DESC LIMIT 2"
            ).fetchall()
        ]
        col.run(col.start("collect comments", {"video_ids": top}, comment_tasks(top)))
        before = set(stored_ids(store))
        emu.offset += 31 * 86400
        client = ResearchClient.for_app(app, retry=RetryPolicy(sleep=lambda s: None))
        out = refresh(store, client, older_than=timedelta(0), poll_every=0)
        after = set(stored_ids(store))
        now = emu.now()
        gone = {i for i in before if emu.deleted_at[emu.row_of(i)] <= now}
        assert gone and before - after == gone
        assert out.deleted["video"] == len(gone) and out.method["video"] == "batch compliance"
        audit = store.con.execute(
            "SELECT record_id, reason FROM deletions WHERE record_type = 'video'"
        ).fetchall()
        assert {a[0] for a in audit} == gone
        assert (
            store.con.execute(
                "SELECT count(*) FROM video_snapshots WHERE video_id IN "
                "(SELECT record_id FROM deletions)"
            ).fetchall()[0][0]
            == 0
        )
        assert (
            store.con.execute("SELECT count(*) FROM videos WHERE checked_at IS NULL").fetchall()[0][
                0
            ]
            == 0
        )
        compliance = ("validation_task/create/", "validation_task_status/get/")
        compliance += ("validation_task/download/",)
        served = sum(sum(emu.stats()["requests"][ep].values()) for ep in compliance)
        logged = store.con.execute(
            "SELECT count(*) FROM api_requests WHERE run_id = ?", [out.run_id]
        ).fetchall()[0][0]
        assert logged == served > 0  # the refresh's requests are in the quota ledger
        st = status(store)
        assert st.last_refresh and not st.warnings
        store.con.execute("UPDATE videos SET checked_at = now() - INTERVAL 20 DAY")
        assert "refresh" in status(store).warnings[0]


def test_refresh_falls_back_to_id_queries(db, monkeypatch):
    monkeypatch.setattr("tiktok_research.api_spec.COMPLIANCE_MAX_IDS", 100)  # several batches
    app = app_with(videos=4000, deletion_rate=0.3)
    emu = app.state.emulator
    with Store(db) as store:
        run_videos(collector(app, store), until=date(2024, 1, 30))
        emu.offset += 31 * 86400
        from tiktok_research.emulator.app import Fail

        def no_tasks(request):
            raise Fail("scope_not_authorized", "batch compliance is not in your scopes")

        emu.create_task = no_tasks
        client = ResearchClient.for_app(app, retry=RetryPolicy(sleep=lambda s: None))
        before = set(stored_ids(store))
        out = refresh(store, client, older_than=timedelta(0))
        assert out.method["video"] == "video_id queries" and out.checked["video"] > 100
        assert emu.stats()["requests"]["validation_task/create/"] == {"401": 1}  # asked once
        gone = {i for i in before if emu.deleted_at[emu.row_of(i)] <= emu.now()}
        assert before - set(stored_ids(store)) == gone and gone
