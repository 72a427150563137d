"""The ``tiktok-research`` command line: every tool and pipeline step as a command.

With ``--json`` a command prints exactly one JSON document on stdout; without
it, text for people. Exit codes: 0 ok, 1 failed, 2 bad usage or input (and,
for ``import``, 3 when some rows were rejected).
"""

from __future__ import annotations

import functools
import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import TikTokResearchError, UsageError
from .store import DEFAULT_DB
from .tools import dataset_finder, study_design

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


def _guarded(fn):
    """A command whose package errors become a clear message (JSON with --json) and exit code."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TikTokResearchError as exc:
            raise fail(exc, kwargs.get("as_json", False)) from exc

    return wrapper


@app.command("import")
@_guarded
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

    parsed = parse_mapping(mapping or [])
    with Store(db) as store:
        report = import_files(store, paths, fmt, parsed, strict)
    emit(
        report.model_dump(mode="json") | {"exit_code": report.exit_code}, as_json, report.to_text()
    )
    raise typer.Exit(report.exit_code)


@app.command("export")
@_guarded
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
    from .privacy import Pseudonymiser, load_key
    from .store import Store
    from .store.export import export_table

    pseudo = (
        Pseudonymiser(load_key(key_file, data_paths=[Path(db), Path(out)]))
        if pseudonymise
        else None
    )
    with Store(db, read_only=True) as store:
        res = export_table(store, table, fmt, out, partition=partition, pseudonymiser=pseudo)
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
    slow_rate: Annotated[float, typer.Option(help="Share of requests answered slowly.")] = 0.0,
    slow_seconds: Annotated[float, typer.Option(help="Delay of a slow answer.")] = 2.0,
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
    from .emulator.corpus import Corpus, CorpusConfig

    try:
        config = CorpusConfig(seed=seed, videos=videos, start=_day(start), end=_day(end))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    return Corpus(config)


@emulator_app.command("truth")
def emulator_truth(
    seed: SeedOpt = 1,
    videos: VideosOpt = 20_000,
    start: StartOpt = "2024-01-01",
    end: EndOpt = "2024-03-31",
    as_json: JsonOption = False,
) -> None:
    """Print the planted ground truth (coordinated groups, trends) as JSON."""
    truth = _corpus(seed, videos, start, end).truth()
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

    if fmt not in ("ndjson", "parquet"):
        raise fail(UsageError(f"--format is ndjson or parquet, not {fmt!r}"), as_json)
    n = export_corpus(_corpus(seed, videos, start, end), str(out), fmt)
    emit({"videos": n, "path": str(out), "format": fmt}, as_json, f"wrote {n:,} videos to {out}")


collect_app = typer.Typer(
    help="Collect from the Research API into the store (resumable).", no_args_is_help=True
)
app.add_typer(collect_app, name="collect")

ApiBaseOpt = Annotated[
    str | None,
    typer.Option(
        "--api-base", help="Research API base URL (default: $TIKTOK_API_BASE or TikTok's)."
    ),
]
WaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait",
        help="On the daily quota, sleep until it resets "
        "(00:00 UTC) and go on, instead of stopping.",
    ),
]
DryOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print the most requests the run can need and today's quota left; send nothing.",
    ),
]
RetriesOpt = Annotated[
    int, typer.Option("--max-retries", min=1, help="Attempts per request on transient errors.")
]
RetryBaseOpt = Annotated[
    float,
    typer.Option(
        "--retry-base",
        min=0.0,
        help="First backoff delay in seconds (doubles each attempt, with jitter).",
    ),
]
QuotaOpt = Annotated[
    int,
    typer.Option(
        "--daily-quota",
        min=1,
        help="Requests per day your lab may spend (shared by every run on this database).",
    ),
]


def _client(api_base: str | None, max_retries: int = 8, retry_base: float = 1.0):
    from .api.client import ResearchClient, RetryPolicy

    return ResearchClient(
        base_url=api_base, retry=RetryPolicy(max_attempts=max_retries, base_delay=retry_base)
    )


def _run_collection(
    db: Path,
    command: str,
    params: dict,
    tasks: list,
    *,
    api_base: str | None,
    wait: bool,
    dry_run: bool,
    as_json: bool,
    max_retries: int,
    retry_base: float,
    daily_quota: int,
    max_records: int | None = None,
) -> None:
    from .collect import max_requests
    from .store import Store

    with Store(db) as store:
        if dry_run:
            from datetime import UTC, datetime

            used, _ = store.quota_used(datetime.now(UTC).date())
            bound = None if params.get("replies") else max_requests(tasks, max_records)
            plan = {
                "command": command,
                "tasks": len(tasks),
                "windows": [t.key for t in tasks if t.kind == "videos"],
                "max_requests": bound,
                "quota_left_today": max(0, daily_quota - used),
                "daily_quota": daily_quota,
            }
            text = (
                f"{command}: {len(tasks)} task(s)"
                + (
                    f", windows: {', '.join(w.split(':', 1)[1] for w in plan['windows'])}"
                    if plan["windows"]
                    else ""
                )
                + "\nmost requests needed: "
                + (f"{bound:,}" if bound is not None else "no bound without --max-videos")
                + f"\nquota left today: {plan['quota_left_today']:,} of {daily_quota:,}"
            )
            emit(plan, as_json, text)
            return
        summary = _drive(
            store,
            lambda collector: collector.start(command, params, tasks),
            api_base=api_base,
            wait=wait,
            as_json=as_json,
            max_retries=max_retries,
            retry_base=retry_base,
            daily_quota=daily_quota,
            max_records=max_records,
        )
    _report(summary, as_json)


def _drive(
    store,
    start,
    *,
    api_base: str | None,
    wait: bool,
    as_json: bool,
    max_retries: int,
    retry_base: float,
    daily_quota: int,
    max_records: int | None = None,
):
    """Run a collection with a progress bar; ``start(collector)`` names the run."""
    from .collect import Collector
    from .progress import CollectProgress

    with _client(api_base, max_retries, retry_base) as client:
        collector = Collector(store, client, wait=wait, daily_quota=daily_quota)
        run_id = start(collector)
        with CollectProgress(
            enabled=None if not as_json else False, quota_left=collector.quota_left
        ) as progress:
            collector.progress = progress
            return collector.run(run_id, max_records)


def _report(summary, as_json: bool) -> None:
    """A run's summary; exit 1 when it did not finish."""
    text = (
        f"run {summary.run_id} {summary.status}: {summary.pages:,} pages, "
        f"{summary.records:,} records ({summary.inserted:,} new, {summary.updated:,} updated),"
        f" {summary.tasks_done}/{summary.tasks_total} tasks; quota left today "
        f"{summary.quota_left}; database {summary.db}"
        + (f"\n{summary.message}" if summary.message else "")
    )
    emit(summary.__dict__, as_json, text)
    if summary.status != "done":
        raise typer.Exit(1)


@collect_app.command("videos")
@_guarded
def collect_videos(
    since: Annotated[str, typer.Option("--since", help="First day (YYYY-MM-DD, UTC).")],
    until: Annotated[str, typer.Option("--until", help="Last day (YYYY-MM-DD, UTC).")],
    db: DbOption = Path(DEFAULT_DB),
    query_file: Annotated[
        Path | None, typer.Option("--query-file", help="A query in the API's own JSON shape.")
    ] = None,
    hashtag: Annotated[
        list[str] | None,
        typer.Option("--hashtag", help="Hashtag (repeatable; any of them, or any --keyword)."),
    ] = None,
    keyword: Annotated[
        list[str] | None, typer.Option("--keyword", help="Caption keyword (repeatable).")
    ] = None,
    region: Annotated[
        list[str] | None, typer.Option("--region", help="ISO region code (repeatable).")
    ] = None,
    username: Annotated[
        list[str] | None, typer.Option("--username", help="Author (repeatable).")
    ] = None,
    music_id: Annotated[
        list[str] | None, typer.Option("--music-id", help="Sound id (repeatable).")
    ] = None,
    fields: Annotated[
        str | None, typer.Option("--fields", help="Comma-separated video fields (default: all).")
    ] = None,
    max_videos: Annotated[
        int | None, typer.Option("--max-videos", min=1, help="Stop after this many videos.")
    ] = None,
    random: Annotated[
        bool,
        typer.Option(
            "--random", help="A random sample (up to 100 per window) instead of everything."
        ),
    ] = False,
    api_base: ApiBaseOpt = None,
    wait: WaitOpt = False,
    dry_run: DryOpt = False,
    max_retries: RetriesOpt = 8,
    retry_base: RetryBaseOpt = 1.0,
    daily_quota: QuotaOpt = 1000,
    as_json: JsonOption = False,
) -> None:
    """Collect videos matching a query, in 30-day windows, page by page."""
    from . import api_spec
    from .api.query import Query
    from .collect import video_tasks

    start, end = _day(since), _day(until)
    if query_file:
        if hashtag or keyword or region or username or music_id:
            raise UsageError(
                "give the query as --query-file or as flags (--hashtag, --keyword, --region, "
                "--username, --music-id), not both"
            )
        query = Query.from_file(query_file)
    else:
        query = Query.from_flags(
            hashtag or [], keyword or [], region or [], username or [], music_id or []
        )
    field_list = [f.strip() for f in fields.split(",")] if fields else list(api_spec.VIDEO_FIELDS)
    bad = [f for f in field_list if api_spec.canonical_field(f) not in api_spec.VIDEO_FIELDS]
    if bad:
        raise UsageError(f"unknown video field(s) {bad}; valid: {', '.join(api_spec.VIDEO_FIELDS)}")
    tasks = video_tasks(query, start, end, field_list, random)
    params = {
        "query": query.to_api(),
        "since": str(start),
        "until": str(end),
        "fields": field_list,
        "max_videos": max_videos,
        "random": random,
    }
    _run_collection(
        db,
        "collect videos",
        params,
        tasks,
        api_base=api_base,
        wait=wait,
        dry_run=dry_run,
        as_json=as_json,
        max_retries=max_retries,
        retry_base=retry_base,
        daily_quota=daily_quota,
        max_records=max_videos,
    )


@collect_app.command("comments")
@_guarded
def collect_comments(
    db: DbOption = Path(DEFAULT_DB),
    video_id: Annotated[
        list[int] | None, typer.Option("--video-id", help="Video id (repeatable).")
    ] = None,
    from_videos: Annotated[
        bool, typer.Option("--from-videos", help="Every stored video with enough comments.")
    ] = False,
    min_comments: Annotated[
        int, typer.Option("--min-comments", min=0, help="With --from-videos: at least this many.")
    ] = 1,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", min=1, help="With --from-videos: the most-commented N videos only."
        ),
    ] = None,
    replies: Annotated[
        bool, typer.Option("--replies", help="Also the replies of every collected comment.")
    ] = False,
    api_base: ApiBaseOpt = None,
    wait: WaitOpt = False,
    dry_run: DryOpt = False,
    max_retries: RetriesOpt = 8,
    retry_base: RetryBaseOpt = 1.0,
    daily_quota: QuotaOpt = 1000,
    as_json: JsonOption = False,
) -> None:
    """Collect comments (the top 1,000 per video) and, with --replies, their replies."""
    from .collect import comment_tasks
    from .store import Store

    if bool(video_id) == from_videos:
        raise UsageError("give --video-id ... or --from-videos (one of the two)")
    ids = list(video_id or [])
    if from_videos:
        with Store(db, read_only=True) as store:
            ids = [
                r[0]
                for r in store.con.execute(
                    "SELECT id FROM videos WHERE coalesce(comment_count, 0) >= ? "
                    "ORDER BY comment_count DESC, id" + (f" LIMIT {int(limit)}" if limit else ""),
                    [min_comments],
                ).fetchall()
            ]
        if not ids:
            raise UsageError(f"no stored video has at least {min_comments} comments")
    params = {"video_ids": ids, "replies": replies}
    _run_collection(
        db,
        "collect comments",
        params,
        comment_tasks(ids),
        api_base=api_base,
        wait=wait,
        dry_run=dry_run,
        as_json=as_json,
        max_retries=max_retries,
        retry_base=retry_base,
        daily_quota=daily_quota,
    )


@collect_app.command("users")
@_guarded
def collect_users(
    username: Annotated[list[str], typer.Option("--username", help="Account (repeatable).")],
    db: DbOption = Path(DEFAULT_DB),
    followers: Annotated[bool, typer.Option("--followers", help="Also their followers.")] = False,
    following: Annotated[bool, typer.Option("--following", help="Also who they follow.")] = False,
    liked: Annotated[bool, typer.Option("--liked", help="Also their liked videos.")] = False,
    pinned: Annotated[bool, typer.Option("--pinned", help="Also their pinned videos.")] = False,
    reposted: Annotated[bool, typer.Option("--reposted", help="Also their reposts.")] = False,
    api_base: ApiBaseOpt = None,
    wait: WaitOpt = False,
    dry_run: DryOpt = False,
    max_retries: RetriesOpt = 8,
    retry_base: RetryBaseOpt = 1.0,
    daily_quota: QuotaOpt = 1000,
    as_json: JsonOption = False,
) -> None:
    """Collect user info and, if asked, followers, following, liked, pinned and reposted lists."""
    from .collect import user_tasks

    lists = [
        n
        for n, on in (
            ("followers", followers),
            ("following", following),
            ("liked", liked),
            ("pinned", pinned),
            ("reposted", reposted),
        )
        if on
    ]
    params = {"usernames": username, "lists": lists}
    _run_collection(
        db,
        "collect users",
        params,
        user_tasks(username, lists),
        api_base=api_base,
        wait=wait,
        dry_run=dry_run,
        as_json=as_json,
        max_retries=max_retries,
        retry_base=retry_base,
        daily_quota=daily_quota,
    )


@collect_app.command("resume")
@_guarded
def collect_resume(
    db: DbOption = Path(DEFAULT_DB),
    run: Annotated[
        int | None,
        typer.Option("--run", help="Run id (default: the latest unfinished collection)."),
    ] = None,
    api_base: ApiBaseOpt = None,
    wait: WaitOpt = False,
    max_retries: RetriesOpt = 8,
    retry_base: RetryBaseOpt = 1.0,
    daily_quota: QuotaOpt = 1000,
    as_json: JsonOption = False,
) -> None:
    """Continue an interrupted collection from its last saved page."""
    from .collect import latest_unfinished
    from .store import Store

    with Store(db) as store:
        run_id = run or latest_unfinished(store)
        if run_id is None:
            raise UsageError(f"no unfinished collection in {db}")
        summary = _drive(
            store,
            lambda collector: run_id,
            api_base=api_base,
            wait=wait,
            as_json=as_json,
            max_retries=max_retries,
            retry_base=retry_base,
            daily_quota=daily_quota,
        )
    _report(summary, as_json)


@app.command("refresh")
@_guarded
def refresh_cmd(
    db: DbOption = Path(DEFAULT_DB),
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than", help="Re-check what was not checked within this long (e.g. 15d, 36h)."
        ),
    ] = "15d",
    api_base: ApiBaseOpt = None,
    max_retries: RetriesOpt = 8,
    retry_base: RetryBaseOpt = 1.0,
    as_json: JsonOption = False,
) -> None:
    """The 15-day duty: re-check stored videos and comments, delete what is gone (audited)."""
    from .compliance import refresh
    from .store import Store

    age = _duration(older_than)
    with Store(db) as store, _client(api_base, max_retries, retry_base) as client:
        out = refresh(store, client, age)
    text = (
        f"refresh run {out.run_id}: checked {out.checked['video']:,} videos and "
        f"{out.checked['comment']:,} comments; deleted {out.deleted['video']:,} videos and "
        f"{out.deleted['comment']:,} comments (audit in table deletions)"
        + "".join(f"\nnote: {n}" for n in out.notes)
    )
    emit(out.__dict__, as_json, text)


def _duration(text: str):
    from datetime import timedelta

    text = text.strip().lower()
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if len(text) < 2 or text[-1] not in units or not text[:-1].replace(".", "", 1).isdigit():
        raise UsageError(f"--older-than expects a duration like 15d or 36h, got {text!r}")
    return timedelta(**{units[text[-1]]: float(text[:-1])})


@app.command("status")
@_guarded
def status_cmd(db: DbOption = Path(DEFAULT_DB), as_json: JsonOption = False) -> None:
    """Each run's age and state, record counts, and what is past the 15-day refresh duty."""
    from .compliance import status
    from .store import Store

    with Store(db, read_only=True) as store:
        st = status(store)
    lines = [f"database {st['db']}"]
    for r in st["runs"]:
        lines.append(
            f"  run {r['run_id']:>4} {r['kind']:<8} {r['status']:<20} "
            f"{r['age_days']:>6} days ago  {r['command']}"
        )
    c = st["counts"]
    lines.append(
        f"  {c['videos']:,} videos, {c['comments']:,} comments, {c['users']:,} users, "
        f"{c['follow_edges']:,} follow edges; last refresh: {st['last_refresh'] or 'never'}"
    )
    q = st["quota_today"]
    lines.append(f"  quota today: {q['requests']:,} requests spent, {q['requests_left']:,} left")
    lines += [f"warning: {w}" for w in st["warnings"]]
    emit(st, as_json, "\n".join(lines))


@app.command("demo")
@_guarded
def demo_cmd(
    out: Annotated[Path, typer.Option("--out", help="Directory for the demo database.")] = Path(
        "tiktok-research-demo"
    ),
    videos: Annotated[
        int, typer.Option("--videos", min=1000, help="Size of the emulated world.")
    ] = 30_000,
    seed: SeedOpt = 1,
    as_json: JsonOption = False,
) -> None:
    """Collect from the embedded emulator end to end (windows, pages, comments, users)."""
    from .demo import render, run_demo
    from .progress import CollectProgress

    with CollectProgress(enabled=None if not as_json else False) as progress:
        summary = run_demo(out, videos, seed, progress)
    emit(summary, as_json, render(summary))


def _tool(module, data: dict, as_json: bool, **run_kw) -> None:
    from pydantic import ValidationError

    try:
        inp = module.Input.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise UsageError(f"{where}: {err['msg']}") from None
    out = module.run(inp, **run_kw)
    emit(out.model_dump(mode="json"), as_json, out.text)


def _described(fields: dict) -> dict[str, str]:
    """Option help from a tool's model: its description, and its choices if it has some."""
    import typing

    out = {}
    for name, f in fields.items():
        choices = typing.get_args(f.annotation)
        if typing.get_origin(f.annotation) is list:
            choices = typing.get_args(choices[0]) if choices else ()
        text = f.description or ""
        if choices and all(isinstance(c, str) for c in choices):
            text += f" Choices: {', '.join(choices)}."
        out[name] = text
    return out


# The tools' pydantic models are the one place an option's meaning is written.
_SD = _described(study_design.Input.model_fields)
_DF = _described(dataset_finder.Input.model_fields)


@app.command("design")
@_guarded
def design_cmd(
    question: Annotated[str, typer.Argument(help=_SD["research_question"])],
    research_type: Annotated[str, typer.Option("--type", help=_SD["research_type"])],
    country: Annotated[str | None, typer.Option(help=_SD["country"])] = None,
    region: Annotated[str | None, typer.Option(help=_SD["region"])] = None,
    institution: Annotated[str, typer.Option(help=_SD["institution"])] = "university",
    approval: Annotated[str, typer.Option(help=_SD["approval_status"])] = "none",
    budget: Annotated[str, typer.Option(help=_SD["budget"])] = "low",
    weeks: Annotated[int | None, typer.Option(help=_SD["weeks_available"])] = None,
    since: Annotated[str | None, typer.Option(help=_SD["period_start"])] = None,
    until: Annotated[str | None, typer.Option(help=_SD["period_end"])] = None,
    need: Annotated[list[str] | None, typer.Option(help=f"{_SD['needs']} (repeatable)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rank the ways to get TikTok data for a research question, with reasons and sources."""
    _tool(
        study_design,
        {
            "research_question": question,
            "research_type": research_type,
            "country": country,
            "region": region,
            "institution": institution,
            "approval_status": approval,
            "budget": budget,
            "weeks_available": weeks,
            "period_start": since,
            "period_end": until,
            "needs": need or [],
        },
        as_json,
    )


datasets_app = typer.Typer(help="Existing TikTok datasets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")


@datasets_app.command("search")
@_guarded
def datasets_search(
    topic: Annotated[str, typer.Argument(help=_DF["topic"])],
    keyword: Annotated[
        list[str] | None, typer.Option(help=f"{_DF['keywords']} (repeatable)")
    ] = None,
    since: Annotated[str | None, typer.Option(help=_DF["period_start"])] = None,
    until: Annotated[str | None, typer.Option(help=_DF["period_end"])] = None,
    field: Annotated[
        list[str] | None, typer.Option(help=f"{_DF['fields_needed']} (repeatable)")
    ] = None,
    access: Annotated[str, typer.Option(help=_DF["access"])] = "any",
    live: Annotated[bool, typer.Option(help=_DF["live"])] = False,
    limit: Annotated[int, typer.Option(help="Most matches shown.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Find citable TikTok datasets that fit a topic, period and data needs."""
    _tool(
        dataset_finder,
        {
            "topic": topic,
            "keywords": keyword or [],
            "period_start": since,
            "period_end": until,
            "fields_needed": field or [],
            "access": access,
            "live": live,
            "max_results": limit,
        },
        as_json,
    )


@app.command("ethics-review")
@_guarded
def ethics_review_cmd(
    plan: Annotated[Path | None, typer.Argument(help="Study plan (YAML or JSON).")] = None,
    example: Annotated[
        bool,
        typer.Option(
            "--example",
            help="Print an example plan with every field the checks read, to start from.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check a study plan against ethics and data-protection criteria; findings with fixes."""
    from . import guidance
    from .tools import ethics_review

    if example:
        import yaml

        sample = guidance.load().example_plan
        emit(sample, as_json, yaml.safe_dump(sample, sort_keys=False, allow_unicode=True))
        return
    if plan is None:
        raise UsageError("give a plan file (or --example to see one)")
    _tool(ethics_review, {"plan": ethics_review.read_plan(plan)}, as_json)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
