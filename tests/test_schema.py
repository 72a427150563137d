from datetime import UTC, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from tiktok_research.schema import Comment, Video, mentions_in, sql_columns

BIG = 7_234_567_890_123_456_789  # above 2**53: a float cannot hold it


def test_ids_stay_exact_and_refuse_floats():
    assert Video(id=str(BIG)).id == BIG
    assert Video(id=BIG).id == BIG
    with pytest.raises(ValidationError, match="exact integer"):
        Video(id=float(BIG))
    with pytest.raises(ValidationError):
        Video(id=0)
    with pytest.raises(ValidationError):
        Video(id=2**63)


def test_times_are_utc():
    local = datetime(2024, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    v = Video(id=1, create_time=local)
    assert v.create_time == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert v.create_time.utcoffset() == timedelta(0)
    assert Video(id=1, create_time=1709294400).create_time == datetime(2024, 3, 1, 12, tzinfo=UTC)


def test_nul_bytes_are_removed_from_text():
    assert Comment(id=1, video_id=2, text="a\x00b").text == "ab"


def test_mentions_from_caption():
    assert mentions_in("hi @Foo.bar, @baz_1. and @foo.BAR") == ["foo.bar", "baz_1"]
    assert mentions_in("no mentions") == []


def test_store_columns_follow_the_models():
    cols = sql_columns(Video)
    assert cols["id"] == "BIGINT"
    assert cols["hashtag_names"] == "VARCHAR[]"
    assert cols["create_time"] == "TIMESTAMPTZ"
    assert cols["video_tag"] == "JSON"
    # every Research API video field is there, under one spelling
    for f in [
        "video_description",
        "favorites_count",
        "voice_to_text",
        "is_stem_verified",
        "effect_ids",
        "playlist_id",
        "video_mention_list",
        "sticker_info_list",
        "effect_info_list",
        "video_label",
        "hashtag_info_list",
        "video_duration",
    ]:
        assert f in cols
