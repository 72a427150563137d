"""``import`` and ``export``: files in, files out."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from .common import DEFAULT_DB_PATH, DbOption, JsonOption, emit, guarded

app = typer.Typer()


@app.command("import")
@guarded
def import_cmd(
    paths: Annotated[list[Path], typer.Argument(help="Files to import.")],
    db: DbOption = DEFAULT_DB_PATH,
    fmt: Annotated[
        str,
        typer.Option(
            "--format", help="auto, research-api, zeeschuimer, 4cat-csv, csv or tiktok-ddp."
        ),
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
    participant: Annotated[
        str | None,
        typer.Option("--participant", help="Donation: the participant's id in your study."),
    ] = None,
    consent_file: Annotated[
        Path | None,
        typer.Option("--consent-file", help="Donation: the consent record (YAML or JSON)."),
    ] = None,
    keep_follows: Annotated[
        bool, typer.Option("--keep-follows", help="Donation: keep follow lists (as pseudonyms).")
    ] = False,
    keep_comment_text: Annotated[
        bool, typer.Option("--keep-comment-text", help="Donation: keep the comments' text.")
    ] = False,
    key_file: Annotated[
        Path | None,
        typer.Option("--key-file", help="Donation: pseudonym key (default: its env variable)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Import Research API output, Zeeschuimer/4CAT captures, CSV files, or donated TikTok data
    packages (--format tiktok-ddp, detected too), with a validation report.

    Exit 0 when every row was stored, 3 when some rows were rejected (see the
    report for file, line, field and reason), 2 when an input is unusable.
    """
    from ..importers import import_files, parse_mapping
    from ..ingest.ddp import looks_like_package
    from ..store import Store

    donated = [looks_like_package(p) for p in paths] if fmt == "auto" else []
    if fmt == "tiktok-ddp" or (donated and all(donated)):
        from ..tools import TOOLS, ToolContext

        if participant is None or consent_file is None:
            raise UsageError(
                "a donated data package needs --participant ID and --consent-file FILE "
                "(consent date and scope; for a minor, the guardian's consent)"
            )
        reports = [
            TOOLS["donation_import"].call(
                {
                    "path": str(p),
                    "participant": participant,
                    "consent_file": str(consent_file),
                    "keep_follows": keep_follows,
                    "keep_comment_text": keep_comment_text,
                    "key_file": str(key_file) if key_file else None,
                    "db": str(db),
                },
                ToolContext.from_env(db=db),
            )
            for p in paths
        ]
        emit(
            {"donations": [r.model_dump(mode="json") for r in reports], "exit_code": 0},
            as_json,
            "\n".join(str(getattr(r, "text", "")) for r in reports),
        )
        return
    if any(donated):
        raise UsageError("import donated data packages on their own, not with other files")
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
