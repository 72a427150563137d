"""The one endpoint table: every fact about an endpoint, read by every room."""

from __future__ import annotations

import pytest

from tiktok_research import api_spec
from tiktok_research.emulator import create_app


def test_the_emulator_serves_exactly_the_endpoints_of_the_table():
    app = create_app()
    served = {r.path.removeprefix("/v2/research/") for r in app.routes if "/v2/research/" in r.path}
    assert served == set(api_spec.ENDPOINTS)


def test_request_bodies_follow_each_endpoints_paging():
    videos, comments = api_spec.BY_NAME["videos"], api_spec.BY_NAME["comments"]
    assert videos.request({"query": {}}, cursor=100, search_id="s") == {
        "query": {},
        "cursor": 100,
        "search_id": "s",
        "max_count": 100,
    }
    assert videos.request({"query": {}}) == {"query": {}, "max_count": 100}
    # comments never page past the cap: the last page asks only for what is left
    assert comments.request({"video_id": 1}) == {"video_id": 1, "cursor": 0, "max_count": 100}
    assert comments.request({"video_id": 1}, cursor=950)["max_count"] == 50
    assert api_spec.BY_NAME["pinned"].request({"username": "a"}) == {"username": "a"}
    assert api_spec.BY_NAME["followers"].bucket == "follow"


def test_records_are_found_under_every_documented_key():
    pinned = api_spec.BY_NAME["pinned"]
    assert pinned.records({"user_pinned_videos": [{"id": 1}]}) == [{"id": 1}]
    assert pinned.records({"pinned_videos_list": [{"id": 2}]}) == [{"id": 2}]
    assert api_spec.BY_NAME["user_info"].records({"display_name": "x"}) == [{"display_name": "x"}]
    with pytest.raises(KeyError, match="no Research API endpoint"):
        api_spec.endpoint("video/nope/")


def test_dates_parse_in_both_spellings_and_name_a_bad_one():
    assert api_spec.parse_day("2024-03-01") == api_spec.parse_day("20240301")
    with pytest.raises(ValueError, match="'2024-13-01'"):
        api_spec.parse_day("2024-13-01")
