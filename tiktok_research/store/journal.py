"""The request journal: every API request of a collection, and the pages not yet merged.

Each request is appended as one line to ``<database>.journal`` the moment its
answer arrives: its metadata (endpoint, body sent, status, quota cost) and the
checkpoint after it (cursor, search id, has_more), then a tab, then the answer
as received. One write per page: a ``kill -9`` at any moment loses at most the
request in flight (a torn last line is cut off when the journal is next
opened), and appending costs a fraction of a millisecond where a database
commit per page would cost several.

``merge_pages`` moves the journal into the database in ONE transaction: the
requests into ``api_requests`` (the quota ledger and the checkpoints' source),
the pages' records into the record tables (the same normalisation, checks and
upserts as file imports; DuckDB parses every answer once, in parallel), and
how far the journal was read. Then the journal file is emptied.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from .. import api_spec
from ..api.client import Attempt
from ..importers import FileReport, Plan, StagedRows
from ..importers.formats import RESEARCH_API, spec_to_duckdb
from . import Store

OFFSET_KEY = "journal_offset"

#: endpoint -> what its records are
GROUPS = {
    "video/query/": "videos",
    "user/liked_videos/": "liked",
    "user/pinned_videos/": "pinned",
    "user/reposted_videos/": "reposted",
    "video/comment/list/": "comments",
    "user/followers/": "followers",
    "user/following/": "following",
    "user/info/": "user_info",
}
#: endpoint -> (group, where the records sit under ``data``; none: ``data`` is the record)
RECORD_LISTS = {ep: (g, api_spec.RECORD_KEYS[ep]) for ep, g in GROUPS.items()}
OBS = {"_observed_at": "_obs"}


def journal_path(db: Path) -> Path:
    return db.with_name(db.name + ".journal")


class Journal:
    """The append-only journal file next to a store."""

    def __init__(self, store: Store, fsync: bool = False):
        self.store = store
        self.path = journal_path(store.path)
        self.fsync = fsync
        self._file: Any = None

    def _header(self) -> bytes:
        return orjson.dumps({"journal_of": self.store.database_id}) + b"\n"

    def repair(self) -> None:
        """Make the file safe to append to.

        A torn last line (a write interrupted by a crash) is cut off; a journal
        left by another database (one deleted and created anew) is set aside.
        """
        if not self.path.exists() or self.path.stat().st_size == 0:
            self.path.write_bytes(self._header())
            return
        data = self.path.read_bytes()
        if not data.startswith(self._header()):
            self.path.rename(self.path.with_name(f"{self.path.name}.orphaned-{os.getpid()}"))
            self.path.write_bytes(self._header())
            return
        if not data.endswith(b"\n"):
            with self.path.open("rb+") as f:
                f.truncate(data.rfind(b"\n") + 1)

    def append(
        self,
        run_id: int | None,
        task_key: str | None,
        a: Attempt,
        *,
        keep_body: bool = False,
        cursor: int | None = None,
        search_id: str | None = None,
        has_more: bool | None = None,
    ) -> None:
        """One line: the attempt, the checkpoint after it and (for a page) its answer."""
        meta = {
            "run_id": run_id,
            "task_key": task_key,
            "endpoint": a.endpoint,
            "request": a.body,
            "fields": a.fields,
            "requested_at": a.requested_at.isoformat(),
            "bucket": a.bucket,
            "status": a.status,
            "code": a.code,
            "log_id": a.log_id,
            "counted": a.counted,
            "records": a.records if a.status == 200 else 0,
            "cursor": cursor,
            "search_id": search_id,
            "has_more": has_more,
        }
        # newlines outside JSON strings are whitespace; inside strings JSON escapes them
        body = a.raw.replace(b"\n", b" ") if keep_body and a.raw else b""
        if self._file is None:
            self.repair()
            self._file = self.path.open("ab")
        self._file.write(orjson.dumps(meta) + b"\t" + body + b"\n")
        self._file.flush()
        if self.fsync:
            os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _offset(self) -> int:
        rows = self.store.con.execute(
            "SELECT value FROM meta WHERE key = ?", [OFFSET_KEY]
        ).fetchall()
        return int(rows[0][0]) if rows else 0

    def pending(self) -> tuple[list[dict[str, Any]], list[bytes], int]:
        """Complete lines not in the database yet: (metadata, answers, end offset)."""
        if not self.path.exists():
            return [], [], 0
        self.repair()
        offset = max(self._offset(), len(self._header()))
        with self.path.open("rb") as f:
            if offset > os.fstat(f.fileno()).st_size:  # emptied before the offset was reset
                offset = 0
            f.seek(offset)
            data = f.read()
        end = data.rfind(b"\n") + 1  # after it: a torn line, or nothing
        metas, bodies = [], []
        for line in data[:end].split(b"\n")[:-1]:
            head, _, body = line.partition(b"\t")
            try:
                metas.append(orjson.loads(head))
            except orjson.JSONDecodeError:
                continue
            bodies.append(body)
        return metas, bodies, offset + end

    def reset(self) -> None:
        """Empty the journal once everything in it is in the database."""
        if self.path.exists() and self._offset() >= self.path.stat().st_size:
            self.close()
            with self.path.open("r+b") as f:
                f.truncate(len(self._header()))
            with self.store.transaction():
                self.store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, '0')", [OFFSET_KEY])


def _plan(group: str) -> Plan:
    videos = {**RESEARCH_API.kinds["videos"], **OBS}
    ok = "_error IS NULL"
    if group == "videos":
        return Plan({"videos": (videos, ok, False)})
    if group in ("liked", "pinned", "reposted"):
        link = {
            "username": "_target",
            "list_name": f"'{group}'",
            "video_id": "coalesce(id, video_id)",
            **OBS,
        }
        return Plan({"videos": (videos, ok, False), "user_videos": (link, ok, True)})
    if group == "comments":
        return Plan({"comments": ({**RESEARCH_API.kinds["comments"], **OBS}, ok, False)})
    if group == "user_info":
        return Plan(
            {"users": ({**RESEARCH_API.kinds["users"], "username": "_target", **OBS}, ok, False)}
        )
    # followers / following: entries are {display_name, username} of the other account
    edge = (
        {"follower": "username", "following": "_target"}
        if group == "followers"
        else {"follower": "_target", "following": "username"}
    )
    return Plan(
        {
            "users": ({"username": "username", "display_name": "display_name", **OBS}, ok, False),
            "follow_edges": ({**edge, **OBS}, ok, True),
        }
    )


def _page_type() -> str:
    """DuckDB type of an answer: every record list the endpoints use, and user-info fields."""
    record = spec_to_duckdb(RESEARCH_API.spec)
    lists = sorted({k for _, keys in RECORD_LISTS.values() for k in keys})
    fields = [f'"{k}" {record}[]' for k in lists]
    fields += [f'"{k}" VARCHAR' for k in RESEARCH_API.kinds["users"] if k != "username"]
    return f"STRUCT(data STRUCT({', '.join(fields)}))"


def _stage_group(store: Store, run: int, endpoint: str) -> None:
    """``_raw``: one row per record of this run's and endpoint's pages in ``_pages``."""
    _, keys = RECORD_LISTS[endpoint]
    where = f"WHERE _endpoint = '{endpoint}' AND _run = {int(run)}"
    if keys:
        lst = "coalesce(" + ", ".join(f"page.data.{k}" for k in keys) + ", [])"
        store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _raw AS
            SELECT _line, _rec, NULL::VARCHAR AS _error, _obs, _target, r.* FROM (
                SELECT _rid AS _line, _obs, _target, unnest(range(1, len({lst}) + 1)) AS _rec,
                       unnest({lst}) AS r
                FROM _pages {where})""")
    else:
        store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _raw AS
            SELECT _line, _rec, NULL::VARCHAR AS _error, _obs, _target, d.* FROM (
                SELECT _rid AS _line, 1 AS _rec, _obs, _target, page.data AS d
                FROM _pages {where})""")


@dataclass
class MergeSummary:
    pages: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0


def merge_pages(store: Store, journal: Journal | None = None) -> MergeSummary:
    """Move the journal into the database: requests, records, checkpoints, in one transaction."""
    journal = journal or Journal(store)
    metas, bodies, end = journal.pending()
    out = MergeSummary()
    if not metas:
        journal.reset()
        return out
    con = store.con
    with store.transaction(), tempfile.TemporaryDirectory(prefix="tiktok-journal-") as tmp:
        first = con.execute("SELECT coalesce(max(request_id), 0) + 1 FROM api_requests").fetchall()[
            0
        ][0]
        cols: dict[str, list[Any]] = {
            k: [m.get(k) for m in metas]
            for k in (
                "run_id",
                "task_key",
                "endpoint",
                "fields",
                "requested_at",
                "bucket",
                "status",
                "code",
                "log_id",
                "counted",
                "records",
                "cursor",
                "search_id",
                "has_more",
            )
        }
        cols["request"] = [json.dumps(m.get("request")) for m in metas]
        table = pa.table(
            {
                "_seq": pa.array(range(len(metas)), pa.int64()),
                **{k: pa.array(v) for k, v in cols.items()},
            }
        )
        con.register("_journal", table)
        try:
            con.execute(
                "INSERT INTO api_requests SELECT ? + _seq, run_id, task_key, endpoint, request, "
                "fields, CAST(requested_at AS TIMESTAMPTZ), "
                "CAST(CAST(requested_at AS TIMESTAMPTZ) AS DATE), bucket, status, code, log_id, "
                "counted, coalesce(records, 0), cursor, search_id, has_more FROM _journal",
                [first],
            )
        finally:
            con.unregister("_journal")
        # the answers, wrapped with what the merge needs, for DuckDB's parallel JSON reader
        pages = Path(tmp) / "pages.ndjson"
        with pages.open("wb") as f:
            for i, (m, body) in enumerate(zip(metas, bodies, strict=True)):
                if m["status"] == 200 and body and m["endpoint"] in RECORD_LISTS:
                    target = (m.get("request") or {}).get("username")
                    f.write(
                        b'{"_rid":%d,"_endpoint":%s,"_obs":%s,"_run":%d,"_target":%s,'
                        b'"page":%s}\n'
                        % (
                            first + i,
                            orjson.dumps(m["endpoint"]),
                            orjson.dumps(m["requested_at"]),
                            m["run_id"] or 0,
                            orjson.dumps(target),
                            body,
                        )
                    )
                    out.pages += 1
        if out.pages:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE _pages AS SELECT * FROM read_json(?, "
                "format = 'newline_delimited', maximum_object_size = 1073741824, columns = "
                f"{{'_rid': 'BIGINT', '_endpoint': 'VARCHAR', '_obs': 'VARCHAR', "
                f"'_run': 'BIGINT', '_target': 'VARCHAR', 'page': '{_page_type()}'}})",
                [str(pages)],
            )
            groups = con.execute(
                "SELECT DISTINCT _run, _endpoint FROM _pages ORDER BY 1, 2"
            ).fetchall()
            for run, endpoint in groups:
                _stage_group(store, run, endpoint)
                group, _ = RECORD_LISTS[endpoint]
                plan = _plan(group)
                report = FileReport(file=f"{endpoint} answers (run {run})", format="research-api")
                job = StagedRows(store, plan, report, run, "research-api")
                job.chunk(write=True, own_transaction=False)
                job.finish()
                primary = next(iter(plan.kinds))
                counts = report.kinds.get(primary)
                out.inserted += counts.inserted if counts else 0
                out.updated += counts.updated if counts else 0
                out.rejected += report.rejected
            con.execute("DROP TABLE _pages")
        con.execute(
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
            [first],
        )
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [OFFSET_KEY, str(end)])
    journal.reset()
    return out


def task_progress(store: Store, run_id: int) -> dict[str, dict[str, Any]]:
    """Per task of a run: the last page's cursor, search id and has_more, pages and records."""
    cur = store.con.execute(
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
