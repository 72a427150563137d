"""Import datasets researchers already hold into the store, with a row-level validation report.

Supported: Research API output (responses, lists, NDJSON; videos, comments,
user info), Zeeschuimer/4CAT NDJSON captures, 4CAT CSV exports and generic
CSV files with alias detection and explicit ``--map SRC=FIELD``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import ImportProblem, UsageError
from ..ingest.formats import (
    ALL_FORMATS,
    CSV_COMMENT_ALIASES,
    CSV_USER_ALIASES,
    CSV_VIDEO_ALIASES,
    FORMATS,
    FOURCAT_VIDEO,
    Format,
    csv_kind,
    list_keys,
    norm_header,
    resolve_columns,
    typed_spec,
)
from ..ingest.readers import (
    Chunk,
    Staging,
    csv_chunks,
    iter_json_document,
    iter_ndjson_envelopes,
    ndjson_chunks,
    read_csv_header,
    record_chunks,
    whole_file,
)
from ..ingest.report import FileReport, ImportReport
from ..ingest.staged import Plan, StagedRows
from ..store import Store
from ..store.tables import ENTITIES
from .detect import detect_format, json_layout

__all__ = [
    "ALL_FORMATS",
    "FileReport",
    "ImportReport",
    "import_files",
    "parse_mapping",
]


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
    columns: dict[str, str] = {}
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
    store: Store,
    path: Path,
    fmt: str,
    mapping: dict[str, str],
    staging: Staging,
    username: str | None = None,
    typed: bool = True,
) -> tuple[Plan, Iterator[Chunk], str | None]:
    """What to normalise, a generator staging the file chunk by chunk, and the whole file
    as one relation when it may be stored without staging (``StagedRows.whole``).

    With ``typed``, Research API NDJSON is first tried whole, then chunk by
    chunk parsed typed (``readers.stage_typed``), either only where it is clean.
    """
    con = store.con
    if fmt in FORMATS:
        if mapping:
            raise UsageError(
                "--map applies to CSV files; JSON formats are mapped by their own keys"
            )
        spec = FORMATS[fmt].spec
        layout = json_layout(path)
        if layout == "document":
            chunks = record_chunks(con, iter_json_document(path, username), spec)
        elif layout == "ndjson-envelopes":
            chunks = record_chunks(con, iter_ndjson_envelopes(path, username), spec)
        else:
            types = typed_spec(FORMATS[fmt]) if fmt == "research-api" and typed else None
            chunks = ndjson_chunks(con, path, spec, staging, types)
            if types:
                whole = whole_file(path, spec, list_keys(FORMATS[fmt]))
                return _json_plan(FORMATS[fmt]), chunks, whole
        return _json_plan(FORMATS[fmt]), chunks, None
    header, delimiter = read_csv_header(path)
    plan = _csv_plan(fmt, header, mapping, path)
    return plan, csv_chunks(con, path, header, delimiter, staging), None


def import_file(
    store: Store,
    path: Path,
    fmt: str,
    mapping: dict[str, str],
    run_id: int,
    strict: bool,
    username: str | None = None,
    typed: bool = True,
) -> FileReport:
    """Import one file chunk by chunk; raises ImportProblem when it cannot be used at all.

    Good rows are stored in batches (``ingest.staged.BATCH_ROWS``), each in
    its own transaction, so a crash leaves whole batches only. With ``strict``
    the file is checked completely first and stored only if no row was rejected.
    """
    fmt = detect_format(path, mapped=bool(mapping)) if fmt == "auto" else fmt
    report = FileReport(file=str(path), format=fmt)
    staging = Staging()
    plan, chunks, whole = _chunks(store, path, fmt, mapping, staging, username, typed)
    job = StagedRows(store, plan, report, run_id, fmt)
    # a file stored whole was checked clean in full first, as --strict asks
    if whole is None or not job.whole(whole):
        for staged in chunks:
            job.take(staged, write=not strict)
        if strict and not report.rejected:
            # checked clean: read it again, this time storing
            checked = report.model_copy(deep=True)
            report.rows_read, report.kinds = 0, {}
            plan, chunks, _ = _chunks(store, path, fmt, mapping, Staging(), username, typed)
            for staged in chunks:
                job.take(staged, write=True)
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
    username: str | None = None,
    typed: bool = True,
) -> ImportReport:
    """Import files into ``store``; every file gets a section of the returned report."""
    if fmt != "auto" and fmt not in ALL_FORMATS:
        raise UsageError(
            f"unknown --format {fmt!r}; choose auto or one of {', '.join(ALL_FORMATS)}"
        )
    mapping = mapping or {}
    if username is not None:
        username = username.strip().lstrip("@")
        if not username:
            raise UsageError("--username needs a name")
    report = ImportReport(db=str(store.path), strict=strict)
    with store.transaction():
        report.run_id = store.start_run(
            "import",
            "import",
            {
                "files": [str(p) for p in paths],
                "format": fmt,
                "map": mapping,
                "strict": strict,
                "username": username,
            },
        )
    for p in paths:
        path = Path(p)
        try:
            report.files.append(
                import_file(store, path, fmt, mapping, report.run_id, strict, username, typed)
            )
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
