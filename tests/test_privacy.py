"""Pseudonyms, mention removal and small-cell suppression."""

from __future__ import annotations

import pandas as pd
import pytest

from tiktok_research.errors import UsageError
from tiktok_research.privacy import Pseudonymiser, load_key, strip_mentions, suppress_small_cells

KEY = b"a-secret-key-of-enough-length"


def test_pseudonyms_are_stable_per_key_and_differ_across_keys():
    a, b = Pseudonymiser(KEY), Pseudonymiser(KEY + b"2")
    assert a("Alice") == a("@alice") == a("alice")
    assert a("alice") != a("bob") and a("alice") != b("alice")
    assert a("alice").startswith("u_") and "alice" not in a("alice")
    assert a(7234567890123456789, "i") == a("7234567890123456789", "i")
    assert repr(a) == "Pseudonymiser(key=***)"


def test_no_key_no_pseudonyms(monkeypatch, tmp_path):
    monkeypatch.delenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", raising=False)
    with pytest.raises(UsageError, match="needs a secret key"):
        load_key()
    monkeypatch.setenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", "short")
    with pytest.raises(UsageError, match="at least"):
        load_key()
    data = tmp_path / "data"
    data.mkdir()
    (data / "key").write_bytes(KEY)
    with pytest.raises(UsageError, match="apart from the data"):
        load_key(data / "key", data_paths=[data / "study.duckdb"])
    (tmp_path / "key").write_bytes(KEY)
    assert load_key(tmp_path / "key", data_paths=[data / "study.duckdb"]) == KEY


def test_mentions_and_small_cells():
    assert strip_mentions("thanks @Bob.x and @carol_1!") == "thanks @user and @user!"
    t = pd.DataFrame({"hashtag": ["a", "b", "c"], "n": [50, 9, 10]})
    out = suppress_small_cells(t)
    assert (
        out["n"].tolist()[0] == 50 and pd.isna(out["n"].tolist()[1]) and out["n"].tolist()[2] == 10
    )
    assert out["suppressed"].tolist() == [False, True, False]
    assert suppress_small_cells(t, k=5)["suppressed"].tolist() == [False, False, False]
    with pytest.raises(UsageError):
        suppress_small_cells(t, "count")


def test_a_sentence_final_period_after_a_mention_stays(store, tmp_path):
    """Pseudonymised exports and strip_mentions share one mention pattern: punctuation stays."""
    from tiktok_research.schema import mentions_in
    from tiktok_research.store.export import export_table

    assert strip_mentions("Thanks @bob. See @carol_1.") == "Thanks @user. See @user."
    assert mentions_in("Thanks @Bob. See @carol_1.") == ["bob", "carol_1"]
    store.con.execute(
        "CREATE TEMP TABLE v AS SELECT 1::BIGINT AS id, 'Thanks @bob.' AS video_description, now() AS _observed_at"
    )
    store.merge("videos", "v", 1)
    out = export_table(store, "videos", "csv", tmp_path / "v.csv", pseudonymiser=Pseudonymiser(KEY))
    assert out.pseudonymised and "Thanks @user." in (tmp_path / "v.csv").read_text()
