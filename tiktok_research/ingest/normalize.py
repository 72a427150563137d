"""Turn raw text values into canonical, typed columns, in SQL, with a reason for every refusal.

Each source format says, per canonical field, which SQL expression over its raw
rows yields the field's *text* (``formats.py``). This module turns that text
into the canonical type (``schema.py``) and, for every value it cannot take,
records ``field: reason`` in the row's ``_problems`` list. A row with a problem
is rejected as a whole; the others go on. Everything runs inside DuckDB, which
keeps large files fast and memory flat.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..schema import MENTION_PATTERN
from ..store.tables import ENTITIES

#: earliest plausible post time (musical.ly / TikTok); earlier values are unit mix-ups or placeholders
EARLIEST = "2014-01-01"

#: canonical fields holding ids: exact digits only, 0 means "none"
ID_FIELDS = {
    "id",
    "video_id",
    "music_id",
    "playlist_id",
    "duet_from_id",
    "parent_comment_id",
    "user_id",
}


def sql_str(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _shown(t: str) -> str:
    """The offending value as it is quoted in a reason (shortened)."""
    t = f"CAST({t} AS VARCHAR)"
    return f"'''' || CASE WHEN length({t}) > 60 THEN left({t}, 57) || '...' ELSE {t} END || ''''"


#: what to say when a record lacks its key, where the usual cause is known
MISSING_KEY = {
    ("users", "username"): "missing (required): a saved user-info response does not name its "
    "user (the API takes the name in the request); import it with --username NAME, or wrap "
    'it as {"username": NAME, "data": ...}',
}


@dataclass(frozen=True)
class Parsed:
    value: str  # SQL giving the typed value from the column t
    problem: str  # SQL giving a reason (VARCHAR) or NULL, from t and the parsed column v
    post: str | None = None  # SQL over the parsed column v, applied one step later


# Each parser reads the column ``t`` either as text (``typed=False``: any source, any
# spelling) or already in its canonical type (``typed=True``: the typed parse of a clean
# Research API file). The text path first turns text into that type, with its own reasons
# when it cannot; then both paths apply the same rules to the typed value: ids are positive
# and 0 means none, counts are >= 0, times fall after 2014, list elements are cleaned and
# hashtags deduplicated, text loses NUL bytes, regions are two upper-case letters.


def _blank(t: str) -> str:
    return f"({t} IS NULL OR trim({t}) = '')"


def _when(*parts: str | None) -> str:
    """``CASE <WHEN parts> END`` over the parts given, or NULL when none is."""
    kept = [p for p in parts if p]
    return f"CASE {' '.join(kept)} END" if kept else "NULL"


def parse_id(t: str, v: str = "v", typed: bool = False) -> Parsed:
    s = f"trim({t})"
    as_int = (
        t
        if typed
        else f"CASE WHEN {t} IS NULL THEN NULL "
        # fast exact test: the text is the canonical spelling of an int64
        f"WHEN CAST(TRY_CAST({t} AS BIGINT) AS VARCHAR) = {t} THEN TRY_CAST({t} AS BIGINT) "
        f"WHEN regexp_full_match({s}, '[0-9]+') THEN TRY_CAST({s} AS BIGINT) END"
    )
    unread = (
        None
        if typed
        else f"WHEN {v} IS NULL AND NOT {_blank(t)} AND NOT regexp_full_match({s}, '0+') THEN "
        f"CASE WHEN regexp_full_match({s}, '[0-9]+') THEN 'out of the int64 range "
        f"(at most 9223372036854775807, 19 digits): ' || {_shown(t)} "
        f"WHEN regexp_matches({s}, '[eE.]') THEN 'looks like a floating-point number, "
        f"so the id has lost precision: ' || {_shown(t)} "
        f"ELSE 'expected an integer id (digits), got ' || {_shown(t)} END"
    )
    negative = f"WHEN {v} < 0 THEN 'expected a positive id, got ' || {_shown(t)}"
    return Parsed(f"nullif({as_int}, 0)", _when(unread, negative))


def parse_count(t: str, v: str = "v", typed: bool = False) -> Parsed:
    s = f"trim({t})"
    value = (
        t
        if typed
        else f"CASE WHEN {t} IS NULL THEN NULL "
        f"WHEN CAST(TRY_CAST({t} AS BIGINT) AS VARCHAR) = {t} THEN TRY_CAST({t} AS BIGINT) "
        f"WHEN {s} = '' THEN NULL "
        f"WHEN regexp_full_match({s}, '\\+?[0-9]+(\\.0*)?') "
        f"THEN TRY_CAST(split_part(ltrim({s}, '+'), '.', 1) AS BIGINT) "
        f"WHEN regexp_full_match({s}, '[0-9]{{1,3}}(,[0-9]{{3}})+') "
        f"THEN TRY_CAST(replace({s}, ',', '') AS BIGINT) "
        f"WHEN regexp_full_match({s}, '[0-9]+(\\.[0-9]+)?[kKmMbB]') "
        f"THEN CAST(round(TRY_CAST(left({s}, -1) AS DOUBLE) * "
        f"CASE upper(right({s}, 1)) WHEN 'K' THEN 1e3 WHEN 'M' THEN 1e6 ELSE 1e9 END) AS BIGINT) END"
    )
    unread = "" if typed else f"({v} IS NULL AND NOT {_blank(t)}) OR "
    problem = (
        f"CASE WHEN {unread}{v} < 0 THEN 'expected a whole number >= 0, got ' || {_shown(t)} END"
    )
    return Parsed(value, problem)


def parse_double(t: str, v: str = "v", typed: bool = False) -> Parsed:
    value = (
        t if typed else f"CASE WHEN {_blank(t)} THEN NULL ELSE TRY_CAST(trim({t}) AS DOUBLE) END"
    )
    unread = "" if typed else f"NOT {_blank(t)} AND {v} IS NULL OR "
    problem = (
        f"CASE WHEN {unread}{v} < 0 OR isnan({v}) THEN "
        f"'expected a number >= 0, got ' || {_shown(t)} END"
    )
    return Parsed(value, problem)


def parse_bool(t: str, v: str = "v", typed: bool = False) -> Parsed:
    if typed:
        return Parsed(t, "NULL")
    value = (
        f"CASE lower(trim({t})) WHEN 'true' THEN true WHEN '1' THEN true WHEN 'yes' THEN true "
        f"WHEN 't' THEN true WHEN 'false' THEN false WHEN '0' THEN false WHEN 'no' THEN false "
        f"WHEN 'f' THEN false END"
    )
    problem = (
        f"CASE WHEN NOT {_blank(t)} AND {v} IS NULL THEN "
        f"'expected true/false, got ' || {_shown(t)} END"
    )
    return Parsed(value, problem)


def _epoch(num: str) -> str:
    """Epoch seconds or milliseconds (a DOUBLE) -> TIMESTAMPTZ."""
    return f"try(to_timestamp(CASE WHEN {num} > 1e11 THEN {num} / 1000 ELSE {num} END))"


def parse_time(t: str, v: str = "v", typed: bool = False) -> Parsed:
    """Epoch seconds or milliseconds, or (as text) an ISO 8601 time."""
    s = f"trim({t})"
    num = f"CAST({t} AS DOUBLE)" if typed else f"TRY_CAST({s} AS DOUBLE)"
    value = (
        _epoch(num)
        if typed
        else f"CASE WHEN {_blank(t)} THEN NULL WHEN {num} IS NOT NULL THEN {_epoch(num)} "
        f"ELSE TRY_CAST({s} AS TIMESTAMPTZ) END"
    )
    unread = (
        f"WHEN {t} IS NOT NULL AND {v} IS NULL"
        if typed
        else f"WHEN NOT {_blank(t)} AND {v} IS NULL"
    )
    problem = (
        f"CASE {unread} THEN "
        f"'expected epoch seconds, epoch milliseconds or an ISO 8601 time, got ' || {_shown(t)} "
        f"WHEN {v} < TIMESTAMPTZ '{EARLIEST}' THEN 'time before {EARLIEST[:4]}, "
        f"probably a placeholder or the wrong unit: ' || {_shown(t)} END"
    )
    return Parsed(value, problem)


def parse_text(t: str, v: str = "v", typed: bool = False) -> Parsed:
    return Parsed(f"replace({t}, chr(0), '')", "NULL")


def _unless_clean(x: str, full: str, cleaned: str, first: str, last: str) -> str:
    """``full`` (the cleaning of ``x``), or ``cleaned`` where ``x`` needs no trimming.

    ``x`` needs none when its first and last characters are printable ASCII
    (so not the spaces ``trim`` removes) and not one of ``first`` / ``last``
    (the marks the cleaning strips). The test costs a fraction of the trims, and
    almost every value passes it (measured: hashtags 3x faster).
    """

    def outside(at: str, marks: str) -> str:
        return f"{at} BETWEEN 33 AND 126" + "".join(f" AND {at} <> {ord(m)}" for m in marks)

    return (
        f"CASE WHEN {outside(f'ascii({x})', first)} AND {outside(f'ascii(right({x}, 1))', last)} "
        f"THEN {cleaned} ELSE {full} END"
    )


#: per list kind: how to clean one element, and what in the JSON text needs that cleaning
_LIST_KINDS = {
    "hashtag": (
        _unless_clean("x", "nullif(lower(trim(ltrim(trim(x), '#'))), '')", "lower(x)", "#", ""),
        '[#\\\\]|"\\s|\\s"|""|null',
    ),
    "mention": (
        _unless_clean(
            "x", "nullif(rtrim(lower(ltrim(trim(x), '@')), '.'), '')", "lower(x)", "@", "."
        ),
        '[@\\\\]|"\\s|\\s"|""|\\."|null',
    ),
    "plain": (_unless_clean("x", "nullif(trim(x), '')", "x", "", ""), '\\\\|"\\s|\\s"|""|null'),
}


def dedupe(v: str) -> str:
    """SQL keeping the first occurrence of each element of list column ``v``, in order.

    The filter compares each element with those before it: for the short lists
    records carry, 4x faster than testing first whether any element repeats
    (measured on lists of 0-7 hashtags); long lists are tested first.
    """
    return (
        f"CASE WHEN len({v}) > 64 AND list_unique({v}) = len({v}) THEN {v} "
        f"ELSE list_filter({v}, lambda x, i: list_position({v}, x) = i) END"
    )


def parse_list(t: str, v: str = "v", kind: str = "plain", typed: bool = False) -> Parsed:
    """A list given as a JSON array, a JSON string, or text separated by commas, spaces or '#'."""
    element, needs_cleaning = _LIST_KINDS[kind]
    # repeated hashtags would inflate co-hashtag networks; other lists stay as the source gave them
    post = dedupe(v) if kind == "hashtag" else None

    def cleaned(items: str) -> str:
        return f"list_filter(list_transform({items}, lambda x: {element}), lambda x: x IS NOT NULL)"

    if typed:
        return Parsed(cleaned(t), "NULL", post)
    s = f"trim({t})"
    split = "regexp_split_to_array({}, '[\\s,#]+')"
    general = (
        f"CASE WHEN starts_with({s}, '[') THEN try(json_transform({s}, '[\"VARCHAR\"]')) "
        f"WHEN starts_with({s}, '\"') THEN {split.format(f'try(json_extract_string({s}, chr(36)))')} "
        f"ELSE {split.format(s)} END"
    )
    # Most lists (all of the API's) are clean JSON: parse them without per-element work.
    fast = f"try(json_transform({'lower(' + s + ')' if kind != 'plain' else s}, '[\"VARCHAR\"]'))"
    value = (
        f"CASE WHEN {t} IS NULL THEN NULL "
        f"WHEN starts_with({s}, '[') AND NOT regexp_matches({s}, '{needs_cleaning}') THEN {fast} "
        f"ELSE {cleaned(general)} END"
    )
    problem = (
        f"CASE WHEN {t} IS NOT NULL AND starts_with({s}, '[') AND {v} IS NULL THEN "
        f"'expected a JSON list of strings, got ' || {_shown(t)} END"
    )
    return Parsed(value, problem, post)


def parse_id_list(t: str, v: str = "v", typed: bool = False) -> Parsed:
    if typed:
        return Parsed(t, "NULL")
    value = (
        f"CASE WHEN {t} IS NULL THEN NULL ELSE "
        f"try(CAST(json_transform(trim({t}), '[\"VARCHAR\"]') AS BIGINT[])) END"
    )
    problem = f"CASE WHEN {t} IS NOT NULL AND {v} IS NULL THEN 'expected a JSON list of ids, got ' || {_shown(t)} END"
    return Parsed(value, problem)


def parse_json(t: str, v: str = "v", typed: bool = False) -> Parsed:
    # always given as text: the typed parse extracts these fields as JSON text
    value = f"CASE WHEN {t} IS NOT NULL AND json_valid({t}) THEN CAST({t} AS JSON) END"
    problem = f"CASE WHEN {t} IS NOT NULL AND NOT json_valid({t}) THEN 'expected JSON, got ' || {_shown(t)} END"
    return Parsed(value, problem)


def parse_region(t: str, v: str = "v", typed: bool = False) -> Parsed:
    value = f"CASE WHEN {_blank(t)} THEN NULL ELSE upper(trim({t})) END"
    problem = (
        f"CASE WHEN {v} IS NOT NULL AND NOT regexp_full_match({v}, '[A-Z]{{2}}') THEN "
        f"'expected an ISO 3166-1 alpha-2 region code like ''US'', got ' || {_shown(t)} END"
    )
    return Parsed(value, problem)


def parse_username(t: str, v: str = "v", typed: bool = False) -> Parsed:
    full = f"nullif(lower(ltrim(trim(replace({t}, chr(0), '')), '@')), '')"
    # clean ends stay clean once inner NUL bytes are gone (a NUL at an end takes the full path)
    cleaned = f"lower(replace({t}, chr(0), ''))"
    return Parsed(_unless_clean(t, full, cleaned, "@", ""), "NULL")


def parser_for(field: str, sql_type: str, t: str, v: str, typed: bool = False) -> Parsed:
    """The parser for one canonical field stored as ``sql_type``.

    ``typed``: ``t`` already holds the field's canonical type (JSON fields excepted, which
    are always text).
    """
    if field in ID_FIELDS:
        return parse_id(t, v, typed)
    if field == "region_code":
        return parse_region(t, v, typed)
    if field in ("username", "follower", "following"):
        return parse_username(t, v, typed)
    if field == "hashtag_names":
        return parse_list(t, v, "hashtag", typed)
    if field in ("mentions", "video_mention_list"):
        return parse_list(t, v, "mention", typed)
    by_type: dict[str, Callable[..., Parsed]] = {
        "BIGINT": parse_count,
        "DOUBLE": parse_double,
        "BOOLEAN": parse_bool,
        "TIMESTAMPTZ": parse_time,
        "VARCHAR": parse_text,
        "VARCHAR[]": parse_list,
        "BIGINT[]": parse_id_list,
        "JSON": parse_json,
    }
    return by_type[sql_type](t, v, typed=typed)


#: which canonical types the staged columns already hold: all (``True``: the strict typed
#: parse of a clean file), none (``False``: text), or those named
Typed = bool | frozenset[str]
#: lists only: DuckDB's JSON reader parses a list exactly as the text path parses its text
LISTS: frozenset[str] = frozenset({"VARCHAR[]"})


def arrives_typed(typed: Typed, sql_type: str) -> bool:
    """Whether a field stored as ``sql_type`` is staged in that type already (JSON never is)."""
    if sql_type == "JSON":
        return False
    return typed if isinstance(typed, bool) else sql_type in typed


def normalize_sql(
    entity: str,
    exprs: dict[str, str],
    raw: str,
    where: str = "true",
    source: str | None = None,
    require_key: bool = True,
    typed: Typed = False,
    observed_at: str = "$observed_at",
) -> str:
    """SQL selecting canonical rows of ``entity`` from table ``raw``.

    ``exprs`` maps canonical field -> SQL text expression over ``raw``; fields
    left out are unknown (NULL). ``exprs["_observed_at"]``, when given, says
    when the source saw the record; otherwise the ``$observed_at`` parameter
    is used. The result has ``_line``, ``_rec``, the entity's columns,
    ``_observed_at``, ``_ord`` and ``_problems`` (``field: reason`` strings
    joined by the unit separator, empty when the row is fine). With
    ``require_key=False`` a missing key is not a problem (the caller drops
    such rows: records derived from another kind's row). With ``typed`` the
    expressions already give each field's canonical type (JSON fields: text), as
    the typed parse of a clean file does, or do so for the types named
    (:data:`LISTS`); the same rules check them. ``observed_at``: SQL for when
    the values were seen, where the source does not say.
    """
    e = ENTITIES[entity]
    unknown = set(exprs) - set(e.columns) - {"_observed_at"}
    if unknown:
        raise ValueError(f"not canonical {entity} fields: {sorted(unknown)}")
    missing_keys = [k for k in e.key if k not in exprs]
    if missing_keys:
        raise ValueError(f"no source for the key field(s) {missing_keys} of {entity}")
    texts = [
        f"({exprs[c]}) AS t_{c}"
        if arrives_typed(typed, typ)
        else f"CAST({exprs[c]} AS VARCHAR) AS t_{c}"
        for c, typ in e.columns.items()
        if c in exprs
    ]
    texts.append(f"CAST({exprs.get('_observed_at', 'NULL')} AS VARCHAR) AS t__observed_at")
    values, problems = [], []
    final = {c: c for c in e.columns}
    for c, typ in e.columns.items():
        if c == "source":
            values.append(f"{sql_str(source) if source else 'CAST(NULL AS VARCHAR)'} AS source")
        elif c not in exprs:
            values.append(f"CAST(NULL AS {typ}) AS {c}")
        else:
            p = parser_for(c, typ, f"t_{c}", c, arrives_typed(typed, typ))
            values.append(f"({p.value}) AS {c}")
            if p.problem != "NULL":
                problems.append((c, p.problem))
            if p.post:
                final[c] = f"{p.post} AS {c}"
    for key in e.key if require_key else ():
        t = f"t_{key}"
        why = MISSING_KEY.get((entity, key), "missing (required)")
        absent = (
            f"({t} IS NULL OR {t} = 0)"
            if arrives_typed(typed, e.columns[key]) and e.columns[key] != "VARCHAR"
            else f"({_blank(t)} OR trim({t}) = '0')"
        )
        problems.insert(0, (key, f"CASE WHEN {key} IS NULL AND {absent} THEN '{why}' END"))
    if entity == "videos":
        # mentions: the source's own list, else '@name' in the caption
        listed = next((f for f in ("mentions", "video_mention_list") if f in exprs), None)
        has_caption = "video_description" in exprs
        if has_caption:
            values.append(
                f"CASE WHEN {'t_' + listed if listed else 'NULL'} IS NOT NULL "
                "OR t_video_description IS NULL THEN NULL "
                "WHEN NOT contains(t_video_description, '@') "
                "THEN [] ELSE regexp_extract_all(lower(t_video_description), "
                f"'{MENTION_PATTERN}', 1) END AS _caption_mentions"
            )
        caption = dedupe("_caption_mentions") if has_caption else "CAST(NULL AS VARCHAR[])"
        final["mentions"] = (
            f"coalesce({dedupe(listed)}, {caption}) AS mentions"
            if listed
            else f"{caption} AS mentions"
        )
        final["is_duet"] = (
            "coalesce(is_duet, CASE WHEN duet_from_id IS NOT NULL THEN true END) AS is_duet"
        )
    problem_parts = ", ".join(f"'{c}: ' || ({p})" for c, p in problems)
    observed = parse_time("t__observed_at", "_o").value
    return f"""
    WITH x AS (
        SELECT _line, _rec, {", ".join(texts)} FROM {raw} WHERE {where}
    ), y AS (
        SELECT x.*, {", ".join(values)} FROM x
    ), z AS (
        SELECT y.*, coalesce(({observed}), {observed_at}) AS _observed_at,
               concat_ws(chr(31), {problem_parts or "NULL"}) AS _problems
        FROM y
    )
    SELECT _line, _rec, {", ".join(final.values())}, _observed_at,
           coalesce(_line, 0) * 4294967296 + coalesce(_rec, 0) AS _ord, _problems
    FROM z
    """
