"""What a collection run does, as a list of tasks: a date window of a video query, a video's
comments, a comment's replies, a user's info or one of a user's lists.

Tasks are planned before any request is sent, saved with the run, and carry
their own paging state; the request bodies come from the endpoint table in
``api_spec``, the one place that knows how each endpoint pages.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from .. import api_spec
from ..api.client import Page, video_query_base
from ..api.query import Query
from ..api.windows import windows, yyyymmdd


@dataclass
class Task:
    key: str
    kind: str  # an endpoint name (videos, comments, user_info, followers, ...) or replies
    endpoint: str
    body: dict[str, Any]
    fields: list[str] | None = None
    cursor: int | None = None
    search_id: str | None = None
    has_more: bool = True
    pages: int = 0
    records: int = 0
    done: bool = False
    restarted: bool = False  # a one-day window paged again after its search id kept failing

    @property
    def spec(self) -> api_spec.Endpoint:
        return api_spec.endpoint(self.endpoint)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "endpoint": self.endpoint,
            "body": self.body,
            "fields": self.fields,
        }

    def request(self) -> dict[str, Any]:
        """The body of the next request of this task."""
        return self.spec.request(self.body, cursor=self.cursor, search_id=self.search_id)

    def advance(self, page: Page) -> None:
        self.pages += 1
        self.records += page.attempt.records
        self.cursor = page.cursor
        self.search_id = page.search_id or self.search_id
        ep = self.spec
        single = ep.paging == "single" or self.body.get("is_random")
        capped = ep.cap is not None and (self.cursor or 0) >= ep.cap
        self.has_more = page.has_more and not single and not capped
        self.done = not self.has_more


def _task(key: str, name: str, body: dict[str, Any], kind: str | None = None) -> Task:
    ep = api_spec.BY_NAME[name]
    return Task(key, kind or name, ep.path, body, list(ep.fields) if ep.fields else None)


def video_tasks(
    query: Query,
    since: date,
    until: date,
    fields: list[str] | None = None,
    random: bool = False,
) -> list[Task]:
    """One task per window of at most 30 days."""
    q = query.to_api()
    tasks = []
    for start, end in windows(since, until):
        body = video_query_base(q, start, end, random)
        t = _task(f"videos:{start}:{end}", "videos", body)
        if fields:
            t.fields = list(fields)
        tasks.append(t)
    return tasks


def window_task(task: Task, start: date, end: date) -> Task:
    """A part of a video task's window (when a search id keeps failing)."""
    body = {**task.body, "start_date": yyyymmdd(start), "end_date": yyyymmdd(end)}
    return Task(f"{task.key}>{start}:{end}", "videos", task.endpoint, body, task.fields)


def comment_tasks(video_ids: Iterable[int]) -> list[Task]:
    return [
        _task(f"comments:{v}", "comments", {"video_id": int(v)}) for v in dict.fromkeys(video_ids)
    ]


def reply_tasks(comment_ids: Iterable[int]) -> list[Task]:
    return [
        _task(f"replies:{c}", "comments", {"comment_id": int(c)}, kind="replies")
        for c in dict.fromkeys(comment_ids)
    ]


def user_tasks(usernames: Iterable[str], lists: Iterable[str] = ()) -> list[Task]:
    """Each user's info, then the lists asked for (followers, following, liked, ...)."""
    lists = list(lists)
    unknown = [n for n in lists if n not in api_spec.USER_LISTS]
    if unknown:
        raise ValueError(f"unknown user list(s) {unknown}; choose from {api_spec.USER_LISTS}")
    tasks = []
    for u in dict.fromkeys(n.strip().lstrip("@") for n in usernames if n.strip()):
        tasks.append(_task(f"user_info:{u}", "user_info", {"username": u}))
        tasks += [_task(f"{name}:{u}", name, {"username": u}) for name in lists]
    return tasks


def max_requests(tasks: list[Task], max_records: int | None) -> int | None:
    """The most requests the tasks can need (None: unbounded without a record limit)."""
    if not tasks:
        return 0
    if tasks[0].kind == "videos":
        if tasks[0].body.get("is_random"):
            return len(tasks)
        if max_records is None:
            return None
        return len(tasks) * math.ceil(max_records / api_spec.MAX_COUNT)
    total = 0
    for t in tasks:
        ep = t.spec
        if ep.cap is not None:
            total += math.ceil(ep.cap / api_spec.MAX_COUNT)
        elif ep.paging == "single":
            total += 1
        else:
            return None
    return total
