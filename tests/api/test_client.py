"""The Research API client against the in-process emulator: endpoints, paging, tokens, retries."""

from __future__ import annotations

import contextlib
import logging
import os
import stat
from datetime import UTC, date, datetime

import numpy as np
import pytest
from helpers import app_with, reference_ids

from tiktok_research.api import Q, ResearchClient, RetryPolicy, SearchIdExpired, windows
from tiktok_research.errors import ApiError, AuthError, QuotaExceeded, TransientApiError, UsageError


def client_for(app, attempts=None, **retry):
    retry.setdefault("sleep", lambda s: None)
    on = attempts.append if attempts is not None else None
    return ResearchClient.for_app(app, retry=RetryPolicy(**retry), on_attempt=on)


@pytest.fixture(scope="module")
def app():
    return app_with()


def test_windows_split_long_ranges():
    w = windows(date(2024, 1, 1), date(2024, 3, 31))
    assert w[0] == (date(2024, 1, 1), date(2024, 1, 30)) and w[-1][1] == date(2024, 3, 31)
    assert all((b - a).days <= 29 for a, b in w)
    assert all((w[i + 1][0] - w[i][1]).days == 1 for i in range(len(w) - 1))
    with pytest.raises(UsageError):
        windows(date(2024, 2, 1), date(2024, 1, 1))


def test_paging_across_windows_returns_every_match_once(app):
    c = client_for(app)
    q = Q.region("US", "DE")
    got = [v["id"] for v in c.iter_videos(q, date(2024, 1, 1), date(2024, 3, 31), fields=["id"])]
    assert len(got) == len(set(got)) > 500
    assert got == reference_ids(app, q, date(2024, 1, 1), date(2024, 3, 31))
    limited = list(c.iter_videos(q, date(2024, 1, 1), date(2024, 3, 31), max_videos=150))
    assert len(limited) == 150
    with pytest.raises(UsageError, match="30 days"):
        c.query_videos(q, date(2024, 1, 1), date(2024, 3, 1))


def test_each_endpoint(app):
    c = client_for(app)
    emu = app.state.emulator
    counts = emu.corpus.videos["comment_count"].to_numpy()
    row = int(np.argmax(np.where(emu.hidden, -1, counts)))
    vid = int(emu.corpus.ids[row])
    comments = list(c.iter_comments(vid))
    assert len(comments) == 1000  # the API's cap
    parent = next(x for x in comments if x["reply_count"])
    replies = c.comments(comment_id=parent["id"]).data["comments"]
    assert {r["parent_comment_id"] for r in replies} == {parent["id"]}
    with pytest.raises(UsageError):
        c.comments(video_id=vid, cursor=1000)
    user = emu.corpus.usernames[
        int(np.argmax(emu.corpus.user_followers * ~emu.corpus.user_private))
    ]
    info = c.user_info(user)
    assert info["username"] == user and info["follower_count"] > 0
    followers = c.followers(user, max_count=10)
    assert len(followers.data["user_followers"]) <= 10 and "cursor" in followers.data
    assert "user_following" in c.following(user).data
    assert "user_liked_videos" in c.liked_videos(user).data
    assert isinstance(c.pinned_videos(user), list)
    assert "reposted_videos" in c.reposted_videos(user).data
    pl = emu.corpus.videos["playlist_id"].to_numpy()
    pid = int(pl[pl > 0][0])
    assert c.playlist(pid).data["playlist_id"] == pid
    ids = [int(i) for i in emu.corpus.ids[~emu.hidden][:20]]
    assert c.validate_ids(ids + [123], "video", poll_every=0) == set(ids)
    with pytest.raises(ApiError) as err:
        c.user_info("nobody_at_all")
    assert err.value.code == "invalid_params" and err.value.log_id and err.value.status == 400


def test_tokens_renew_before_expiry_and_after_a_401(tmp_path):
    app = app_with(token_lifetime=600)
    emu = app.state.emulator
    c = ResearchClient.for_app(app, retry=RetryPolicy(sleep=lambda s: None), clock=emu.now)
    c.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 2), fields=["id"])
    emu.offset += 100  # still fresh: reused
    c.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 2), fields=["id"])
    assert c.tokens.fetched == 1
    emu.offset += 300  # inside the renewal margin: renewed before it expires, no 401
    attempts = []
    c.on_attempt = attempts.append
    c.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 2), fields=["id"])
    assert c.tokens.fetched == 2 and [a.status for a in attempts] == [200]
    # the server expires it while the client thinks it is fine: a 401, a new token, success
    d = ResearchClient.for_app(app, retry=RetryPolicy(sleep=lambda s: None))
    d.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 2), fields=["id"])
    emu.offset += 700
    attempts.clear()
    d.on_attempt = attempts.append
    d.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 2), fields=["id"])
    assert [a.status for a in attempts] == [401, 200] and d.tokens.fetched == 2


def test_token_cache_is_private_and_reused(tmp_path):
    app = app_with()
    cache = tmp_path / "tokens.json"
    a = ResearchClient.for_app(app, token_cache=cache)
    a.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 2), fields=["id"])
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o600
    b = ResearchClient.for_app(app, token_cache=cache)
    b.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 2), fields=["id"])
    assert (a.tokens.fetched, b.tokens.fetched) == (1, 0)


@pytest.mark.parametrize(
    "mix,expected_status",
    [
        ({"internal_error": 1}, 500),
        ({"gateway_timeout": 1}, 504),
        ({"dropped": 1}, 0),
    ],
)
def test_transient_failures_are_retried(mix, expected_status):
    full = {"internal_error": 0, "gateway_timeout": 0, "dropped": 0, "search_id_expired": 0, **mix}
    app = app_with(fault_rate=0.5, fault_mix=full, seed=3)
    attempts, delays = [], []
    c = ResearchClient.for_app(
        app, retry=RetryPolicy(sleep=delays.append, max_attempts=30), on_attempt=attempts.append
    )
    got = [
        v["id"]
        for v in c.iter_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 31), fields=["id"])
    ]
    clean = [
        v["id"]
        for v in client_for(app_with(seed=3)).iter_videos(
            Q.region("US"), date(2024, 1, 1), date(2024, 1, 31), fields=["id"]
        )
    ]
    assert got == clean
    failed = [a for a in attempts if a.status != 200]
    assert failed and {a.status for a in failed} == {expected_status}
    assert len(delays) == len(failed) and all(d >= 0 for d in delays)


def test_backoff_grows_and_stays_capped():
    p = RetryPolicy(base_delay=1, max_delay=8)
    for attempt in range(8):
        d = p.delay(attempt)
        assert 0 <= d <= min(8, 2**attempt)


def test_expiring_search_ids_recover_or_raise():
    mix = {"internal_error": 0, "gateway_timeout": 0, "dropped": 0, "search_id_expired": 1}
    app = app_with(fault_rate=0.4, fault_mix=mix)
    c = client_for(app, search_id_attempts=10)
    got = [
        v["id"]
        for v in c.iter_videos(
            Q.region("US", "DE"), date(2024, 1, 1), date(2024, 1, 30), fields=["id"]
        )
    ]
    assert got == reference_ids(app, Q.region("US", "DE"), date(2024, 1, 1), date(2024, 1, 30))
    always = app_with(fault_rate=1.0, fault_mix=mix)
    c = client_for(always, search_id_attempts=3)
    first = c.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 30), max_count=5)
    with pytest.raises(SearchIdExpired):
        c.query_videos(
            Q.region("US"),
            date(2024, 1, 1),
            date(2024, 1, 30),
            max_count=5,
            cursor=first.cursor,
            search_id=first.data["search_id"],
        )


def test_retries_are_limited_and_permanent_errors_are_not_retried():
    app = app_with(
        fault_rate=1.0,
        fault_mix={"internal_error": 1, "gateway_timeout": 0, "dropped": 0, "search_id_expired": 0},
    )
    attempts = []
    c = client_for(app, attempts, max_attempts=4)
    with pytest.raises(TransientApiError, match="gave up after 4 attempts"):
        c.user_info("anyone")
    assert len(attempts) == 4
    attempts.clear()
    c = client_for(app_with(), attempts)
    with pytest.raises(ApiError, match="cannot find the user"):
        c.user_info("nobody_here")
    assert len(attempts) == 1


def test_short_term_rate_limit_waits_then_daily_quota_stops():
    attempts, delays = [], []
    app = app_with(rate_limit=2)
    c = ResearchClient.for_app(
        app, retry=RetryPolicy(sleep=delays.append, max_attempts=3), on_attempt=attempts.append
    )
    for _ in range(3):
        with contextlib.suppress(ApiError):
            c.user_info("nobody")
    # the third call in the same second hit the per-second limit; it was retried, not fatal
    assert any(a.status == 429 for a in attempts) and delays
    q = app_with(quota_requests=2)
    c = client_for(q)
    for _ in range(2):
        with pytest.raises(ApiError):
            c.user_info("nobody")
    with pytest.raises(QuotaExceeded) as err:
        c.user_info("nobody")
    assert err.value.resets_at > datetime.now(UTC)
    assert err.value.resets_at.hour == 0 and err.value.resets_at.minute == 0


def test_wrong_credentials_are_an_auth_error_without_the_secret():
    from pydantic import SecretStr

    from tiktok_research.api import Credentials

    app = app_with()
    secret = "sup3r-s3cret-value"
    c = ResearchClient.for_app(
        app,
        credentials=Credentials(client_key="emulator-client-key", client_secret=SecretStr(secret)),
    )
    with pytest.raises(AuthError) as err:
        c.user_info("x")
    assert err.value.code == "invalid_client"
    assert secret not in str(err.value) and secret not in repr(err.value)


def test_secret_and_token_never_show(caplog, capsys):
    caplog.set_level(logging.DEBUG)
    app = app_with()
    c = client_for(app)
    c.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 2))
    token = c.tokens.token()
    secret = c.credentials.client_secret.get_secret_value()
    texts = [
        repr(c),
        str(c),
        repr(c.credentials),
        str(c.credentials),
        repr(c.tokens),
        caplog.text,
        capsys.readouterr().out,
    ]
    try:
        c.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 3, 1))
    except UsageError as exc:
        texts.append(str(exc))
    for t in texts:
        assert secret not in t and token not in t


def test_retries_are_logged_without_secrets(caplog):
    """Retries show in the ``tiktok_research`` log (code, log id, attempt), never the token."""
    caplog.set_level(logging.INFO, logger="tiktok_research")
    app = app_with(fault_rate=0.5, seed=3)
    c = client_for(app, max_attempts=30)
    for day in range(1, 8):
        c.query_videos(Q.region("US"), date(2024, 1, day), date(2024, 1, day))
    retries = [r for r in caplog.records if "retrying in" in r.getMessage()]
    assert retries and all(r.name == "tiktok_research.api.client" for r in retries)
    token = c.tokens.token()
    secret = c.credentials.client_secret.get_secret_value()
    assert token not in caplog.text and secret not in caplog.text


def _answer_by_orjson(content: bytes) -> tuple[dict, dict, int]:
    """What read_answer should give, from a full parse."""
    import orjson

    payload = orjson.loads(content)
    data = payload.get("data")
    data = data if isinstance(data, dict) else {}
    lists = [v for v in data.values() if isinstance(v, list)]
    head = {k: v for k, v in data.items() if not isinstance(v, list)}
    return payload.get("error") or {}, head, len(lists[0]) if lists else (1 if data else 0)


ANSWERS = [
    b'{"data":{"videos":[{"id":1},{"id":2}],"cursor":100,"has_more":true,"search_id":"7"},'
    b'"error":{"code":"ok","message":"","log_id":"20240101"}}',
    b'{"data":{"videos":[],"cursor":0,"has_more":false},"error":{"code":"ok"}}',
    b'{"error":{"code":"invalid_params","message":"Search Id 7 is invalid or expired"}}',
    b'{"data":{"display_name":"A \xc3\xa9","follower_count":3,"bio_url":null},"error":{}}',
    b'{"data":{"cursor":5,"user_followers":[{"username":"a"}],"comments":[1,2,3]}}',
    b'{"data":null,"error":null}',
    b'{"data":[1,2]}',
    b'{"data":{}}',
    b'  {"data" : { "videos" : [ {"id":1} ] } }  ',
]


@pytest.mark.parametrize("content", ANSWERS)
def test_an_answer_is_read_without_building_its_records(content):
    from tiktok_research.api.client import read_answer

    assert read_answer(content) == _answer_by_orjson(content)


@pytest.mark.parametrize(
    "content",
    [
        b'{"data":{"videos":[{"a":"\xff\xfe"}]},"error":{"code":"ok"}}',  # not UTF-8, in a record
        b'{"data":{"videos":[{"a":01}]},"error":{"code":"ok"}}',  # a bad number, in a record
        b'{"data":{"videos":[{"a":"x\x01y"}]}}',  # a raw control character
        b'{"data":{"videos":[{"id":1},',  # cut short
        b"<html><body>502 Bad Gateway</body></html>",
        b"[]",
        b'{"error":"down"}',
    ],
)
def test_an_answer_that_is_not_a_json_object_is_refused(content):
    """What the full parse refused before is still refused: the page is asked for again."""
    from tiktok_research.api.client import read_answer

    with pytest.raises(ValueError):
        read_answer(content)


def test_a_page_parses_its_data_when_asked(app):
    import orjson

    c = client_for(app)
    page = c.query_videos(Q.region("US"), date(2024, 1, 1), date(2024, 1, 30), max_count=20)
    assert page.attempt.records == 20 and page.has_more and page.cursor == 20 and page.search_id
    assert page._data is None  # nothing parsed the records yet
    assert page.data == orjson.loads(page.attempt.raw)["data"]
    assert len(page.data["videos"]) == 20
