"""The ``tiktok-research`` command line: every tool and pipeline step as a command.

With ``--json`` a command prints exactly one JSON document on stdout; without
it, text for people. Exit codes: 0 ok, 1 failed, 2 bad usage or input (and,
for ``import``, 3 when some rows were rejected).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import TikTokResearchError, UsageError
from .store import DEFAULT_DB

app = typer.Typer(
    name="tiktok-research",
    help="Design, collect, analyse and responsibly report TikTok studies.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

DbOption = Annotated[Path, typer.Option("--db", help="DuckDB database file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    """Print ``data`` as JSON (agents) or ``text`` (people)."""
    if as_json:
        sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")
    else:
        typer.echo(text if text is not None else json.dumps(data, indent=2, default=str))


def fail(exc: Exception, as_json: bool) -> typer.Exit:
    code = 2 if isinstance(exc, UsageError) else 1
    if as_json:
        emit({"error": type(exc).__name__, "message": str(exc)}, True)
    else:
        typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code)


@app.command("import")
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files to import.")],
    db: DbOption = Path(DEFAULT_DB),
    fmt: Annotated[
        str, typer.Option("--format", help="auto, research-api, zeeschuimer, 4cat-csv or csv.")
    ] = "auto",
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map", help="SRC=FIELD: read CSV column SRC as canonical field FIELD (repeatable)."
        ),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Store nothing from a file in which any row is rejected."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Import Research API output, Zeeschuimer/4CAT captures or CSV files, with a validation report.

    Exit 0 when every row was stored, 3 when some rows were rejected (see the
    report for file, line, field and reason), 2 when an input is unusable.
    """
    from .importers import import_files, parse_mapping
    from .store import Store

    try:
        parsed = parse_mapping(mapping or [])
        with Store(db) as store:
            report = import_files(store, paths, fmt, parsed, strict)
    except TikTokResearchError as exc:
        raise fail(exc, as_json) from exc
    emit(
        report.model_dump(mode="json") | {"exit_code": report.exit_code}, as_json, report.to_text()
    )
    raise typer.Exit(report.exit_code)


@app.command("export")
def export_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Output file (or directory with --partition).")
    ],
    db: DbOption = Path(DEFAULT_DB),
    table: Annotated[
        str,
        typer.Option(
            "--table", help="videos, comments, users, follow_edges, user_videos or playlists."
        ),
    ] = "videos",
    fmt: Annotated[str, typer.Option("--format", help="parquet, csv or ndjson.")] = "parquet",
    partition: Annotated[
        bool, typer.Option("--partition", help="Hive-partitioned Parquet by create date.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Export a table with exact ids (CSV lists as JSON arrays)."""
    from .store import Store
    from .store.export import export_table

    try:
        with Store(db, read_only=True) as store:
            res = export_table(store, table, fmt, out, partition=partition)
    except TikTokResearchError as exc:
        raise fail(exc, as_json) from exc
    emit(res.__dict__, as_json, f"wrote {res.rows:,} {res.table} rows to {res.path} ({res.format})")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
