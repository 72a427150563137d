"""Records of fetched Research API pages into the store: the collector's side of ingestion.

Pages arrive as NDJSON, in memory, of wrapped answers (request id, endpoint,
observation time, run, the username a user endpoint was asked for, and the
answer as received). They are parsed all at once, typed as a clean file is
(``readers.parse_typed``: Arrow's JSON reader with an explicit schema), and
each (run, endpoint) group is unnested and goes through the same
normalisation, checks and upserts as an imported file
(:class:`~.staged.StagedRows`). If the typed parse refuses the answers, or a
group breaks a rule, that group is read as text, as a dirty file is.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pyarrow as pa

from .. import api_spec
from ..store import Store
from .formats import RESEARCH_API, Spec, spec_to_duckdb, typed_spec
from .normalize import sql_str
from .readers import (
    ARROW_TYPES,
    TYPED,
    json_columns,
    json_keys,
    json_literal,
    json_reader,
    json_shape,
    line_texts,
    parse_typed,
)
from .report import FileReport
from .staged import Plan, StagedRows

OBS = {"_observed_at": "_obs"}
#: what a merge wraps each answer in (see ``collect.journal.merge_pages``), and its types
WRAPPING = {
    "_rid": "BIGINT",
    "_endpoint": "VARCHAR",
    "_obs": "VARCHAR",
    "_run": "BIGINT",
    "_target": "VARCHAR",
}


@dataclass
class PagesStored:
    pages: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0


def page_plan(name: str) -> Plan:
    """What the records of an endpoint (by name) become in the store."""
    videos = {**RESEARCH_API.kinds["videos"], **OBS}
    ok = "_error IS NULL"
    if name == "videos":
        return Plan({"videos": (videos, ok, False)})
    if name in ("liked", "pinned", "reposted"):
        link = {
            "username": "_target",
            "list_name": f"'{name}'",
            "video_id": "coalesce(id, video_id)",
            **OBS,
        }
        return Plan({"videos": (videos, ok, False), "user_videos": (link, ok, True)})
    if name == "comments":
        return Plan({"comments": ({**RESEARCH_API.kinds["comments"], **OBS}, ok, False)})
    if name == "user_info":
        return Plan(
            {"users": ({**RESEARCH_API.kinds["users"], "username": "_target", **OBS}, ok, False)}
        )
    # followers / following: entries are {display_name, username} of the other account
    edge = (
        {"follower": "username", "following": "_target"}
        if name == "followers"
        else {"follower": "_target", "following": "username"}
    )
    return Plan(
        {
            "users": ({"username": "username", "display_name": "display_name", **OBS}, ok, False),
            "follow_edges": ({**edge, **OBS}, ok, True),
        }
    )


def _wrapped_type() -> Spec:
    """DuckDB types of a wrapped answer: the wrapping, and in the answer every record list
    the endpoints use, and user-info fields."""
    record = spec_to_duckdb(RESEARCH_API.spec)
    fields = [f'"{k}" {record}[]' for k in sorted(api_spec.RECORD_LIST_KEYS)]
    fields += [f'"{k}" VARCHAR' for k in RESEARCH_API.kinds["users"] if k != "username"]
    return {**WRAPPING, "page": f"STRUCT(data STRUCT({', '.join(fields)}))"}


@cache
def _typed_answers() -> tuple[pa.Schema, list[str]]:
    """The typed schema of wrapped answers (as ``parse_typed`` takes it), and the JSON fields.

    Every record list the endpoints use holds records typed as a clean file's;
    user-info answers carry the user's fields in ``data`` itself. Fields
    holding free-form JSON are taken from the answer's text.
    """
    types = typed_spec(RESEARCH_API)
    record = pa.struct([(k, ARROW_TYPES[t]) for k, t in types.items() if t != "JSON"])
    user = [k for k in RESEARCH_API.kinds["users"] if k != "username"]
    data = pa.struct(
        [(k, pa.list_(record)) for k in sorted(api_spec.RECORD_LIST_KEYS)]
        + [(k, ARROW_TYPES[types[k]]) for k in user]
    )
    wrapper = pa.schema(
        [(k, ARROW_TYPES[t]) for k, t in WRAPPING.items()] + [("page", pa.struct([("data", data)]))]
    )
    return wrapper, json_keys(types)


def _stage_group_typed(
    store: Store, answers: pa.Table, run: int, ep: api_spec.Endpoint, json_fields: list[str]
) -> None:
    """``_typed``: one typed row per record of this run's and endpoint's answers."""
    where = f"WHERE _endpoint = '{ep.path}' AND _run = {int(run)}"
    con = store.con
    con.register("_answers", answers)
    try:
        keys = _typed_answers()[1]
        if ep.record_keys:
            lst = "coalesce(" + ", ".join(f"page.data.{k}" for k in ep.record_keys) + ", [])"
            texts = parsed = ""
            if json_fields:  # the same records' JSON fields, as JSON text, in one parse per answer
                records = [json_shape(json_fields)]
                shape = {"page": {"data": dict.fromkeys(ep.record_keys, records)}}
                parsed = f", json_transform(_text, {json_literal(shape)}) AS _t"
                found = ", ".join(f"_t.page.data.{k}" for k in ep.record_keys)
                texts = f", unnest(coalesce({found}, [])) AS _j"
            sql = f"""
                SELECT _line, _rec, NULL::VARCHAR AS _error, _obs, _target,
                       r.*{json_columns("_j", json_fields, keys)} FROM (
                    SELECT _rid AS _line, _obs, _target, unnest(range(1, len({lst}) + 1)) AS _rec,
                           unnest({lst}) AS r{texts}
                    FROM (SELECT *{parsed} FROM _answers {where}))"""
        else:
            sql = f"""
                SELECT _line, _rec, NULL::VARCHAR AS _error, _obs, _target,
                       d.*{json_columns("_j", [], keys)} FROM (
                    SELECT _rid AS _line, 1 AS _rec, _obs, _target, page.data AS d
                    FROM _answers {where})"""
        con.register(TYPED, con.sql(sql).to_arrow_table())
    finally:
        con.unregister("_answers")


def _parse_answers(data: bytes) -> tuple[pa.Table | None, list[str]]:
    """The wrapped answers, typed (None if not clean), and which JSON fields they hold."""
    schema, json_fields = _typed_answers()
    table = parse_typed(data, schema, others="ignore")
    if table is None:
        return None, []
    present = [k for k in json_fields if b'"%s"' % k.encode() in data]
    if present:
        table = table.append_column("_text", line_texts(data, table.num_rows))
    return table, present


def _stage_group(store: Store, run: int, ep: api_spec.Endpoint) -> None:
    """``_raw``: one row per record of this run's and endpoint's pages in ``_pages``."""
    where = f"WHERE _endpoint = '{ep.path}' AND _run = {int(run)}"
    if ep.record_keys:
        lst = "coalesce(" + ", ".join(f"page.data.{k}" for k in ep.record_keys) + ", [])"
        store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _raw AS
            SELECT _line, _rec, NULL::VARCHAR AS _error, _obs, _target, r.* FROM (
                SELECT _rid AS _line, _obs, _target, unnest(range(1, len({lst}) + 1)) AS _rec,
                       unnest({lst}) AS r
                FROM _pages {where})""")
    else:
        store.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _raw AS
            SELECT _line, _rec, NULL::VARCHAR AS _error, _obs, _target, d.* FROM (
                SELECT _rid AS _line, 1 AS _rec, _obs, _target, page.data AS d
                FROM _pages {where})""")


def store_pages(store: Store, pages: bytes) -> PagesStored:
    """Normalise and upsert every record of the wrapped answers in ``pages`` (NDJSON).

    Runs inside the caller's transaction, so the records commit together with
    the requests and checkpoints that produced them.
    """
    out = PagesStored()
    con = store.con
    answers, json_fields = _parse_answers(pages)
    as_text = False

    def text_answers() -> None:
        nonlocal as_text
        if not as_text:
            with tempfile.TemporaryDirectory(prefix="tiktok-pages-") as tmp:
                path = Path(tmp) / "pages.ndjson"
                path.write_bytes(pages)
                # no reading comes after this one: any answer's length is taken
                reader = json_reader(sql_str(str(path)), _wrapped_type(), max_line_mb=1024)
                con.execute(f"CREATE OR REPLACE TEMP TABLE _pages AS SELECT * FROM {reader}")
            as_text = True

    if answers is None:
        text_answers()
        groups = con.execute(
            "SELECT _run, _endpoint, count(*) FROM _pages GROUP BY ALL ORDER BY 1, 2"
        ).fetchall()
    else:
        groups = (
            answers.group_by(["_run", "_endpoint"])
            .aggregate([("_rid", "count")])
            .sort_by([("_run", "ascending"), ("_endpoint", "ascending")])
            .to_pylist()
        )
        groups = [(g["_run"], g["_endpoint"], g["_rid_count"]) for g in groups]
    for run, path, n in groups:
        ep = api_spec.endpoint(path)
        plan = page_plan(ep.name)
        report = FileReport(file=f"{path} answers (run {run})", format="research-api")
        job = StagedRows(store, plan, report, run, "research-api")
        done = False
        if answers is not None:
            _stage_group_typed(store, answers, run, ep, json_fields)
            try:
                done = job.chunk(write=True, own_transaction=False, typed=True)
            finally:
                con.unregister(TYPED)
        if not done:
            text_answers()
            _stage_group(store, run, ep)
            job.chunk(write=True, own_transaction=False)
        job.finish()
        counts = report.kinds.get(next(iter(plan.kinds)))
        out.pages += n
        out.inserted += counts.inserted if counts else 0
        out.updated += counts.updated if counts else 0
        out.rejected += report.rejected
    if as_text:
        con.execute("DROP TABLE _pages")
    return out
