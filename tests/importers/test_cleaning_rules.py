"""The shortcuts in the cleaning rules give exactly what the full cleaning gives."""

from __future__ import annotations

import duckdb
import pytest

from tiktok_research.ingest import normalize

#: values around every edge the shortcut tests: marks, the spaces trim removes (and the ones it
#: keeps), non-ASCII ends, single characters, NUL, empty, NULL
TRICKY = [
    "tag", "Tag", "TAG", "#tag", "##tag", "# tag", " tag", "tag ", "  #Tag  ", "t", "#", "@", ".",
    "", " ", "@user", "user.", "@User.", "user..", "\u00a0tag", "tag\u00a0", "\u3000tag",
    "tag\u3000", "\ttag", "tag\n", "émoji", "tagé", "ÉTÉ", "ß", "İstanbul", "tag\x7f", "\x7ftag",
    "a\x00b", "\x00ab", "ab\x00", "~tag~", "!x!", "a b", "Ǆ", None,
]  # fmt: skip


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("CREATE TABLE v (x VARCHAR)")
    c.executemany("INSERT INTO v VALUES (?)", [[t] for t in TRICKY])
    return c


FULL = {
    "hashtag": "nullif(lower(trim(ltrim(trim(x), '#'))), '')",
    "mention": "nullif(rtrim(lower(ltrim(trim(x), '@')), '.'), '')",
    "plain": "nullif(trim(x), '')",
}


@pytest.mark.parametrize("kind", sorted(FULL))
def test_list_element_shortcut_equals_full_cleaning(con: duckdb.DuckDBPyConnection, kind: str):
    element = normalize._LIST_KINDS[kind][0]
    assert element != FULL[kind]  # the shortcut is in place
    rows = con.execute(f"SELECT x, {element}, {FULL[kind]} FROM v").fetchall()
    assert len(rows) == len(TRICKY)
    assert [(x, got) for x, got, _ in rows] == [(x, want) for x, _, want in rows]


def test_username_shortcut_equals_full_cleaning(con: duckdb.DuckDBPyConnection):
    full = "nullif(lower(ltrim(trim(replace(x, chr(0), '')), '@')), '')"
    value = normalize.parse_username("x").value
    rows = con.execute(f"SELECT x, {value}, {full} FROM v").fetchall()
    assert [(x, got) for x, got, _ in rows] == [(x, want) for x, _, want in rows]
    assert ("@User.", "user.") in [(x, got) for x, got, _ in rows]


def test_dedupe_keeps_first_occurrences_in_order(con: duckdb.DuckDBPyConnection):
    long = [f"t{i % 70}" for i in range(140)]  # long lists take the other branch
    lists = [[], ["a"], ["a", "a"], ["a", "b"], ["b", "a", "b", "c", "a"], None, [None, None]]
    lists += [long, long[:70]]
    got = [
        con.execute(
            f"SELECT {normalize.dedupe('l')} FROM (SELECT ?::VARCHAR[] AS l)", [li]
        ).fetchall()[0][0]
        for li in lists
    ]
    assert got == [
        [],
        ["a"],
        ["a"],
        ["a", "b"],
        ["b", "a", "c"],
        None,
        [None],
        long[:70],
        long[:70],
    ]
