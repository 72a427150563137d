"""Write store tables out as Parquet, CSV or NDJSON with ids kept exact."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ..errors import UsageError
from ..schema import MENTION_PATTERN
from . import Store
from .tables import BOOKKEEPING, ENTITIES

EXPORT_FORMATS = ("parquet", "csv", "ndjson")


def exportable_tables() -> dict[str, dict[str, str]]:
    """table -> {column: type} for every table a researcher may export."""
    out: dict[str, dict[str, str]] = {}
    for e in ENTITIES.values():
        out[e.table] = {**e.columns, **BOOKKEEPING}
    return out


class ExportResult(BaseModel):
    """A written export."""

    table: str = Field(description="The table exported.")
    format: str = Field(description="parquet, csv or ndjson.")
    path: str = Field(description="The file (or directory, when partitioned) written.")
    rows: int = Field(description="Rows written.")
    pseudonymised: bool = False


#: per table: columns to pseudonymise (kind u = username, i = id), text columns to strip of
#: @mentions, and columns that identify a person and are dropped
PSEUDONYMISE = {
    # the author of an "original sound" is the creator: pseudonymise it, and cut the
    # creator's name out of such titles
    "videos": {
        "u": ["username", "music_author"],
        "u[]": ["mentions", "video_mention_list"],
        "i": ["id", "duet_from_id"],
        "text": ["video_description", "voice_to_text"],
        "sound": ["music_title"],
    },
    "comments": {"u": ["username"], "i": ["id", "video_id", "parent_comment_id"], "text": ["text"]},
    "users": {
        "u": ["username"],
        "i": ["user_id"],
        "text": ["bio_description"],
        "drop": ["display_name", "avatar_url", "bio_url"],
    },
    "follow_edges": {"u": ["follower", "following"]},
    "user_videos": {"u": ["username"], "i": ["video_id"]},
    "playlists": {"i": ["playlist_id"], "i[]": ["playlist_video_ids"]},
}


def _plain(c: str, t: str, fmt: str, expr: str | None = None) -> str:
    """Column ``c`` (or ``expr`` standing for it); in CSV, lists and JSON become JSON text."""
    expr = expr or c
    if fmt == "csv" and (t.endswith("[]") or t == "JSON"):
        return f"CAST(to_json({expr}) AS VARCHAR) AS {c}"
    return expr if expr == c else f"{expr} AS {c}"


def pseudonymised_select(
    store: Store, table: str, columns: dict[str, str], pseudo: Any, fmt: str
) -> str:
    """The column list of a pseudonymised export (registers the HMAC functions on the store)."""
    import duckdb

    for kind in ("u", "i"):
        name = f"pseudonym_{kind}"
        with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
            store.con.remove_function(name)
        store.con.create_function(
            name,
            pseudo.arrow(kind),
            ["VARCHAR"],
            "VARCHAR",
            type="arrow",  # type: ignore[call-overload]
        )
    rules = PSEUDONYMISE.get(table)
    if rules is None:
        raise UsageError(f"no pseudonymisation rules for table {table}")
    parts = []
    for c, t in columns.items():
        if c in rules.get("drop", []):
            continue
        if c in rules.get("u", []):
            parts.append(f"pseudonym_u({c}) AS {c}")
        elif c in rules.get("i", []):
            parts.append(f"pseudonym_i(CAST({c} AS VARCHAR)) AS {c}")
        elif c in rules.get("u[]", []) or c in rules.get("i[]", []):
            kind = "u" if c in rules.get("u[]", []) else "i"
            expr = f"list_transform({c}, lambda x: pseudonym_{kind}(CAST(x AS VARCHAR)))"
            parts.append(_plain(c, t, fmt, expr))
        elif c in rules.get("sound", []):
            parts.append(
                f"regexp_replace({c}, '^(original sound|sonido original|som original|"
                f"son original|originalton).*$', '\\1', 'i') AS {c}"
            )
        elif c in rules.get("text", []):
            parts.append(f"regexp_replace({c}, '{MENTION_PATTERN}', '@user', 'g') AS {c}")
        else:
            parts.append(_plain(c, t, fmt))
    return ", ".join(parts)


def _sql_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def export_table(
    store: Store,
    table: str,
    fmt: str,
    out: str | Path,
    *,
    partition: bool = False,
    pseudonymiser: Any = None,
) -> ExportResult:
    """Export ``table`` to ``out``.

    CSV cannot hold lists, so list and JSON columns are written as JSON text;
    ids are written as integers (never in floating-point notation) in every
    format. ``partition`` writes Hive-partitioned Parquet by ``create_date``.
    With a ``pseudonymiser`` (see ``privacy.Pseudonymiser``) usernames and
    ids become keyed pseudonyms, @mentions are removed from text and columns
    that identify a person (display name, avatar, bio link) are left out.
    """
    tables = exportable_tables()
    if table not in tables:
        raise UsageError(f"unknown table {table!r}; choose one of {', '.join(tables)}")
    if fmt not in EXPORT_FORMATS:
        raise UsageError(
            f"unknown export format {fmt!r}; choose one of {', '.join(EXPORT_FORMATS)}"
        )
    columns = tables[table]
    if partition:
        if fmt != "parquet":
            raise UsageError("--partition writes Parquet; use --format parquet")
        if "create_time" not in columns:
            raise UsageError(f"--partition splits by create date, which {table} does not have")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if pseudonymiser is not None:
        select = pseudonymised_select(store, table, columns, pseudonymiser, fmt)
    else:
        select = ", ".join(_plain(c, t, fmt) for c, t in columns.items())
    key = ENTITIES[table].key if table in ENTITIES else ()
    order = f" ORDER BY {', '.join(key)}" if key and pseudonymiser is None else ""
    query = f"SELECT {select} FROM {table}{order}"
    if partition:
        query = f"SELECT *, CAST(create_time AS DATE) AS create_date FROM ({query})"
        options = "FORMAT parquet, PARTITION_BY (create_date), OVERWRITE_OR_IGNORE true"
    else:
        options = {
            "parquet": "FORMAT parquet",
            "csv": "FORMAT csv, HEADER true",
            "ndjson": "FORMAT json",
        }[fmt]
    rows = store.con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
    store.con.execute(f"COPY ({query}) TO {_sql_path(out)} ({options})")
    return ExportResult(
        table=table,
        format=fmt,
        path=str(out),
        rows=rows,
        pseudonymised=pseudonymiser is not None,
    )
