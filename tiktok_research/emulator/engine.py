"""Answer video queries over the corpus: the query language compiled to SQL on DuckDB."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from ..api_spec import VIDEO_LENGTHS
from .corpus import Corpus


def _length_case() -> str:
    parts = [
        f"WHEN video_duration < {hi} THEN '{name}'"
        for name, (_, hi) in VIDEO_LENGTHS.items()
        if hi != float("inf")
    ]
    return f"CASE {' '.join(parts)} ELSE 'EXTRA_LONG' END"


class Engine:
    """An in-memory DuckDB table of the corpus' videos, queried in the API's language."""

    def __init__(self, corpus: Corpus):
        self.corpus = corpus
        self.con = duckdb.connect()
        v = corpus.videos
        index = pa.table(
            {
                "row": pa.array(np.arange(v.num_rows, dtype=np.int64)),
                "id": v["id"],
                "create_time": v["create_time"],
                "username": v["username"],
                "video_description": v["video_description"],
                "region_code": v["region_code"],
                "view_count": v["view_count"],
                "comment_count": v["comment_count"],
                "music_id": v["music_id"],
                "hashtag_names": v["hashtag_names"],
                "effect_ids": v["effect_ids"],
                "video_duration": v["video_duration"],
            }
        )
        self.con.register("_index", index)
        self.con.execute(
            "CREATE TABLE videos AS SELECT *, "
            "CAST(strftime(to_timestamp(create_time), '%Y%m%d') AS INTEGER) AS create_date, "
            "lower(video_description) AS description_lower, "
            f"{_length_case()} AS video_length FROM _index ORDER BY id"
        )
        self.con.unregister("_index")

    @staticmethod
    def _condition(cond: dict[str, Any], params: list[Any]) -> str:
        field, op, values = cond["field_name"], cond["operation"], cond["field_values"]
        cmp = {"EQ": "=", "IN": "=", "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<="}[op]

        def one(value: str) -> str:
            if field == "keyword":
                params.append(value.lower())
                return "contains(description_lower, ?)"
            if field == "hashtag_name":
                params.append(value.lower())
                return "list_contains(hashtag_names, ?)"
            if field == "effect_id":
                params.append(value)
                return "list_contains(effect_ids, ?)"
            spec: tuple[str, Any] = {
                "create_date": ("create_date", int),
                "username": ("username", str.lower),
                "region_code": ("region_code", str.upper),
                "video_id": ("id", int),
                "music_id": ("music_id", int),
                "video_length": ("video_length", str.upper),
                "view_count": ("view_count", int),
                "comment_count": ("comment_count", int),
            }[field]
            column, cast = spec
            params.append(cast(value))
            return f"{column} {cmp} ?"

        return "(" + " OR ".join(one(v) for v in values) + ")"

    def search(
        self,
        query: dict[str, list[dict]],
        start: int,
        end: int,
        searchable_before: int,
        random_seed: int | None = None,
        limit: int | None = None,
    ) -> np.ndarray:
        """Corpus rows matching ``query`` created in [start, end), newest id first.

        ``searchable_before``: videos created later are not indexed yet (the
        API misses the newest ~48 hours). With ``random_seed`` a random sample
        of at most ``limit`` matches is returned instead.
        """
        params: list[Any] = [start, min(end, searchable_before)]
        where = ["create_time >= ?", "create_time < ?"]
        if "and" in query:
            where += [self._condition(c, params) for c in query["and"]]
        if "or" in query:
            where.append("(" + " OR ".join(self._condition(c, params) for c in query["or"]) + ")")
        if "not" in query:
            where += ["NOT " + self._condition(c, params) for c in query["not"]]
        sql = f"SELECT row FROM videos WHERE {' AND '.join(where)} ORDER BY id DESC"
        rows = self.con.execute(sql, params).fetchnumpy()["row"]
        rows = np.asarray(rows, dtype=np.int64)
        if random_seed is not None:
            rng = np.random.default_rng(random_seed)
            rows = rng.permutation(rows)[: limit or 100]
        return rows
