"""Table layout of the store, derived from the canonical models in ``schema.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

from ..schema import (
    COMMENT_METRICS,
    USER_METRICS,
    VIDEO_METRICS,
    Comment,
    FollowEdge,
    Playlist,
    User,
    UserVideo,
    Video,
    sql_columns,
)

SCHEMA_VERSION = 1

#: columns every entity table carries besides its model's fields
BOOKKEEPING = {
    "first_seen_at": "TIMESTAMPTZ",  # earliest observation of the record
    "last_seen_at": "TIMESTAMPTZ",  # latest observation: the values shown are from here
    "first_run_id": "BIGINT",  # the run or import that first produced it
    "last_run_id": "BIGINT",  # the run or import that last updated it
    "checked_at": "TIMESTAMPTZ",  # last compliance check that found it still available
}


@dataclass(frozen=True)
class Entity:
    """A kind of record the store keeps: its table, key and metric time series."""

    name: str
    table: str
    model: type[BaseModel]
    key: tuple[str, ...]
    metrics: tuple[str, ...] = ()
    snapshot_table: str | None = None
    snapshot_key: tuple[str, ...] = ()
    columns: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", sql_columns(self.model))

    @property
    def key_expr(self) -> str:
        """SQL for a row's key: its key column, or a struct of its key columns."""
        return self.key[0] if len(self.key) == 1 else f"({', '.join(self.key)})"

    @property
    def stored_sql(self) -> str:
        """SQL condition on a row's key columns: its key is in the table already."""
        return f"{self.key_expr} IN (SELECT {', '.join(self.key)} FROM {self.table})"


ENTITIES: dict[str, Entity] = {
    e.name: e
    for e in (
        Entity("videos", "videos", Video, ("id",), VIDEO_METRICS, "video_snapshots", ("video_id",)),
        Entity(
            "comments",
            "comments",
            Comment,
            ("id",),
            COMMENT_METRICS,
            "comment_snapshots",
            ("comment_id",),
        ),
        Entity(
            "users", "users", User, ("username",), USER_METRICS, "user_snapshots", ("username",)
        ),
        Entity("follow_edges", "follow_edges", FollowEdge, ("follower", "following")),
        Entity("user_videos", "user_videos", UserVideo, ("username", "list_name", "video_id")),
        Entity("playlists", "playlists", Playlist, ("playlist_id",)),
    )
}


def entity_ddl(e: Entity) -> list[str]:
    cols = {**e.columns, **BOOKKEEPING}
    body = ",\n  ".join(
        f"{name} {typ}{' NOT NULL' if name in e.key else ''}" for name, typ in cols.items()
    )
    ddl = [f"CREATE TABLE IF NOT EXISTS {e.table} (\n  {body}\n)"]
    if e.snapshot_table:
        key_cols = ", ".join(
            f"{sk} {e.columns[k]} NOT NULL" for sk, k in zip(e.snapshot_key, e.key, strict=True)
        )
        metric_cols = ", ".join(f"{m} {e.columns[m]}" for m in e.metrics)
        ddl.append(
            f"CREATE TABLE IF NOT EXISTS {e.snapshot_table} ({key_cols}, "
            f"observed_at TIMESTAMPTZ NOT NULL, run_id BIGINT, {metric_cols})"
        )
    return ddl


SUPPORT_DDL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    "CREATE SEQUENCE IF NOT EXISTS run_ids START 1",
    """CREATE TABLE IF NOT EXISTS runs (
  run_id BIGINT PRIMARY KEY,
  kind VARCHAR NOT NULL,            -- import | collect | refresh
  command VARCHAR,                  -- e.g. 'collect videos'
  params JSON,                      -- query, windows, fields, files, api base ...
  status VARCHAR NOT NULL,          -- running | done | stopped | failed
  started_at TIMESTAMPTZ NOT NULL,
  finished_at TIMESTAMPTZ,
  stats JSON,
  message VARCHAR
)""",
    # one row per unit of work of a run (a date window, a video's comments, a user list)
    """CREATE TABLE IF NOT EXISTS checkpoints (
  run_id BIGINT NOT NULL,
  task_key VARCHAR NOT NULL,
  task JSON,                        -- what the task fetches (endpoint, body)
  cursor BIGINT,
  search_id VARCHAR,
  pages BIGINT DEFAULT 0,
  records BIGINT DEFAULT 0,
  done BOOLEAN DEFAULT false,
  updated_at TIMESTAMPTZ
)""",
    # every Research API request a collection made: the quota ledger and the checkpoints'
    # source (written from the request journal, see store/journal.py)
    """CREATE TABLE IF NOT EXISTS api_requests (
  request_id BIGINT NOT NULL,
  run_id BIGINT,
  task_key VARCHAR,
  endpoint VARCHAR NOT NULL,
  request JSON,                     -- the body sent (no credentials)
  fields VARCHAR,
  requested_at TIMESTAMPTZ NOT NULL,
  day DATE NOT NULL,                -- UTC day, for the daily quota
  bucket VARCHAR NOT NULL,          -- research | follow (followers/following have their own quota)
  status INTEGER NOT NULL,          -- HTTP status, 0 when the connection failed
  code VARCHAR,
  log_id VARCHAR,
  counted BOOLEAN NOT NULL,         -- spent quota (as far as can be known)
  records INTEGER NOT NULL DEFAULT 0,
  cursor BIGINT,
  search_id VARCHAR,
  has_more BOOLEAN
)""",
    # requests and records spent per UTC day; shared by every run on this database
    """CREATE OR REPLACE VIEW quota_ledger AS
SELECT day, bucket, count(*) FILTER (counted) AS requests,
       coalesce(sum(records) FILTER (counted), 0) AS records, count(*) AS attempts
FROM api_requests GROUP BY day, bucket""",
    # ids removed for compliance; no content is kept
    """CREATE TABLE IF NOT EXISTS deletions (
  record_type VARCHAR NOT NULL,     -- video | comment
  record_id BIGINT NOT NULL,
  deleted_at TIMESTAMPTZ NOT NULL,
  reason VARCHAR NOT NULL,
  run_id BIGINT
)""",
    # donated TikTok data packages: who (a keyed pseudonym), consent, what the package held
    """CREATE TABLE IF NOT EXISTS donations (
  donation_id BIGINT PRIMARY KEY,   -- the import run
  participant VARCHAR NOT NULL,     -- keyed pseudonym; the raw id is never stored
  consent JSON NOT NULL,
  package_version VARCHAR,
  sections JSON,                    -- per section kept: events and covered period
  dropped JSON,                     -- per section left out: items
  assumptions JSON,                 -- e.g. times without offset read as UTC
  imported_at TIMESTAMPTZ NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS donation_events (
  donation_id BIGINT NOT NULL,
  participant VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,            -- watch | like | favorite | share | search | follow | comment
  video_id BIGINT,
  happened_at TIMESTAMPTZ,
  detail VARCHAR                    -- search term, pseudonymised account, comment text if kept
)""",
    # donated videos the Research API returned nothing for, at enrichment
    """CREATE TABLE IF NOT EXISTS donation_missing (
  video_id BIGINT NOT NULL,
  checked_at TIMESTAMPTZ NOT NULL,
  run_id BIGINT
)""",
    """CREATE TABLE IF NOT EXISTS import_rejects (
  run_id BIGINT NOT NULL,
  file VARCHAR NOT NULL,
  line BIGINT,
  record BIGINT,
  field VARCHAR,
  reason VARCHAR NOT NULL
)""",
]


def all_ddl() -> list[str]:
    ddl = list(SUPPORT_DDL)
    for e in ENTITIES.values():
        ddl.extend(entity_ddl(e))
    return ddl
