"""Normalise, check and store staged rows: the one path for imported files and fetched pages.

A reader (``readers``) leaves a chunk of raw rows in the temporary table
``_raw``; a :class:`Plan` says which canonical kinds to read from them and how;
:class:`StagedRows` types and checks every value (``normalize``), reports each
refused value with its line, record, field and reason, and upserts the good
rows into the store.
"""

from __future__ import annotations

import logging
import os
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import duckdb

from ..store import Store, utcnow
from ..store.tables import ENTITIES
from .normalize import LISTS, Typed, normalize_sql
from .readers import TYPED, Chunk
from .report import FileReport, KindCounts, RejectedRow

log = logging.getLogger(__name__)

MAX_REJECTS_SHOWN = 1_000
#: rows gathered before they are stored (see :meth:`StagedRows.flush`); bounds memory
BATCH_ROWS = int(os.environ.get("TIKTOK_RESEARCH_IMPORT_BATCH_ROWS", "500000"))


@dataclass
class Plan:
    """What to normalise from the staged rows: kind -> (field exprs, row filter, derived?).

    A derived kind (the author of a video row) is stored only when its row is
    accepted and has a key; it never makes a row count as read or rejected twice.
    """

    kinds: dict[str, tuple[dict[str, str], str, bool]]


def _columns(kind: str) -> list[str]:
    """The columns of ``kind`` whose presence the report lists."""
    return [c for c in ENTITIES[kind].columns if c != "source"]


class _NotWhole(Exception):
    """The whole file cannot be stored as it is: read it chunk by chunk."""


class _OtherKind(Exception):
    """A file tried as one of a single kind holds rows of another kind."""


OTHER_KIND = "a row of another kind"

#: a kind checked before it is merged: its rows (SQL), ``Store.merge`` counts, present columns
Checked = tuple[str, tuple[int, int, int], tuple[bool, ...]]


def _present(cols: list[str]) -> str:
    """SQL saying, for each of ``cols``, whether any row has a value."""
    return ", ".join(f"count({c}) > 0" for c in cols)


def _counts(cols: list[str], problems: str = "count(*) FILTER (_problems <> '')") -> str:
    """SQL counting normalised rows: all, those with a problem, then whether each column has a value."""
    return f"count(*), {problems}, {_present(cols)}"


class StagedRows:
    """Normalises, checks and (optionally) stores rows staged in ``_raw``, chunk by chunk.

    Used for files and for the pages a collection fetched: the same checks,
    the same report, the same upserts.
    """

    def __init__(self, store: Store, plan: Plan, report: FileReport, run_id: int, fmt: str):
        self.store, self.plan, self.report, self.run_id, self.fmt = store, plan, report, run_id, fmt
        self.present: dict[str, set[str]] = {k: set() for k in plan.kinds}
        self.rows: dict[str, int] = dict.fromkeys(plan.kinds, 0)
        self.observed = utcnow()
        self._batch: set[str] = set()  # kinds with good rows waiting in _batch_<kind>
        self._batched = 0  # rows read into the waiting batch
        self._rejects_batched = False  # whether _batch_rejects holds this batch's rejects
        self._own = True  # whether the batch commits in a transaction of its own

    def take(self, staged: Chunk, write: bool, own_transaction: bool = True) -> None:
        """Handle what a reader staged: typed if it could, else (or on any problem) as text."""
        if staged.typed:
            done = self.chunk(write, own_transaction, typed=True)
            self.store.con.unregister(TYPED)
            if done:
                return
            if staged.as_text is not None:
                staged.as_text()
        self.chunk(write, own_transaction)

    def chunk(self, write: bool, own_transaction: bool = True, typed: bool = False) -> bool:
        """Handle the chunk now in ``_raw``; with ``write`` store its good rows in one transaction.

        ``own_transaction=False``: the caller has opened the transaction (to
        commit more with the rows). ``typed``: ``_raw`` holds canonical types
        and is staged as ``_typed`` (:class:`~.readers.Chunk`); if any value
        breaks a rule, nothing is counted or stored and False is returned, so
        the caller can stage the chunk as text, whose report names each
        refused value.
        """
        con, report = self.store.con, self.report
        raw = TYPED if typed else "_raw"
        # a typed chunk goes straight into the batch (no problems expected; undone if any)
        direct = typed and write
        seen, added = {}, []
        for kind in self.plan.kinds:
            table, since = f"_norm_{kind}", 0
            if direct:
                table = f"_batch_{kind}"
                if kind in self._batch:
                    since = con.execute(
                        f"SELECT coalesce(max(rowid) + 1, 0) FROM {table}"
                    ).fetchall()[0][0]
                added.append((kind, since, kind not in self._batch))
                self._batch.add(kind)
            into = f"INSERT INTO {table} " if since else f"CREATE OR REPLACE TEMP TABLE {table} AS "
            con.execute(
                f"{into}{self._normalised(kind, raw, typed)}", {"observed_at": self.observed}
            )
            cols = _columns(kind)
            row = con.execute(
                f"SELECT {_counts(cols)} FROM {table} WHERE rowid >= ?", [since]
            ).fetchall()[0]
            if typed and row[1]:
                self._undo(added)
                return False
            seen[kind] = (cols, row)
        read = con.execute(f"SELECT count(*) FROM {raw}").fetchall()[0][0]
        self._count(read, seen)
        if direct:
            return self._batched_up(read, own_transaction)
        problems = " UNION ALL ".join(
            f"SELECT _line, _rec, unnest(string_split(_problems, chr(31))) AS p FROM _norm_{k} "
            "WHERE _problems <> ''"
            for k in self.plan.kinds
        )
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _rejects AS "
            f"SELECT _line, _rec, NULL::VARCHAR AS field, _error AS reason FROM {raw} "
            f"WHERE _error IS NOT NULL UNION ALL SELECT _line, _rec, split_part(p, ': ', 1), "
            f"substr(p, length(split_part(p, ': ', 1)) + 3) FROM ({problems})"
        )
        rejected, total = con.execute(
            "SELECT count(DISTINCT (_line, _rec)), count(*) FROM _rejects"
        ).fetchall()[0]
        report.rejected += rejected
        room = MAX_REJECTS_SHOWN - len(report.rejects)
        if room > 0 and total:
            report.rejects += [
                RejectedRow(file=report.file, line=line, record=rec, field=field, reason=reason)
                for line, rec, field, reason in con.execute(
                    "SELECT _line, _rec, field, reason FROM _rejects ORDER BY _line, _rec LIMIT ?",
                    [room],
                ).fetchall()
            ]
        report.rejects_not_shown += max(0, total - max(room, 0))
        if not write:
            with self.store.transaction() if own_transaction else nullcontext():
                self._keep_rejects("_rejects")
            return True
        for kind in self.plan.kinds:
            good = f"_norm_{kind}"
            if rejected:  # a rejected row is refused whole: also the author derived from it
                con.execute(
                    f"DELETE FROM {good} n WHERE _problems <> '' OR EXISTS (SELECT 1 FROM "
                    "_rejects r WHERE r._line IS NOT DISTINCT FROM n._line "
                    "AND r._rec IS NOT DISTINCT FROM n._rec)"
                )
            if kind in self._batch:
                con.execute(f"INSERT INTO _batch_{kind} SELECT * FROM {good}")
            else:  # the first chunk of a batch becomes the batch, without a copy
                con.execute(f"ALTER TABLE {good} RENAME TO _batch_{kind}")
                self._batch.add(kind)
        if total:
            into = (
                "INSERT INTO _batch_rejects"
                if self._rejects_batched
                else ("CREATE TEMP TABLE _batch_rejects AS")
            )
            con.execute(f"{into} FROM _rejects")
            self._rejects_batched = True
        return self._batched_up(read, own_transaction)

    def _normalised(
        self,
        kind: str,
        raw: str,
        typed: Typed,
        observed_at: str = "$observed_at",
        where: str | None = None,
    ) -> str:
        """SQL selecting the ``kind`` rows of ``raw`` (or those ``where`` selects), normalised
        (``normalize_sql``); the rows a derived kind has no key for are left out."""
        exprs, kind_where, derived = self.plan.kinds[kind]
        where = where or kind_where
        sql = normalize_sql(kind, exprs, raw, where, self.fmt, not derived, typed, observed_at)
        keep = f" WHERE {ENTITIES[kind].key[0]} IS NOT NULL" if derived else ""
        return f"SELECT * FROM ({sql}){keep}"

    def _count(self, read: int, seen: dict[str, tuple[list[str], tuple[Any, ...]]]) -> None:
        """Add to the report the rows read and, per kind, what :func:`_counts` counted."""
        self.report.rows_read += read
        for kind, (cols, row) in seen.items():
            counts = self.report.kinds.setdefault(kind, KindCounts())
            counts.read += row[0]
            counts.rejected += row[1]
            self.rows[kind] += row[0]
            self.present[kind] |= {c for c, p in zip(cols, row[2:], strict=True) if p}

    def whole(self, source: str) -> bool:
        """Check and store a whole file that DuckDB's JSON reader reads as ``source``.

        Instead of being staged chunk by chunk, the file is read in a few
        passes, each in parallel and in flat memory. Rows going into a table
        that holds none yet are inserted straight away, in one stream that
        stops at the first row with a problem; the rows stored are then
        counted, and unless every row of the file went in, once, the
        transaction is rolled back.
        A file whose first row is of a kind with an empty table is first
        tried as a file of that kind alone (the stream also stops at a row of
        another kind), which saves the pass counting the kinds; if another
        kind turns up, the file is stored as one of several kinds.
        Rows that may update stored records are checked in a pass of their
        own first, then merged (``Store.merge``). False, with nothing stored
        or counted, if the reader refuses the file, any value breaks a rule,
        or a record occurs twice (which of the two wins depends on line
        numbers): the caller then reads the file chunk by chunk, whose report
        names every refused value. ``source`` gives the staged columns
        (``readers.whole_file``); list fields come as lists
        (:data:`~.normalize.LISTS`).
        """
        try:
            only = self._first_kind(source)
        except duckdb.Error as exc:
            log.debug("reading the whole file failed, reading it in chunks: %s", exc)
            return False
        if only is not None:
            try:
                return self._store_whole(source, None, {only: None})
            except _OtherKind:
                log.debug("the file holds more kinds than %s: counting them", only)
        try:
            read, fresh, checked = self._count_kinds(source)
        except (_NotWhole, duckdb.Error) as exc:
            log.debug("the whole file cannot be stored whole, reading it in chunks: %s", exc)
            return False
        return self._store_whole(source, read, fresh, checked)

    def _first_kind(self, source: str) -> str | None:
        """The kind of the file's first row, if every kind is told by its own rows (none is
        derived) and its table is empty; else None."""
        kinds = self.plan.kinds
        if any(derived for _, _, derived in kinds.values()):
            return None
        con = self.store.con
        first = con.execute(
            f"SELECT {', '.join(f'coalesce({w}, false)' for _, w, _ in kinds.values())} "
            f"FROM {source} LIMIT 1"
        ).fetchall()
        matched = [k for k, hit in zip(kinds, first[0] if first else (), strict=False) if hit]
        if len(matched) != 1:
            return None
        stored = con.execute(f"SELECT EXISTS (FROM {ENTITIES[matched[0]].table})").fetchall()
        return None if stored[0][0] else matched[0]

    def _count_kinds(self, source: str) -> tuple[int, dict[str, int | None], dict[str, Checked]]:
        """One pass counting the rows of each kind; then, for kinds whose table has rows, a
        checking pass. The rows read, the kinds to insert (with their counts), and the
        checked kinds."""
        con, kinds = self.store.con, self.plan.kinds
        read, *per_kind = con.execute(
            f"SELECT count(*), {', '.join(f'count(*) FILTER ({w})' for _, w, _ in kinds.values())} "
            f"FROM {source}"
        ).fetchall()[0]
        fresh: dict[str, int | None] = {}
        checked: dict[str, Checked] = {}
        for (kind, (_, _, derived)), n in zip(kinds.items(), per_kind, strict=True):
            if not n:
                continue
            rows = f"({self._normalised(kind, source, LISTS, self._observed_sql())})"
            e = ENTITIES[kind]
            if not derived and not con.execute(f"SELECT EXISTS (FROM {e.table})").fetchall()[0][0]:
                fresh[kind] = n  # every row is to be inserted: checked once stored
                continue
            total, problems, distinct, stored, *present = con.execute(
                f"SELECT count(*), count(*) FILTER (_problems <> ''), "
                f"count(DISTINCT {e.key_expr}), count(*) FILTER ({e.stored_sql}), "
                f"{_present(_columns(kind))} FROM {rows}"
            ).fetchall()[0]
            if problems or distinct < total:
                raise _NotWhole(f"{kind}: {problems} rows with problems, {total - distinct} twice")
            checked[kind] = (rows, (total, distinct, stored), tuple(bool(p) for p in present))
        return read, fresh, checked

    def _observed_sql(self) -> str:
        return f"TIMESTAMPTZ '{self.observed.isoformat()}'"

    def _store_whole(
        self,
        source: str,
        read: int | None,
        fresh: dict[str, int | None],
        checked: dict[str, Checked] | None = None,
    ) -> bool:
        """Store the whole file in one transaction: merge the ``checked`` kinds, insert the
        ``fresh`` ones (a count of None: every row of the file must be of that kind, else
        ``_OtherKind``); False, rolled back, if a row breaks a rule or comes twice."""
        con, observed = self.store.con, self._observed_sql()
        seen: dict[str, tuple[list[str], tuple[Any, ...]]] = {}
        results: dict[str, tuple[int, int]] = {}
        try:
            # a whole file need not be stored in file order: unordered, DuckDB inserts in parallel
            with self.store.setting("preserve_insertion_order", "false"), self.store.transaction():
                for kind, (rows, counts, present) in (checked or {}).items():
                    res = self.store.merge(kind, rows, self.run_id, counts, observed)
                    results[kind] = (res.inserted, res.updated)
                    seen[kind] = (_columns(kind), (counts[0], 0, *present))
                for kind, n in fresh.items():
                    where = self.plan.kinds[kind][1]
                    if n is None:  # a row of another kind stops the insert
                        where = f"CASE WHEN {where} THEN true ELSE error('{OTHER_KIND}') END"
                    rows = f"({self._normalised(kind, source, LISTS, observed, where)})"
                    # the first row with a problem stops the insert: the file goes to the chunks
                    good = (
                        f"(SELECT * FROM {rows} WHERE CASE WHEN _problems = '' THEN true "
                        "ELSE error('a row breaks a rule') END)"
                    )
                    inserted = self.store.merge(
                        kind, good, self.run_id, observed_at=observed, new=True
                    ).inserted
                    cols = _columns(kind)
                    got, _, *has, distinct = con.execute(
                        f"SELECT {_counts(cols, '0')}, count(DISTINCT {ENTITIES[kind].key_expr}) "
                        f"FROM {self.store.inserted_rows(kind, observed)}",
                        {"run": self.run_id},
                    ).fetchall()[0]
                    want = inserted if n is None else n
                    if not got == inserted == want == distinct:  # a row had a problem or came twice
                        raise _NotWhole(f"{kind}: {want} rows, {got} stored, {distinct} distinct")
                    read = got if read is None else read
                    seen[kind], results[kind] = (cols, (got, 0, *has)), (got, 0)
        except duckdb.Error as exc:  # rolled back; the reader too may refuse a line only now
            if OTHER_KIND in str(exc) and None in fresh.values():
                raise _OtherKind from exc
            log.debug("the whole file is not clean, reading it in chunks: %s", exc)
            return False
        except _NotWhole as exc:  # rolled back
            log.debug("the whole file is not clean, reading it in chunks: %s", exc)
            return False
        for kind, (inserted, updated) in results.items():
            kind_counts = self.report.kinds.setdefault(kind, KindCounts())
            kind_counts.inserted += inserted
            kind_counts.updated += updated
        self._count(read or 0, seen)
        self.store.checkpoint()
        return True

    def _batched_up(self, read: int, own_transaction: bool) -> bool:
        self._batched += read
        self._own = own_transaction
        if self._batched >= BATCH_ROWS:
            self.flush()
        return True

    def _undo(self, added: list[tuple[str, int, bool]]) -> None:
        """Take a typed chunk's rows out of the batch again."""
        for kind, since, created in added:
            if created:
                self.store.con.execute(f"DROP TABLE IF EXISTS _batch_{kind}")
                self._batch.discard(kind)
            else:
                self.store.con.execute(f"DELETE FROM _batch_{kind} WHERE rowid >= ?", [since])

    def _keep_rejects(self, table: str) -> None:
        self.store.con.execute(
            f"INSERT INTO import_rejects SELECT ?, ?, _line, _rec, field, reason FROM {table}",
            [self.run_id, self.report.file],
        )

    def flush(self) -> None:
        """Store the batch: its rejects and its good rows, in one transaction, then checkpoint.

        Good rows are kept across chunks until ``BATCH_ROWS`` have gathered: one large
        upsert is written by DuckDB in parallel, straight to the database file, where
        many small ones each leave a partial row group for the checkpoint to rewrite
        (measured: 500k rows in one insert 0.7 s, in three 2.1 s with their checkpoints).
        """
        if not self._batch:
            return
        con, report = self.store.con, self.report
        with self.store.transaction() if self._own else nullcontext():
            if self._rejects_batched:
                self._keep_rejects("_batch_rejects")
            for kind in self.plan.kinds:
                if kind in self._batch:
                    res = self.store.merge(kind, f"_batch_{kind}", self.run_id)
                    report.kinds[kind].inserted += res.inserted
                    report.kinds[kind].updated += res.updated
        for t in ["_batch_rejects", *(f"_batch_{k}" for k in self._batch)]:
            con.execute(f"DROP TABLE IF EXISTS {t}")
        self._batch.clear()
        self._batched = 0
        self._rejects_batched = False
        if self._own:
            self.store.checkpoint()  # write the batch out, freeing the memory it held

    def finish(self) -> None:
        """Store what is still batched and complete the report."""
        self.flush()
        report, kinds = self.report, self.plan.kinds
        primary = max((k for k, v in kinds.items() if not v[2]), key=lambda k: self.rows[k])
        cols = _columns(primary)
        report.fields_present = [c for c in cols if c in self.present[primary]]
        report.fields_missing = [c for c in cols if c not in self.present[primary]]
        report.kinds = {k: c for k, c in report.kinds.items() if c.read}
        counted = [k for k, (_, _, derived) in kinds.items() if not derived and k in report.kinds]
        report.inserted = sum(report.kinds[k].inserted for k in counted)
        report.updated = sum(report.kinds[k].updated for k in counted)
        for t in ["_raw", "_rejects", *(f"_norm_{k}" for k in kinds)]:
            self.store.con.execute(f"DROP TABLE IF EXISTS {t}")
