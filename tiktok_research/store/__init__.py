"""The local store: one DuckDB file holding records, their history and their provenance.

Records are upserted by key: observing a video again updates its values and
adds a metric snapshot, never a second row. Which run or import produced or
last updated a record is kept on the record (``first_run_id``,
``last_run_id``) and, observation by observation, in the snapshot tables.
"""

from __future__ import annotations

import copy
import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ..errors import NoDatabase, StoreError
from .compliance import ComplianceMixin
from .donations import DonationsMixin
from .provenance import ProvenanceMixin
from .runs import RunsMixin
from .tables import BOOKKEEPING, ENTITIES, SCHEMA_VERSION, Entity, all_ddl

DEFAULT_DB = "tiktok-research.duckdb"


@dataclass
class MergeResult:
    inserted: int = 0
    updated: int = 0
    snapshots: int = 0


def utcnow() -> datetime:
    return datetime.now(UTC)


class Store(RunsMixin, ComplianceMixin, ProvenanceMixin, DonationsMixin):
    """A DuckDB-backed store. Use as a context manager or call :meth:`close`."""

    def __init__(
        self,
        path: str | os.PathLike[str] = DEFAULT_DB,
        *,
        read_only: bool = False,
        memory_limit: str | None = None,
    ):
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise NoDatabase(f"no database at {self.path}: run an import or a collection first")
        config: dict[str, Any] = {}
        limit = memory_limit or os.environ.get("TIKTOK_RESEARCH_MEMORY_LIMIT")
        if limit:
            config["memory_limit"] = limit
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only, config=config)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc
        self.con.execute("SET TimeZone = 'UTC'")
        if not read_only:
            self._migrate()

    # -- lifecycle ---------------------------------------------------------
    def _migrate(self) -> None:
        row = None
        with suppress(duckdb.CatalogException):
            rows = self.con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchall()
            row = rows[0] if rows else None
        if row and int(row[0]) > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} was written by a newer version (schema {row[0]} > {SCHEMA_VERSION})"
            )
        with self.transaction():
            for stmt in all_ddl():
                self.con.execute(stmt)
            self.con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)]
            )
            # an identity, so files that belong to this database (its journal) can be recognised
            self.con.execute(
                "INSERT OR IGNORE INTO meta VALUES ('database_id', ?)", [uuid.uuid4().hex]
            )

    def close(self) -> None:
        self.con.close()

    def cursor(self) -> Store:
        """This store on a connection of its own, for another thread (close it when done).

        DuckDB connections are not shared between threads; a cursor is a second
        connection to the same database with its own transactions.
        """
        view = copy.copy(self)
        view.con = self.con.cursor()
        view.con.execute("SET TimeZone = 'UTC'")
        return view

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def checkpoint(self) -> None:
        """Write committed data into the database file, freeing the memory it held."""
        self.con.execute("CHECKPOINT")

    @contextmanager
    def setting(self, name: str, value: str | int) -> Iterator[None]:
        """DuckDB's setting ``name`` at ``value`` inside the block, as it was after it."""
        before = self.con.execute("SELECT current_setting(?)", [name]).fetchall()[0][0]
        self.con.execute(f"SET {name} = '{value}'")
        try:
            yield
        finally:
            self.con.execute(f"SET {name} = '{before}'")

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One all-or-nothing unit of work: a crash inside leaves none of it."""
        self.con.begin()
        try:
            yield self.con
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    @property
    def database_id(self) -> str:
        return str(
            self.con.execute("SELECT value FROM meta WHERE key = 'database_id'").fetchall()[0][0]
        )

    # -- runs --------------------------------------------------------------
    def start_run(self, kind: str, command: str, params: dict[str, Any]) -> int:
        run_id = self.con.execute("SELECT nextval('run_ids')").fetchall()[0][0]
        self.con.execute(
            "INSERT INTO runs (run_id, kind, command, params, status, started_at) "
            "VALUES (?, ?, ?, ?, 'running', ?)",
            [run_id, kind, command, json.dumps(params, default=str), utcnow()],
        )
        return int(run_id)

    def finish_run(
        self,
        run_id: int,
        status: str,
        stats: dict[str, Any] | None = None,
        message: str | None = None,
    ) -> None:
        self.con.execute(
            "UPDATE runs SET status = ?, finished_at = ?, stats = ?, message = ? WHERE run_id = ?",
            [status, utcnow(), json.dumps(stats or {}, default=str), message, run_id],
        )

    def run(self, run_id: int) -> dict[str, Any] | None:
        cur = self.con.execute("SELECT * FROM runs WHERE run_id = ?", [run_id])
        rows = cur.fetchall()
        if not rows:
            return None
        row = rows[0]
        out = dict(zip([d[0] for d in cur.description], row, strict=True))
        for k in ("params", "stats"):
            if isinstance(out.get(k), str):
                out[k] = json.loads(out[k])
        return out

    # -- upserts -----------------------------------------------------------
    def merge(
        self,
        entity: str,
        source: str,
        run_id: int,
        counts: tuple[int, int, int] | None = None,
        observed_at: str | None = None,
        *,
        new: bool = False,
    ) -> MergeResult:
        """Upsert the rows of ``source`` (a table name or parenthesised query) into ``entity``.

        ``source`` has the entity's model columns (missing ones count as
        unknown) plus ``_observed_at`` (when the values were seen) and
        optionally ``_ord`` (input order, later wins among equal times). Call
        inside :meth:`transaction` to make the batch atomic. ``counts``: the
        source's rows, distinct keys and keys already stored, when the caller
        has counted them (each count is a pass over a query source).
        ``observed_at``: SQL for the one time every row of ``source`` was seen
        at, if it is one; then the snapshots of rows that were only inserted
        are read back from the stored rows (:meth:`inserted_rows`) instead of
        reading the source again. ``new``: no row of ``source`` is stored yet and no key
        occurs twice (the caller checks the stored rows afterwards), so ``counts`` need not
        be known; needs ``observed_at``.
        """
        e = ENTITIES[entity]
        present = {d[0] for d in self.con.execute(f"SELECT * FROM {source} LIMIT 0").description}
        if "_observed_at" not in present:
            raise StoreError("merge source needs an _observed_at column")
        missing_keys = [k for k in e.key if k not in present]
        if missing_keys:
            raise StoreError(f"merge source lacks key column(s) {missing_keys}")
        select = ", ".join(
            (f"{c}" if c in present else f"CAST(NULL AS {t}) AS {c}") for c, t in e.columns.items()
        )
        keys = ", ".join(e.key)
        rows = f"(SELECT {select}, _observed_at FROM {source})"
        if new:
            if not observed_at:
                raise StoreError("merging new rows needs the time they were observed at")
            sql = self._merge_sql(e, rows, "", insert_only=True)
            inserted = self.con.execute(sql, {"run": run_id}).fetchall()[0][0]
            return MergeResult(inserted, 0, self._inserted_snapshots(e, run_id, observed_at))
        existing: int | None = None
        if counts:
            total, distinct, existing = counts
        else:
            total, distinct = self.con.execute(
                f"SELECT count(*), count(DISTINCT {e.key_expr}) FROM {rows}"
            ).fetchall()[0]
        if total == 0:
            return MergeResult()
        batch = rows
        if distinct < total:
            # the same record twice in one batch: keep the latest observation (then the last row)
            order = "_observed_at DESC" + (", _ord DESC" if "_ord" in present else "")
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE _merge_batch AS SELECT {select}, _observed_at "
                f"FROM {source} QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {order}) = 1"
            )
            batch = "_merge_batch"
        on = " AND ".join(f"t.{k} = s.{k}" for k in e.key)
        if existing is None:
            existing = self.con.execute(
                f"SELECT count(*) FILTER ({e.stored_sql}) FROM {batch}"
            ).fetchall()[0][0]
        self.con.execute(self._merge_sql(e, batch, on, insert_only=existing == 0), {"run": run_id})
        if existing == 0 and distinct == total and observed_at:
            snaps = self._inserted_snapshots(e, run_id, observed_at)
        else:
            snaps = self._snapshots(e, rows, run_id, distinct == total) if e.snapshot_table else 0
        self.con.execute("DROP TABLE IF EXISTS _merge_batch")
        return MergeResult(inserted=distinct - existing, updated=existing, snapshots=snaps)

    def _inserted_snapshots(self, e: Entity, run_id: int, observed_at: str) -> int:
        """The snapshots of the rows just inserted, read back from the stored rows."""
        if not e.snapshot_table:
            return 0
        inserted = self.inserted_rows(e.name, observed_at)
        rows = f"(SELECT *, first_seen_at AS _observed_at FROM {inserted})"
        return self._snapshots(e, rows, run_id, unique=True)

    def inserted_rows(self, entity: str, observed_at: str) -> str:
        """The rows of ``entity`` first stored by run ``$run`` from an observation at ``observed_at``."""
        return (
            f"(SELECT * FROM {ENTITIES[entity].table} "
            f"WHERE first_run_id = $run AND first_seen_at = {observed_at})"
        )

    @staticmethod
    def _merge_sql(e: Entity, batch: str, on: str, insert_only: bool) -> str:
        # Values from the newer observation win; the older one fills its gaps.
        newer = "s._observed_at >= t.last_seen_at"
        sets = [
            f"{c} = CASE WHEN {newer} THEN coalesce(s.{c}, t.{c}) ELSE coalesce(t.{c}, s.{c}) END"
            for c in e.columns
            if c not in e.key
        ]
        sets += [
            "first_seen_at = least(t.first_seen_at, s._observed_at)",
            "last_seen_at = greatest(t.last_seen_at, s._observed_at)",
            "last_run_id = $run",
        ]
        cols = list(e.columns) + [c for c in BOOKKEEPING if c != "checked_at"]
        vals = [f"s.{c}" for c in e.columns] + ["s._observed_at", "s._observed_at", "$run", "$run"]
        if insert_only:  # nothing to update: a plain insert is much cheaper
            return (
                f"INSERT INTO {e.table} ({', '.join(cols)}) SELECT {', '.join(vals)} FROM {batch} s"
            )
        return (
            f"MERGE INTO {e.table} t USING {batch} s ON {on} "
            f"WHEN MATCHED THEN UPDATE SET {', '.join(sets)} "
            f"WHEN NOT MATCHED THEN INSERT ({', '.join(cols)}) VALUES ({', '.join(vals)})"
        )

    def _snapshots(self, e: Entity, rows: str, run_id: int, unique: bool = False) -> int:
        """Add a metric snapshot per observation in ``rows`` not yet recorded.

        ``unique``: no key occurs twice in ``rows``, so no observation either.
        """
        pairs = list(zip(e.snapshot_key, e.key, strict=True))
        keys = ", ".join(f"{k} AS {sk}" for sk, k in pairs)
        metrics = ", ".join(e.metrics)
        any_metric = " OR ".join(f"{m} IS NOT NULL" for m in e.metrics)
        on = (
            " AND ".join(f"x.{sk} = s.{sk}" for sk, _ in pairs)
            + " AND x.observed_at = s.observed_at"
        )
        snap_keys = ", ".join(sk for sk, _ in pairs)
        return self.con.execute(
            f"""INSERT INTO {e.snapshot_table} ({snap_keys}, observed_at, run_id, {metrics})
            SELECT s.* FROM (
                SELECT {"" if unique else f"DISTINCT ON ({snap_keys}, observed_at) "}{keys},
                       _observed_at AS observed_at,
                       CAST($run AS BIGINT) AS run_id, {metrics}
                FROM {rows} WHERE {any_metric}
            ) s ANTI JOIN {e.snapshot_table} x ON {on}""",
            {"run": run_id},
        ).fetchall()[0][0]

    # -- quota ledger --------------------------------------------------------
    def quota_used(self, day: Any, bucket: str = "research") -> tuple[int, int]:
        """(requests, records) spent on ``day`` (UTC) by every run on this database."""
        rows = self.con.execute(
            "SELECT requests, records FROM quota_ledger WHERE day = ? AND bucket = ?", [day, bucket]
        ).fetchall()
        return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)

    # -- inspection ----------------------------------------------------------
    def top_hashtags(self, n: int) -> list[tuple[str, int]]:
        """The ``n`` hashtags on the most stored videos: (hashtag, videos)."""
        rows = self.con.execute(
            "SELECT tag, count(*) AS n FROM (SELECT unnest(hashtag_names) AS tag FROM videos) "
            "GROUP BY tag ORDER BY n DESC, tag LIMIT ?",
            [n],
        ).fetchall()
        return [(str(t), int(c)) for t, c in rows]

    def counts(self) -> dict[str, int]:
        tables = [e.table for e in ENTITIES.values()]
        tables += [e.snapshot_table for e in ENTITIES.values() if e.snapshot_table]
        tables += ["runs", "deletions", "import_rejects", "api_requests"]
        return {t: self.con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in tables}
