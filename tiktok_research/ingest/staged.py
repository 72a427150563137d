"""Normalise, check and store staged rows: the one path for imported files and fetched pages.

A reader (``readers``) leaves a chunk of raw rows in the temporary table
``_raw``; a :class:`Plan` says which canonical kinds to read from them and how;
:class:`StagedRows` types and checks every value (``normalize``), reports each
refused value with its line, record, field and reason, and upserts the good
rows into the store.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext
from dataclasses import dataclass

from ..store import Store, utcnow
from ..store.tables import ENTITIES
from .normalize import normalize_sql
from .readers import TYPED, Chunk
from .report import FileReport, KindCounts, RejectedRow

log = logging.getLogger(__name__)

MAX_REJECTS_SHOWN = 1_000


@dataclass
class Plan:
    """What to normalise from the staged rows: kind -> (field exprs, row filter, derived?).

    A derived kind (the author of a video row) is stored only when its row is
    accepted and has a key; it never makes a row count as read or rejected twice.
    """

    kinds: dict[str, tuple[dict[str, str], str, bool]]


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
        seen = {}
        for kind, (exprs, where, derived) in self.plan.kinds.items():
            keep = f" WHERE {ENTITIES[kind].key[0]} IS NOT NULL" if derived else ""
            sql = normalize_sql(
                kind, exprs, raw, where, self.fmt, require_key=not derived, typed=typed
            )
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _norm_{kind} AS SELECT * FROM ({sql}){keep}",
                {"observed_at": self.observed},
            )
            cols = [c for c in ENTITIES[kind].columns if c != "source"]
            row = con.execute(
                f"SELECT count(*), count(*) FILTER (_problems <> ''), "
                f"{', '.join(f'count({c}) > 0' for c in cols)} FROM _norm_{kind}"
            ).fetchall()[0]
            if typed and row[1]:
                return False
            seen[kind] = (cols, row)
        report.rows_read += con.execute(f"SELECT count(*) FROM {raw}").fetchall()[0][0]
        for kind, (cols, row) in seen.items():
            counts = report.kinds.setdefault(kind, KindCounts())
            counts.read += row[0]
            counts.rejected += row[1]
            self.rows[kind] += row[0]
            self.present[kind] |= {c for c, p in zip(cols, row[2:], strict=True) if p}
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
        with self.store.transaction() if own_transaction else nullcontext():
            con.execute(
                "INSERT INTO import_rejects SELECT ?, ?, _line, _rec, field, reason FROM _rejects",
                [self.run_id, report.file],
            )
            if write:
                # a rejected row is refused whole: also the author derived from it
                skip = (
                    ""
                    if not rejected
                    else (
                        " AND NOT EXISTS (SELECT 1 FROM _rejects r WHERE r._line IS NOT DISTINCT "
                        "FROM n._line AND r._rec IS NOT DISTINCT FROM n._rec)"
                    )
                )
                for kind in self.plan.kinds:
                    res = self.store.merge(
                        kind,
                        f"(SELECT * FROM _norm_{kind} n WHERE _problems = ''{skip})",
                        self.run_id,
                    )
                    report.kinds[kind].inserted += res.inserted
                    report.kinds[kind].updated += res.updated
        return True

    def finish(self) -> None:
        report, kinds = self.report, self.plan.kinds
        primary = max((k for k, v in kinds.items() if not v[2]), key=lambda k: self.rows[k])
        cols = [c for c in ENTITIES[primary].columns if c != "source"]
        report.fields_present = [c for c in cols if c in self.present[primary]]
        report.fields_missing = [c for c in cols if c not in self.present[primary]]
        report.kinds = {k: c for k, c in report.kinds.items() if c.read}
        counted = [k for k, (_, _, derived) in kinds.items() if not derived and k in report.kinds]
        report.inserted = sum(report.kinds[k].inserted for k in counted)
        report.updated = sum(report.kinds[k].updated for k in counted)
        for t in ["_raw", "_rejects", *(f"_norm_{k}" for k in kinds)]:
            self.store.con.execute(f"DROP TABLE IF EXISTS {t}")
