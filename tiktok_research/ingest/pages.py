"""Records of fetched Research API pages into the store: the collector's side of ingestion.

Pages arrive as one NDJSON file of wrapped answers (request id, endpoint,
observation time, run, the username a user endpoint was asked for, and the
answer as received). DuckDB parses them all at once; each (run, endpoint)
group is unnested into ``_raw`` and goes through the same normalisation,
checks and upserts as an imported file (:class:`~.staged.StagedRows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import api_spec
from ..store import Store
from .formats import RESEARCH_API, spec_to_duckdb
from .report import FileReport
from .staged import Plan, StagedRows

OBS = {"_observed_at": "_obs"}


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


def _page_type() -> str:
    """DuckDB type of an answer: every record list the endpoints use, and user-info fields."""
    record = spec_to_duckdb(RESEARCH_API.spec)
    fields = [f'"{k}" {record}[]' for k in sorted(api_spec.RECORD_LIST_KEYS)]
    fields += [f'"{k}" VARCHAR' for k in RESEARCH_API.kinds["users"] if k != "username"]
    return f"STRUCT(data STRUCT({', '.join(fields)}))"


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


def store_pages(store: Store, pages_file: Path) -> PagesStored:
    """Normalise and upsert every record of the wrapped pages in ``pages_file``.

    Runs inside the caller's transaction, so the records commit together with
    the requests and checkpoints that produced them.
    """
    out = PagesStored()
    con = store.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _pages AS SELECT * FROM read_json(?, "
        "format = 'newline_delimited', maximum_object_size = 1073741824, columns = "
        f"{{'_rid': 'BIGINT', '_endpoint': 'VARCHAR', '_obs': 'VARCHAR', "
        f"'_run': 'BIGINT', '_target': 'VARCHAR', 'page': '{_page_type()}'}})",
        [str(pages_file)],
    )
    groups = con.execute(
        "SELECT _run, _endpoint, count(*) FROM _pages GROUP BY ALL ORDER BY 1, 2"
    ).fetchall()
    for run, path, n in groups:
        ep = api_spec.endpoint(path)
        _stage_group(store, run, ep)
        plan = page_plan(ep.name)
        report = FileReport(file=f"{path} answers (run {run})", format="research-api")
        job = StagedRows(store, plan, report, run, "research-api")
        job.chunk(write=True, own_transaction=False)
        job.finish()
        counts = report.kinds.get(next(iter(plan.kinds)))
        out.pages += n
        out.inserted += counts.inserted if counts else 0
        out.updated += counts.updated if counts else 0
        out.rejected += report.rejected
    con.execute("DROP TABLE _pages")
    return out
