"""``collect videos|comments|users|resume``, ``refresh`` and ``status``."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Any

import typer

from ..errors import UsageError
from .common import (
    DAILY_QUOTA,
    DEFAULT_DB_PATH,
    MAX_RETRIES,
    RETRY_BASE,
    ApiBaseOpt,
    DbOption,
    DryOpt,
    JsonOption,
    QuotaOpt,
    RetriesOpt,
    RetryBaseOpt,
    WaitOpt,
    day,
    emit,
    guarded,
    make_client,
)

app = typer.Typer()
collect_app = typer.Typer(
    help="Collect from the Research API into the store (resumable).", no_args_is_help=True
)
app.add_typer(collect_app, name="collect")


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
    from ..collect.drive import plan_run
    from ..store import Store

    with Store(db) as store:
        if dry_run:
            plan = plan_run(
                store,
                command,
                tasks,
                daily_quota=daily_quota,
                max_records=max_records,
                unbounded=bool(params.get("replies")),
            )
            emit(plan, as_json, plan.render())
            return
        summary = _drive(
            store,
            command,
            params,
            tasks,
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
    store: Any,
    command: str,
    params: dict,
    tasks: list,
    *,
    api_base: str | None,
    wait: bool,
    as_json: bool,
    max_retries: int,
    retry_base: float,
    daily_quota: int,
    max_records: int | None = None,
    run_id: int | None = None,
) -> Any:
    """Run a collection with a progress bar on a terminal."""
    from ..collect.drive import run_collection
    from .progress import CollectProgress

    with make_client(api_base, max_retries, retry_base) as client:
        return run_collection(
            store,
            client,
            command,
            params,
            tasks,
            wait=wait,
            daily_quota=daily_quota,
            max_records=max_records,
            progress=functools.partial(CollectProgress, enabled=None if not as_json else False),
            run_id=run_id,
        )


def _report(summary, as_json: bool) -> None:
    """A run's summary; exit 1 when it did not finish."""
    emit(summary, as_json, summary.render())
    if summary.status != "done":
        raise typer.Exit(1)


@collect_app.command("videos")
@guarded
def collect_videos(
    since: Annotated[str, typer.Option("--since", help="First day (YYYY-MM-DD, UTC).")],
    until: Annotated[str, typer.Option("--until", help="Last day (YYYY-MM-DD, UTC).")],
    db: DbOption = DEFAULT_DB_PATH,
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
    max_retries: RetriesOpt = MAX_RETRIES,
    retry_base: RetryBaseOpt = RETRY_BASE,
    daily_quota: QuotaOpt = DAILY_QUOTA,
    as_json: JsonOption = False,
) -> None:
    """Collect videos matching a query, in 30-day windows, page by page."""
    from ..api.query import Query, video_fields
    from ..collect import video_tasks

    start, end = day(since), day(until)
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
    field_list = video_fields(fields.split(",") if fields else None)
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
@guarded
def collect_comments(
    db: DbOption = DEFAULT_DB_PATH,
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
    max_retries: RetriesOpt = MAX_RETRIES,
    retry_base: RetryBaseOpt = RETRY_BASE,
    daily_quota: QuotaOpt = DAILY_QUOTA,
    as_json: JsonOption = False,
) -> None:
    """Collect comments (the top 1,000 per video) and, with --replies, their replies."""
    from ..collect import comment_tasks
    from ..store import Store

    if bool(video_id) == from_videos:
        raise UsageError("give --video-id ... or --from-videos (one of the two)")
    ids = list(video_id or [])
    if from_videos:
        with Store(db, read_only=True) as store:
            ids = store.most_commented(min_comments, limit)
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
@guarded
def collect_users(
    username: Annotated[list[str], typer.Option("--username", help="Account (repeatable).")],
    db: DbOption = DEFAULT_DB_PATH,
    followers: Annotated[bool, typer.Option("--followers", help="Also their followers.")] = False,
    following: Annotated[bool, typer.Option("--following", help="Also who they follow.")] = False,
    liked: Annotated[bool, typer.Option("--liked", help="Also their liked videos.")] = False,
    pinned: Annotated[bool, typer.Option("--pinned", help="Also their pinned videos.")] = False,
    reposted: Annotated[bool, typer.Option("--reposted", help="Also their reposts.")] = False,
    api_base: ApiBaseOpt = None,
    wait: WaitOpt = False,
    dry_run: DryOpt = False,
    max_retries: RetriesOpt = MAX_RETRIES,
    retry_base: RetryBaseOpt = RETRY_BASE,
    daily_quota: QuotaOpt = DAILY_QUOTA,
    as_json: JsonOption = False,
) -> None:
    """Collect user info and, if asked, followers, following, liked, pinned and reposted lists."""
    from ..collect import user_tasks

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
@guarded
def collect_resume(
    db: DbOption = DEFAULT_DB_PATH,
    run: Annotated[
        int | None,
        typer.Option("--run", help="Run id (default: the latest unfinished collection)."),
    ] = None,
    api_base: ApiBaseOpt = None,
    wait: WaitOpt = False,
    max_retries: RetriesOpt = MAX_RETRIES,
    retry_base: RetryBaseOpt = RETRY_BASE,
    daily_quota: QuotaOpt = DAILY_QUOTA,
    as_json: JsonOption = False,
) -> None:
    """Continue an interrupted collection from its last saved page."""
    from ..store import Store

    with Store(db) as store:
        run_id = run or store.latest_unfinished()
        if run_id is None:
            raise UsageError(f"no unfinished collection in {db}")
        summary = _drive(
            store,
            "collect resume",
            {},
            [],
            api_base=api_base,
            wait=wait,
            as_json=as_json,
            max_retries=max_retries,
            retry_base=retry_base,
            daily_quota=daily_quota,
            run_id=run_id,
        )
    _report(summary, as_json)


@app.command("refresh")
@guarded
def refresh_cmd(
    db: DbOption = DEFAULT_DB_PATH,
    older_than: Annotated[
        str,
        typer.Option(
            "--older-than", help="Re-check what was not checked within this long (e.g. 15d, 36h)."
        ),
    ] = "15d",
    api_base: ApiBaseOpt = None,
    max_retries: RetriesOpt = MAX_RETRIES,
    retry_base: RetryBaseOpt = RETRY_BASE,
    as_json: JsonOption = False,
) -> None:
    """The 15-day duty: re-check stored videos and comments, delete what is gone (audited)."""
    from ..collect import refresh
    from ..store import Store

    age = _duration(older_than)
    with Store(db) as store, make_client(api_base, max_retries, retry_base) as client:
        out = refresh(store, client, age)
    emit(out, as_json, out.render())


def _duration(text: str):
    from datetime import timedelta

    text = text.strip().lower()
    units = {"d": "days", "h": "hours", "m": "minutes"}
    if len(text) < 2 or text[-1] not in units or not text[:-1].replace(".", "", 1).isdigit():
        raise UsageError(f"--older-than expects a duration like 15d or 36h, got {text!r}")
    return timedelta(**{units[text[-1]]: float(text[:-1])})


@app.command("status")
@guarded
def status_cmd(db: DbOption = DEFAULT_DB_PATH, as_json: JsonOption = False) -> None:
    """Each run's age and state, record counts, and what is past the 15-day refresh duty."""
    from ..collect import status
    from ..store import Store

    with Store(db, read_only=True) as store:
        st = status(store)
    emit(st, as_json, st.render())


@app.command("enrich")
@guarded
def enrich_cmd(
    db: DbOption = DEFAULT_DB_PATH,
    from_donations: Annotated[
        bool,
        typer.Option(
            "--from-donations", help="Look up the videos of donated data packages (required)."
        ),
    ] = False,
    api_base: ApiBaseOpt = None,
    dry_run: DryOpt = False,
    max_retries: RetriesOpt = MAX_RETRIES,
    retry_base: RetryBaseOpt = RETRY_BASE,
    daily_quota: QuotaOpt = DAILY_QUOTA,
    as_json: JsonOption = False,
) -> None:
    """Look donated video ids up through the Research API into the videos table; record the
    ones it does not return."""
    from datetime import UTC, datetime

    from ..collect.drive import plan_run
    from ..collect.enrich import EnrichSummary, id_tasks
    from ..store import Store

    if not from_donations:
        raise UsageError("say what to enrich: --from-donations")
    with Store(db) as store:
        ids = store.donated_videos_missing()
        tasks = id_tasks(ids)
        if dry_run or not ids:
            plan = plan_run(store, "enrich from donations", tasks, daily_quota=daily_quota,
                            max_records=len(ids))  # fmt: skip
            emit(plan, as_json, plan.render() + f"\n{len(ids):,} donated videos to look up")
            return
        summary = _drive(
            store,
            "enrich from donations",
            {"video_ids": len(ids)},
            tasks,
            api_base=api_base,
            wait=False,
            as_json=as_json,
            max_retries=max_retries,
            retry_base=retry_base,
            daily_quota=daily_quota,
        )
        missing = 0
        if summary.status == "done":
            with store.transaction():
                missing = store.mark_missing(ids, summary.run_id, datetime.now(UTC))
    out = EnrichSummary(
        run_id=summary.run_id,
        status=summary.status,
        requested=len(ids),
        found=len(ids) - missing if summary.status == "done" else 0,
        missing=missing,
        missing_share=missing / len(ids) if ids and summary.status == "done" else None,
        message=summary.message,
    )
    emit(out, as_json, out.render())
    if summary.status != "done":
        raise typer.Exit(1)
