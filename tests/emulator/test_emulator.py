"""The emulator, endpoint by endpoint, with raw HTTP (httpx) against the ASGI app."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime

import httpx
import numpy as np
import pytest
from asgi import ASGIClient, token

from tiktok_research.emulator import Corpus, CorpusConfig, EmulatorConfig, FaultMix, create_app

CLOCK = datetime(2024, 6, 1, tzinfo=UTC).timestamp()  # corpus is Jan-Mar 2024
FIELDS = (
    "id,username,create_time,region_code,hashtag_names,video_description,view_count,"
    "comment_count,music_id,video_duration,effect_ids"
)


def make(**kw) -> ASGIClient:
    kw.setdefault("videos", 3000)
    kw.setdefault("clock_start", CLOCK)
    return ASGIClient(create_app(EmulatorConfig(**kw)))


def q(*conds, kind="and", start="20240101", end="20240130", **extra) -> dict:
    body = {
        "query": {kind: [dict(operation=o, field_name=f, field_values=v) for o, f, v in conds]},
        "start_date": start,
        "end_date": end,
    }
    body.update(extra)
    return body


@pytest.fixture(scope="module")
def client() -> ASGIClient:
    return make()


@pytest.fixture(scope="module")
def auth(client) -> dict:
    return token(client)


def post(c, path, body, h, fields=None):
    url = f"/v2/research/{path}" + (f"?fields={fields}" if fields else "")
    return c.post(url, json=body, headers=h)


def page_all(c, h, body, fields=FIELDS, max_count=100):
    """Every video of a query by cursor + search_id paging; also the page sizes."""
    body = dict(body, max_count=max_count)
    videos, sizes = [], []
    while True:
        r = post(c, "video/query/", body, h, fields)
        assert r.status_code == 200, r.text
        d = r.json()["data"]
        videos += d["videos"]
        sizes.append(len(d["videos"]))
        if not d["has_more"]:
            return videos, sizes
        body.update(cursor=d["cursor"], search_id=d["search_id"])


def reference(c: ASGIClient, pred, start="20240101", end="20240130") -> list[int]:
    """What the query should return, computed directly from the corpus (no SQL)."""
    emu = c.app.state.emulator
    lo = datetime.strptime(start, "%Y%m%d").replace(tzinfo=UTC).timestamp()
    hi = datetime.strptime(end, "%Y%m%d").replace(tzinfo=UTC).timestamp() + 86400
    out = []
    for i, v in enumerate(emu.corpus.videos.to_pylist()):
        if lo <= v["create_time"] < hi and not v["hidden"] and pred(v):
            out.append((v["id"], i))
    return [vid for vid, _ in sorted(out, reverse=True)]


# --- auth ----------------------------------------------------------------------------
def test_token_and_credentials():
    c = make(token_lifetime=60)
    r = c.post(
        "/v2/oauth/token/",
        data={
            "client_key": "emulator-client-key",
            "client_secret": "wrong",
            "grant_type": "client_credentials",
        },
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client" and r.json()["log_id"]
    r = c.post("/v2/oauth/token/", data={"client_key": "k"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    h = token(c)
    assert (
        post(
            c, "user/info/", {"username": "x"}, {"Authorization": "Bearer clt.nope"}, "display_name"
        ).json()["error"]["code"]
        == "access_token_invalid"
    )
    assert post(c, "video/query/", q(("EQ", "region_code", ["US"])), h, "id").status_code == 200
    c.post("/_emulator/clock", json={"advance_seconds": 61})
    r = post(c, "video/query/", q(("EQ", "region_code", ["US"])), h, "id")
    assert r.status_code == 401 and r.json()["error"]["code"] == "access_token_invalid"
    stats = c.get("/_emulator/stats").json()
    assert (
        stats["quota"][datetime.fromtimestamp(CLOCK, UTC).date().isoformat()]["research"][
            "requests"
        ]
        == 1
    )  # the token endpoint and refused tokens do not count


# --- video query ---------------------------------------------------------------------
def test_paging_returns_each_match_exactly_once_in_descending_id_order(client, auth):
    body = q(("IN", "region_code", ["US", "DE"]))
    videos, sizes = page_all(client, auth, body, max_count=37)
    ids = [v["id"] for v in videos]
    assert len(ids) == len(set(ids)) > 100
    assert ids == sorted(ids, reverse=True)
    assert ids == reference(client, lambda v: v["region_code"] in ("US", "DE"))
    assert all(v["id"] > 2**53 for v in videos)
    # hidden (deleted/private) videos leave holes: some pages are short, the cursor still moves
    assert min(sizes[:-1]) < 37


@pytest.mark.parametrize(
    "conds,kind,pred",
    [
        ([("EQ", "hashtag_name", ["Climate"])], "and", lambda v: "climate" in v["hashtag_names"]),
        (
            [("IN", "hashtag_name", ["vote", "gym"])],
            "and",
            lambda v: {"vote", "gym"} & set(v["hashtag_names"]),
        ),
        (
            [("EQ", "keyword", ["TRUTH"])],
            "and",
            lambda v: "truth" in v["video_description"].lower(),
        ),
        (
            [("EQ", "region_code", ["us"]), ("GT", "view_count", ["5000"])],
            "and",
            lambda v: v["region_code"] == "US" and v["view_count"] > 5000,
        ),
        (
            [("EQ", "video_length", ["SHORT"]), ("LTE", "comment_count", ["3"])],
            "and",
            lambda v: v["video_duration"] < 15 and v["comment_count"] <= 3,
        ),
        (
            [("EQ", "region_code", ["FR"]), ("EQ", "region_code", ["BR"])],
            "or",
            lambda v: v["region_code"] in ("FR", "BR"),
        ),
        (
            [("GTE", "create_date", ["20240110"]), ("LT", "create_date", ["20240112"])],
            "and",
            lambda v: (
                "20240110"
                <= datetime.fromtimestamp(v["create_time"], UTC).strftime("%Y%m%d")
                < "20240112"
            ),
        ),
        (
            [("IN", "video_length", ["LONG", "EXTRA_LONG"])],
            "and",
            lambda v: v["video_duration"] >= 60,
        ),
    ],
)
def test_query_semantics_match_a_direct_computation(client, auth, conds, kind, pred):
    videos, _ = page_all(client, auth, q(*conds, kind=kind))
    assert [v["id"] for v in videos] == reference(client, pred)


def test_not_username_music_and_effect_conditions(client, auth):
    emu = client.app.state.emulator
    first = emu.corpus.videos.slice(0, 400).to_pylist()
    user = next(v["username"] for v in first if not v["hidden"])
    music = Counter(v["music_id"] for v in first).most_common(1)[0][0]
    effect = next(v["effect_ids"][0] for v in first if v["effect_ids"])
    body = {
        "query": {
            "and": [{"operation": "EQ", "field_name": "music_id", "field_values": [str(music)]}],
            "not": [{"operation": "EQ", "field_name": "username", "field_values": [user]}],
        },
        "start_date": "20240101",
        "end_date": "20240130",
    }
    videos, _ = page_all(client, auth, body)
    assert [v["id"] for v in videos] == reference(
        client, lambda v: v["music_id"] == music and v["username"] != user
    )
    videos, _ = page_all(client, auth, q(("EQ", "effect_id", [effect])))
    assert [v["id"] for v in videos] == reference(client, lambda v: effect in v["effect_ids"])
    vid = videos[0]["id"]
    one, _ = page_all(client, auth, q(("EQ", "video_id", [str(vid)])))
    assert [v["id"] for v in one] == [vid]


def test_fields_selection(client, auth):
    r = post(
        client,
        "video/query/",
        q(("EQ", "region_code", ["US"]), max_count=5),
        auth,
        "id,favourites_count,video_tag,hashtag_info_list",
    )
    v = r.json()["data"]["videos"][0]
    assert set(v) == {"id", "favorites_count", "video_tag", "hashtag_info_list"}
    assert isinstance(v["video_tag"], dict) and isinstance(v["hashtag_info_list"], list)
    alt = make(favorites_spelling="favourites_count")
    r = post(
        alt,
        "video/query/",
        q(("EQ", "region_code", ["US"]), max_count=1),
        token(alt),
        "id,favorites_count",
    )
    assert set(r.json()["data"]["videos"][0]) == {"id", "favourites_count"}


@pytest.mark.parametrize(
    "body,fields,message",
    [
        (q(("EQ", "region_code", ["US"])), "id,bogus", "Invalid fields: bogus"),
        (q(("EQ", "region_code", ["US"])), None, "fields is required"),
        (q(("EQ", "region_code", ["US"]), start="2024-01-01"), "id", "YYYYMMDD"),
        (q(("EQ", "region_code", ["US"]), start="20240301", end="20240201"), "id", "before"),
        (q(("EQ", "region_code", ["US"]), start="20240101", end="20240201"), "id", "30 days"),
        (q(("EQ", "region_code", ["US"]), max_count=101), "id", "max_count"),
        (q(("EQ", "colour", ["red"])), "id", "invalid field_name 'colour'"),
        (q(("LIKE", "region_code", ["US"])), "id", "invalid operation 'LIKE'"),
        (q(("GT", "username", ["a"])), "id", "does not apply to username"),
        (q(("EQ", "region_code", ["ZZ"])), "id", "not an ISO 3166-1"),
        (q(("EQ", "video_length", ["TINY"])), "id", "video_length must be one of"),
        (q(("EQ", "view_count", [100])), "id", "must be strings"),
        (q(("EQ", "region_code", ["US", "DE"])), "id", "exactly one value"),
        ({"start_date": "20240101", "end_date": "20240102"}, "id", "query"),
        ({"query": {}, "start_date": "20240101", "end_date": "20240102"}, "id", "at least one"),
    ],
)
def test_invalid_requests_get_invalid_params(client, auth, body, fields, message):
    r = post(client, "video/query/", body, auth, fields)
    assert r.status_code == 400
    err = r.json()["error"]
    assert err["code"] == "invalid_params" and message in err["message"], err
    assert err["log_id"]


def test_search_id_pins_its_result_and_its_query(client, auth):
    body = q(("EQ", "region_code", ["US"]), max_count=10)
    d = post(client, "video/query/", body, auth, "id").json()["data"]
    other = q(("EQ", "region_code", ["DE"]), max_count=10, cursor=10, search_id=d["search_id"])
    r = post(client, "video/query/", other, auth, "id")
    assert r.status_code == 400 and "another query" in r.json()["error"]["message"]
    r = post(client, "video/query/", dict(body, cursor=10, search_id="12345"), auth, "id")
    assert r.json()["error"]["message"] == "Search Id 12345 is invalid or expired"
    again = post(client, "video/query/", dict(body, cursor=0, search_id=d["search_id"]), auth, "id")
    assert [v["id"] for v in again.json()["data"]["videos"]] == [v["id"] for v in d["videos"]]


def test_is_random_returns_a_sample_of_matches(client, auth):
    r = post(
        client,
        "video/query/",
        q(("EQ", "region_code", ["US"]), is_random=True, max_count=50),
        auth,
        "id,region_code",
    )
    d = r.json()["data"]
    assert 0 < len(d["videos"]) <= 50 and d["has_more"] is False
    assert {v["region_code"] for v in d["videos"]} == {"US"}
    ids = [v["id"] for v in d["videos"]]
    assert ids != sorted(ids, reverse=True)  # not the ordered listing


def test_newest_two_days_are_not_searchable():
    c = make(clock_start=datetime(2024, 1, 20, 12, tzinfo=UTC).timestamp())
    videos, _ = page_all(
        c,
        token(c),
        q(("IN", "region_code", ["US", "DE", "FR", "GB", "BR"]), start="20240110", end="20240125"),
        fields="id,create_time",
    )
    latest = max(v["create_time"] for v in videos)
    assert latest <= datetime(2024, 1, 18, 12, tzinfo=UTC).timestamp()


# --- comments -----------------------------------------------------------------------
def test_comments_replies_and_the_1000_cap(client, auth):
    emu = client.app.state.emulator
    counts = emu.corpus.videos["comment_count"].to_numpy()
    hidden = emu.hidden
    row = int(np.argmax(np.where(hidden, -1, counts)))
    assert counts[row] > 1000
    vid = int(emu.corpus.ids[row])
    body, seen = {"video_id": vid, "max_count": 100, "cursor": 0}, []
    while True:
        d = post(
            client,
            "video/comment/list/",
            body,
            auth,
            "id,video_id,parent_comment_id,reply_count,text",
        ).json()["data"]
        seen += d["comments"]
        if not d["has_more"]:
            break
        body["cursor"] = d["cursor"]
    assert len(seen) == 1000 and len({c["id"] for c in seen}) == 1000
    assert all(c["parent_comment_id"] == vid == c["video_id"] for c in seen)
    r = post(
        client,
        "video/comment/list/",
        {"video_id": vid, "cursor": 950, "max_count": 100},
        auth,
        "id",
    )
    assert r.status_code == 400 and "Invalid count or cursor" in r.json()["error"]["message"]
    parent = next(c for c in seen if c["reply_count"])
    d = post(
        client,
        "video/comment/list/",
        {"comment_id": parent["id"], "max_count": 100},
        auth,
        "id,parent_comment_id",
    ).json()["data"]
    assert len(d["comments"]) == parent["reply_count"]
    assert {c["parent_comment_id"] for c in d["comments"]} == {parent["id"]}
    r = post(client, "video/comment/list/", {"video_id": vid, "comment_id": 1}, auth, "id")
    assert r.status_code == 400 and "exactly one" in r.json()["error"]["message"]


# --- users, lists, playlists -----------------------------------------------------------
def test_user_endpoints(client, auth):
    emu = client.app.state.emulator
    i = int(np.argmax(emu.corpus.user_followers * ~emu.corpus.user_private))
    name = emu.corpus.usernames[i]
    info = post(
        client,
        "user/info/",
        {"username": name},
        auth,
        "display_name,follower_count,is_verified,video_count",
    ).json()["data"]
    assert info["follower_count"] == emu.corpus.user_followers[i] and "username" not in info
    r = post(client, "user/info/", {"username": "nobody_here"}, auth, "display_name")
    assert r.status_code == 400 and "cannot find the user" in r.json()["error"]["message"]
    private = emu.corpus.usernames[int(np.flatnonzero(emu.corpus.user_private)[0])]
    r = post(client, "user/info/", {"username": private}, auth, "display_name")
    assert "is private" in r.json()["error"]["message"]
    followers, body = [], {"username": name, "max_count": 50}
    while True:
        d = post(client, "user/followers/", body, auth).json()["data"]
        followers += d["user_followers"]
        if not d["has_more"]:
            break
        body["cursor"] = d["cursor"]
    expected = emu.corpus.followers_of(i)[0]
    assert sorted(f["username"] for f in followers) == sorted(emu.corpus.usernames[expected])
    d = post(client, "user/following/", {"username": name}, auth).json()["data"]
    assert "user_following" in d and d["cursor"] > 0
    liked = post(
        client, "user/liked_videos/", {"username": name, "max_count": 5}, auth, "id,like_count"
    ).json()["data"]
    assert len(liked["user_liked_videos"]) <= 5 and "cursor" in liked
    pinned = post(client, "user/pinned_videos/", {"username": name}, auth, "id,username").json()
    assert all(v["username"] == name for v in pinned["data"]["pinned_videos_list"])
    reposted = post(client, "user/reposted_videos/", {"username": name}, auth, "id").json()["data"]
    assert "reposted_videos" in reposted
    r = post(client, "user/liked_videos/", {"username": name}, auth, "id,voice_to_text")
    assert r.status_code == 400  # not a field of user lists


def test_playlist(client, auth):
    emu = client.app.state.emulator
    pl = emu.corpus.videos["playlist_id"].to_numpy()
    pid = int(pl[pl > 0][0])
    d = post(client, "playlist/info/", {"playlist_id": pid, "max_count": 100}, auth).json()["data"]
    assert d["playlist_id"] == pid and d["playlist_item_total"] == len(d["playlist_video_ids"])
    assert all(v > 2**53 for v in d["playlist_video_ids"])
    r = post(client, "playlist/info/", {"playlist_id": 42}, auth)
    assert r.status_code == 400


# --- compliance ---------------------------------------------------------------------------
def test_batch_compliance_and_deletions_over_time():
    c = make(deletion_rate=0.3)
    emu = c.app.state.emulator
    ids = [int(i) for i in emu.corpus.ids[~emu.hidden][:500]]

    def still_valid() -> set[int]:
        h = token(c)  # the clock moves by weeks: tokens expire
        r = c.post(
            "/v2/research/validation_task/create/",
            headers=h,
            data={"category": "video"},
            files={"file_data": ("ids.txt", "\n".join(map(str, ids)))},
        )
        task = r.json()["data"]["task_id"]
        statuses = [
            post(c, "validation_task_status/get/", {"task_id": task}, h).json()["data"][
                "task_status"
            ]
            for _ in range(2)
        ]
        assert statuses == ["Processing", "Completed"]
        r = post(c, "validation_task/download/", {"task_id": task}, h)
        return {int(x) for x in r.text.split()}

    assert still_valid() == set(ids)
    c.post("/_emulator/clock", json={"advance_seconds": 31 * 86400})
    later = still_valid()
    gone = set(ids) - later
    assert 0.2 < len(gone) / len(ids) < 0.4
    r = c.post(
        "/v2/research/validation_task/create/",
        headers=token(c),
        data={"category": "video"},
        files={"file_data": ("ids.txt", "\n".join(["1"] * 10_001))},
    )
    assert r.json()["error"]["code"] == "invalid_file_upload"
    vid = next(iter(gone))
    body = q(("EQ", "video_id", [str(vid)]), start="20240101", end="20240131")
    found, _ = page_all(c, token(c), body)
    assert found == []


# --- quotas and rate limits ----------------------------------------------------------------
def test_daily_request_and_record_quotas_reset_at_midnight():
    c = make(quota_requests=3, quota_records=150)
    h = token(c)
    body = q(("IN", "region_code", ["US", "DE", "GB"]), max_count=100)
    assert post(c, "video/query/", body, h, "id").status_code == 200  # ~100 records
    r = post(c, "video/query/", body, h, "id")
    assert r.status_code == 429 and "records" in r.json()["error"]["message"]
    assert post(c, "user/info/", {"username": "nobody"}, h, "display_name").status_code == 400
    r = post(c, "user/info/", {"username": "nobody"}, h, "display_name")
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limit_exceeded"
    assert "resets at" in r.json()["error"]["message"]
    token(c)  # the token endpoint still works
    c.post("/_emulator/clock", json={"advance_seconds": 86400})
    h = token(c)
    assert post(c, "video/query/", body, h, "id").status_code == 200


def test_short_term_rate_limit():
    c = make(rate_limit=3)
    h = token(c)
    codes = [
        post(c, "user/info/", {"username": "x"}, h, "display_name").status_code for _ in range(5)
    ]
    assert codes.count(429) == 2


# --- faults ---------------------------------------------------------------------------------
def _statuses(c, h, n=400):
    out = []
    body = q(("EQ", "region_code", ["US"]), max_count=5)
    for _ in range(n):
        try:
            r = post(c, "video/query/", body, h, "id")
            out.append(r.status_code)
            d = r.json()["data"] if r.headers["content-type"].startswith("application/json") else {}
            if r.status_code == 200 and d.get("has_more"):
                body.update(cursor=d["cursor"], search_id=d["search_id"])
        except httpx.RemoteProtocolError:
            out.append("dropped")
    return out


def test_faults_at_their_configured_rates_and_reproducible():
    cfg = dict(fault_rate=0.3, quota_requests=10_000, quota_records=10**7, seed=5)
    a = make(**cfg)
    got = _statuses(a, token(a))
    failed = sum(s != 200 for s in got) / len(got)
    assert 0.22 < failed < 0.38, failed
    kinds = Counter(got)
    assert kinds[500] and kinds[504] and kinds["dropped"] and kinds[400]
    stats = a.get("/_emulator/stats").json()
    day = next(iter(stats["quota"]))
    # 500s and search-id errors count against the quota; 504s and drops never reached it
    assert stats["quota"][day]["research"]["requests"] == kinds[200] + kinds[500] + kinds[400]
    b = make(**cfg)
    assert _statuses(b, token(b)) == got


def test_gateway_timeout_is_an_html_page_and_drops_raise_in_process():
    c = make(
        fault_rate=1.0,
        fault_mix=FaultMix(
            internal_error=0, gateway_timeout=1, dropped=0, search_id_expired=0
        ).model_dump(),
    )
    r = post(c, "user/info/", {"username": "x"}, token(c), "display_name")
    assert r.status_code == 504 and r.headers["content-type"].startswith("text/html")
    d = make(
        fault_rate=1.0,
        fault_mix={"internal_error": 0, "gateway_timeout": 0, "dropped": 1, "search_id_expired": 0},
    )
    with pytest.raises(httpx.RemoteProtocolError):
        post(d, "user/info/", {"username": "x"}, token(d), "display_name")


# --- determinism and planted truth ------------------------------------------------------------
def _digest(table) -> str:
    return hashlib.sha256(json.dumps(table.to_pylist(), sort_keys=True).encode()).hexdigest()


def test_same_seed_same_corpus_and_responses():
    a, b = Corpus(CorpusConfig(seed=3, videos=2000)), Corpus(CorpusConfig(seed=3, videos=2000))
    assert _digest(a.videos) == _digest(b.videos) and a.truth() == b.truth()
    assert _digest(Corpus(CorpusConfig(seed=4, videos=2000)).videos) != _digest(a.videos)
    ca, cb = make(seed=3, videos=2000), make(seed=3, videos=2000)
    ha, hb = token(ca), token(cb)
    body = q(("EQ", "region_code", ["US"]), max_count=20)
    va = post(ca, "video/query/", body, ha, FIELDS).json()["data"]["videos"]
    vb = post(cb, "video/query/", body, hb, FIELDS).json()["data"]["videos"]
    assert va == vb and va


def test_planted_coordination_and_trends_are_in_the_data():
    corpus = Corpus(CorpusConfig(seed=2, videos=20_000))
    truth = corpus.truth()
    rows = {
        r["id"]: r
        for r in corpus.videos.select(
            ["id", "username", "music_id", "create_time", "hashtag_names", "video_description"]
        ).to_pylist()
    }
    groups = truth["coordinated_groups"]
    assert len(groups) >= 2
    for g in groups:
        assert len(g["episodes"]) >= 6
        for ep in g["episodes"]:
            vids = [rows[i] for i in ep["video_ids"]]
            assert len(vids) >= 3
            assert {v["music_id"] for v in vids} == {g["music_id"]}
            assert {v["video_description"] for v in vids} == {g["caption"]}
            assert max(v["create_time"] for v in vids) - min(v["create_time"] for v in vids) <= 60
            assert {v["username"] for v in vids} <= set(g["members"])
    for t in truth["trending_hashtags"]:
        days = Counter(
            datetime.fromtimestamp(v["create_time"], UTC).date().isoformat()
            for v in rows.values()
            if t["hashtag"] in v["hashtag_names"]
        )
        busiest = max(days, key=days.get)
        peak = datetime.fromisoformat(t["peak"]).date()
        assert abs((datetime.fromisoformat(busiest).date() - peak).days) <= 3
        assert min(days) >= t["emergence"]


def test_corpus_shape_is_realistic():
    c = Corpus(CorpusConfig(seed=1, videos=20_000))
    v = c.videos
    views = v["view_count"].to_numpy()
    assert np.percentile(views, 99) > 20 * np.median(views)  # heavy tail
    likes = v["like_count"].to_numpy()
    assert np.corrcoef(np.log1p(views), np.log1p(likes))[0, 1] > 0.8
    tags = Counter(t for ts in v["hashtag_names"].to_pylist() for t in ts)
    top = [n for _, n in tags.most_common(50)]
    assert top[0] > 5 * top[-1]  # Zipf-like reuse
    ids = c.ids
    assert (ids > 2**53).all() and (np.diff(ids) > 0).all()
    assert ((ids >> 32) == v["create_time"].to_numpy()).all()  # ids sort by time
    lengths = Counter(
        min(3, int(d >= 15) + int(d >= 60) + int(d >= 300)) for d in v["video_duration"].to_numpy()
    )
    assert len(lengths) == 4
    descs = v["video_description"].to_pylist()
    tagged = [(d, t) for d, t in zip(descs, v["hashtag_names"].to_pylist(), strict=True) if t]
    assert all(f"#{t[0]}" in d for d, t in tagged[:500])
    assert any(d.startswith("#duet with @") for d in descs)


def test_openapi_is_published(client):
    paths = client.get("/openapi.json").json()["paths"]
    for p in (
        "/v2/oauth/token/",
        "/v2/research/video/query/",
        "/v2/research/video/comment/list/",
        "/v2/research/user/info/",
        "/v2/research/user/liked_videos/",
        "/v2/research/user/pinned_videos/",
        "/v2/research/user/reposted_videos/",
        "/v2/research/user/followers/",
        "/v2/research/user/following/",
        "/v2/research/playlist/info/",
        "/v2/research/validation_task/create/",
        "/v2/research/validation_task_status/get/",
        "/v2/research/validation_task/download/",
    ):
        assert p in paths
