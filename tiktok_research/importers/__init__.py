"""Import datasets researchers already hold into the store, with a row-level validation report.

Supported: Research API output (responses, lists, NDJSON; videos, comments,
user info), Zeeschuimer/4CAT NDJSON captures, 4CAT CSV exports and generic
CSV files with alias detection and explicit ``--map SRC=FIELD``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from ..errors import ImportProblem, UsageError
from ..store import Store, utcnow
from ..store.tables import ENTITIES
from .detect import detect_format, json_layout
from .formats import (
    ALL_FORMATS,
    CSV_COMMENT_ALIASES,
    CSV_USER_ALIASES,
    CSV_VIDEO_ALIASES,
    FORMATS,
    FOURCAT_VIDEO,
    Format,
    csv_kind,
    norm_header,
    resolve_columns,
)
from .normalize import normalize_sql
from .readers import (
    Staging,
    csv_chunks,
    iter_json_document,
    iter_ndjson_envelopes,
    ndjson_chunks,
    read_csv_header,
    record_chunks,
)
from .report import FileReport, ImportReport, KindCounts, RejectedRow

__all__ = [
    "ALL_FORMATS",
    "FileReport",
    "ImportReport",
    "Plan",
    "StagedRows",
    "import_files",
    "parse_mapping",
]

MAX_REJECTS_SHOWN = 1_000
#: chunks between checkpoints: large appends stay in memory until DuckDB checkpoints them,
#: so checkpointing every few chunks keeps memory flat however large the file
CHECKPOINT_EVERY = 4


@dataclass
class Plan:
    """What to normalise from the staged rows: kind -> (field exprs, row filter, derived?).

    A derived kind (the author of a video row) is stored only when its row is
    accepted and has a key; it never makes a row count as read or rejected twice.
    """

    kinds: dict[str, tuple[dict[str, str], str, bool]]


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """``["SRC=FIELD", ...]`` -> {src: field}, checking each FIELD is canonical."""
    known = (
        set(ENTITIES["videos"].columns)
        | set(ENTITIES["comments"].columns)
        | set(ENTITIES["users"].columns)
    )
    out: dict[str, str] = {}
    for item in items:
        src, sep, field = item.partition("=")
        src, field = src.strip(), field.strip()
        if not sep or not src or not field:
            raise UsageError(f"--map expects SRC=FIELD, got {item!r}")
        if field not in known:
            raise UsageError(
                f"--map {item!r}: {field!r} is not a canonical field; choose one of "
                + ", ".join(sorted(known - {"source"}))
            )
        out[src] = field
    return out


def _csv_plan(fmt: str, header: list[str], mapping: dict[str, str], path: Path) -> Plan:
    columns = {}
    for i, h in enumerate(header):
        columns.setdefault(norm_header(h), f"c{i}")
    kind = csv_kind(header)
    if kind == "comments":
        aliases = CSV_COMMENT_ALIASES
    elif fmt == "4cat-csv":
        aliases = {f: FOURCAT_VIDEO.get(f, []) + CSV_VIDEO_ALIASES[f] for f in CSV_VIDEO_ALIASES}
    else:
        aliases = CSV_VIDEO_ALIASES
    primary = resolve_columns(aliases, columns)
    users = resolve_columns(CSV_USER_ALIASES, columns)
    for src, field in mapping.items():
        col = columns.get(norm_header(src))
        if col is None:
            raise ImportProblem(
                f"{path}: --map names column {src!r}, which the file does not have "
                f"(columns: {', '.join(header)})"
            )
        target = primary if field in ENTITIES[kind].columns else users
        for f in [f for f, c in target.items() if c == col]:
            del target[f]
        target[field] = col
    kinds: dict[str, tuple[dict[str, str], str, bool]] = {kind: (primary, "_error IS NULL", False)}
    if kind == "videos" and "username" in users and len(users) > 1:
        kinds["users"] = (users, "_error IS NULL", True)
    return Plan(kinds)


def _json_plan(fmt: Format) -> Plan:
    if fmt.kind_expr:
        kinds = {
            k: (exprs, f"_error IS NULL AND ({fmt.kind_expr}) = '{k}'", False)
            for k, exprs in fmt.kinds.items()
        }
    else:
        kinds = {
            k: (exprs, "_error IS NULL", i > 0) for i, (k, exprs) in enumerate(fmt.kinds.items())
        }
    return Plan(kinds)


def _chunks(
    store: Store, path: Path, fmt: str, mapping: dict[str, str], staging: Staging
) -> tuple[Plan, Iterator[None]]:
    """What to normalise, and a generator staging the file chunk by chunk in ``_raw``."""
    con = store.con
    if fmt in FORMATS:
        if mapping:
            raise UsageError(
                "--map applies to CSV files; JSON formats are mapped by their own keys"
            )
        spec = FORMATS[fmt].spec
        layout = json_layout(path)
        if layout == "document":
            chunks = record_chunks(con, iter_json_document(path), spec)
        elif layout == "ndjson-envelopes":
            chunks = record_chunks(con, iter_ndjson_envelopes(path), spec)
        else:
            chunks = ndjson_chunks(con, path, spec, staging)
        return _json_plan(FORMATS[fmt]), chunks
    header, delimiter = read_csv_header(path)
    return _csv_plan(fmt, header, mapping, path), csv_chunks(con, path, header, delimiter, staging)


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

    def chunk(self, write: bool, own_transaction: bool = True) -> None:
        """Handle the chunk now in ``_raw``; with ``write`` store its good rows in one transaction.

        ``own_transaction=False``: the caller has opened the transaction (to
        commit more with the rows).
        """
        con, report = self.store.con, self.report
        report.rows_read += con.execute("SELECT count(*) FROM _raw").fetchall()[0][0]
        for kind, (exprs, where, derived) in self.plan.kinds.items():
            keep = f" WHERE {ENTITIES[kind].key[0]} IS NOT NULL" if derived else ""
            sql = normalize_sql(kind, exprs, "_raw", where, self.fmt, require_key=not derived)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _norm_{kind} AS SELECT * FROM ({sql}){keep}",
                {"observed_at": self.observed},
            )
            cols = [c for c in ENTITIES[kind].columns if c != "source"]
            row = con.execute(
                f"SELECT count(*), count(*) FILTER (_problems <> ''), "
                f"{', '.join(f'count({c}) > 0' for c in cols)} FROM _norm_{kind}"
            ).fetchall()[0]
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
            "SELECT _line, _rec, NULL::VARCHAR AS field, _error AS reason FROM _raw "
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


def import_file(
    store: Store, path: Path, fmt: str, mapping: dict[str, str], run_id: int, strict: bool
) -> FileReport:
    """Import one file chunk by chunk; raises ImportProblem when it cannot be used at all.

    Each chunk is stored in its own transaction, so a crash leaves whole
    chunks only. With ``strict`` the file is checked completely first and
    stored only if no row was rejected.
    """
    fmt = detect_format(path, mapped=bool(mapping)) if fmt == "auto" else fmt
    report = FileReport(file=str(path), format=fmt)
    staging = Staging()
    plan, chunks = _chunks(store, path, fmt, mapping, staging)
    job = StagedRows(store, plan, report, run_id, fmt)
    for i, _ in enumerate(chunks, 1):
        job.chunk(write=not strict)
        if not strict and i % CHECKPOINT_EVERY == 0:
            store.checkpoint()
    if strict and not report.rejected:
        # checked clean: read it again, this time storing
        checked = report.model_copy(deep=True)
        report.rows_read, report.kinds = 0, {}
        plan, chunks = _chunks(store, path, fmt, mapping, Staging())
        for i, _ in enumerate(chunks, 1):
            job.chunk(write=True)
            if i % CHECKPOINT_EVERY == 0:
                store.checkpoint()
        report.rejects, report.rejects_not_shown = checked.rejects, checked.rejects_not_shown
    job.finish()
    if staging.nul_bytes:
        report.warnings.append(f"removed {staging.nul_bytes} NUL byte(s) from the text")
    if strict and report.rejected:
        report.status = "not-imported"
        report.warnings.append(
            "--strict: nothing from this file was stored because rows were rejected"
        )
    else:
        report.status = "imported-with-rejects" if report.rejected else "imported"
    return report


def import_files(
    store: Store,
    paths: Sequence[str | Path],
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    strict: bool = False,
) -> ImportReport:
    """Import files into ``store``; every file gets a section of the returned report."""
    if fmt != "auto" and fmt not in ALL_FORMATS:
        raise UsageError(
            f"unknown --format {fmt!r}; choose auto or one of {', '.join(ALL_FORMATS)}"
        )
    mapping = mapping or {}
    report = ImportReport(db=str(store.path), strict=strict)
    with store.transaction():
        report.run_id = store.start_run(
            "import",
            "import",
            {"files": [str(p) for p in paths], "format": fmt, "map": mapping, "strict": strict},
        )
    for p in paths:
        path = Path(p)
        try:
            report.files.append(import_file(store, path, fmt, mapping, report.run_id, strict))
        except ImportProblem as exc:
            report.files.append(FileReport(file=str(path), status="unusable", error=str(exc)))
    stats = {
        "files": len(report.files),
        "rows_read": sum(f.rows_read for f in report.files),
        "inserted": sum(f.inserted for f in report.files),
        "updated": sum(f.updated for f in report.files),
        "rejected": sum(f.rejected for f in report.files),
    }
    with store.transaction():
        store.finish_run(
            report.run_id, "done" if report.exit_code == 0 else "done-with-problems", stats
        )
    return report
