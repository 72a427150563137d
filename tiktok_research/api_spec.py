"""Facts of the Research API contract shared by the client and the emulator.

One definition of the fields, the query language's vocabulary, the limits and
the error codes (see docs/research-api-contract in the project's reference).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

VIDEO_FIELDS = (
    "id",
    "video_description",
    "create_time",
    "region_code",
    "share_count",
    "view_count",
    "like_count",
    "comment_count",
    "music_id",
    "hashtag_names",
    "username",
    "effect_ids",
    "playlist_id",
    "voice_to_text",
    "is_stem_verified",
    "favorites_count",
    "video_duration",
    "hashtag_info_list",
    "sticker_info_list",
    "effect_info_list",
    "video_mention_list",
    "video_label",
    "video_tag",
)
#: video fields whose values are lists or objects (the rest are scalars)
STRUCTURED_VIDEO_FIELDS = (
    "hashtag_names",
    "effect_ids",
    "hashtag_info_list",
    "sticker_info_list",
    "effect_info_list",
    "video_mention_list",
    "video_label",
    "video_tag",
)
#: the documentation also spells it this way; clients must accept both
FIELD_SPELLINGS = {"favourites_count": "favorites_count"}
USER_VIDEO_FIELDS = tuple(
    f for f in VIDEO_FIELDS if f not in ("effect_ids", "playlist_id", "voice_to_text")
)
COMMENT_FIELDS = (
    "id",
    "video_id",
    "text",
    "like_count",
    "reply_count",
    "parent_comment_id",
    "create_time",
)
USER_FIELDS = (
    "display_name",
    "bio_description",
    "avatar_url",
    "is_verified",
    "follower_count",
    "following_count",
    "likes_count",
    "video_count",
    "bio_url",
)

QUERY_FIELDS = (
    "create_date",
    "username",
    "region_code",
    "video_id",
    "hashtag_name",
    "keyword",
    "music_id",
    "effect_id",
    "video_length",
    "view_count",
    "comment_count",
)
OPERATIONS = ("EQ", "IN", "GT", "GTE", "LT", "LTE")
#: fields that can be compared with GT/GTE/LT/LTE
ORDERED_FIELDS = ("create_date", "view_count", "comment_count", "video_id", "music_id")
NUMERIC_FIELDS = ("view_count", "comment_count", "video_id", "music_id")
VIDEO_LENGTHS = {  # seconds, [low, high)
    "SHORT": (0, 15),
    "MID": (15, 60),
    "LONG": (60, 300),
    "EXTRA_LONG": (300, float("inf")),
}

MAX_WINDOW_DAYS = 30
MAX_COUNT = 100
DEFAULT_VIDEO_COUNT = 20
DEFAULT_COMMENT_COUNT = 10
COMMENT_CAP = 1000
COMPLIANCE_MAX_IDS = 10_000

DAILY_REQUESTS = 1_000
DAILY_RECORDS = 100_000
FOLLOW_DAILY_REQUESTS = 20_000
FOLLOW_DAILY_RECORDS = 2_000_000
TOKEN_LIFETIME = 7200
REFRESH_DAYS = 15


@dataclass(frozen=True)
class Endpoint:
    """One Research API endpoint (path under ``/v2/research/``) and how it is used.

    ``paging``: ``search_id`` (cursor plus a search id pinning the result set),
    ``cursor`` (cursor and max_count), ``capped`` (cursor from 0, never past
    ``cap`` records), ``single`` (one answer, no paging).
    """

    name: str  # what its records are: videos, comments, user_info, followers, ...
    path: str
    summary: str
    bucket: str = "research"  # which daily quota it counts against
    record_keys: tuple[str, ...] = ()  # where its records sit in ``data`` (none: data itself)
    paging: str = "cursor"
    cap: int | None = None
    fields: tuple[str, ...] | None = None  # fields it accepts (None: it takes no field list)
    stored: bool = True  # its records go into the store

    def request(
        self,
        base: dict[str, Any],
        *,
        cursor: int | None = None,
        search_id: str | None = None,
        max_count: int | None = None,
    ) -> dict[str, Any]:
        """The body of one request: ``base`` plus this endpoint's paging parameters."""
        body = dict(base)
        if self.paging == "single":
            return body
        count = MAX_COUNT if max_count is None else max_count
        if self.cap is not None:
            cursor = cursor or 0
            count = min(count, self.cap - cursor)
        if cursor is not None:
            body["cursor"] = cursor
        if search_id and self.paging == "search_id":
            body["search_id"] = search_id
        body["max_count"] = count
        return body

    def records(self, data: dict[str, Any]) -> list[Any]:
        """The records of an answer's ``data`` (under any documented spelling)."""
        if not self.record_keys:
            return [data]
        return next((data[k] for k in self.record_keys if data.get(k)), [])


_ENDPOINTS = (
    Endpoint(
        "videos",
        "video/query/",
        "Query videos",
        record_keys=("videos",),
        paging="search_id",
        fields=VIDEO_FIELDS,
    ),
    Endpoint(
        "comments",
        "video/comment/list/",
        "List comments",
        record_keys=("comments",),
        paging="capped",
        cap=COMMENT_CAP,
        fields=COMMENT_FIELDS,
    ),
    Endpoint("user_info", "user/info/", "User info", paging="single", fields=USER_FIELDS),
    Endpoint(
        "liked",
        "user/liked_videos/",
        "Liked videos",
        record_keys=("user_liked_videos",),
        fields=USER_VIDEO_FIELDS,
    ),
    Endpoint(
        "pinned",
        "user/pinned_videos/",
        "Pinned videos",
        record_keys=("pinned_videos_list", "user_pinned_videos"),
        paging="single",
        fields=USER_VIDEO_FIELDS,
    ),
    Endpoint(
        "reposted",
        "user/reposted_videos/",
        "Reposted videos",
        record_keys=("reposted_videos", "user_reposted_videos"),
        fields=USER_VIDEO_FIELDS,
    ),
    Endpoint(
        "followers",
        "user/followers/",
        "Followers",
        bucket="follow",
        record_keys=("user_followers",),
    ),
    Endpoint(
        "following",
        "user/following/",
        "Following",
        bucket="follow",
        record_keys=("user_following",),
    ),
    Endpoint("playlist", "playlist/info/", "Playlist info", stored=False),
    Endpoint(
        "compliance_create",
        "validation_task/create/",
        "Create a compliance check task",
        paging="single",
        stored=False,
    ),
    Endpoint(
        "compliance_status",
        "validation_task_status/get/",
        "Compliance task status",
        paging="single",
        stored=False,
    ),
    Endpoint(
        "compliance_download",
        "validation_task/download/",
        "Download a compliance task's result",
        paging="single",
        stored=False,
    ),
)
#: path -> endpoint: the one table the client, the collector, the journal, the importers and
#: the emulator's routes read
ENDPOINTS: dict[str, Endpoint] = {e.path: e for e in _ENDPOINTS}
BY_NAME: dict[str, Endpoint] = {e.name: e for e in _ENDPOINTS}
#: the lists of a user that can be collected besides the user's info
USER_LISTS = ("followers", "following", "liked", "pinned", "reposted")
#: every key under ``data`` that holds a list of records, over all endpoints
RECORD_LIST_KEYS = tuple(dict.fromkeys(k for e in _ENDPOINTS for k in e.record_keys))


def endpoint(path: str) -> Endpoint:
    """The endpoint at ``path``; an unknown path is a programming error."""
    try:
        return ENDPOINTS[path]
    except KeyError:
        raise KeyError(f"no Research API endpoint {path!r}") from None


ERROR_STATUS = {
    "ok": 200,
    "invalid_params": 400,
    "scope_permission_missed": 400,
    "invalid_file_upload": 400,
    "access_token_invalid": 401,
    "scope_not_authorized": 401,
    "rate_limit_exceeded": 429,
    "daily_quota_limit_exceeded": 429,
    "internal_error": 500,
}

#: ISO 3166-1 alpha-2 codes (the Research API's region_code values)
REGION_CODES = frozenset(
    [
        "AD",
        "AE",
        "AF",
        "AG",
        "AI",
        "AL",
        "AM",
        "AO",
        "AQ",
        "AR",
        "AS",
        "AT",
        "AU",
        "AW",
        "AX",
        "AZ",
        "BA",
        "BB",
        "BD",
        "BE",
        "BF",
        "BG",
        "BH",
        "BI",
        "BJ",
        "BL",
        "BM",
        "BN",
        "BO",
        "BQ",
        "BR",
        "BS",
        "BT",
        "BV",
        "BW",
        "BY",
        "BZ",
        "CA",
        "CC",
        "CD",
        "CF",
        "CG",
        "CH",
        "CI",
        "CK",
        "CL",
        "CM",
        "CN",
        "CO",
        "CR",
        "CU",
        "CV",
        "CW",
        "CX",
        "CY",
        "CZ",
        "DE",
        "DJ",
        "DK",
        "DM",
        "DO",
        "DZ",
        "EC",
        "EE",
        "EG",
        "EH",
        "ER",
        "ES",
        "ET",
        "FI",
        "FJ",
        "FK",
        "FM",
        "FO",
        "FR",
        "GA",
        "GB",
        "GD",
        "GE",
        "GF",
        "GG",
        "GH",
        "GI",
        "GL",
        "GM",
        "GN",
        "GP",
        "GQ",
        "GR",
        "GS",
        "GT",
        "GU",
        "GW",
        "GY",
        "HK",
        "HM",
        "HN",
        "HR",
        "HT",
        "HU",
        "ID",
        "IE",
        "IL",
        "IM",
        "IN",
        "IO",
        "IQ",
        "IR",
        "IS",
        "IT",
        "JE",
        "JM",
        "JO",
        "JP",
        "KE",
        "KG",
        "KH",
        "KI",
        "KM",
        "KN",
        "KP",
        "KR",
        "KW",
        "KY",
        "KZ",
        "LA",
        "LB",
        "LC",
        "LI",
        "LK",
        "LR",
        "LS",
        "LT",
        "LU",
        "LV",
        "LY",
        "MA",
        "MC",
        "MD",
        "ME",
        "MF",
        "MG",
        "MH",
        "MK",
        "ML",
        "MM",
        "MN",
        "MO",
        "MP",
        "MQ",
        "MR",
        "MS",
        "MT",
        "MU",
        "MV",
        "MW",
        "MX",
        "MY",
        "MZ",
        "NA",
        "NC",
        "NE",
        "NF",
        "NG",
        "NI",
        "NL",
        "NO",
        "NP",
        "NR",
        "NU",
        "NZ",
        "OM",
        "PA",
        "PE",
        "PF",
        "PG",
        "PH",
        "PK",
        "PL",
        "PM",
        "PN",
        "PR",
        "PS",
        "PT",
        "PW",
        "PY",
        "QA",
        "RE",
        "RO",
        "RS",
        "RU",
        "RW",
        "SA",
        "SB",
        "SC",
        "SD",
        "SE",
        "SG",
        "SH",
        "SI",
        "SJ",
        "SK",
        "SL",
        "SM",
        "SN",
        "SO",
        "SR",
        "SS",
        "ST",
        "SV",
        "SX",
        "SY",
        "SZ",
        "TC",
        "TD",
        "TF",
        "TG",
        "TH",
        "TJ",
        "TK",
        "TL",
        "TM",
        "TN",
        "TO",
        "TR",
        "TT",
        "TV",
        "TW",
        "TZ",
        "UA",
        "UG",
        "UM",
        "US",
        "UY",
        "UZ",
        "VA",
        "VC",
        "VE",
        "VG",
        "VI",
        "VN",
        "VU",
        "WF",
        "WS",
        "XK",
        "YE",
        "YT",
        "ZA",
        "ZM",
        "ZW",
    ]
)


def parse_day(text: str) -> date:
    """A YYYY-MM-DD (or the API's YYYYMMDD) date; ValueError naming the text otherwise."""
    text = text.strip()
    fmt = "%Y%m%d" if len(text) == 8 and text.isdigit() else "%Y-%m-%d"
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        raise ValueError(f"expected a date YYYY-MM-DD, got {text!r}") from None


def canonical_field(name: str) -> str:
    """A field name under the spelling this package uses."""
    return FIELD_SPELLINGS.get(name, name)


def check_video_fields(fields: list[str] | None) -> list[str]:
    """The video fields to request (all when none are named); QueryProblem names unknown ones."""
    wanted = [f.strip() for f in fields or [] if f.strip()] or list(VIDEO_FIELDS)
    bad = [f for f in wanted if canonical_field(f) not in VIDEO_FIELDS]
    if bad:
        raise QueryProblem(f"unknown video field(s) {bad}; valid: {', '.join(VIDEO_FIELDS)}")
    return wanted


class QueryProblem(ValueError):
    """A query the Research API would refuse; the message names the problem."""


def _check_values(field: str, op: str, values: list) -> list[str]:
    from datetime import datetime

    out = []
    for v in values:
        if not isinstance(v, str):
            raise QueryProblem(
                f'field_values of {field} must be strings (numbers too, e.g. "100"), '
                f"got {type(v).__name__} {v!r}"
            )
        text = v.strip()
        if not text:
            raise QueryProblem(f"empty value for {field}")
        if field == "create_date":
            try:
                datetime.strptime(text, "%Y%m%d")
            except ValueError:
                raise QueryProblem(f"create_date must be YYYYMMDD, got {v!r}") from None
        elif field == "region_code":
            text = text.upper()
            if text not in REGION_CODES:
                raise QueryProblem(f"{v!r} is not an ISO 3166-1 alpha-2 region code")
        elif field == "video_length":
            text = text.upper()
            if text not in VIDEO_LENGTHS:
                raise QueryProblem(
                    f"video_length must be one of {', '.join(VIDEO_LENGTHS)}, got {v!r}"
                )
        elif field in NUMERIC_FIELDS or field == "effect_id":
            if not text.isdigit():
                raise QueryProblem(f"{field} values must be digits, got {v!r}")
        elif field == "hashtag_name":
            text = text.lstrip("#")
        elif field == "username":
            text = text.lstrip("@")
        out.append(text)
    return out


def validate_query(query: object) -> dict[str, list[dict]]:
    """Check a query in the API's and/or/not form; returns it normalised.

    Raises :class:`QueryProblem` naming the first problem found.
    """
    if not isinstance(query, dict):
        raise QueryProblem("query must be an object with 'and', 'or' and/or 'not' lists")
    unknown = set(query) - {"and", "or", "not"}
    if unknown:
        raise QueryProblem(f"unknown query key(s) {sorted(unknown)}; use and, or, not")
    out: dict[str, list[dict]] = {}
    for key in ("and", "or", "not"):
        conds = query.get(key) or []
        if not isinstance(conds, list):
            raise QueryProblem(f"query.{key} must be a list of conditions")
        norm = []
        for i, c in enumerate(conds):
            where = f"query.{key}[{i}]"
            if not isinstance(c, dict):
                raise QueryProblem(f"{where} must be an object")
            extra = set(c) - {"operation", "field_name", "field_values"}
            if extra:
                raise QueryProblem(f"{where}: unknown key(s) {sorted(extra)}")
            field, op, values = c.get("field_name"), c.get("operation"), c.get("field_values")
            if field not in QUERY_FIELDS:
                raise QueryProblem(
                    f"{where}: invalid field_name {field!r}; valid: {', '.join(QUERY_FIELDS)}"
                )
            if op not in OPERATIONS:
                raise QueryProblem(
                    f"{where}: invalid operation {op!r}; valid: {', '.join(OPERATIONS)}"
                )
            if not isinstance(values, list) or not values:
                raise QueryProblem(f"{where}: field_values must be a non-empty list")
            if op in ("GT", "GTE", "LT", "LTE") and field not in ORDERED_FIELDS:
                raise QueryProblem(f"{where}: operation {op} does not apply to {field}")
            if op != "IN" and len(values) != 1:
                raise QueryProblem(f"{where}: operation {op} takes exactly one value")
            norm.append(
                {
                    "operation": op,
                    "field_name": field,
                    "field_values": _check_values(field, op, values),
                }
            )
        if norm:
            out[key] = norm
    if not out:
        raise QueryProblem("query needs at least one condition in and, or or not")
    return out
