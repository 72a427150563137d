"""Shared test helpers: emulator apps, reference answers, collectors, plan patches."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime

from tiktok_research.api import Q, ResearchClient, RetryPolicy, windows
from tiktok_research.collect import Collector, video_tasks
from tiktok_research.emulator import EmulatorConfig, create_app

CLOCK = datetime(2024, 6, 1, tzinfo=UTC).timestamp()
SINCE, UNTIL = date(2024, 1, 1), date(2024, 3, 31)
QUERY = Q.region("US", "DE")


def app_with(**kw):
    kw.setdefault("videos", 4000)
    kw.setdefault("clock_start", CLOCK)
    return create_app(EmulatorConfig(**kw))


def reference_ids(app, query, since, until) -> list[int]:
    """Every visible match, straight from the emulator's engine (no HTTP, no paging)."""
    emu = app.state.emulator
    out = []
    for start, end in windows(since, until):
        lo = int(datetime(start.year, start.month, start.day, tzinfo=UTC).timestamp())
        hi = int(datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp()) + 86400
        rows = emu.visible(emu.engine.search(query.to_api(), lo, hi, searchable_before=2**40))
        out += [int(i) for i in emu.corpus.ids[rows]]
    return out


def collector(app, store, **kw):
    client = ResearchClient.for_app(
        app,
        retry=RetryPolicy(
            sleep=lambda s: None,
            max_attempts=kw.pop("attempts", 12),
            search_id_attempts=kw.pop("sid", 4),
        ),
    )
    return Collector(store, client, **kw)


def run_videos(col, query=QUERY, since=SINCE, until=UNTIL, **params):
    tasks = video_tasks(query, since, until)
    run = col.start("collect videos", {"query": query.to_api(), **params}, tasks)
    return col.run(run, params.get("max_videos"))


def stored_ids(store) -> list[int]:
    return [r[0] for r in store.con.execute("SELECT id FROM videos ORDER BY id DESC").fetchall()]


def merge(base: dict, patch: dict) -> dict:
    """``base`` with ``patch`` laid over it, nested dicts merged."""
    out = copy.deepcopy(base)
    for k, v in patch.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out
