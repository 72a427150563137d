"""The 15-day refresh duty: re-check stored videos and comments, delete what is gone.

TikTok's Research API terms ask researchers to refresh stored data at least
every 15 days and to delete what is no longer available. ``refresh`` sends
the ids of records not checked for ``older_than`` days through the batch
compliance endpoints (10,000 ids per task), falling back to id queries for
videos when those endpoints are unavailable; it deletes the records that are
gone (with their snapshots, list links and, for videos, comments), keeps an
audit row for each (id, when, why; no content) and stamps the rest with the
time of the check.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from . import api_spec
from .api.client import ResearchClient
from .api.query import Q
from .api.windows import windows
from .errors import ApiError
from .store import Store, utcnow

REASON = "no longer available on TikTok (compliance check)"


@dataclass
class RefreshSummary:
    run_id: int
    checked: dict[str, int] = field(default_factory=lambda: {"video": 0, "comment": 0})
    deleted: dict[str, int] = field(default_factory=lambda: {"video": 0, "comment": 0})
    method: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


#: a record is due for a check when neither a check nor a collection has seen it since ``?``
DUE = "coalesce(checked_at, last_seen_at) <= ?"


def due(store: Store, category: str, older_than: timedelta) -> list[int]:
    """Ids of stored videos or comments not checked (or collected) within ``older_than``."""
    table = "videos" if category == "video" else "comments"
    cutoff = utcnow() - older_than
    return [
        int(r[0])
        for r in store.con.execute(
            f"SELECT id FROM {table} WHERE {DUE} ORDER BY id", [cutoff]
        ).fetchall()
    ]


def _still_there_by_query(client: ResearchClient, store: Store, ids: list[int]) -> set[int]:
    """Fallback for videos: look the ids up with video_id queries over their creation windows."""
    rows = store.con.execute(
        "SELECT id, CAST(create_time AS DATE) FROM videos WHERE id IN (SELECT unnest(?))", [ids]
    ).fetchall()
    by_window: dict[tuple[Any, Any], list[int]] = defaultdict(list)
    for vid, day in rows:
        ((start, end),) = windows(day, day)
        by_window[(start, end)].append(vid)
    found: set[int] = set()
    for (start, end), group in by_window.items():
        for i in range(0, len(group), 100):
            chunk = group[i : i + 100]
            page = client.query_videos(Q.video_id(*chunk), start, end, fields=["id"])
            found |= {int(v["id"]) for v in page.data.get("videos", [])}
    return found


def _delete(store: Store, category: str, gone: list[int], run_id: int) -> int:
    if not gone:
        return 0
    now = utcnow()
    with store.transaction():
        con = store.con
        con.execute("CREATE OR REPLACE TEMP TABLE _gone AS SELECT unnest(?) AS id", [gone])
        if category == "video":
            # comments of a video that is gone are gone too
            con.execute(
                "INSERT INTO deletions SELECT 'comment', id, ?, ?, ? FROM comments "
                "WHERE video_id IN (SELECT id FROM _gone)",
                [now, "its video is no longer available", run_id],
            )
            con.execute(
                "DELETE FROM comment_snapshots WHERE comment_id IN "
                "(SELECT id FROM comments WHERE video_id IN (SELECT id FROM _gone))"
            )
            con.execute("DELETE FROM comments WHERE video_id IN (SELECT id FROM _gone)")
            con.execute("DELETE FROM video_snapshots WHERE video_id IN (SELECT id FROM _gone)")
            con.execute("DELETE FROM user_videos WHERE video_id IN (SELECT id FROM _gone)")
            con.execute("DELETE FROM videos WHERE id IN (SELECT id FROM _gone)")
        else:
            con.execute("DELETE FROM comment_snapshots WHERE comment_id IN (SELECT id FROM _gone)")
            con.execute("DELETE FROM comments WHERE id IN (SELECT id FROM _gone)")
        con.execute(
            "INSERT INTO deletions SELECT ?, id, ?, ?, ? FROM _gone",
            [category, now, REASON, run_id],
        )
        con.execute("DROP TABLE _gone")
    return len(gone)


def _stamp(store: Store, category: str, ok: list[int]) -> None:
    if ok:
        table = "videos" if category == "video" else "comments"
        with store.transaction():
            store.con.execute(
                f"UPDATE {table} SET checked_at = ? WHERE id IN (SELECT unnest(?))", [utcnow(), ok]
            )


def refresh(
    store: Store,
    client: ResearchClient,
    older_than: timedelta = timedelta(days=api_spec.REFRESH_DAYS),
    poll_every: float = 5.0,
) -> RefreshSummary:
    """Re-check what is due and delete what is gone; one run in the store.

    Every request it makes goes into the quota ledger, like a collection's.
    """
    from .store.journal import Journal, merge_pages

    journal = Journal(store)
    merge_pages(store, journal)  # pages still in the journal are data too (and must not linger)
    with store.transaction():
        run_id = store.start_run(
            "refresh", "refresh", {"older_than_days": older_than.days, "api_base": client.base_url}
        )
    out = RefreshSummary(run_id)
    status, failure = "failed", None
    previous, client.on_attempt = client.on_attempt, lambda a: journal.append(run_id, None, a)
    try:
        for category in ("video", "comment"):
            _refresh_category(store, client, category, older_than, poll_every, out)
        status = "done"
    except BaseException as exc:
        failure = str(exc) or type(exc).__name__
        raise
    finally:
        client.on_attempt = previous
        merge_pages(store, journal)
        journal.close()
        with store.transaction():
            store.finish_run(
                run_id,
                status,
                {"checked": out.checked, "deleted": out.deleted, "method": out.method},
                failure or "; ".join(out.notes) or None,
            )
    return out


def _refresh_category(
    store: Store,
    client: ResearchClient,
    category: str,
    older_than: timedelta,
    poll_every: float,
    out: RefreshSummary,
) -> None:
    ids = due(store, category, older_than)
    out.checked[category] = len(ids)
    batch_compliance = True  # until the endpoints refuse: then never asked again this run
    for i in range(0, len(ids), api_spec.COMPLIANCE_MAX_IDS):
        batch = ids[i : i + api_spec.COMPLIANCE_MAX_IDS]
        valid = None
        if batch_compliance:
            try:
                valid = client.validate_ids(batch, category, poll_every=poll_every)
                out.method[category] = "batch compliance"
            except ApiError as exc:
                batch_compliance = False
                if category != "video":
                    out.notes.append(
                        f"comments not checked: batch compliance failed ({exc}); "
                        "comments cannot be looked up by id"
                    )
                    return
                out.method[category] = "video_id queries"
                out.notes.append(
                    f"batch compliance unavailable ({exc.code}); used video_id queries"
                )
        if valid is None:
            valid = _still_there_by_query(client, store, batch)
        gone = [x for x in batch if x not in valid]
        out.deleted[category] += _delete(store, category, gone, run_id=out.run_id)
        _stamp(store, category, [x for x in batch if x in valid])


def status(store: Store, duty_days: int = api_spec.REFRESH_DAYS) -> dict[str, Any]:
    """Runs with their age, record counts, and what is past the refresh duty."""
    now = datetime.now(UTC)
    runs = []
    for run_id, kind, command, state, started, finished, message in store.con.execute(
        "SELECT run_id, kind, command, status, started_at, finished_at, message FROM runs "
        "ORDER BY run_id"
    ).fetchall():
        runs.append(
            {
                "run_id": run_id,
                "kind": kind,
                "command": command,
                "status": state,
                "started_at": started.isoformat(),
                "age_days": round((now - started).total_seconds() / 86400, 1),
                "finished_at": finished.isoformat() if finished else None,
                "message": message,
            }
        )
    cutoff = now - timedelta(days=duty_days)
    overdue = {
        t: store.con.execute(f"SELECT count(*) FROM {t} WHERE {DUE}", [cutoff]).fetchall()[0][0]
        for t in ("videos", "comments")
    }
    used, records = store.quota_used(now.date(), "research")
    warnings = [
        f"{n:,} {t} were last checked more than {duty_days} days ago: run "
        "`tiktok-research refresh` (Research API terms: refresh at least every "
        f"{duty_days} days and delete what is gone)"
        for t, n in overdue.items()
        if n
    ]
    last = store.con.execute(
        "SELECT max(finished_at) FROM runs WHERE kind = 'refresh' AND status = 'done'"
    ).fetchall()[0][0]
    return {
        "db": str(store.path),
        "counts": store.counts(),
        "runs": runs,
        "overdue": overdue,
        "last_refresh": last.isoformat() if last else None,
        "quota_today": {
            "requests": used,
            "records": records,
            "requests_left": max(0, api_spec.DAILY_REQUESTS - used),
        },
        "warnings": warnings,
    }
