"""Quota arithmetic for a planned collection: requests and days the Research API needs.

The API pages at most 100 records per request, a video query covers at most
30 days, a lab shares 1,000 requests and 100,000 records a day, and stored data
must be refreshed every 15 days. The estimate is an upper bound for the plan as
given (every window pays at least one request, retries are extra).
"""

from __future__ import annotations

from datetime import date
from math import ceil

from pydantic import BaseModel, Field

from ..api_spec import (
    COMMENT_CAP,
    DAILY_RECORDS,
    DAILY_REQUESTS,
    MAX_COUNT,
    REFRESH_DAYS,
)
from .windows import windows


class Budget(BaseModel):
    """Requests a plan needs, by purpose, and the days the daily quota makes of them."""

    windows: int = Field(description="30-day query windows the period needs.")
    video_requests: int
    comment_requests: int
    refresh_requests_per_cycle: int = Field(
        description="Requests to re-check the stored videos, every 15 days."
    )
    requests: int = Field(description="Requests for the collection itself.")
    records: int
    days: int = Field(description="Days of the daily quota the collection takes.")
    assumptions: list[str] = Field(default_factory=list)


def estimate(
    videos: int,
    since: date | None = None,
    until: date | None = None,
    *,
    comments_per_video: int = 0,
    daily_requests: int = DAILY_REQUESTS,
) -> Budget:
    """Requests and quota days to collect ``videos`` (and their comments) over a period.

    ``comments_per_video`` is capped at the 1,000 the API lists. Days count both
    daily limits, requests and records, whichever binds.
    """
    if videos < 0 or comments_per_video < 0:
        raise ValueError("videos and comments_per_video must not be negative")
    n_windows = len(windows(since, until)) if since and until else 1
    # each window pages on its own: at most one part-filled page per window
    video_requests = ceil(videos / MAX_COUNT) + n_windows
    per_video = min(comments_per_video, COMMENT_CAP)
    # comments are listed per video: one request per started page of 100
    comment_requests = videos * ceil(per_video / MAX_COUNT)
    refresh = ceil(videos / MAX_COUNT)
    requests = video_requests + comment_requests
    records = videos + videos * per_video
    days = max(ceil(requests / daily_requests), ceil(records / DAILY_RECORDS), 1)
    assumptions = [
        f"{videos:,} videos over {n_windows} query window(s) of at most 30 days, "
        f"{MAX_COUNT} records per request",
        f"{daily_requests:,} requests and {DAILY_RECORDS:,} records a day, shared by the lab",
        f"keeping the data means re-checking it every {REFRESH_DAYS} days: about {refresh:,} "
        "requests each time by video id (the batch compliance endpoint, where granted, "
        "takes 10,000 ids per request)",
        "retries after server errors and searches split after repeated failures are extra",
    ]
    if comments_per_video > COMMENT_CAP:
        assumptions.append(f"comments capped at the top {COMMENT_CAP:,} per video")
    return Budget(
        windows=n_windows,
        video_requests=video_requests,
        comment_requests=comment_requests,
        refresh_requests_per_cycle=refresh,
        requests=requests,
        records=records,
        days=days,
        assumptions=assumptions,
    )
