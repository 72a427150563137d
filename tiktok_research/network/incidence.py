"""Who used what: the account x object incidence of a selection, as integer arrays.

Objects are sounds, hashtags, mention targets or duet sources; several kinds can
be combined, each object id prefixed with its kind (``sound:...``,
``hashtag:...``). Each (account, object) pair appears once, with the number of
videos behind it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..analysis.frames import Frames

Kind = Literal["sound", "hashtag", "mention", "duet"]
KINDS: tuple[Kind, ...] = ("sound", "hashtag", "mention", "duet")


@dataclass
class Incidence:
    """``account[i]`` used ``obj[i]`` in ``videos[i]`` videos (indexes into the name arrays)."""

    accounts: list[str]
    objects: list[str]  # prefixed ids, e.g. "sound:6800000000000000000"
    labels: list[str]  # what people call them: a sound's title, a hashtag, a username
    account: np.ndarray  # int32
    obj: np.ndarray  # int32
    videos: np.ndarray  # int32

    @property
    def n_accounts(self) -> int:
        return len(self.accounts)

    @property
    def n_objects(self) -> int:
        return len(self.objects)


def _pairs_sql(f: Frames, kind: Kind) -> str:
    """(account, object id, label) rows, one per video and object (label NULL if unknown)."""
    if kind == "sound":
        return (
            f"SELECT username AS account, 'sound:' || CAST(music_id AS VARCHAR) AS obj, "
            f"music_title AS label FROM {f.videos} "
            "WHERE music_id IS NOT NULL"
        )
    if kind == "hashtag":
        return f"SELECT username AS account, 'hashtag:' || tag AS obj, tag AS label FROM {f.tags}"
    if kind == "mention":
        return (
            f"SELECT username AS account, 'mention:' || m AS obj, m AS label FROM "
            f"(SELECT username, unnest(mentions) AS m FROM {f.videos}) WHERE m IS NOT NULL"
        )
    return (
        f"SELECT username AS account, 'duet:' || CAST(source_id AS VARCHAR) AS obj, "
        f"source_author AS label FROM {f.duets}"
    )


def coded(f: Frames, table: str, columns: str) -> tuple[list[str], dict[str, np.ndarray]]:
    """The accounts of ``table`` (sorted) and its rows with ``account`` and ``obj`` as integer
    codes (``account``, ``obj``; objects numbered in sorted order) beside ``columns``."""
    accounts = [r[0] for r in f.rows(f"SELECT DISTINCT account FROM {table} ORDER BY 1")]
    cols = f.con.execute(
        f"""SELECT a.i AS account, o.j AS obj, {columns} FROM {table} p
        JOIN (SELECT account, row_number() OVER (ORDER BY account) - 1 AS i
              FROM (SELECT DISTINCT account FROM {table})) a USING (account)
        JOIN (SELECT obj, row_number() OVER (ORDER BY obj) - 1 AS j
              FROM (SELECT DISTINCT obj FROM {table})) o USING (obj)"""
    ).fetchnumpy()
    return accounts, cols


def incidence(f: Frames, kinds: list[Kind] | tuple[Kind, ...]) -> Incidence:
    """The selection's account x object incidence for the given object kinds."""
    union = " UNION ALL ".join(_pairs_sql(f, k) for k in dict.fromkeys(kinds))
    con = f.con
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE net_pairs AS
        SELECT account, obj, max(label) AS label, count(*) AS videos
        FROM ({union}) WHERE account IS NOT NULL GROUP BY account, obj"""
    )
    try:
        # an object without a known label is called by its id (a sound without a title)
        objects = f.rows(
            "SELECT obj, coalesce(max(label), substr(obj, strpos(obj, ':') + 1)) FROM net_pairs "
            "GROUP BY obj ORDER BY obj"
        )
        accounts, cols = coded(f, "net_pairs", "p.videos")
    finally:
        con.execute("DROP TABLE IF EXISTS net_pairs")
    return Incidence(
        accounts=accounts,
        objects=[o for o, _ in objects],
        labels=[str(lab) for _, lab in objects],
        account=np.asarray(cols["account"], dtype=np.int32),
        obj=np.asarray(cols["obj"], dtype=np.int32),
        videos=np.asarray(cols["videos"], dtype=np.int32),
    )
