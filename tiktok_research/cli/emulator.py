"""``emulator serve|truth|export``: the local Research API and its planted truth."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..emulator.config import EmulatorConfig
from ..errors import UsageError
from .common import JsonOption, day, emit, fail

app = typer.Typer(
    help="The local Research API emulator: serve it, read its truth, export its corpus.",
    no_args_is_help=True,
)
D = EmulatorConfig()  # the defaults every option shows


SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the synthetic world.")]
VideosOpt = Annotated[int, typer.Option("--videos", min=1, help="Number of videos.")]
StartOpt = Annotated[str, typer.Option("--start", help="First day of videos (YYYY-MM-DD).")]
EndOpt = Annotated[str, typer.Option("--end", help="Last day of videos (YYYY-MM-DD).")]


@app.command("serve")
def emulator_serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8787,
    seed: SeedOpt = D.seed,
    videos: VideosOpt = D.videos,
    start: StartOpt = str(D.start),
    end: EndOpt = str(D.end),
    fault_rate: Annotated[
        float,
        typer.Option(
            help="Share of research requests that fail "
            "(500s, 504 HTML pages, drops, search-id expiry)."
        ),
    ] = D.fault_rate,
    deletion_rate: Annotated[
        float,
        typer.Option(help="Share of videos and comments that disappear over the next 30 days."),
    ] = D.deletion_rate,
    slow_rate: Annotated[
        float, typer.Option(help="Share of requests answered slowly.")
    ] = D.slow_rate,
    slow_seconds: Annotated[float, typer.Option(help="Delay of a slow answer.")] = D.slow_seconds,
    rate_limit: Annotated[int, typer.Option(help="Requests per second (0 = none).")] = D.rate_limit,
    quota_requests: Annotated[int, typer.Option(help="Daily request quota.")] = D.quota_requests,
    quota_records: Annotated[int, typer.Option(help="Daily record quota.")] = D.quota_records,
    token_lifetime: Annotated[
        int, typer.Option(help="Token lifetime in seconds.")
    ] = D.token_lifetime,
    client_key: Annotated[str, typer.Option(help="Client key to accept.")] = D.client_key,
    client_secret: Annotated[str, typer.Option(help="Client secret to accept.")] = D.client_secret,
) -> None:
    """Serve the emulated Research API over HTTP (Ctrl-C stops it)."""
    from ..emulator.server import serve

    try:
        config = EmulatorConfig(
            seed=seed,
            videos=videos,
            start=day(start),
            end=day(end),
            fault_rate=fault_rate,
            deletion_rate=deletion_rate,
            slow_rate=slow_rate,
            slow_seconds=slow_seconds,
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


def _corpus(seed: int, videos: int, start: str, end: str):
    """The synthetic world of these options; a bad option is a usage error naming it."""
    from ..emulator.corpus import Corpus, CorpusConfig

    try:
        config = CorpusConfig(seed=seed, videos=videos, start=day(start), end=day(end))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return Corpus(config)


@app.command("truth")
def emulator_truth(
    seed: SeedOpt = D.seed,
    videos: VideosOpt = D.videos,
    start: StartOpt = str(D.start),
    end: EndOpt = str(D.end),
    as_json: JsonOption = False,
) -> None:
    """Print the planted ground truth (coordinated groups, trends) as JSON."""
    truth = _corpus(seed, videos, start, end).truth()
    emit(truth, as_json, json.dumps(truth, indent=2, ensure_ascii=False))


@app.command("export")
def emulator_export(
    out: Annotated[Path, typer.Option("--out", help="Output file.")],
    seed: SeedOpt = D.seed,
    videos: VideosOpt = D.videos,
    start: StartOpt = str(D.start),
    end: EndOpt = str(D.end),
    fmt: Annotated[
        str, typer.Option("--format", help="ndjson (Research API records) or parquet.")
    ] = "ndjson",
    as_json: JsonOption = False,
) -> None:
    """Write the synthetic corpus' videos to a file (for benchmarks and import tests)."""
    from ..emulator import export_corpus

    if fmt not in ("ndjson", "parquet"):
        raise fail(UsageError(f"--format is ndjson or parquet, not {fmt!r}"), as_json)
    n = export_corpus(_corpus(seed, videos, start, end), str(out), fmt)
    emit({"videos": n, "path": str(out), "format": fmt}, as_json, f"wrote {n:,} videos to {out}")
