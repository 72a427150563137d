"""The ``tiktok-research`` command line: every tool and pipeline step as a command.

With ``--json`` a command prints exactly one JSON document on stdout; without
it, text for people. Exit codes: 0 ok, 1 failed, 2 bad usage or input (and,
for ``import``, 3 when some rows were rejected).
"""

from __future__ import annotations

import json
import sys
from datetime import date
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


emulator_app = typer.Typer(
    help="The local Research API emulator: serve it, read its truth, export its corpus.",
    no_args_is_help=True,
)
app.add_typer(emulator_app, name="emulator")


def _day(text: str) -> date:
    from .emulator.corpus import parse_day

    try:
        return parse_day(text)
    except ValueError:
        raise typer.BadParameter(f"expected a date YYYY-MM-DD, got {text!r}") from None


SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the synthetic world.")]
VideosOpt = Annotated[int, typer.Option("--videos", min=1, help="Number of videos.")]
StartOpt = Annotated[str, typer.Option("--start", help="First day of videos (YYYY-MM-DD).")]
EndOpt = Annotated[str, typer.Option("--end", help="Last day of videos (YYYY-MM-DD).")]


@emulator_app.command("serve")
def emulator_serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8787,
    seed: SeedOpt = 1,
    videos: VideosOpt = 20_000,
    start: StartOpt = "2024-01-01",
    end: EndOpt = "2024-03-31",
    fault_rate: Annotated[
        float,
        typer.Option(
            help="Share of research requests that fail "
            "(500s, 504 HTML pages, drops, search-id expiry)."
        ),
    ] = 0.0,
    deletion_rate: Annotated[
        float,
        typer.Option(help="Share of videos and comments that disappear over the next 30 days."),
    ] = 0.0,
    rate_limit: Annotated[int, typer.Option(help="Requests per second (0 = none).")] = 0,
    quota_requests: Annotated[int, typer.Option(help="Daily request quota.")] = 1000,
    quota_records: Annotated[int, typer.Option(help="Daily record quota.")] = 100_000,
    token_lifetime: Annotated[int, typer.Option(help="Token lifetime in seconds.")] = 7200,
    client_key: Annotated[str, typer.Option(help="Client key to accept.")] = "emulator-client-key",
    client_secret: Annotated[
        str, typer.Option(help="Client secret to accept.")
    ] = "emulator-client-secret",
) -> None:
    """Serve the emulated Research API over HTTP (Ctrl-C stops it)."""
    from .emulator.config import EmulatorConfig
    from .emulator.server import serve

    try:
        config = EmulatorConfig(
            seed=seed,
            videos=videos,
            start=_day(start),
            end=_day(end),
            fault_rate=fault_rate,
            deletion_rate=deletion_rate,
            rate_limit=rate_limit,
            quota_requests=quota_requests,
            quota_records=quota_records,
            token_lifetime=token_lifetime,
            client_key=client_key,
            client_secret=client_secret,
        )
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: binding {host} exposes the emulator beyond this machine", err=True)
    typer.echo(f"TikTok Research API emulator: {videos:,} videos (seed {seed}), {start} to {end}")
    typer.echo(
        f"  base URL:      http://{host}:{port}   (export TIKTOK_API_BASE=http://{host}:{port})"
    )
    typer.echo(f"  client key:    {client_key}")
    typer.echo(f"  client secret: {client_secret}")
    typer.echo(f"  OpenAPI:       http://{host}:{port}/docs   stats: /_emulator/stats")
    serve(config, host, port)


@emulator_app.command("truth")
def emulator_truth(
    seed: SeedOpt = 1,
    videos: VideosOpt = 20_000,
    start: StartOpt = "2024-01-01",
    end: EndOpt = "2024-03-31",
    as_json: JsonOption = False,
) -> None:
    """Print the planted ground truth (coordinated groups, trends) as JSON."""
    from .emulator.corpus import Corpus, CorpusConfig

    corpus = Corpus(CorpusConfig(seed=seed, videos=videos, start=_day(start), end=_day(end)))
    truth = corpus.truth()
    emit(truth, as_json, json.dumps(truth, indent=2, ensure_ascii=False))


@emulator_app.command("export")
def emulator_export(
    out: Annotated[Path, typer.Option("--out", help="Output file.")],
    seed: SeedOpt = 1,
    videos: VideosOpt = 20_000,
    start: StartOpt = "2024-01-01",
    end: EndOpt = "2024-03-31",
    fmt: Annotated[
        str, typer.Option("--format", help="ndjson (Research API records) or parquet.")
    ] = "ndjson",
    as_json: JsonOption = False,
) -> None:
    """Write the synthetic corpus' videos to a file (for benchmarks and import tests)."""
    from .emulator import export_corpus
    from .emulator.corpus import Corpus, CorpusConfig

    if fmt not in ("ndjson", "parquet"):
        raise fail(UsageError(f"--format is ndjson or parquet, not {fmt!r}"), as_json)
    corpus = Corpus(CorpusConfig(seed=seed, videos=videos, start=_day(start), end=_day(end)))
    n = export_corpus(corpus, str(out), fmt)
    emit({"videos": n, "path": str(out), "format": fmt}, as_json, f"wrote {n:,} videos to {out}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
