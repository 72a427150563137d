"""``import`` and ``export``: files in, files out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import DEFAULT_DB_PATH, DbOption, JsonOption, emit, guarded

app = typer.Typer()


@app.command("import")
@guarded
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files to import.")],
    db: DbOption = DEFAULT_DB_PATH,
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
    username: Annotated[
        str | None,
        typer.Option(
            "--username",
            help="The user a saved Research API user-info response belongs to (the response "
            "does not name it).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import Research API output, Zeeschuimer/4CAT captures or CSV files, with a validation report.

    Exit 0 when every row was stored, 3 when some rows were rejected (see the
    report for file, line, field and reason), 2 when an input is unusable.
    """
    from ..importers import import_files, parse_mapping
    from ..store import Store

    parsed = parse_mapping(mapping or [])
    with Store(db) as store:
        report = import_files(store, paths, fmt, parsed, strict, username)
    emit(
        report.model_dump(mode="json") | {"exit_code": report.exit_code}, as_json, report.to_text()
    )
    raise typer.Exit(report.exit_code)


@app.command("export")
@guarded
def export_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Output file (or directory with --partition).")
    ],
    db: DbOption = DEFAULT_DB_PATH,
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
    pseudonymise: Annotated[
        bool,
        typer.Option(
            "--pseudonymise",
            help="Replace usernames and ids by keyed HMAC-SHA256 pseudonyms, remove "
            "@mentions from text, leave out display names and avatars.",
        ),
    ] = False,
    key_file: Annotated[
        Path | None,
        typer.Option(
            "--key-file",
            help="Secret key for --pseudonymise, kept apart from the data "
            "(default: $TIKTOK_RESEARCH_PSEUDONYM_KEY).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Export a table with exact ids (CSV lists as JSON arrays), optionally pseudonymised."""
    from ..privacy import Pseudonymiser, load_key
    from ..store import Store
    from ..store.export import export_table

    pseudo = (
        Pseudonymiser(load_key(key_file, data_paths=[Path(db), Path(out)]))
        if pseudonymise
        else None
    )
    with Store(db, read_only=True) as store:
        res = export_table(store, table, fmt, out, partition=partition, pseudonymiser=pseudo)
    emit(res, as_json, f"wrote {res.rows:,} {res.table} rows to {res.path} ({res.format})")
