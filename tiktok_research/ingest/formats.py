"""What each supported source format looks like and where its values go.

A format is data: the raw fields to read (``spec``: name -> "VARCHAR" / "JSON"
or a nested dict for objects) and, for each canonical record kind it carries,
a SQL text expression per canonical field over the raw row. ``normalize.py``
does the typing and the checks, the same way for every format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .. import api_spec
from ..store.tables import ENTITIES
from .normalize import LISTS

V, J = "VARCHAR", "JSON"
Spec = dict[str, "str | Spec"]


@dataclass(frozen=True)
class Format:
    name: str
    description: str
    spec: Spec = field(default_factory=dict)  # JSON formats: raw fields to read
    kinds: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> field -> SQL
    kind_expr: str | None = None  # SQL choosing the kind of each raw row, if it varies


# --- Research API -----------------------------------------------------------------
_VIDEO_JSON = list(api_spec.STRUCTURED_VIDEO_FIELDS)
#: scalar video keys, as the API names them, with the id and spelling variants it also uses
_VIDEO_KEYS = [f for f in api_spec.VIDEO_FIELDS if f not in _VIDEO_JSON] + [
    "video_id",
    *api_spec.FIELD_SPELLINGS,
]
_COMMENT_KEYS = [f for f in api_spec.COMMENT_FIELDS if f not in _VIDEO_KEYS]
_USER_KEYS = list(api_spec.USER_FIELDS)

RESEARCH_API = Format(
    name="research-api",
    description="TikTok Research API output: whole responses, JSON lists or NDJSON of "
    "videos, comments or user info",
    spec={
        **{k: V for k in _VIDEO_KEYS + _COMMENT_KEYS + _USER_KEYS},
        **{k: J for k in _VIDEO_JSON},
    },
    kinds={
        "videos": {
            "id": "coalesce(id, video_id)",
            "favorites_count": "coalesce(favorites_count, favourites_count)",
            **{
                k: k
                for k in _VIDEO_KEYS + _VIDEO_JSON
                if k not in ("id", "video_id", "favorites_count", "favourites_count")
            },
        },
        "comments": {
            k: k
            for k in ["id", "video_id", "create_time", "like_count", "username", *_COMMENT_KEYS]
        },
        "users": {k: k for k in ["username", *_USER_KEYS]},
    },
    kind_expr=(
        "CASE WHEN text IS NOT NULL OR parent_comment_id IS NOT NULL OR reply_count IS NOT NULL "
        "THEN 'comments' "
        "WHEN id IS NULL AND video_id IS NULL AND video_description IS NULL AND create_time IS NULL "
        "AND (display_name IS NOT NULL OR follower_count IS NOT NULL OR bio_description IS NOT NULL "
        "OR following_count IS NOT NULL OR likes_count IS NOT NULL OR is_verified IS NOT NULL) "
        "THEN 'users' ELSE 'videos' END"
    ),
)

# --- Zeeschuimer (4CAT's browser capture) ---------------------------------------------
_STATS: Spec = {
    "playCount": V,
    "diggCount": V,
    "commentCount": V,
    "shareCount": V,
    "collectCount": V,
}
ZEESCHUIMER = Format(
    name="zeeschuimer",
    description="Zeeschuimer / 4CAT NDJSON capture of TikTok items",
    spec={
        "item_id": V,
        "timestamp_collected": V,
        "source_platform": V,
        "data": {
            "id": V,
            "desc": V,
            "createTime": V,
            "author": J,
            "nickname": V,
            "authorStats": {
                "followerCount": V,
                "followingCount": V,
                "heartCount": V,
                "videoCount": V,
            },
            "stats": _STATS,
            "statsV2": _STATS,
            "music": {"id": V, "title": V, "authorName": V},
            "challenges": J,
            "textExtra": J,
            "duetInfo": {"duetFromId": V},
            "locationCreated": V,
            "video": {"duration": V},
            "effectStickers": J,
        },
    },
    kinds={
        "videos": {
            "id": "coalesce(data.id, item_id)",
            "video_description": "data.desc",
            "create_time": "data.createTime",
            "username": "CASE WHEN json_type(data.author) = 'OBJECT' "
            "THEN data.author->>'uniqueId' ELSE data.author->>'$' END",
            "view_count": "coalesce(data.stats.playCount, data.statsV2.playCount)",
            "like_count": "coalesce(data.stats.diggCount, data.statsV2.diggCount)",
            "comment_count": "coalesce(data.stats.commentCount, data.statsV2.commentCount)",
            "share_count": "coalesce(data.stats.shareCount, data.statsV2.shareCount)",
            "favorites_count": "coalesce(data.stats.collectCount, data.statsV2.collectCount)",
            "music_id": "data.music.id",
            "music_title": "data.music.title",
            "music_author": "data.music.authorName",
            "hashtag_names": "to_json(list_concat("
            "coalesce(json_extract_string(data.challenges, '$[*].title'), []), "
            "coalesce(json_extract_string(data.textExtra, '$[*].hashtagName'), [])))",
            "mentions": "to_json(json_extract_string(data.textExtra, '$[*].userUniqueId'))",
            "duet_from_id": "data.duetInfo.duetFromId",
            "is_duet": "CASE WHEN data.duetInfo.duetFromId IS NOT NULL "
            "THEN data.duetInfo.duetFromId NOT IN ('', '0') END",
            "region_code": "data.locationCreated",
            "video_duration": "data.video.duration",
            "effect_ids": "to_json(json_extract_string(data.effectStickers, '$[*].ID'))",
            "_observed_at": "timestamp_collected",
        },
        "users": {
            "username": "CASE WHEN json_type(data.author) = 'OBJECT' "
            "THEN data.author->>'uniqueId' ELSE data.author->>'$' END",
            "user_id": "CASE WHEN json_type(data.author) = 'OBJECT' THEN data.author->>'id' END",
            "display_name": "coalesce(data.author->>'nickname', data.nickname)",
            "bio_description": "data.author->>'signature'",
            "avatar_url": "data.author->>'avatarThumb'",
            "is_verified": "data.author->>'verified'",
            "follower_count": "data.authorStats.followerCount",
            "following_count": "data.authorStats.followingCount",
            "likes_count": "data.authorStats.heartCount",
            "video_count": "data.authorStats.videoCount",
            "_observed_at": "timestamp_collected",
        },
    },
)

# --- CSV --------------------------------------------------------------------------------
#: 4CAT's TikTok CSV export: canonical field -> its columns, tried before the generic aliases
FOURCAT_VIDEO = {
    "id": ["id"],
    "username": ["author"],
    "video_description": ["body"],
    "create_time": ["unix_timestamp", "timestamp"],
    "music_title": ["music_name"],
    "like_count": ["likes"],
    "comment_count": ["comments"],
    "share_count": ["shares"],
    "view_count": ["plays"],
    "hashtag_names": ["hashtags"],
    "region_code": ["location_created"],
}

#: generic CSV: canonical field -> accepted column names (normalised), first match wins
CSV_VIDEO_ALIASES: dict[str, list[str]] = {
    "id": ["id", "video_id", "item_id", "aweme_id", "post_id", "videoid"],
    "username": [
        "username",
        "author",
        "author_unique_id",
        "author_uniqueid",
        "unique_id",
        "uniqueid",
        "user",
        "user_name",
        "handle",
        "author_username",
        "creator",
    ],
    "video_description": [
        "video_description",
        "desc",
        "description",
        "text",
        "caption",
        "body",
        "content",
    ],
    "create_time": [
        "create_time",
        "createtime",
        "unix_timestamp",
        "created_at",
        "create_date",
        "timestamp",
        "posted_at",
        "date",
        "upload_date",
        "published_at",
    ],
    "view_count": ["view_count", "play_count", "plays", "views", "playcount", "viewcount"],
    "like_count": ["like_count", "likes", "digg_count", "diggcount", "hearts", "likecount"],
    "comment_count": ["comment_count", "comments", "commentcount", "comments_count"],
    "share_count": ["share_count", "shares", "sharecount", "shares_count"],
    "favorites_count": [
        "favorites_count",
        "favourites_count",
        "collect_count",
        "collectcount",
        "saves",
        "bookmarks",
    ],
    "music_id": ["music_id", "sound_id", "musicid"],
    "music_title": ["music_title", "music_name", "sound_title", "sound_name", "song"],
    "music_author": ["music_author", "music_author_name", "music_authorname", "sound_author"],
    "hashtag_names": ["hashtag_names", "hashtags", "tags", "challenges"],
    "mentions": ["mentions", "video_mention_list", "mention_list"],
    "region_code": ["region_code", "region", "location_created", "country_code", "country"],
    "video_duration": ["video_duration", "duration", "length_seconds"],
    "duet_from_id": ["duet_from_id", "duetfromid", "duet_from", "duet_source_id"],
    "is_duet": ["is_duet"],
    "voice_to_text": ["voice_to_text", "transcript", "transcription"],
    "effect_ids": ["effect_ids"],
    "playlist_id": ["playlist_id"],
    "is_stem_verified": ["is_stem_verified"],
}
#: author columns that CSV exports carry next to each video
CSV_USER_ALIASES: dict[str, list[str]] = {
    "username": CSV_VIDEO_ALIASES["username"],
    "user_id": ["author_id", "user_id", "author_user_id"],
    "display_name": ["display_name", "nickname", "author_nickname", "author_full", "author_name"],
    "bio_description": ["bio_description", "signature", "author_signature", "bio"],
    "avatar_url": ["avatar_url", "author_avatar", "avatar"],
    "is_verified": ["is_verified", "verified", "author_verified"],
    "follower_count": ["follower_count", "author_followers", "followers", "author_follower_count"],
    "following_count": ["following_count", "author_following", "following"],
    "likes_count": ["likes_count", "author_likes", "heart_count", "author_heart_count"],
    "video_count": ["video_count", "author_videos", "author_video_count"],
}

CSV_COMMENT_ALIASES: dict[str, list[str]] = {
    "id": ["comment_id", "cid", "id"],
    "video_id": ["video_id", "aweme_id", "item_id"],
    "text": ["text", "comment", "comment_text", "body"],
    "like_count": ["like_count", "likes", "digg_count"],
    "reply_count": ["reply_count", "replies", "reply_comment_total"],
    "parent_comment_id": ["parent_comment_id", "parent_id", "reply_to"],
    "create_time": ["create_time", "created_at", "timestamp", "unix_timestamp"],
    "username": ["username", "author", "user", "unique_id"],
}

FOURCAT_MARKERS = {"id", "author", "body", "plays"}


def norm_header(name: str) -> str:
    """Normalised column name: lower case, runs of other characters as '_'."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


def csv_kind(headers: list[str]) -> str:
    names = {norm_header(h) for h in headers}
    return "comments" if names & {"parent_comment_id", "comment_id", "cid"} else "videos"


def resolve_columns(aliases: dict[str, list[str]], headers: dict[str, str]) -> dict[str, str]:
    """canonical field -> raw column, using the first alias present in ``headers`` (norm -> col)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for canonical, names in aliases.items():
        for n in names:
            if n in headers and headers[n] not in used:
                out[canonical] = headers[n]
                used.add(headers[n])
                break
    return out


def spec_to_duckdb(spec: Spec, lists: frozenset[str] = frozenset()) -> str:
    """A raw spec as a DuckDB STRUCT type (for read_json's ``columns``); keys in ``lists``
    are lists of strings (:func:`list_keys`)."""
    fields = ", ".join(f'"{k}" {t}' for k, t in duckdb_types(spec, lists).items())
    return f"STRUCT({fields})"


def duckdb_types(spec: Spec, lists: frozenset[str] = frozenset()) -> dict[str, str]:
    """The DuckDB type each key of a raw spec is read as (see :func:`spec_to_duckdb`)."""
    return {
        k: "VARCHAR[]"
        if k in lists
        else spec_to_duckdb(t, lists)
        if isinstance(t, dict)
        else str(t)
        for k, t in spec.items()
    }


def list_keys(fmt: Format) -> frozenset[str]:
    """The raw keys whose values are lists of strings in a clean file: DuckDB's JSON reader
    parses them as the text path parses their text (``normalize.LISTS``)."""
    return frozenset(k for k, t in typed_spec(fmt).items() if t in LISTS)


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def typed_spec(fmt: Format) -> dict[str, str]:
    """Raw key -> the canonical type its value has in a clean file, for the typed parse.

    Derived from where each key goes (``fmt.kinds``): a key read into a BIGINT
    field is an integer, into a list field a list of strings, into a time an
    integer of epoch seconds (as the API sends it). Keys whose field holds JSON
    map to "JSON": the typed parse keeps their text as it is.
    """
    out: dict[str, str] = {}
    for kind, exprs in fmt.kinds.items():
        for field_name, expr in exprs.items():
            typ = ENTITIES[kind].columns.get(field_name)
            if typ is None:
                continue
            for key in _NAME.findall(expr):
                known = key in fmt.spec and not isinstance(fmt.spec[key], dict)
                if known and out.setdefault(key, typ) != typ:
                    raise ValueError(f"{fmt.name}: {key!r} feeds both {out[key]} and {typ}")
    return out


FORMATS = {f.name: f for f in (RESEARCH_API, ZEESCHUIMER)}
CSV_FORMATS = ("4cat-csv", "csv")
ALL_FORMATS = ("research-api", "zeeschuimer", "4cat-csv", "csv")
