"""The emulated Research API as an ASGI app (FastAPI), at TikTok's own paths.

Same envelope, error codes and HTTP statuses as the real service; credentials,
expiring tokens, daily quotas (500s count, as TikTok's do), an optional
short-term rate limit and reproducible fault injection. ``/_emulator/*``
(outside TikTok's paths) reports statistics, the planted truth, and lets tests
move the emulator's clock.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import secrets
from collections import OrderedDict, defaultdict, deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import numpy as np
import orjson
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field, ValidationError

from .. import api_spec
from ..api_spec import QueryProblem, validate_query
from .config import EmulatorConfig
from .corpus import NEVER, Corpus, CorpusConfig
from .engine import Engine

MAX_SESSIONS = 2_000


class Fail(Exception):
    """An error answer in TikTok's envelope."""

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code, self.message = code, message
        self.status = status or api_spec.ERROR_STATUS.get(code, 400)


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised in-process where a real server would drop the connection.

    In-process (``httpx.ASGITransport``) the client sees exactly what a real
    dropped connection gives it; ``emulator serve`` turns it into a truncated
    response, which closes the socket mid-answer.
    """

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


class CutResponse(Response):
    """Declares a body it never finishes sending: the HTTP server then drops the connection."""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"data": {', "more_body": False})


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


# --- request bodies (validated here so errors come back as TikTok's invalid_params) ------
class _Body(BaseModel):
    model_config = {"extra": "ignore"}


class VideoQueryBody(_Body):
    query: dict[str, Any]
    start_date: str = Field(description="YYYYMMDD, UTC")
    end_date: str = Field(description="YYYYMMDD, UTC; at most 30 days after start_date")
    max_count: int = Field(api_spec.DEFAULT_VIDEO_COUNT, ge=1, le=api_spec.MAX_COUNT)
    cursor: int | None = Field(None, ge=0)
    search_id: str | None = None
    is_random: bool = False


class CommentBody(_Body):
    video_id: int | None = Field(None, ge=1)
    comment_id: int | None = Field(None, ge=1)
    max_count: int = Field(api_spec.DEFAULT_COMMENT_COUNT, ge=1, le=api_spec.MAX_COUNT)
    cursor: int = Field(0, ge=0)


class UserBody(_Body):
    username: str = Field(min_length=1)


class UserListBody(_Body):
    username: str = Field(min_length=1)
    max_count: int = Field(api_spec.DEFAULT_VIDEO_COUNT, ge=1, le=api_spec.MAX_COUNT)
    cursor: int | None = Field(None, ge=0)


class PlaylistBody(_Body):
    playlist_id: int = Field(ge=1)
    max_count: int = Field(api_spec.DEFAULT_VIDEO_COUNT, ge=1, le=api_spec.MAX_COUNT)
    cursor: int = Field(0, ge=0)


class TaskBody(_Body):
    task_id: str = Field(min_length=1)


class Clock(BaseModel):
    advance_seconds: float = 0
    set_epoch: float | None = None


def _parse(model: type[_Body], raw: Any) -> Any:
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "body"
        raise Fail("invalid_params", f"{where}: {err['msg']}") from None


def _yyyymmdd(text: str, name: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y%m%d").replace(tzinfo=UTC)
    except (ValueError, TypeError):
        raise Fail(
            "invalid_params", f"{name} must be a date in YYYYMMDD format, got {text!r}"
        ) from None


class Emulator:
    """All mutable state of one emulated service."""

    def __init__(self, config: EmulatorConfig, corpus: Corpus | None = None):
        self.config = config
        self._clock0 = config.clock_start or datetime.now(UTC).timestamp()
        self.corpus = corpus or Corpus(
            CorpusConfig(
                seed=config.seed,
                videos=config.videos,
                start=config.start,
                end=config.end,
                hidden_rate=config.hidden_rate,
                deletion_rate=config.deletion_rate,
                clock_start=self._clock0,
            )
        )
        self.engine = Engine(self.corpus)
        self.offset = 0.0
        self.tokens: dict[str, float] = {}
        self.sessions: OrderedDict[str, tuple[str, np.ndarray]] = OrderedDict()
        self.quota: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        self.requests: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.records: dict[str, int] = defaultdict(int)
        self.faults: dict[str, int] = defaultdict(int)
        self.recent: deque[float] = deque()
        self.fault_rng = np.random.default_rng([config.seed, 7])
        self.tasks: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self._playlists: dict[int, np.ndarray] | None = None
        #: "raise" in-process (the client sees a protocol error), "cut" behind a real server
        self.drop_mode = "raise"
        v = self.corpus.videos
        self.hidden = v["hidden"].to_numpy(zero_copy_only=False)
        self.deleted_at = v["deleted_at"].to_numpy()
        self.create_time = v["create_time"].to_numpy()

    # -- clock, ids, bookkeeping -------------------------------------------------------
    def now(self) -> float:
        return (
            self._clock0 if self.config.clock_start else datetime.now(UTC).timestamp()
        ) + self.offset

    def day(self) -> str:
        return datetime.fromtimestamp(self.now(), UTC).date().isoformat()

    def log_id(self) -> str:
        stamp = datetime.fromtimestamp(self.now(), UTC).strftime("%Y%m%d%H%M%S")
        return f"{stamp}{next(self.ids):012X}"

    def envelope(self, data: Any, code: str = "ok", message: str = "") -> dict[str, Any]:
        return {"data": data, "error": {"code": code, "message": message, "log_id": self.log_id()}}

    def fail_response(self, f: Fail, endpoint: str) -> Response:
        self.requests[endpoint][str(f.status)] += 1
        return _json(self.envelope({}, f.code, f.message), f.status)

    def resets_at(self) -> str:
        d = datetime.fromtimestamp(self.now(), UTC).date() + timedelta(days=1)
        return datetime(d.year, d.month, d.day, tzinfo=UTC).isoformat()

    def visible(self, rows: np.ndarray) -> np.ndarray:
        """Rows that can be served now (not hidden, not deleted yet)."""
        return rows[~self.hidden[rows] & (self.deleted_at[rows] > self.now())]

    def available(self, row: int | None) -> bool:
        """A corpus row that can be served now."""
        return row is not None and not self.hidden[row] and self.deleted_at[row] > self.now()

    def row_of(self, video_id: int) -> int | None:
        ids = self.corpus.ids
        i = int(np.searchsorted(ids, video_id))
        return i if i < len(ids) and ids[i] == video_id else None

    # -- the request pipeline ------------------------------------------------------
    async def serve(
        self,
        endpoint: str,
        request: Request,
        handler: Callable[[Any], Awaitable[tuple[Any, int]] | tuple[Any, int]],
        parse_json: bool = True,
    ) -> Response:
        bucket = api_spec.ENDPOINTS[endpoint].bucket
        auth = request.headers.get("authorization", "")
        token = auth[7:] if auth.lower().startswith("bearer ") else ""
        if self.tokens.get(token, 0) <= self.now():
            return self.fail_response(
                Fail(
                    "access_token_invalid",
                    "The access token is invalid or not found in the request.",
                ),
                endpoint,
            )
        if self.config.rate_limit:
            t = self.now()
            while self.recent and self.recent[0] <= t - 1:
                self.recent.popleft()
            if len(self.recent) >= self.config.rate_limit:
                return self.fail_response(
                    Fail("rate_limit_exceeded", "Too many requests per second; slow down."),
                    endpoint,
                )
            self.recent.append(t)
        used = self.quota[(self.day(), bucket)]
        limit_req, limit_rec = (
            (self.config.quota_requests, self.config.quota_records)
            if bucket == "research"
            else (self.config.follow_quota_requests, self.config.follow_quota_records)
        )
        if used[0] >= limit_req:
            return self.fail_response(
                Fail(
                    self.config.quota_error_code,
                    f"Daily quota of {limit_req} requests reached; it "
                    f"resets at {self.resets_at()}.",
                    429,
                ),
                endpoint,
            )
        body: Any = None
        if parse_json:
            try:
                body = orjson.loads(await request.body() or b"null")
            except orjson.JSONDecodeError:
                body = ...
        fault = self._draw_fault(endpoint, body)
        if fault and fault != "slow":
            self.faults[fault] += 1
        if fault == "slow":
            await asyncio.sleep(self.config.slow_seconds)
        elif fault == "dropped":
            self.requests[endpoint]["dropped"] += 1
            if self.drop_mode == "cut":
                return CutResponse()
            raise DroppedConnection()
        elif fault == "gateway_timeout":
            self.requests[endpoint]["504"] += 1
            return HTMLResponse(
                "<html><head><title>504 Gateway Time-out</title></head><body>"
                "<center><h1>504 Gateway Time-out</h1></center></body></html>",
                status_code=504,
            )
        used[0] += 1  # from here on the request counts against the quota
        if fault == "internal_error":
            return self.fail_response(
                Fail("internal_error", "Something went wrong. Please try again later."), endpoint
            )
        if fault == "search_id_expired":
            return self.fail_response(
                Fail("invalid_params", f"Search Id {body['search_id']} is invalid or expired"),
                endpoint,
            )
        try:
            if body is ...:
                raise Fail("invalid_params", "request body is not valid JSON")
            result = handler(body if parse_json else request)
            if asyncio.iscoroutine(result):
                result = await result
            data, n_records = result  # type: ignore[misc]
            if used[1] + n_records > limit_rec:
                raise Fail(
                    self.config.quota_error_code,
                    f"Daily quota of {limit_rec} records reached; it resets at {self.resets_at()}.",
                    429,
                )
        except Fail as f:
            return self.fail_response(f, endpoint)
        used[1] += n_records
        self.records[endpoint] += n_records
        self.requests[endpoint]["200"] += 1
        if isinstance(data, Response):
            return data
        return _json(self.envelope(data))

    def _draw_fault(self, endpoint: str, body: Any) -> str | None:
        # three draws per request, whatever happens, so a seed replays the same faults
        u_fault, u_kind, u_slow = self.fault_rng.random(3)
        cfg = self.config
        if u_fault < cfg.fault_rate:
            mix = cfg.fault_mix.model_dump()
            paging = endpoint == "video/query/" and isinstance(body, dict) and body.get("search_id")
            if not paging:
                mix.pop("search_id_expired")
            kinds, weights = list(mix), np.array(list(mix.values()), float)
            if weights.sum() > 0:
                return kinds[
                    int(
                        np.searchsorted(
                            np.cumsum(weights / weights.sum()), u_kind, side="right"
                        ).clip(0, len(kinds) - 1)
                    )
                ]
        if u_slow < cfg.slow_rate:
            return "slow"
        return None

    # -- endpoints ------------------------------------------------------------------
    def _fields(self, request_fields: str | None, allowed: tuple[str, ...]) -> list[str]:
        if not request_fields:
            raise Fail("invalid_params", "fields is required: a comma-separated list of fields")
        fields = [f.strip() for f in request_fields.split(",") if f.strip()]
        bad = [f for f in fields if api_spec.canonical_field(f) not in allowed]
        if bad:
            raise Fail(
                "invalid_params",
                f"Invalid fields: {', '.join(bad)}; valid fields are {', '.join(allowed)}",
            )
        return fields

    def video_records(self, rows: np.ndarray, fields: list[str]) -> list[dict[str, Any]]:
        wanted = [api_spec.canonical_field(f) for f in fields]
        computed = {
            "hashtag_info_list",
            "sticker_info_list",
            "effect_info_list",
            "video_label",
            "video_tag",
        }
        direct = [f for f in dict.fromkeys(wanted) if f not in computed]
        sources = {"hashtag_info_list": "hashtag_names", "effect_info_list": "effect_ids"}
        need = list(dict.fromkeys(direct + [sources[f] for f in wanted if f in sources]))
        recs = self.corpus.videos.take(rows).select(need).to_pylist()
        fav = self.config.favorites_spelling
        out = []
        for r in recs:
            rec: dict[str, Any] = {}
            for f in wanted:
                if f == "hashtag_info_list":
                    rec[f] = [
                        {
                            "hashtag_id": int(hashlib.md5(h.encode()).hexdigest()[:12], 16),
                            "hashtag_name": h,
                            "hashtag_description": "",
                        }
                        for h in r["hashtag_names"]
                    ]
                elif f == "sticker_info_list":
                    rec[f] = []
                elif f == "effect_info_list":
                    rec[f] = [
                        {"effect_id": e, "effect_name": f"effect {e}"} for e in r["effect_ids"]
                    ]
                elif f == "video_label":
                    rec[f] = {"content": ""}
                elif f == "video_tag":
                    rec[f] = {"type": "", "number": 0}
                elif f == "favorites_count":
                    rec[fav] = r[f]
                else:
                    rec[f] = r[f]
            out.append(rec)
        return out

    def video_query(self, body: Any, fields_param: str | None) -> tuple[dict[str, Any], int]:
        fields = self._fields(fields_param, api_spec.VIDEO_FIELDS)
        b = _parse(VideoQueryBody, body)
        start, end = _yyyymmdd(b.start_date, "start_date"), _yyyymmdd(b.end_date, "end_date")
        if end < start:
            raise Fail("invalid_params", "end_date must not be before start_date")
        if (end - start).days > api_spec.MAX_WINDOW_DAYS:
            raise Fail(
                "invalid_params",
                f"end_date must be no more than {api_spec.MAX_WINDOW_DAYS} days after start_date",
            )
        try:
            query = validate_query(b.query)
        except QueryProblem as exc:
            raise Fail("invalid_params", str(exc)) from None
        fingerprint = orjson.dumps(
            [query, b.start_date, b.end_date, b.is_random], option=orjson.OPT_SORT_KEYS
        ).decode()
        if b.search_id:
            session = self.sessions.get(b.search_id)
            if session is None:
                raise Fail("invalid_params", f"Search Id {b.search_id} is invalid or expired")
            if session[0] != fingerprint:
                raise Fail(
                    "invalid_params",
                    f"Search Id {b.search_id} belongs to another query; "
                    "resend the same query and dates with it",
                )
            rows, search_id = session[1], b.search_id
            self.sessions.move_to_end(search_id)
        else:
            seed = int(self.fault_rng.integers(0, 2**31)) if b.is_random else None
            rows = self.engine.search(
                query,
                int(start.timestamp()),
                int(end.timestamp()) + 86_400,
                searchable_before=int(self.now() - self.config.searchable_delay_hours * 3600),
                random_seed=seed,
                limit=b.max_count,
            )
            search_id = str(7_000_000_000_000_000_000 + secrets.randbits(60))
            self.sessions[search_id] = (fingerprint, rows)
            while len(self.sessions) > MAX_SESSIONS:
                self.sessions.popitem(last=False)
        cursor = b.cursor or 0
        if b.is_random:
            page, nxt, more = rows[: b.max_count], len(rows), False
        else:
            page = rows[cursor : cursor + b.max_count]
            nxt = cursor + len(page)  # the cursor moves over hidden videos too
            more = nxt < len(rows)
        videos = self.video_records(self.visible(page), fields)
        return {"videos": videos, "cursor": nxt, "has_more": more, "search_id": search_id}, len(
            videos
        )

    def comments(self, body: Any, fields_param: str | None) -> tuple[dict[str, Any], int]:
        fields = self._fields(fields_param, api_spec.COMMENT_FIELDS)
        b = _parse(CommentBody, body)
        if (b.video_id is None) == (b.comment_id is None):
            raise Fail("invalid_params", "give exactly one of video_id or comment_id")
        if b.cursor + b.max_count > api_spec.COMMENT_CAP:
            raise Fail(
                "invalid_params",
                "Invalid count or cursor: only the top "
                f"{api_spec.COMMENT_CAP} comments can be listed "
                "(cursor + max_count <= 1000)",
            )
        if b.video_id is not None:
            row = self.row_of(b.video_id)
            if not self.available(row):
                raise Fail(
                    "invalid_params", f"video_id {b.video_id} does not exist or is not available"
                )
            items = self.corpus.comments_of(row)
        else:
            parent = self.corpus.find_comment(b.comment_id)
            if parent is None or self.corpus.comment_deleted_at(parent["id"]) <= self.now():
                raise Fail("invalid_params", f"comment_id {b.comment_id} does not exist")
            items = self.corpus.replies_of(parent)
        cap = min(len(items), api_spec.COMMENT_CAP)
        page = items[b.cursor : min(b.cursor + b.max_count, cap)]
        now = self.now()
        page = [c for c in page if self.corpus.comment_deleted_at(c["id"]) > now]
        out = [{f: c[f] for f in fields} for c in page]
        nxt = min(b.cursor + b.max_count, cap)
        return {"comments": out, "cursor": nxt, "has_more": nxt < cap}, len(out)

    def user_row(self, username: str) -> int:
        i = self.corpus.user_index.get(username.strip().lstrip("@").lower())
        if i is None:
            raise Fail("invalid_params", f"cannot find the user {username!r}")
        if self.corpus.user_private[i]:
            raise Fail("invalid_params", f"the user {username!r} is private")
        return i

    def user_info(self, body: Any, fields_param: str | None) -> tuple[dict[str, Any], int]:
        fields = self._fields(fields_param, api_spec.USER_FIELDS)
        b = _parse(UserBody, body)
        i = self.user_row(b.username)
        rec = self.corpus.users.slice(i, 1).to_pylist()[0]
        rec["video_count"] = int(self.corpus.video_count[i])
        return {f: rec[f] for f in fields}, 1

    def user_videos(
        self, kind: str, body: Any, fields_param: str | None
    ) -> tuple[dict[str, Any], int]:
        fields = self._fields(fields_param, api_spec.USER_VIDEO_FIELDS)
        b = _parse(UserBody if kind == "pinned" else UserListBody, body)
        i = self.user_row(b.username)
        rows, times = self.corpus.user_lists(i, kind)
        if kind == "pinned":
            vids = self.video_records(self.visible(rows), fields)
            return {"pinned_videos_list": vids}, len(vids)
        if kind == "liked":  # cursor: liked on or before this epoch second
            cursor = b.cursor if b.cursor is not None else int(self.now())
            keep = times <= cursor
            rows, times = rows[keep][: b.max_count], times[keep][: b.max_count]
            more = int(keep.sum()) > b.max_count
            nxt = int(times[-1]) - 1 if len(times) else cursor
            key = "user_liked_videos"
        else:  # reposted: cursor is an index
            cursor = b.cursor or 0
            more = cursor + b.max_count < len(rows)
            rows = rows[cursor : cursor + b.max_count]
            nxt, key = cursor + len(rows), "reposted_videos"
        vids = self.video_records(self.visible(rows), fields)
        return {key: vids, "cursor": nxt, "has_more": bool(more)}, len(vids)

    def follows(self, kind: str, body: Any) -> tuple[dict[str, Any], int]:
        b = _parse(UserListBody, body)
        i = self.user_row(b.username)
        users, times = (
            self.corpus.followers_of(i) if kind == "followers" else self.corpus.following_of(i)
        )
        cursor = b.cursor if b.cursor is not None else int(self.now())
        keep = times <= cursor
        users, times = users[keep], times[keep]
        more = len(users) > b.max_count
        users, times = users[: b.max_count], times[: b.max_count]
        names = self.corpus.users.column("username").take(users).to_pylist()
        shown = self.corpus.users.column("display_name").take(users).to_pylist()
        entries = [{"display_name": d, "username": u} for u, d in zip(names, shown, strict=True)]
        nxt = int(times[-1]) - 1 if len(times) else cursor
        return {f"user_{kind}": entries, "cursor": nxt, "has_more": bool(more)}, len(entries)

    def playlist(self, body: Any) -> tuple[dict[str, Any], int]:
        b = _parse(PlaylistBody, body)
        if self._playlists is None:
            pl = self.corpus.videos["playlist_id"].to_numpy()
            listed = np.flatnonzero(pl)
            order = np.argsort(pl[listed], kind="stable")
            keys, starts = np.unique(pl[listed][order], return_index=True)
            self._playlists = {
                int(k): g for k, g in zip(keys, np.split(listed[order], starts[1:]), strict=True)
            }
        rows = self._playlists.get(b.playlist_id)
        if rows is None:
            raise Fail("invalid_params", f"playlist_id {b.playlist_id} does not exist")
        rows = self.visible(rows)
        page = rows[b.cursor : b.cursor + b.max_count]
        nxt = b.cursor + len(page)
        return {
            "playlist_id": b.playlist_id,
            "playlist_name": f"playlist {b.playlist_id % 1000}",
            "playlist_item_total": int(len(rows)),
            "playlist_last_updated": int(self.create_time[rows].max()) if len(rows) else 0,
            "playlist_video_ids": [int(v) for v in self.corpus.ids[page]],
            "cursor": nxt,
            "has_more": nxt < len(rows),
        }, len(page)

    async def create_task(self, request: Request) -> tuple[dict[str, Any], int]:
        form = await request.form()
        category = form.get("category")
        upload = form.get("file_data")
        if category not in ("video", "comment"):
            raise Fail("invalid_params", "category must be video or comment")
        if upload is None or isinstance(upload, str):
            raise Fail("invalid_file_upload", "file_data must be an uploaded file of ids")
        text = (await upload.read()).decode("utf-8", errors="replace")
        tokens = [t for t in text.replace(",", "\n").split() if t]
        if not tokens or len(tokens) > api_spec.COMPLIANCE_MAX_IDS:
            raise Fail(
                "invalid_file_upload",
                f"the file must hold 1 to {api_spec.COMPLIANCE_MAX_IDS} ids, got {len(tokens)}",
            )
        bad = [t for t in tokens if not t.isdigit()]
        if bad:
            raise Fail("invalid_file_upload", f"not an id: {bad[0]!r}")
        task_id = secrets.token_hex(8)
        self.tasks[task_id] = {"category": category, "ids": [int(t) for t in tokens], "polls": 0}
        return {"task_id": task_id}, 0

    def task(self, body: Any) -> dict[str, Any]:
        b = _parse(TaskBody, body)
        task = self.tasks.get(b.task_id)
        if task is None:
            raise Fail("invalid_params", f"task_id {b.task_id} does not exist")
        return task

    def task_status(self, body: Any) -> tuple[dict[str, Any], int]:
        task = self.task(body)
        task["polls"] += 1
        done = task["polls"] > self.config.compliance_polls
        return {"task_status": "Completed" if done else "Processing"}, 0

    def task_download(self, body: Any) -> tuple[Response, int]:
        task = self.task(body)
        if task["polls"] <= self.config.compliance_polls:
            raise Fail("invalid_params", "the task is still processing; check its status first")
        now = self.now()
        valid = []
        for i in task["ids"]:
            if task["category"] == "video":
                ok = self.available(self.row_of(i))
            else:
                c = self.corpus.find_comment(i)
                ok = c is not None and self.corpus.comment_deleted_at(i) > now
            if ok:
                valid.append(str(i))
        return PlainTextResponse("\n".join(valid) + ("\n" if valid else "")), len(valid)

    # -- auth ------------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        form = await request.form()
        log = self.log_id()
        if (
            form.get("grant_type") != "client_credentials"
            or not form.get("client_key")
            or not form.get("client_secret")
        ):
            return _json(
                {
                    "error": "invalid_request",
                    "error_description": "client_key, client_secret and grant_type=client_credentials are "
                    "required",
                    "log_id": log,
                },
                400,
            )
        if not (
            secrets.compare_digest(str(form["client_key"]), self.config.client_key)
            and secrets.compare_digest(str(form["client_secret"]), self.config.client_secret)
        ):
            return _json(
                {
                    "error": "invalid_client",
                    "error_description": "Client key or secret is incorrect.",
                    "log_id": log,
                },
                401,
            )
        token = "clt." + secrets.token_urlsafe(32)
        self.tokens[token] = self.now() + self.config.token_lifetime
        return _json(
            {
                "access_token": token,
                "expires_in": self.config.token_lifetime,
                "token_type": "Bearer",
            }
        )

    def stats(self) -> dict[str, Any]:
        quota: dict[str, dict[str, dict[str, int]]] = defaultdict(dict)
        for (day, bucket), (req, rec) in self.quota.items():
            quota[day][bucket] = {"requests": req, "records": rec}
        return {
            "requests": {k: dict(v) for k, v in self.requests.items()},
            "records": dict(self.records),
            "faults": dict(self.faults),
            "quota": dict(quota),
            "tokens_issued": len(self.tokens),
            "now": datetime.fromtimestamp(self.now(), UTC).isoformat(),
        }


def _doc(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


def create_app(config: EmulatorConfig | None = None, corpus: Corpus | None = None) -> FastAPI:
    """The emulated Research API; ``app.state.emulator`` holds its state."""
    emu = Emulator(config or EmulatorConfig(), corpus)
    app = FastAPI(
        title="TikTok Research API emulator",
        version="2",
        description="A local, deterministic stand-in for TikTok's Research API v2.",
    )
    app.state.emulator = emu
    research = "/v2/research/"

    @app.post("/v2/oauth/token/", summary="Client-credentials token")
    async def token(request: Request) -> Response:
        return await emu.token(request)

    # what serves each endpoint of the contract table: (body model, handler)
    handlers: dict[str, tuple[type[BaseModel] | None, Callable[[Any, str | None], Any]]] = {
        "videos": (VideoQueryBody, emu.video_query),
        "comments": (CommentBody, emu.comments),
        "user_info": (UserBody, emu.user_info),
        "liked": (UserListBody, lambda b, f: emu.user_videos("liked", b, f)),
        "pinned": (UserBody, lambda b, f: emu.user_videos("pinned", b, f)),
        "reposted": (UserListBody, lambda b, f: emu.user_videos("reposted", b, f)),
        "followers": (UserListBody, lambda b, _f: emu.follows("followers", b)),
        "following": (UserListBody, lambda b, _f: emu.follows("following", b)),
        "playlist": (PlaylistBody, lambda b, _f: emu.playlist(b)),
        "compliance_status": (TaskBody, lambda b, _f: emu.task_status(b)),
        "compliance_download": (TaskBody, lambda b, _f: emu.task_download(b)),
    }

    def route(ep: api_spec.Endpoint) -> None:
        if ep.name == "compliance_create":  # a multipart upload, not a JSON body

            async def upload(request: Request) -> Response:
                return await emu.serve(ep.path, request, emu.create_task, parse_json=False)

            app.add_api_route(
                research + ep.path, upload, methods=["POST"], summary=ep.summary, name=ep.path
            )
            return
        model, fn = handlers[ep.name]

        async def endpoint(request: Request) -> Response:
            fields = request.query_params.get("fields")
            return await emu.serve(ep.path, request, lambda body: fn(body, fields))

        app.add_api_route(
            research + ep.path,
            endpoint,
            methods=["POST"],
            summary=ep.summary,
            openapi_extra=_doc(model) if model else None,
            name=ep.path,
        )

    for ep in api_spec.ENDPOINTS.values():
        route(ep)

    @app.get("/_emulator/stats", summary="Requests, records and quota used")
    async def stats() -> Response:
        return _json(emu.stats())

    @app.get("/_emulator/truth", summary="Planted ground truth")
    async def truth() -> Response:
        return _json(emu.corpus.truth())

    @app.post("/_emulator/clock", summary="Move the emulator's clock (tests, deletions)")
    async def clock(body: Clock) -> Response:
        if body.set_epoch is not None:
            emu.offset += body.set_epoch - emu.now()
        emu.offset += body.advance_seconds
        return _json({"now": datetime.fromtimestamp(emu.now(), UTC).isoformat()})

    return app


__all__ = ["create_app", "Emulator", "EmulatorConfig", "DroppedConnection", "NEVER"]
