"""Runs, their tasks and checkpoints, and the request ledger: the store side of collection."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa

from .tables import BOOKKEEPING


class RunsMixin:
    """Collection bookkeeping on :class:`~tiktok_research.store.Store`."""

    con: duckdb.DuckDBPyConnection

    # -- runs and their tasks --------------------------------------------------------------
    def unfinished_run(self, command: str, params: dict[str, Any]) -> int | None:
        """The newest unfinished collection run of exactly this command and these parameters."""
        rows = self.con.execute(
            "SELECT run_id FROM runs WHERE kind = 'collect' AND command = ? AND params = ? "
            "AND status <> 'done' ORDER BY run_id DESC LIMIT 1",
            [command, json.dumps(params, default=str)],
        ).fetchall()
        return int(rows[0][0]) if rows else None

    def latest_unfinished(self) -> int | None:
        """The newest collection run that did not finish."""
        rows = self.con.execute(
            "SELECT run_id FROM runs WHERE kind = 'collect' AND status <> 'done' "
            "ORDER BY run_id DESC LIMIT 1"
        ).fetchall()
        return int(rows[0][0]) if rows else None

    def set_run_status(self, run_id: int, status: str) -> None:
        self.con.execute("UPDATE runs SET status = ? WHERE run_id = ?", [status, run_id])

    def save_tasks(
        self, run_id: int, tasks: list[tuple[str, dict[str, Any]]], at: datetime
    ) -> None:
        """Add (key, task description) checkpoints to a run, not started yet."""
        self.con.executemany(
            "INSERT INTO checkpoints (run_id, task_key, task, pages, records, done, updated_at) "
            "VALUES (?, ?, ?, 0, 0, false, ?)",
            [[run_id, key, json.dumps(spec), at] for key, spec in tasks],
        )

    def tasks(self, run_id: int) -> list[tuple[str, dict[str, Any], bool]]:
        """A run's tasks in the order they were planned: (key, description, done)."""
        return [
            (key, json.loads(raw), bool(done))
            for key, raw, done in self.con.execute(
                "SELECT task_key, task, done FROM checkpoints WHERE run_id = ? ORDER BY rowid",
                [run_id],
            ).fetchall()
        ]

    def mark_task_done(self, run_id: int, key: str, why: dict[str, Any]) -> None:
        """Close a task without finishing it, saying why in its checkpoint."""
        self.con.execute(
            "UPDATE checkpoints SET done = true, task = json_merge_patch(task, ?) "
            "WHERE run_id = ? AND task_key = ?",
            [json.dumps(why), run_id, key],
        )

    def task_progress(self, run_id: int) -> dict[str, dict[str, Any]]:
        """Per task of a run: the last page's cursor, search id and has_more, pages, records."""
        cur = self.con.execute(
            """
            SELECT task_key, arg_max(cursor, request_id), arg_max(search_id, request_id),
                   arg_max(has_more, request_id), count(*), sum(records)
            FROM api_requests WHERE run_id = ? AND status = 200 GROUP BY task_key""",
            [run_id],
        )
        return {
            k: {"cursor": c, "search_id": s, "has_more": m, "pages": p, "records": int(r or 0)}
            for k, c, s, m, p, r in cur.fetchall()
        }

    # -- what the collected data names next ---------------------------------------------
    def comments_with_replies(self, video_ids: list[int]) -> list[int]:
        """Top-level comments of these videos that have replies."""
        rows = self.con.execute(
            "SELECT id FROM comments WHERE video_id IN (SELECT unnest(?)) AND reply_count > 0 "
            "AND parent_comment_id = video_id ORDER BY video_id, id",
            [video_ids],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def most_commented(self, min_comments: int = 1, limit: int | None = None) -> list[int]:
        """Stored videos with at least ``min_comments`` comments, most-commented first."""
        rows = self.con.execute(
            "SELECT id FROM videos WHERE coalesce(comment_count, 0) >= ? "
            "ORDER BY comment_count DESC, id LIMIT ?",
            [min_comments, limit if limit is not None else 2**62],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def top_creators(self, n: int) -> list[str]:
        """The ``n`` usernames with the most stored videos."""
        rows = self.con.execute(
            "SELECT username FROM videos WHERE username IS NOT NULL GROUP BY username "
            "ORDER BY count(*) DESC, username LIMIT ?",
            [n],
        ).fetchall()
        return [r[0] for r in rows]

    def run_sample(self, table: str, run_id: int, n: int = 10) -> list[dict[str, Any]]:
        """Up to ``n`` records of ``table`` that run ``run_id`` stored or updated last."""
        if table not in ("videos", "comments", "users"):
            raise ValueError(f"no records table {table!r}")
        cur = self.con.execute(
            f"SELECT * EXCLUDE ({', '.join(BOOKKEEPING)}) FROM {table} "
            "WHERE last_run_id = ? ORDER BY last_seen_at DESC LIMIT ?",
            [run_id, n],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]

    # -- the request ledger ---------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        rows = self.con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchall()
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, value: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [key, value])

    def next_request_id(self) -> int:
        return int(
            self.con.execute(
                "SELECT coalesce(max(request_id), 0) + 1 FROM api_requests"
            ).fetchall()[0][0]
        )

    def add_requests(self, first: int, requests: pa.Table) -> None:
        """Append requests (columns as in the journal, ``_seq`` from 0) as ``first + _seq``."""
        self.con.register("_journal", requests)
        try:
            self.con.execute(
                "INSERT INTO api_requests SELECT ? + _seq, run_id, task_key, endpoint, request, "
                "fields, CAST(requested_at AS TIMESTAMPTZ), "
                "CAST(CAST(requested_at AS TIMESTAMPTZ) AS DATE), bucket, status, code, log_id, "
                "counted, coalesce(records, 0), cursor, search_id, has_more FROM _journal",
                [first],
            )
        finally:
            self.con.unregister("_journal")

    def update_checkpoints(self, since_request: int) -> None:
        """Bring the checkpoints of every run with requests from ``since_request`` on up to date."""
        self.con.execute(
            """
            UPDATE checkpoints c SET cursor = r.cursor, search_id = r.search_id, pages = r.pages,
                   records = r.records, done = c.done OR NOT r.has_more, updated_at = r.at
            FROM (SELECT run_id, task_key, arg_max(cursor, request_id) AS cursor,
                         arg_max(search_id, request_id) AS search_id,
                         arg_max(has_more, request_id) AS has_more, count(*) AS pages,
                         sum(records) AS records, max(requested_at) AS at
                  FROM api_requests WHERE status = 200 AND run_id IN
                       (SELECT DISTINCT run_id FROM api_requests WHERE request_id >= ?)
                  GROUP BY run_id, task_key) r
            WHERE c.run_id = r.run_id AND c.task_key = r.task_key""",
            [since_request],
        )
