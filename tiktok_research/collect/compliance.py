"""The 15-day refresh duty: re-check stored videos and comments, delete what is gone.

TikTok's Research API terms ask researchers to refresh stored data at least
every 15 days and to delete what is no longer available. ``refresh`` sends
the ids of records not checked for ``older_than`` days through the batch
compliance endpoints (10,000 ids per task), falling back to id queries for
videos when those endpoints are unavailable; it deletes the records that are
gone (with their snapshots, list links and, for videos, comments), keeps an
audit row for each (id, when, why; no content) and stamps the rest with the
time of the check.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta

from pydantic import BaseModel, Field

from .. import api_spec
from ..api.client import ResearchClient
from ..api.query import Q
from ..api.windows import windows
from ..errors import ApiError
from ..store import Store, utcnow
from .journal import Journal, merge_pages

log = logging.getLogger(__name__)

REASON = "no longer available on TikTok (compliance check)"


class RefreshSummary(BaseModel):
    """What a refresh checked and deleted."""

    run_id: int = Field(description="The refresh run's id in the store.")
    checked: dict[str, int] = Field(
        default_factory=lambda: {"video": 0, "comment": 0},
        description="Records re-checked, by category (video, comment).",
    )
    deleted: dict[str, int] = Field(
        default_factory=lambda: {"video": 0, "comment": 0},
        description="Records no longer available and deleted (audit in table deletions).",
    )
    method: dict[str, str] = Field(
        default_factory=dict, description="How each category was checked."
    )
    notes: list[str] = Field(default_factory=list)

    def render(self) -> str:
        return (
            f"refresh run {self.run_id}: checked {self.checked['video']:,} videos and "
            f"{self.checked['comment']:,} comments; deleted {self.deleted['video']:,} videos and "
            f"{self.deleted['comment']:,} comments (audit in table deletions)"
            + "".join(f"\nnote: {n}" for n in self.notes)
        )


def due(store: Store, category: str, older_than: timedelta) -> list[int]:
    """Ids of stored videos or comments not checked (or collected) within ``older_than``."""
    return store.due(category, utcnow() - older_than)


def _still_there_by_query(client: ResearchClient, store: Store, ids: list[int]) -> set[int]:
    """Fallback for videos: look the ids up with video_id queries over their creation windows."""
    by_window: dict[tuple[date, date], list[int]] = defaultdict(list)
    for vid, day in store.creation_days(ids):
        ((start, end),) = windows(day, day)
        by_window[(start, end)].append(vid)
    found: set[int] = set()
    for (start, end), group in by_window.items():
        for i in range(0, len(group), api_spec.MAX_COUNT):
            chunk = group[i : i + api_spec.MAX_COUNT]
            page = client.query_videos(Q.video_id(*chunk), start, end, fields=["id"])
            found |= {int(v["id"]) for v in page.data.get("videos", [])}
    return found


def refresh(
    store: Store,
    client: ResearchClient,
    older_than: timedelta = timedelta(days=api_spec.REFRESH_DAYS),
    poll_every: float = 5.0,
) -> RefreshSummary:
    """Re-check what is due and delete what is gone; one run in the store.

    Every request it makes goes into the quota ledger, like a collection's.
    """
    journal = Journal(store)
    merge_pages(store, journal)  # pages still in the journal are data too (and must not linger)
    with store.transaction():
        run_id = store.start_run(
            "refresh", "refresh", {"older_than_days": older_than.days, "api_base": client.base_url}
        )
    out = RefreshSummary(run_id=run_id)
    status, failure = "failed", None
    previous, client.on_attempt = client.on_attempt, lambda a: journal.append(run_id, None, a)
    try:
        for category in ("video", "comment"):
            _refresh_category(store, client, category, older_than, poll_every, out)
        status = "done"
    except BaseException as exc:
        failure = str(exc) or type(exc).__name__
        raise
    finally:
        client.on_attempt = previous
        merge_pages(store, journal)
        journal.close()
        with store.transaction():
            store.finish_run(
                run_id,
                status,
                {"checked": out.checked, "deleted": out.deleted, "method": out.method},
                failure or "; ".join(out.notes) or None,
            )
    return out


def _refresh_category(
    store: Store,
    client: ResearchClient,
    category: str,
    older_than: timedelta,
    poll_every: float,
    out: RefreshSummary,
) -> None:
    ids = due(store, category, older_than)
    out.checked[category] = len(ids)
    batch_compliance = True  # until the endpoints refuse: then never asked again this run
    for i in range(0, len(ids), api_spec.COMPLIANCE_MAX_IDS):
        batch = ids[i : i + api_spec.COMPLIANCE_MAX_IDS]
        valid = None
        if batch_compliance:
            try:
                valid = client.validate_ids(batch, category, poll_every=poll_every)
                out.method[category] = "batch compliance"
            except ApiError as exc:
                batch_compliance = False
                if category != "video":
                    out.notes.append(
                        f"comments not checked: batch compliance failed ({exc}); "
                        "comments cannot be looked up by id"
                    )
                    return
                out.method[category] = "video_id queries"
                out.notes.append(
                    f"batch compliance unavailable ({exc.code}); used video_id queries"
                )
        if valid is None:
            valid = _still_there_by_query(client, store, batch)
        gone = [x for x in batch if x not in valid]
        out.deleted[category] += store.delete_gone(category, gone, out.run_id, REASON, utcnow())
        store.stamp_checked(category, [x for x in batch if x in valid], utcnow())
        log.info("refresh %s: %d checked, %d gone", category, len(batch), len(gone))
