"""Collection from the Research API: tasks, the resumable runner, its journal, the 15-day
compliance refresh and the status of a study database."""

from .compliance import RefreshSummary, refresh
from .runner import Collector, RunSummary
from .status import Status, status
from .tasks import Task, comment_tasks, max_requests, reply_tasks, user_tasks, video_tasks

__all__ = [
    "Collector",
    "RefreshSummary",
    "RunSummary",
    "Status",
    "Task",
    "comment_tasks",
    "max_requests",
    "refresh",
    "reply_tasks",
    "status",
    "user_tasks",
    "video_tasks",
]
