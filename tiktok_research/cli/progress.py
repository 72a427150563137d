"""Progress display for long runs: a live line on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn


class CollectProgress:
    """Shows the current task, pages, records, requests and quota left (rich, on a TTY)."""

    def __init__(self, enabled: bool | None = None, quota_left: Any = None):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.quota_left = quota_left
        self.progress: Progress | None = None
        self.bar: Any = None

    def __enter__(self) -> CollectProgress:
        if self.enabled:
            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[info]}"),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress:
            self.progress.stop()

    def __call__(self, event: str, task: Any, summary: Any) -> None:
        if not self.progress or summary is None:
            return
        if self.bar is None:
            self.bar = self.progress.add_task("", total=summary.tasks_total, info="")
        if event == "waiting":
            info = f"daily quota spent: waiting until {summary.resets_at}"
        else:
            left = self.quota_left() if callable(self.quota_left) else "?"
            info = (
                f"pages {summary.pages:,}  records {summary.records:,}  requests "
                f"{summary.requests:,}  quota left {left}"
            )
        self.progress.update(
            self.bar,
            description=task.key if task else "",
            total=summary.tasks_total,
            completed=summary.tasks_done,
            info=info,
        )
