"""The query language: builder, serialisation, loading, and local validation before any request."""

from __future__ import annotations

import json

import httpx
import pytest
from pydantic import SecretStr

from tiktok_research.api import Credentials, Q, Query, ResearchClient
from tiktok_research.errors import QueryError


def test_builder_serialises_to_the_api_shape():
    q = Q.hashtag("#climate") & Q.region("us", "DE") & ~Q.keyword("ad")
    assert q.to_api() == {
        "and": [
            {"operation": "EQ", "field_name": "hashtag_name", "field_values": ["climate"]},
            {"operation": "IN", "field_name": "region_code", "field_values": ["US", "DE"]},
        ],
        "not": [{"operation": "EQ", "field_name": "keyword", "field_values": ["ad"]}],
    }
    either = (Q.hashtag("vote") | Q.keyword("election")) & Q.view_count("GT", 1000)
    assert either.to_api() == {
        "and": [{"operation": "GT", "field_name": "view_count", "field_values": ["1000"]}],
        "or": [
            {"operation": "EQ", "field_name": "hashtag_name", "field_values": ["vote"]},
            {"operation": "EQ", "field_name": "keyword", "field_values": ["election"]},
        ],
    }
    assert Query.from_api(q.to_api()) == q


def test_builder_refuses_what_the_api_cannot_express():
    with pytest.raises(QueryError, match="either-or"):
        (Q.hashtag("a") | Q.hashtag("b")) & (Q.region("US") | Q.region("DE"))
    with pytest.raises(QueryError, match="single condition"):
        ~(Q.hashtag("a") & Q.region("US"))
    with pytest.raises(QueryError, match="nested"):
        (Q.hashtag("a") & Q.region("US")) | Q.keyword("x")


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: Q.region("XX"), "not an ISO 3166-1"),
        (lambda: Q.video_length("TINY"), "video_length must be one of"),
        (lambda: Q.create_date("GT", "2024-01-01"), "YYYYMMDD"),
        (lambda: Q.create_date("LIKE", "20240101"), "invalid operation"),
        (lambda: Q.username(), "at least one value"),
        (lambda: Q.music_id("abc"), "digits"),
        (lambda: Q.keyword(3.5), "must be strings"),
        (
            lambda: Query.from_api(
                {"and": [{"operation": "EQ", "field_name": "colour", "field_values": ["x"]}]}
            ),
            "invalid field_name 'colour'",
        ),
        (
            lambda: Query.from_api(
                {"and": [{"operation": "EQ", "field_name": "keyword", "field_values": [5]}]}
            ),
            "must be strings",
        ),
        (
            lambda: Query.from_api(
                {"and": [{"operation": "EQ", "field_name": "keyword", "field_values": ["a", "b"]}]}
            ),
            "exactly one value",
        ),
        (
            lambda: Query.from_api(
                {"and": [{"operation": "GT", "field_name": "region_code", "field_values": ["US"]}]}
            ),
            "does not apply",
        ),
        (lambda: Query.from_api({}), "at least one condition"),
        (lambda: Query.from_api({"any": []}), "unknown query key"),
    ],
)
def test_local_validation_names_the_problem(make, message):
    with pytest.raises(QueryError, match=message):
        make()


def test_from_file_and_from_flags(tmp_path):
    q = Q.hashtag("climate") & Q.region("US")
    path = tmp_path / "q.json"
    path.write_text(json.dumps(q.to_api()))
    assert Query.from_file(path) == q
    path.write_text(json.dumps({"query": q.to_api(), "start_date": "20240101"}))
    assert Query.from_file(path) == q
    path.write_text("{not json")
    with pytest.raises(QueryError, match="not valid JSON"):
        Query.from_file(path)
    with pytest.raises(QueryError, match="does not exist"):
        Query.from_file(tmp_path / "nope.json")
    flags = Query.from_flags(hashtags=["climate", "klima"], keywords=["heat"], regions=["DE"])
    assert flags.to_api() == {
        "and": [{"operation": "EQ", "field_name": "region_code", "field_values": ["DE"]}],
        "or": [
            {"operation": "EQ", "field_name": "hashtag_name", "field_values": ["climate"]},
            {"operation": "EQ", "field_name": "hashtag_name", "field_values": ["klima"]},
            {"operation": "EQ", "field_name": "keyword", "field_values": ["heat"]},
        ],
    }
    with pytest.raises(QueryError, match="at least one of"):
        Query.from_flags()


def test_invalid_queries_spend_no_request(tmp_path):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(500)

    client = ResearchClient(
        Credentials(client_key="k", client_secret=SecretStr("s")),
        base_url="http://nowhere",
        transport=httpx.MockTransport(handler),
        token_cache=False,
    )
    from datetime import date

    with pytest.raises(QueryError):
        client.query_videos(
            {
                "and": [
                    {"operation": "EQ", "field_name": "region_code", "field_values": ["Germany"]}
                ]
            },
            date(2024, 1, 1),
            date(2024, 1, 2),
        )
    assert calls == []
