"""The Research API's query language as pydantic models, with a builder that reads well.

    q = Q.hashtag("climate") & Q.region("US", "DE") & ~Q.keyword("ad")
    q.to_api()  # {"and": [...], "not": [...]}

The API's form is flat: conditions that must all hold (``and``), of which one
must hold (``or``) and none may hold (``not``). The builder refuses what that
form cannot express (for example two separate either-or groups) instead of
silently changing the meaning. Everything is checked locally, before any
quota is spent: unknown fields or operations, bad region codes, dates, video
lengths and value types raise :class:`QueryError` naming the problem.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..api_spec import QueryProblem, check_video_fields, validate_query
from ..errors import QueryError

Operation = Literal["EQ", "IN", "GT", "GTE", "LT", "LTE"]


class Condition(BaseModel):
    model_config = ConfigDict(frozen=True)

    operation: Operation
    field_name: str
    field_values: tuple[str, ...] = Field(min_length=1)


class Query(BaseModel):
    """A Research API query: ``and`` all hold, ``or`` one holds, ``not`` none holds."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    and_: tuple[Condition, ...] = Field((), alias="and")
    or_: tuple[Condition, ...] = Field((), alias="or")
    not_: tuple[Condition, ...] = Field((), alias="not")

    # -- combining -------------------------------------------------------------------
    def _single(self) -> Condition | None:
        if len(self.and_) == 1 and not self.or_ and not self.not_:
            return self.and_[0]
        return None

    def __and__(self, other: Query) -> Query:
        if self.or_ and other.or_:
            raise QueryError(
                "the Research API cannot express two separate either-or groups joined by 'and': "
                "use one group, or run two queries"
            )
        return Query(
            and_=self.and_ + other.and_, or_=self.or_ + other.or_, not_=self.not_ + other.not_
        )

    def __or__(self, other: Query) -> Query:
        parts = []
        for side in (self, other):
            if side._single() is not None:
                parts.append(side._single())
            elif side.or_ and not side.and_ and not side.not_:
                parts.extend(side.or_)
            else:
                raise QueryError(
                    "'|' joins single conditions (or other either-or groups); the Research API "
                    "has no nested logic"
                )
        return Query(or_=tuple(parts))

    def __invert__(self) -> Query:
        cond = self._single()
        if cond is None:
            raise QueryError("'~' applies to a single condition, e.g. ~Q.keyword('ad')")
        return Query(not_=(cond,))

    # -- the API's form ---------------------------------------------------------------
    def to_api(self) -> dict[str, list[dict[str, Any]]]:
        """The JSON the API expects; checked (QueryError) before it is returned."""
        out: dict[str, list[dict[str, Any]]] = {}
        for key, conds in (("and", self.and_), ("or", self.or_), ("not", self.not_)):
            if conds:
                out[key] = [
                    {
                        "operation": c.operation,
                        "field_name": c.field_name,
                        "field_values": list(c.field_values),
                    }
                    for c in conds
                ]
        return check(out)

    @classmethod
    def from_api(cls, data: Any) -> Query:
        """Read a query in the API's own shape (validated)."""
        norm = check(data)
        return cls(
            **{
                f"{k}_": tuple(Condition(**c) for c in norm.get(k, []))
                for k in ("and", "or", "not")
            }
        )

    @classmethod
    def from_file(cls, path: str | Path) -> Query:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise QueryError(f"query file {path} does not exist") from None
        except json.JSONDecodeError as exc:
            raise QueryError(f"query file {path} is not valid JSON: {exc}") from None
        if isinstance(data, dict) and "query" in data and set(data) - {"and", "or", "not"}:
            data = data["query"]  # a whole request body
        return cls.from_api(data)

    @classmethod
    def from_flags(
        cls,
        hashtags: Iterable[str] = (),
        keywords: Iterable[str] = (),
        regions: Iterable[str] = (),
        usernames: Iterable[str] = (),
        music_ids: Iterable[str] = (),
        exclude_keywords: Iterable[str] = (),
        effect_ids: Iterable[str] = (),
    ) -> Query:
        """Simple CLI flags: each kind is an either-or list; kinds must all hold.

        Because the API has one ``or`` group, hashtags and keywords (the usual
        topic definition) share it: a video matches if it has any hashtag or
        any keyword. Regions, usernames and sounds restrict it further.
        """
        q: Query | None = None
        topic = [Q.hashtag(h) for h in hashtags] + [Q.keyword(k) for k in keywords]
        if topic:
            q = topic[0]
            for t in topic[1:]:
                q = q | t
        for values, make in (
            (regions, Q.region),
            (usernames, Q.username),
            (music_ids, Q.music_id),
            (effect_ids, Q.effect_id),
        ):
            values = list(values)
            if values:
                q = make(*values) if q is None else q & make(*values)
        for k in exclude_keywords:
            q = ~Q.keyword(k) if q is None else q & ~Q.keyword(k)
        if q is None:
            raise QueryError(
                "give at least one of --hashtag, --keyword, --region, --username, "
                "--music-id, --effect-id or a --query-file"
            )
        q.to_api()
        return q

    def describe(self) -> str:
        def c(x: Condition) -> str:
            vals = ", ".join(x.field_values)
            return f"{x.field_name} {x.operation} {vals}"

        parts = [" AND ".join(c(x) for x in self.and_)] if self.and_ else []
        if self.or_:
            parts.append("(" + " OR ".join(c(x) for x in self.or_) + ")")
        if self.not_:
            parts.append("NOT (" + " OR ".join(c(x) for x in self.not_) + ")")
        return " AND ".join(parts)


def video_fields(fields: list[str] | None) -> list[str]:
    """The video fields to request (all when none are named); QueryError names unknown ones."""
    try:
        return check_video_fields(fields)
    except QueryProblem as exc:
        raise QueryError(str(exc)) from None


def check(data: Any) -> dict[str, list[dict[str, Any]]]:
    """Validate a query in the API's form; QueryError names the problem."""
    try:
        return validate_query(data)
    except QueryProblem as exc:
        raise QueryError(f"invalid query: {exc}") from None


def _cond(field: str, values: tuple[Any, ...], op: str | None = None) -> Query:
    if not values:
        raise QueryError(f"{field}: give at least one value")
    # ints become the strings the API wants; anything else is left for the check to name
    vals = tuple(str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in values)
    operation: Any = op or ("EQ" if len(vals) == 1 else "IN")
    q = Query(
        and_=(Condition.model_construct(operation=operation, field_name=field, field_values=vals),)
    )
    q.to_api()  # check now, where the mistake is made
    return q


class Q:
    """Condition builders; combine with ``&``, ``|`` and ``~``."""

    @staticmethod
    def hashtag(*names: str) -> Query:
        return _cond(
            "hashtag_name", tuple(n.lstrip("#") if isinstance(n, str) else n for n in names)
        )

    @staticmethod
    def keyword(*words: str) -> Query:
        return _cond("keyword", words)

    @staticmethod
    def region(*codes: str) -> Query:
        return _cond("region_code", tuple(c.upper() if isinstance(c, str) else c for c in codes))

    @staticmethod
    def username(*names: str) -> Query:
        return _cond("username", names)

    @staticmethod
    def music_id(*ids: int | str) -> Query:
        return _cond("music_id", ids)

    @staticmethod
    def effect_id(*ids: int | str) -> Query:
        return _cond("effect_id", ids)

    @staticmethod
    def video_id(*ids: int | str) -> Query:
        return _cond("video_id", ids)

    @staticmethod
    def video_length(*lengths: str) -> Query:
        return _cond("video_length", tuple(x.upper() if isinstance(x, str) else x for x in lengths))

    @staticmethod
    def create_date(op: str, yyyymmdd: str) -> Query:
        return _cond("create_date", (yyyymmdd,), op)

    @staticmethod
    def view_count(op: str, n: int) -> Query:
        return _cond("view_count", (n,), op)

    @staticmethod
    def comment_count(op: str, n: int) -> Query:
        return _cond("comment_count", (n,), op)
