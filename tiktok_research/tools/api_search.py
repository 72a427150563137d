"""api_search: build, check and (on request) run a TikTok Research API collection.

From plain parameters (keywords, hashtags, regions, usernames, sound and
effect ids, a date range) it builds the video query in the API's own JSON,
checks it locally, splits the range into the API's 30-day windows and says
the most requests the collection can need and how many of today's quota are
left - without sending anything. With ``collect: true`` it runs the collection
into the study database (resumable: asking again continues an unfinished run)
and returns the run, what was stored, the requests spent and a sample of at
most 10 records. ``mode: comments`` collects the comments of given (or the
most-commented stored) videos; ``mode: users`` user info and lists.
Credentials come from TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET; TIKTOK_API_BASE
points at an emulator instead of TikTok.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from .. import api_spec
from ..api.query import Query, video_fields
from ..collect.drive import RunPlan, plan_run, run_collection
from ..collect.runner import RunSummary
from ..collect.tasks import Task, comment_tasks, user_tasks, video_tasks
from ..errors import UsageError
from .contract import Annotations, ToolContext

NAME = "api_search"
TITLE = "Search and collect through the Research API"
ANNOTATIONS = Annotations(read_only=False, destructive=False, idempotent=False, open_world=True)
SAMPLE = 10
UserList = Literal["followers", "following", "liked", "pinned", "reposted"]


class Input(BaseModel):
    mode: Literal["videos", "comments", "users"] = Field(
        "videos", description="What to collect: videos matching a query, comments, or users."
    )
    keywords: list[str] = Field(default_factory=list, description="Caption keywords (any).")
    hashtags: list[str] = Field(
        default_factory=list, description="Hashtags without # (any of them, or any keyword)."
    )
    regions: list[str] = Field(default_factory=list, description="ISO region codes, e.g. US, DE.")
    usernames: list[str] = Field(
        default_factory=list,
        description="videos: only these authors; users: the accounts to collect.",
    )
    music_ids: list[str] = Field(default_factory=list, description="Sound ids.")
    effect_ids: list[str] = Field(default_factory=list, description="Effect ids.")
    exclude_keywords: list[str] = Field(
        default_factory=list, description="Leave out videos with these caption keywords."
    )
    since: date | None = Field(None, description="videos: first day (UTC).")
    until: date | None = Field(None, description="videos: last day (UTC).")
    fields: list[str] = Field(
        default_factory=list, description="videos: fields to request (default: all)."
    )
    is_random: bool = Field(
        False, description="videos: a random sample (up to 100 per window) instead of all."
    )
    max_videos: int | None = Field(None, ge=1, description="videos: stop after this many.")
    video_ids: list[int] = Field(default_factory=list, description="comments: these videos.")
    most_commented: int | None = Field(
        None, ge=1, description="comments: the N most-commented videos already stored."
    )
    replies: bool = Field(False, description="comments: also the replies.")
    user_lists: list[UserList] = Field(
        default_factory=list, description="users: lists to collect besides the user info."
    )
    collect: bool = Field(
        False, description="Run the collection (spends quota); otherwise only plan it."
    )
    daily_quota: int = Field(
        api_spec.DAILY_REQUESTS, ge=1, description="Requests per day your lab may spend."
    )
    db: str | None = Field(None, description="Study database (default: the server's).")

    @model_validator(mode="after")
    def _complete(self) -> Input:
        if self.mode == "videos":
            if self.since is None or self.until is None:
                raise ValueError("mode videos needs since and until (YYYY-MM-DD)")
            if self.since > self.until:
                raise ValueError(f"since {self.since} is after until {self.until}")
        elif self.mode == "comments" and bool(self.video_ids) == bool(self.most_commented):
            raise ValueError("mode comments needs video_ids or most_commented (one of the two)")
        elif self.mode == "users" and not self.usernames:
            raise ValueError("mode users needs usernames")
        return self


class Output(BaseModel):
    mode: str
    query: dict[str, Any] | None = Field(description="The video query in the API's JSON.")
    query_text: str | None = Field(description="The query in words.")
    plan: RunPlan
    collected: bool
    run: RunSummary | None = Field(description="The collection run, when one ran.")
    sample: list[dict[str, Any]] = Field(description="At most 10 stored records of the run.")
    text: str


def _tasks(inp: Input, ctx: ToolContext) -> tuple[str, dict[str, Any], list[Task], Query | None]:
    """The command, its parameters and its tasks (checked: no request is sent here)."""
    if inp.mode == "videos":
        assert inp.since is not None and inp.until is not None
        query = Query.from_flags(
            inp.hashtags,
            inp.keywords,
            inp.regions,
            inp.usernames,
            inp.music_ids,
            inp.exclude_keywords,
            inp.effect_ids,
        )
        fields = video_fields(inp.fields)
        params: dict[str, Any] = {
            "query": query.to_api(),
            "since": str(inp.since),
            "until": str(inp.until),
            "fields": fields,
            "max_videos": inp.max_videos,
            "random": inp.is_random,
        }
        tasks = video_tasks(query, inp.since, inp.until, fields, inp.is_random)
        return "collect videos", params, tasks, query
    if inp.mode == "comments":
        ids = list(inp.video_ids)
        if inp.most_commented:
            with ctx.store(inp.db, read_only=True) as store:
                ids = store.most_commented(1, inp.most_commented)
            if not ids:
                raise UsageError("no stored video has comments: collect videos first")
        params = {"video_ids": ids, "replies": inp.replies}
        return "collect comments", params, comment_tasks(ids), None
    params = {"usernames": inp.usernames, "lists": list(inp.user_lists)}
    return "collect users", params, user_tasks(inp.usernames, inp.user_lists), None


def run(inp: Input, ctx: ToolContext) -> Output:
    command, params, tasks, query = _tasks(inp, ctx)
    table = {"videos": "videos", "comments": "comments", "users": "users"}[inp.mode]
    with ctx.store(inp.db) as store:
        plan = plan_run(
            store,
            command,
            tasks,
            daily_quota=inp.daily_quota,
            max_records=inp.max_videos,
            unbounded=inp.replies,
        )
        summary, sample = None, []
        if inp.collect:
            with ctx.client() as client:
                summary = run_collection(
                    store,
                    client,
                    command,
                    params,
                    tasks,
                    daily_quota=inp.daily_quota,
                    max_records=inp.max_videos,
                )
            sample = store.run_sample(table, summary.run_id, SAMPLE)
    lines = [f"query: {query.describe()}"] if query else []
    lines.append(plan.render())
    if summary:
        lines.append(summary.render())
    else:
        lines.append("nothing sent: call again with collect=true to run it")
    return Output(
        mode=inp.mode,
        query=query.to_api() if query else None,
        query_text=query.describe() if query else None,
        plan=plan,
        collected=summary is not None,
        run=summary,
        sample=sample,
        text="\n".join(lines),
    )
