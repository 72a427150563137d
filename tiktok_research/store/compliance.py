"""The store side of the 15-day refresh duty: what is due, deleting what is gone (audited),
stamping what was checked, and the overview ``status`` shows."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Any

import duckdb

#: a record is due for a check when neither a check nor a collection has seen it since ``?``
DUE = "coalesce(checked_at, last_seen_at) <= ?"
TABLES = {"video": "videos", "comment": "comments"}


class ComplianceMixin:
    """Refresh bookkeeping on :class:`~tiktok_research.store.Store`."""

    con: duckdb.DuckDBPyConnection
    transaction: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]

    def due(self, category: str, cutoff: datetime) -> list[int]:
        """Ids of stored videos or comments not checked (or collected) since ``cutoff``."""
        return [
            int(r[0])
            for r in self.con.execute(
                f"SELECT id FROM {TABLES[category]} WHERE {DUE} ORDER BY id", [cutoff]
            ).fetchall()
        ]

    def overdue(self, cutoff: datetime) -> dict[str, int]:
        """How many videos and comments were last checked before ``cutoff``."""
        return {
            t: int(
                self.con.execute(f"SELECT count(*) FROM {t} WHERE {DUE}", [cutoff]).fetchall()[0][0]
            )
            for t in TABLES.values()
        }

    def creation_days(self, video_ids: list[int]) -> list[tuple[int, date]]:
        """(id, day created) of stored videos."""
        return [
            (int(i), d)
            for i, d in self.con.execute(
                "SELECT id, CAST(create_time AS DATE) FROM videos WHERE id IN (SELECT unnest(?))",
                [video_ids],
            ).fetchall()
        ]

    def delete_gone(
        self, category: str, gone: list[int], run_id: int, reason: str, at: datetime
    ) -> int:
        """Delete records no longer available, with their snapshots and links (a video's
        comments too), and keep an audit row for each (id, when, why; no content)."""
        if not gone:
            return 0
        with self.transaction():
            con = self.con
            con.execute("CREATE OR REPLACE TEMP TABLE _gone AS SELECT unnest(?) AS id", [gone])
            if category == "video":
                con.execute(
                    "INSERT INTO deletions SELECT 'comment', id, ?, ?, ? FROM comments "
                    "WHERE video_id IN (SELECT id FROM _gone)",
                    [at, "its video is no longer available", run_id],
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
                con.execute(
                    "DELETE FROM comment_snapshots WHERE comment_id IN (SELECT id FROM _gone)"
                )
                con.execute("DELETE FROM comments WHERE id IN (SELECT id FROM _gone)")
            con.execute(
                "INSERT INTO deletions SELECT ?, id, ?, ?, ? FROM _gone",
                [category, at, reason, run_id],
            )
            con.execute("DROP TABLE _gone")
        return len(gone)

    def stamp_checked(self, category: str, ids: list[int], at: datetime) -> None:
        if ids:
            with self.transaction():
                self.con.execute(
                    f"UPDATE {TABLES[category]} SET checked_at = ? WHERE id IN (SELECT unnest(?))",
                    [at, ids],
                )

    def runs_overview(self) -> list[dict[str, Any]]:
        """Every run: id, kind, command, status, start, end, message."""
        cols = ("run_id", "kind", "command", "status", "started_at", "finished_at", "message")
        return [
            dict(zip(cols, row, strict=True))
            for row in self.con.execute(
                f"SELECT {', '.join(cols)} FROM runs ORDER BY run_id"
            ).fetchall()
        ]

    def last_refresh(self) -> datetime | None:
        return self.con.execute(
            "SELECT max(finished_at) FROM runs WHERE kind = 'refresh' AND status = 'done'"
        ).fetchall()[0][0]
