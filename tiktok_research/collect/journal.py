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
import logging
import os
import threading
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa

from .. import api_spec
from ..api.client import Attempt
from ..ingest.pages import PagesStored, store_pages
from ..store import Store

log = logging.getLogger(__name__)

OFFSET_KEY = "journal_offset"
#: journal metadata columns that go into ``api_requests``
REQUEST_COLUMNS = (
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


def journal_path(db: Path) -> Path:
    return db.with_name(db.name + ".journal")


class Journal:
    """The append-only journal file next to a store."""

    def __init__(self, store: Store, fsync: bool = False):
        self.store = store
        self.path = journal_path(store.path)
        self.fsync = fsync
        self._file: Any = None
        # appending and emptying the file exclude each other (a merge may run in another thread)
        self._lock = threading.Lock()

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
        with self._lock:
            if self._file is None:
                self.repair()
                self._file = self.path.open("ab")
            self._file.write(orjson.dumps(meta) + b"\t" + body + b"\n")
            self._file.flush()
            if self.fsync:
                os.fsync(self._file.fileno())

    def close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def close(self) -> None:
        with self._lock:
            self.close_file()

    def _offset(self, store: Store | None = None) -> int:
        return int((store or self.store).meta(OFFSET_KEY) or 0)

    def pending(
        self, store: Store | None = None, *, repair: bool = True
    ) -> tuple[list[dict[str, Any]], list[bytes], int]:
        """Complete lines not in the database yet: (metadata, answers, end offset).

        ``store``: the connection to read the merged offset through (a merge in
        another thread has its own). ``repair=False`` while appends may be
        under way: a last line still being written is left for the next merge.
        """
        if not self.path.exists():
            return [], [], 0
        if repair:
            self.repair()
        offset = max(self._offset(store), len(self._header()))
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
        with self._lock:
            if self.path.exists() and self._offset() >= self.path.stat().st_size:
                self.close_file()
                with self.path.open("r+b") as f:
                    f.truncate(len(self._header()))
                with self.store.transaction():
                    self.store.set_meta(OFFSET_KEY, "0")


def _stored(endpoint: str) -> bool:
    """Whether the answers of ``endpoint`` hold records for the store."""
    ep = api_spec.ENDPOINTS.get(endpoint)
    return ep is not None and ep.stored


def merge_pages(
    store: Store, journal: Journal | None = None, *, background: bool = False
) -> PagesStored:
    """Move the journal into the database: requests, records, checkpoints, in one transaction.

    ``background``: ``store`` is a cursor of the journal's store used by another thread
    while the collector appends pages; the journal is then neither repaired nor emptied
    here (the collector does that when no merge is running).
    """
    journal = journal or Journal(store)
    metas, bodies, end = journal.pending(store, repair=not background)
    if not metas:
        if not background:
            journal.reset()
        return PagesStored()
    with store.transaction():
        first = store.next_request_id()
        cols: dict[str, list[Any]] = {k: [m.get(k) for m in metas] for k in REQUEST_COLUMNS}
        cols["request"] = [json.dumps(m.get("request")) for m in metas]
        store.add_requests(
            first,
            pa.table(
                {
                    "_seq": pa.array(range(len(metas)), pa.int64()),
                    **{k: pa.array(v) for k, v in cols.items()},
                }
            ),
        )
        # the answers, wrapped with what the merge needs, as NDJSON in memory: written to a
        # file one by one, each write gave the GIL up to the fetching thread and waited to get
        # it back (0.6 ms per page in a background merge)
        pages = [
            b'{"_rid":%d,"_endpoint":%s,"_obs":%s,"_run":%d,"_target":%s,"page":%s}\n'
            % (
                first + i,
                orjson.dumps(m["endpoint"]),
                orjson.dumps(m["requested_at"]),
                m["run_id"] or 0,
                orjson.dumps((m.get("request") or {}).get("username")),
                body,
            )
            for i, (m, body) in enumerate(zip(metas, bodies, strict=True))
            if m["status"] == 200 and body and _stored(m["endpoint"])
        ]
        out = store_pages(store, b"".join(pages)) if pages else PagesStored()
        store.update_checkpoints(first)
        store.set_meta(OFFSET_KEY, str(end))
    if not background:
        journal.reset()
    log.debug(
        "merged %d requests (%d pages): %d inserted, %d updated, %d rejected",
        len(metas),
        out.pages,
        out.inserted,
        out.updated,
        out.rejected,
    )
    return out
