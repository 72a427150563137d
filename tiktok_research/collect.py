"""Collection runs: API -> store, page by page, resumable after any crash.

A run is a list of tasks (a date window of a video query, a video's comments,
a user's followers, ...), saved in ``checkpoints`` when the run starts. Each
fetched page is appended with its checkpoint as one journal line (see
``store.journal``), so killing the process at any moment loses at most the
request in flight; running the same command again, or ``collect resume``,
continues from the last saved page. Pages are merged into the record tables
every few pages and at the end.

On the daily quota the run stops cleanly (everything saved) and says when the
quota resets, or, with ``wait``, sleeps until then and goes on.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from . import api_spec
from .api.client import Attempt, Page, ResearchClient, SearchIdExpired, next_reset, pinned_list
from .api.query import Query
from .api.windows import split, windows, yyyymmdd
from .errors import ApiError, QuotaExceeded, TikTokResearchError, UsageError
from .store import Store, utcnow
from .store.journal import Journal, merge_pages, task_progress

MERGE_EVERY = 200  # pages between merges into the record tables (also at each task's end)


@dataclass
class Task:
    key: str
    kind: str  # videos | comments | replies | user_info | followers | following | liked | ...
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

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "endpoint": self.endpoint,
            "body": self.body,
            "fields": self.fields,
        }

    def request(self) -> dict[str, Any]:
        """The body of the next request of this task."""
        body = dict(self.body)
        if self.kind == "videos":
            if self.cursor is not None:
                body["cursor"] = self.cursor
            if self.search_id:
                body["search_id"] = self.search_id
        elif self.kind in ("comments", "replies"):
            cursor = self.cursor or 0
            body["cursor"] = cursor
            body["max_count"] = min(api_spec.MAX_COUNT, api_spec.COMMENT_CAP - cursor)
        elif self.cursor is not None:
            body["cursor"] = self.cursor
        return body

    def advance(self, page: Page) -> None:
        self.pages += 1
        self.records += page.attempt.records
        self.cursor = page.cursor
        self.search_id = page.data.get("search_id") or self.search_id
        single = self.kind in ("user_info", "pinned") or self.body.get("is_random")
        capped = self.kind in ("comments", "replies") and (self.cursor or 0) >= api_spec.COMMENT_CAP
        self.has_more = page.has_more and not single and not capped
        self.done = not self.has_more


@dataclass
class RunSummary:
    run_id: int
    command: str
    status: str  # done | stopped | failed
    requests: int = 0
    pages: int = 0
    records: int = 0
    tasks_done: int = 0
    tasks_total: int = 0
    inserted: int = 0
    updated: int = 0
    quota_left: int | None = None
    resets_at: str | None = None
    message: str = ""
    db: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# --- planning ------------------------------------------------------------------------------
def video_tasks(
    query: Query, since: date, until: date, fields: list[str] | None = None, random: bool = False
) -> list[Task]:
    q = query.to_api()
    tasks = []
    for start, end in windows(since, until):
        body: dict[str, Any] = {
            "query": q,
            "start_date": yyyymmdd(start),
            "end_date": yyyymmdd(end),
            "max_count": api_spec.MAX_COUNT,
        }
        if random:
            body["is_random"] = True
        tasks.append(
            Task(
                f"videos:{start}:{end}",
                "videos",
                "video/query/",
                body,
                list(fields or api_spec.VIDEO_FIELDS),
            )
        )
    return tasks


def comment_tasks(video_ids: Iterable[int]) -> list[Task]:
    return [
        Task(
            f"comments:{v}",
            "comments",
            "video/comment/list/",
            {"video_id": int(v)},
            list(api_spec.COMMENT_FIELDS),
        )
        for v in dict.fromkeys(video_ids)
    ]


USER_LISTS = {
    "followers": ("user/followers/", None),
    "following": ("user/following/", None),
    "liked": ("user/liked_videos/", api_spec.USER_VIDEO_FIELDS),
    "pinned": ("user/pinned_videos/", api_spec.USER_VIDEO_FIELDS),
    "reposted": ("user/reposted_videos/", api_spec.USER_VIDEO_FIELDS),
}


def user_tasks(usernames: Iterable[str], lists: Iterable[str] = ()) -> list[Task]:
    tasks = []
    for u in dict.fromkeys(n.strip().lstrip("@") for n in usernames if n.strip()):
        tasks.append(
            Task(
                f"user_info:{u}",
                "user_info",
                "user/info/",
                {"username": u},
                list(api_spec.USER_FIELDS),
            )
        )
        for name in lists:
            endpoint, fields = USER_LISTS[name]
            body: dict[str, Any] = {"username": u}
            if name != "pinned":
                body["max_count"] = api_spec.MAX_COUNT
            tasks.append(
                Task(f"{name}:{u}", name, endpoint, body, list(fields) if fields else None)
            )
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
        if t.kind in ("comments", "replies"):
            total += math.ceil(api_spec.COMMENT_CAP / api_spec.MAX_COUNT)
        elif t.kind in ("user_info", "pinned"):
            total += 1
        else:
            return None
    return total


def latest_unfinished(store: Store) -> int | None:
    """The newest collection run that did not finish."""
    rows = store.con.execute(
        "SELECT run_id FROM runs WHERE kind = 'collect' AND status <> 'done' "
        "ORDER BY run_id DESC LIMIT 1"
    ).fetchall()
    return int(rows[0][0]) if rows else None


# --- running -------------------------------------------------------------------------------
class Collector:
    """Runs collection tasks against a client, saving every page as it comes."""

    def __init__(
        self,
        store: Store,
        client: ResearchClient,
        *,
        wait: bool = False,
        daily_quota: int = api_spec.DAILY_REQUESTS,
        progress: Callable[[str, Task, RunSummary], None] | None = None,
        merge_every: int = MERGE_EVERY,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.store, self.client = store, client
        self.wait, self.daily_quota = wait, daily_quota
        self.progress = progress or (lambda event, task, summary: None)
        self.merge_every, self.sleep = merge_every, sleep
        self.run_id: int | None = None
        self.current: str | None = None
        self.summary: RunSummary | None = None
        self.params: dict[str, Any] = {}
        self.pending = 0  # pages saved but not merged into the record tables yet
        self.journal = Journal(store)
        self.spent = 0  # requests this process spent since the ledger was read
        self._ledger_day: date | None = None
        self._ledger_used = 0
        client.on_attempt = self._on_attempt
        client.before_attempt = self._within_quota

    # -- attempts that did not produce a page go straight into the ledger ------------------
    def _on_attempt(self, a: Attempt) -> None:
        if a.counted and a.bucket == "research":
            self.spent += 1
        if a.status != 200:
            self.journal.append(self.run_id, self.current, a)

    def _within_quota(self, endpoint: str) -> None:
        """Refuse a request the lab's daily quota (``daily_quota``, per the ledger) has no room
        for, before it is sent, retries included."""
        if api_spec.ENDPOINT_BUCKETS.get(endpoint) == "research" and self.quota_left() <= 0:
            raise QuotaExceeded(
                "daily_quota_limit_exceeded",
                f"the quota ledger shows today's {self.daily_quota:,} requests spent",
                resets_at=next_reset(),
            )

    def quota_left(self) -> int:
        """Today's requests left, from the ledger (read once) and what this process spent."""
        today = datetime.now(UTC).date()
        if self._ledger_day != today:
            self._merge()
            self._ledger_used, _ = self.store.quota_used(today, "research")
            self._ledger_day, self.spent = today, 0
        return max(0, self.daily_quota - self._ledger_used - self.spent)

    # -- starting and finding runs ---------------------------------------------------------
    def start(self, command: str, params: dict[str, Any], tasks: list[Task]) -> int:
        """A new run with its tasks, or the unfinished run of the very same command."""
        params = {**params, "api_base": self.client.base_url}
        same = self.store.con.execute(
            "SELECT run_id FROM runs WHERE kind = 'collect' AND command = ? AND params = ? "
            "AND status <> 'done' ORDER BY run_id DESC LIMIT 1",
            [command, json.dumps(params, default=str)],
        ).fetchall()
        if same:
            return int(same[0][0])
        with self.store.transaction():
            run_id = self.store.start_run("collect", command, params)
            self._save_tasks(run_id, tasks)
        return run_id

    def _save_tasks(self, run_id: int, tasks: list[Task]) -> None:
        self.store.con.executemany(
            "INSERT INTO checkpoints (run_id, task_key, task, pages, records, done, updated_at) "
            "VALUES (?, ?, ?, 0, 0, false, ?)",
            [[run_id, t.key, json.dumps(t.to_json()), utcnow()] for t in tasks],
        )

    def _load(self, run_id: int) -> tuple[dict[str, Any], list[Task]]:
        run = self.store.run(run_id)
        if run is None or run["kind"] != "collect":
            raise UsageError(f"no collection run {run_id} in {self.store.path}")
        base = run["params"].get("api_base")
        if base and base != self.client.base_url:
            raise UsageError(
                f"run {run_id} collected from {base}; this client talks to {self.client.base_url}"
            )
        progress = task_progress(self.store, run_id)
        tasks = []
        for key, raw, done in self.store.con.execute(
            "SELECT task_key, task, done FROM checkpoints WHERE run_id = ? ORDER BY rowid", [run_id]
        ).fetchall():
            spec = json.loads(raw)
            t = Task(key, spec["kind"], spec["endpoint"], spec["body"], spec.get("fields"))
            p = progress.get(key)
            if p:
                t.cursor, t.search_id, t.pages, t.records = (
                    p["cursor"],
                    p["search_id"],
                    p["pages"],
                    p["records"],
                )
                t.has_more = bool(p["has_more"])
            t.done = bool(done) or (p is not None and not t.has_more)
            tasks.append(t)
        return run, tasks

    # -- the loop ---------------------------------------------------------------------------
    def run(self, run_id: int, max_records: int | None = None) -> RunSummary:
        """Run (or continue) every unfinished task of ``run_id``."""
        self.run_id = run_id
        merged = merge_pages(self.store, self.journal)  # pages a crashed run left behind
        run, tasks = self._load(run_id)
        self.params = run["params"]
        max_records = max_records or run["params"].get("max_videos")
        s = RunSummary(
            run_id, run["command"], "running", db=str(self.store.path), tasks_total=len(tasks)
        )
        self.summary = s
        s.inserted, s.updated = merged.inserted, merged.updated
        s.records = sum(t.records for t in tasks)
        s.pages = sum(t.pages for t in tasks)
        s.tasks_done = sum(t.done for t in tasks)
        with self.store.transaction():
            self.store.con.execute("UPDATE runs SET status = 'running' WHERE run_id = ?", [run_id])
        try:
            self._run_tasks(tasks, s, max_records)
            s.status = "done"
        except QuotaExceeded as exc:
            s.status = "stopped"
            s.resets_at = (exc.resets_at or next_reset()).isoformat()
            s.message = (
                f"daily quota reached; it resets at {s.resets_at}. Everything so far is "
                "saved: run the same command again (or collect resume) to continue."
            )
        except (TikTokResearchError, KeyboardInterrupt) as exc:
            s.status = "failed" if not isinstance(exc, KeyboardInterrupt) else "stopped"
            s.message = str(exc) or type(exc).__name__
            self._finish(s, tasks)
            raise
        self._finish(s, tasks)
        return s

    def _finish(self, s: RunSummary, tasks: list[Task]) -> None:
        self._merge(s)
        s.tasks_done = sum(t.done for t in tasks)
        s.tasks_total = len(tasks)
        s.quota_left = self.quota_left()
        stats = {
            "requests": s.requests,
            "pages": s.pages,
            "records": s.records,
            "inserted": s.inserted,
            "updated": s.updated,
            "tasks_done": s.tasks_done,
            "tasks_total": s.tasks_total,
        }
        with self.store.transaction():
            self.store.finish_run(s.run_id, s.status, stats, s.message or None)
        self.journal.close()

    def _run_tasks(self, tasks: list[Task], s: RunSummary, max_records: int | None) -> None:
        queue = list(tasks)
        while queue:
            task = queue.pop(0)
            if not queue:
                queue = self._followups(tasks, s)
            if task.done:
                continue
            self.current = task.key
            self.progress("task", task, s)
            while not task.done:
                if max_records and task.kind == "videos" and s.records >= max_records:
                    return
                try:
                    page = self._fetch(task)
                except SearchIdExpired:
                    new = self._split(task, tasks)
                    queue[:0] = new
                    break
                except ApiError as exc:
                    if task.kind == "videos" or exc.code != "invalid_params":
                        raise
                    # a user that is private or gone, a video without comments: skip it
                    self._mark_done(task, {"skipped": str(exc)})
                    break
                s.requests += 1
                s.pages += 1
                s.records += page.attempt.records
                s.tasks_done += task.done
                s.tasks_total = len(tasks)
                self.progress("page", task, s)
                self.pending += 1
                if self.pending >= self.merge_every or (task.done and self.pending >= 20):
                    self._merge(s)

    def _followups(self, tasks: list[Task], s: RunSummary) -> list[Task]:
        """Tasks that only the collected data can name: replies of the comments, if asked."""
        if not self.params.get("replies"):
            return []
        self._merge(s)  # the comments must be in their table
        have = {t.key for t in tasks}
        videos = [t.body["video_id"] for t in tasks if t.kind == "comments"]
        rows = self.store.con.execute(
            "SELECT id FROM comments WHERE video_id IN (SELECT unnest(?)) AND reply_count > 0 "
            "AND parent_comment_id = video_id ORDER BY video_id, id",
            [videos],
        ).fetchall()
        new = [
            Task(
                f"replies:{cid}",
                "replies",
                "video/comment/list/",
                {"comment_id": cid},
                list(api_spec.COMMENT_FIELDS),
            )
            for (cid,) in rows
            if f"replies:{cid}" not in have
        ]
        if new:
            with self.store.transaction():
                self._save_tasks(self.run_id or 0, new)
            tasks.extend(new)
            s.tasks_total = len(tasks)
        return new

    def _merge(self, s: RunSummary | None = None) -> None:
        """Move the journal's pages into the record tables (counted in ``s``, if given)."""
        m = merge_pages(self.store, self.journal)
        if s is not None:
            s.inserted += m.inserted
            s.updated += m.updated
        self.pending = 0

    def _fetch(self, task: Task) -> Page:
        while True:
            try:
                page = self.client.call(task.endpoint, task.request(), task.fields)
                break
            except QuotaExceeded as exc:
                if not self.wait:
                    raise
                reset = exc.resets_at or next_reset()
                if self.summary:
                    self.summary.resets_at = reset.isoformat()
                    self.progress("waiting", task, self.summary)
                self.sleep(max(0.0, reset.timestamp() + 60 - time.time()))
        if task.kind == "pinned":  # normalise the two documented spellings
            page.data = {**page.data, "pinned_videos_list": pinned_list(page.data)}
        task.advance(page)
        self.journal.append(
            self.run_id,
            task.key,
            page.attempt,
            keep_body=True,
            cursor=task.cursor,
            search_id=task.search_id,
            has_more=task.has_more,
        )
        return page

    def _mark_done(self, task: Task, why: dict[str, Any]) -> None:
        """Close a task without finishing it, saying why in its checkpoint (one statement)."""
        task.done = True
        self.store.con.execute(
            "UPDATE checkpoints SET done = true, task = json_merge_patch(task, ?) "
            "WHERE run_id = ? AND task_key = ?",
            [json.dumps(why), self.run_id, task.key],
        )

    def _split(self, task: Task, tasks: list[Task]) -> list[Task]:
        """A search id that keeps failing: replace the window by its halves."""
        start = datetime.strptime(task.body["start_date"], "%Y%m%d").date()
        end = datetime.strptime(task.body["end_date"], "%Y%m%d").date()
        halves = split(start, end)
        if len(halves) == 1:  # one day cannot be split: page it again without the search id
            if task.restarted:
                raise ApiError(
                    "invalid_params", f"search ids keep expiring for {start}; try again later"
                )
            task.cursor, task.search_id, task.restarted = None, None, True
            return [task]
        new = []
        for a, b in halves:
            body = {**task.body, "start_date": yyyymmdd(a), "end_date": yyyymmdd(b)}
            new.append(Task(f"{task.key}>{a}:{b}", "videos", task.endpoint, body, task.fields))
        with self.store.transaction():
            self._save_tasks(self.run_id or 0, new)
            self._mark_done(task, {"split_into": [t.key for t in new]})
        tasks.extend(new)
        return new
