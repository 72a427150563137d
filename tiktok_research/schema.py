"""Canonical records: the one data model every source is mapped to.

The pydantic models below are the single definition of each record's fields.
The store derives its tables from them (``sql_columns``), importers map their
sources onto them, the collector fills them from API pages and exports write
them back out.

IDs are int64 and exceed 2**53, so they are kept as Python ``int`` (exact) and
as DuckDB ``BIGINT``; nothing here ever routes them through ``float``. Times
are timezone-aware UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any, get_args, get_origin

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

INT64_MAX = 2**63 - 1


def exact_int(value: Any) -> Any:
    """Accept ints and digit strings; refuse floats and bools, which cannot carry an exact id."""
    if isinstance(value, (bool, float)):
        raise ValueError(f"expected an exact integer, got {type(value).__name__} {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if not text.isdigit():
            raise ValueError(f"expected digits, got {value!r}")
        return int(text)
    return value


#: a TikTok id: positive, exact, fits in a signed 64-bit integer
Int64 = Annotated[int, BeforeValidator(exact_int), Field(ge=1, le=INT64_MAX)]
#: an engagement count
Count = Annotated[int, BeforeValidator(exact_int), Field(ge=0, le=INT64_MAX)]


class Sql:
    """Marks a field with the DuckDB type it is stored as, when the Python type does not say."""

    def __init__(self, type_: str):
        self.type = type_


#: free-form nested data from the API (kept as JSON text in the store)
JsonValue = Annotated[Any, Sql("JSON")]

#: an @mention: TikTok usernames are letters, digits, underscore and period, and do not end
#: in a period (so a sentence-final period stays text). The one definition: the importers'
#: SQL, pseudonymised exports and ``mentions_in`` all use it.
MENTION_PATTERN = r"@([A-Za-z0-9_.]*[A-Za-z0-9_])"
MENTION_RE = re.compile(MENTION_PATTERN)


class Record(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    @field_validator("*", mode="before")
    @classmethod
    def _strip_nul(cls, value: Any) -> Any:
        # NUL bytes break CSV readers and many downstream tools; they carry no text.
        if isinstance(value, str) and "\x00" in value:
            return value.replace("\x00", "")
        return value


class Video(Record):
    """A TikTok video: every Research API video field plus what other sources carry."""

    id: Int64 = Field(description="Video id (int64, exact).")
    username: str | None = Field(None, description="Author's username (handle).")
    create_time: datetime | None = Field(None, description="When the video was posted (UTC).")
    video_description: str | None = Field(None, description="Caption text.")
    region_code: str | None = Field(None, description="ISO 3166-1 alpha-2 region of the uploader.")
    view_count: Count | None = None
    like_count: Count | None = None
    comment_count: Count | None = None
    share_count: Count | None = None
    favorites_count: Count | None = Field(
        None, description="Also spelled favourites_count by the API."
    )
    music_id: Int64 | None = Field(None, description="Sound id (int64, exact).")
    music_title: str | None = None
    music_author: str | None = None
    hashtag_names: list[str] = Field(default_factory=list, description="Lower-case, without '#'.")
    mentions: list[str] = Field(
        default_factory=list,
        description="Mentioned usernames: video_mention_list, else '@name' in the caption.",
    )
    video_mention_list: list[str] | None = None
    effect_ids: list[str] | None = None
    playlist_id: Int64 | None = None
    voice_to_text: str | None = None
    is_stem_verified: bool | None = None
    video_duration: float | None = Field(None, description="Seconds.")
    hashtag_info_list: JsonValue = None
    sticker_info_list: JsonValue = None
    effect_info_list: JsonValue = None
    video_label: JsonValue = None
    video_tag: JsonValue = None
    duet_from_id: Int64 | None = Field(None, description="Id of the video this one duets.")
    is_duet: bool | None = None
    source: str | None = Field(None, description="Where the latest observation came from.")

    @field_validator("create_time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return to_utc(value)


class Comment(Record):
    """A comment or reply (Research API video/comment/list)."""

    id: Int64
    video_id: Int64
    text: str | None = None
    like_count: Count | None = None
    reply_count: Count | None = None
    parent_comment_id: Int64 | None = Field(
        None, description="Equals video_id for a top-level comment, else the comment replied to."
    )
    create_time: datetime | None = None
    username: str | None = Field(None, description="Only some sources carry the commenter.")
    source: str | None = None

    @field_validator("create_time")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        return to_utc(value)


class User(Record):
    """A public account (Research API user/info plus what captures carry)."""

    username: str
    user_id: Int64 | None = None
    display_name: str | None = None
    bio_description: str | None = None
    avatar_url: str | None = None
    bio_url: str | None = None
    is_verified: bool | None = None
    follower_count: Count | None = None
    following_count: Count | None = None
    likes_count: Count | None = None
    video_count: Count | None = None
    source: str | None = None


class FollowEdge(Record):
    """``follower`` follows ``following`` (from user/followers or user/following)."""

    follower: str
    following: str


class UserVideo(Record):
    """A video on one of a user's public lists: liked, pinned or reposted."""

    username: str
    list_name: str = Field(description="liked | pinned | reposted")
    video_id: Int64


class Playlist(Record):
    playlist_id: Int64
    playlist_name: str | None = None
    playlist_item_total: Count | None = None
    playlist_last_updated: datetime | None = None
    playlist_video_ids: Annotated[list[int], Sql("BIGINT[]")] = Field(default_factory=list)


#: metric columns kept as a time series (one snapshot per observation)
VIDEO_METRICS = ("view_count", "like_count", "comment_count", "share_count", "favorites_count")
COMMENT_METRICS = ("like_count", "reply_count")
USER_METRICS = ("follower_count", "following_count", "likes_count", "video_count")


def to_utc(value: datetime | None) -> datetime | None:
    """Make a datetime timezone-aware UTC; naive values are taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def mentions_in(text: str | None) -> list[str]:
    """Usernames mentioned as ``@name`` in a caption, lower-case, first occurrence order."""
    if not text or "@" not in text:
        return []
    seen: dict[str, None] = {}
    for name in MENTION_RE.findall(text):
        seen.setdefault(name.lower(), None)
    return list(seen)


_SQL_SCALARS: dict[Any, str] = {
    int: "BIGINT",
    str: "VARCHAR",
    bool: "BOOLEAN",
    float: "DOUBLE",
    datetime: "TIMESTAMPTZ",
}


def sql_type(annotation: Any) -> str:
    """The DuckDB type that stores a field of the given annotation."""
    if get_origin(annotation) is Annotated:
        base, *meta = get_args(annotation)
        for m in meta:
            if isinstance(m, Sql):
                return m.type
        return sql_type(base)
    args = [a for a in get_args(annotation) if a is not type(None)]
    origin = get_origin(annotation)
    if origin is list:
        return sql_type(args[0]) + "[]"
    if args and origin is not None and len(args) == 1:  # Optional[X] / X | None
        return sql_type(args[0])
    if annotation in _SQL_SCALARS:
        return _SQL_SCALARS[annotation]
    raise TypeError(f"no SQL type for {annotation!r}")


def sql_columns(model: type[BaseModel]) -> dict[str, str]:
    """Field name -> DuckDB type, in declaration order."""
    return {name: sql_type(f.rebuild_annotation()) for name, f in model.model_fields.items()}
