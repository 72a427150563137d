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

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field

from .. import api_spec
from ..api.client import Attempt, Page, ResearchClient, SearchIdExpired, next_reset, pinned_list
from ..api.windows import split
from ..errors import ApiError, QuotaExceeded, TikTokResearchError, UsageError
from ..ingest.pages import PagesStored
from ..store import Store, utcnow
from .journal import Journal, merge_pages
from .tasks import Task, reply_tasks, window_task

log = logging.getLogger(__name__)

MERGE_EVERY = 200  # pages between merges into the record tables
# fewer pages are merged at a task's end, and whenever the background merge is free: merging
# costs more per page than fetching from the emulator, so a merge thread left idle until
# MERGE_EVERY pages were fetched only made the run end later (0.4 ms per page measured)
MERGE_SOME = 20
CHECKPOINT_MB = 64  # committed merges that DuckDB may hold before writing them to the file


class RunSummary(BaseModel):
    """What a collection run did, and where it stands."""

    run_id: int = Field(description="The run's id in the store (runs table).")
    command: str = Field(description="What was collected (collect videos, comments or users).")
    status: str = Field(description="done, stopped (quota or interrupt; resumable) or failed.")
    requests: int = Field(0, description="Requests this invocation sent that returned a page.")
    pages: int = Field(0, description="Pages fetched by the run so far.")
    records: int = Field(0, description="Records in those pages.")
    tasks_done: int = 0
    tasks_total: int = 0
    inserted: int = Field(0, description="Records new to the store.")
    updated: int = Field(0, description="Records already stored, updated (with a new snapshot).")
    quota_left: int | None = Field(None, description="Research requests left today.")
    resets_at: str | None = Field(None, description="When the daily quota resets (UTC).")
    message: str = ""
    db: str = Field("", description="The database file.")

    def render(self) -> str:
        return (
            f"run {self.run_id} {self.status}: {self.pages:,} pages, "
            f"{self.records:,} records ({self.inserted:,} new, {self.updated:,} updated),"
            f" {self.tasks_done}/{self.tasks_total} tasks; quota left today "
            f"{self.quota_left}; database {self.db}" + (f"\n{self.message}" if self.message else "")
        )


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
        background_merge: bool = True,
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
        # pages are merged in a thread, on a connection of its own, while the next are fetched
        self.background_merge = background_merge
        self._pool: ThreadPoolExecutor | None = None  # started by the first background merge
        self._merging: Future[PagesStored] | None = None
        self._settings = ExitStack()  # DuckDB settings a run changes, restored when it ends
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
        if api_spec.endpoint(endpoint).bucket == "research" and self.quota_left() <= 0:
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
        same = self.store.unfinished_run(command, params)
        if same is not None:
            log.info("continuing run %d (%s)", same, command)
            return same
        with self.store.transaction():
            run_id = self.store.start_run("collect", command, params)
            self._save_tasks(run_id, tasks)
        log.info("run %d: %s, %d task(s)", run_id, command, len(tasks))
        return run_id

    def _save_tasks(self, run_id: int, tasks: list[Task]) -> None:
        self.store.save_tasks(run_id, [(t.key, t.to_json()) for t in tasks], utcnow())

    def _load(self, run_id: int) -> tuple[dict[str, Any], list[Task]]:
        run = self.store.run(run_id)
        if run is None or run["kind"] != "collect":
            raise UsageError(f"no collection run {run_id} in {self.store.path}")
        base = run["params"].get("api_base")
        if base and base != self.client.base_url:
            raise UsageError(
                f"run {run_id} collected from {base}; this client talks to {self.client.base_url}"
            )
        progress = self.store.task_progress(run_id)
        tasks = []
        for key, spec, done in self.store.tasks(run_id):
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
            t.done = done or (p is not None and not t.has_more)
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
            run_id=run_id,
            command=run["command"],
            status="running",
            db=str(self.store.path),
            tasks_total=len(tasks),
        )
        self.summary = s
        s.inserted, s.updated = merged.inserted, merged.updated
        s.records = sum(t.records for t in tasks)
        s.pages = sum(t.pages for t in tasks)
        s.tasks_done = sum(t.done for t in tasks)
        with self.store.transaction():
            self.store.set_run_status(run_id, "running")
        # merges commit a few MB each: DuckDB's default threshold (16 MB) would write the tables
        # out every few merges, rewriting the same part-filled row groups each time; the run
        # checkpoints once when it ends (measured in line: 0.3 ms less per page, the final write
        # included; in the background, where merges overlap fetching, about the same)
        self._settings.enter_context(
            self.store.setting("checkpoint_threshold", f"{CHECKPOINT_MB}MB")
        )
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
        try:
            self._settle(s)
        finally:
            if self._pool is not None:
                self._pool.shutdown()
                self._pool = None
            self._settings.close()
        # the last pages with DuckDB's own settings: nothing runs beside this merge any more,
        # and its commit writes the tables out on every core
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
        self.store.checkpoint()

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
                if self.pending >= self.merge_every or (
                    self.pending >= MERGE_SOME and (task.done or self._merge_free())
                ):
                    self._merge_soon(s)

    def _followups(self, tasks: list[Task], s: RunSummary) -> list[Task]:
        """Tasks that only the collected data can name: replies of the comments, if asked."""
        if not self.params.get("replies"):
            return []
        self._merge(s)  # the comments must be in their table
        have = {t.key for t in tasks}
        videos = [t.body["video_id"] for t in tasks if t.kind == "comments"]
        new = [
            t for t in reply_tasks(self.store.comments_with_replies(videos)) if t.key not in have
        ]
        if new:
            with self.store.transaction():
                self._save_tasks(self.run_id or 0, new)
            tasks.extend(new)
            s.tasks_total = len(tasks)
        return new

    def _merge(self, s: RunSummary | None = None) -> None:
        """Move the journal's pages into the record tables now (counted in ``s``, if given)."""
        self._settle(s)
        self._count(merge_pages(self.store, self.journal), s)
        self.pending = 0

    def _merge_soon(self, s: RunSummary) -> None:
        """Start merging the journal in the background (or now, without a thread).

        The merge runs on its own cursor in one transaction, as :meth:`_merge`;
        the checkpoints stay in the journal, which only this thread writes, so
        a ``kill -9`` still loses at most the request in flight. If the last
        merge is still running, the pages wait for the next one.
        """
        if not self.background_merge:
            self._merge(s)
            return
        if self._merging is not None:
            if not self._merging.done():
                return
            self._settle(s)
        view = self.store.cursor()

        def merge() -> PagesStored:
            try:
                return merge_pages(view, self.journal, background=True)
            finally:
                view.close()

        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="tiktok-merge")
        self._merging = self._pool.submit(merge)
        self.pending = 0

    def _merge_free(self) -> bool:
        """Whether a background merge could start now without waiting for the last one."""
        return self.background_merge and (self._merging is None or self._merging.done())

    def _settle(self, s: RunSummary | None = None) -> None:
        """Wait for a background merge (raising its error), before this thread writes."""
        if self._merging is not None:
            done, self._merging = self._merging, None
            self._count(done.result(), s)

    def _count(self, m: PagesStored, s: RunSummary | None) -> None:
        s = s or self.summary
        if s is not None:
            s.inserted += m.inserted
            s.updated += m.updated

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
        self._settle()
        task.done = True
        self.store.mark_task_done(self.run_id or 0, task.key, why)

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
        new = [window_task(task, a, b) for a, b in halves]
        log.info("search ids keep failing for %s: split into %s", task.key, [t.key for t in new])
        self._settle()
        with self.store.transaction():
            self._save_tasks(self.run_id or 0, new)
            self._mark_done(task, {"split_into": [t.key for t in new]})
        tasks.extend(new)
        return new
