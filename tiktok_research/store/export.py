"""Write store tables out as Parquet, CSV or NDJSON with ids kept exact."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from . import Store
from .tables import BOOKKEEPING, ENTITIES

EXPORT_FORMATS = ("parquet", "csv", "ndjson")


def exportable_tables() -> dict[str, dict[str, str]]:
    """table -> {column: type} for every table a researcher may export."""
    out: dict[str, dict[str, str]] = {}
    for e in ENTITIES.values():
        out[e.table] = {**e.columns, **BOOKKEEPING}
    return out


@dataclass
class ExportResult:
    table: str
    format: str
    path: str
    rows: int


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_table(
    store: Store,
    table: str,
    fmt: str,
    out: str | Path,
    *,
    partition: bool = False,
    select: str | None = None,
) -> ExportResult:
    """Export ``table`` to ``out``.

    CSV cannot hold lists, so list and JSON columns are written as JSON text;
    ids are written as integers (never in floating-point notation) in every
    format. ``partition`` writes Hive-partitioned Parquet by ``create_date``.
    ``select`` replaces the column list (used by pseudonymised exports).
    """
    tables = exportable_tables()
    if table not in tables:
        raise UsageError(f"unknown table {table!r}; choose one of {', '.join(tables)}")
    if fmt not in EXPORT_FORMATS:
        raise UsageError(
            f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
        )
    columns = tables[table]
    if partition:
        if fmt != "parquet":
            raise UsageError("--partition writes Parquet; use --format parquet")
        if "create_time" not in columns:
            raise UsageError(f"--partition splits by create date, which {table} does not have")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if select is None:
        parts = []
        for c, t in columns.items():
            if fmt == "csv" and (t.endswith("[]") or t == "JSON"):
                parts.append(f"CAST(to_json({c}) AS VARCHAR) AS {c}")
            else:
                parts.append(c)
        select = ", ".join(parts)
    key = ENTITIES[table].key if table in ENTITIES else ()
    order = f" ORDER BY {', '.join(key)}" if key else ""
    query = f"SELECT {select} FROM {table}{order}"
    if partition:
        query = f"SELECT *, CAST(create_time AS DATE) AS create_date FROM ({query})"
        options = "FORMAT parquet, PARTITION_BY (create_date), OVERWRITE_OR_IGNORE true"
    else:
        options = {
            "parquet": "FORMAT parquet",
            "csv": "FORMAT csv, HEADER true",
            "ndjson": "FORMAT json",
        }[fmt]
    rows = store.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    store.con.execute(f"COPY ({query}) TO {_sql_path(out)} ({options})")
    return ExportResult(table=table, format=fmt, path=str(out), rows=rows)
