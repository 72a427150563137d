"""Where the data came from, as a methods appendix needs it: runs, queries and windows,
requests and records per endpoint, imported files and their rejects, deletions."""

from __future__ import annotations

import json
from typing import Any

import duckdb


class ProvenanceMixin:
    """Provenance queries on :class:`~tiktok_research.store.Store`."""

    con: duckdb.DuckDBPyConnection

    def runs_of(self, kind: str) -> list[dict[str, Any]]:
        """Runs of one kind (collect, import, refresh) with parameters and statistics."""
        cur = self.con.execute(
            "SELECT run_id, command, params, status, started_at, finished_at, stats, message "
            "FROM runs WHERE kind = ? ORDER BY run_id",
            [kind],
        )
        cols = [d[0] for d in cur.description]
        out = []
        for row in cur.fetchall():
            r = dict(zip(cols, row, strict=True))
            for k in ("params", "stats"):
                r[k] = json.loads(r[k]) if isinstance(r[k], str) else (r[k] or {})
            out.append(r)
        return out

    def run_tasks(self, run_id: int) -> list[str]:
        """A run's task keys (a video query's windows among them), in planned order."""
        return [
            r[0]
            for r in self.con.execute(
                "SELECT task_key FROM checkpoints WHERE run_id = ? ORDER BY rowid", [run_id]
            ).fetchall()
        ]

    def requests_by_endpoint(self) -> list[tuple[str, int, int, int]]:
        """(endpoint, requests, failed requests, records) over every run."""
        return [
            (str(e), int(n), int(bad), int(rec))
            for e, n, bad, rec in self.con.execute(
                "SELECT endpoint, count(*), count(*) FILTER (status <> 200), "
                "coalesce(sum(records), 0) FROM api_requests GROUP BY endpoint ORDER BY endpoint"
            ).fetchall()
        ]

    def collection_period(self) -> tuple[Any, Any]:
        """When the first and the last request were made."""
        row = self.con.execute("SELECT min(requested_at), max(requested_at) FROM api_requests")
        first, last = row.fetchall()[0]
        return first, last

    def rejects_by_file(self) -> list[tuple[int, str, int]]:
        """(import run, file, rejected rows)."""
        return [
            (int(r), str(f), int(n))
            for r, f, n in self.con.execute(
                "SELECT run_id, file, count(DISTINCT (line, record)) FROM import_rejects "
                "GROUP BY ALL ORDER BY 1, 2"
            ).fetchall()
        ]

    def deletions_summary(self) -> list[tuple[str, str, int]]:
        """(record type, reason, count) of records deleted at refresh."""
        return [
            (str(t), str(r), int(n))
            for t, r, n in self.con.execute(
                "SELECT record_type, reason, count(*) FROM deletions GROUP BY ALL ORDER BY 1, 2"
            ).fetchall()
        ]
