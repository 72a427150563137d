"""The methods appendix, from what the store recorded: access route, queries and windows,
requests and records per endpoint, imports and rejects, deletions, the API's known limits,
the software and every analysis parameter, and how to cite."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from .. import __version__, guidance
from ..store import Store

TIKTOK = "https://open.tiktokapis.com"


def compact_json(value: Any, depth: int = 0) -> str:
    """JSON indented by structure, with lists of plain values on one line (a query's 25
    region codes take one line, not 25)."""
    pad = " " * (depth + 1)
    if isinstance(value, dict) and value:
        body = ",\n".join(
            f"{pad}{json.dumps(k)}: {compact_json(v, depth + 1)}" for k, v in value.items()
        )
        return "{\n" + body + "\n" + " " * depth + "}"
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        body = ",\n".join(pad + compact_json(v, depth + 1) for v in value)
        return "[\n" + body + "\n" + " " * depth + "]"
    return json.dumps(value, ensure_ascii=False)


class QueryRun(BaseModel):
    run_id: int
    command: str
    status: str
    started_at: str
    api_base: str | None
    query: str | None = Field(description="The query as JSON, as sent.")
    since: str | None
    until: str | None
    windows: list[str]
    stats: dict[str, Any]


class ImportRun(BaseModel):
    run_id: int
    files: list[str]
    format: str | None
    rows_read: int | None
    inserted: int | None
    rejected: int | None
    rejects_by_file: dict[str, int]


class Limitation(BaseModel):
    id: str
    text: str
    sources: list[str]


class Methods(BaseModel):
    access_route: str
    emulated: bool = Field(description="Data came from the local emulator: synthetic.")
    sources: dict[str, int | None] = Field(description="Stored videos per source.")
    collections: list[QueryRun]
    imports: list[ImportRun]
    first_request: str | None
    last_request: str | None
    requests: list[dict[str, Any]] = Field(description="Requests and records per endpoint.")
    deletions: list[dict[str, Any]]
    refreshes: int
    limitations: list[Limitation]
    software: str
    parameters: dict[str, Any]
    citation: str
    dataset_note: str


def _iso(t: Any) -> str | None:
    return t.astimezone(UTC).isoformat(timespec="seconds") if isinstance(t, datetime) else None


def appendix(store: Store, sources: dict[str, int | None], parameters: dict[str, Any]) -> Methods:
    """The methods appendix of the study database behind ``store``."""
    collections = []
    bases = set()
    for r in store.runs_of("collect"):
        p = r["params"]
        bases.add(p.get("api_base"))
        windows = [
            k.split(":", 1)[1] for k in store.run_tasks(r["run_id"]) if k.startswith("videos:")
        ]
        collections.append(
            QueryRun(
                run_id=r["run_id"],
                command=r["command"] or "",
                status=r["status"],
                started_at=_iso(r["started_at"]) or "",
                api_base=p.get("api_base"),
                query=compact_json(p["query"]) if p.get("query") else None,
                since=p.get("since"),
                until=p.get("until"),
                windows=windows,
                stats=r["stats"],
            )
        )
    rejects: dict[int, dict[str, int]] = {}
    for run, file, n in store.rejects_by_file():
        rejects.setdefault(run, {})[file] = n
    imports = [
        ImportRun(
            run_id=r["run_id"],
            files=[str(f) for f in r["params"].get("files", [])],
            format=r["params"].get("format"),
            rows_read=r["stats"].get("rows_read"),
            inserted=r["stats"].get("inserted"),
            rejected=r["stats"].get("rejected"),
            rejects_by_file=rejects.get(r["run_id"], {}),
        )
        for r in store.runs_of("import")
    ]
    emulated = any(b and not str(b).startswith(TIKTOK) for b in bases)
    routes = []
    if collections:
        routes.append(
            "TikTok Research API"
            + (" (here: the local emulator, synthetic data)" if emulated else "")
        )
    if imports:
        formats = sorted({i.format or "auto" for i in imports})
        routes.append(f"imported files ({', '.join(formats)})")
    first, last = store.collection_period()
    g = guidance.load()
    return Methods(
        access_route="; ".join(routes) or "no collection or import recorded",
        emulated=emulated,
        sources=sources,
        collections=collections,
        imports=imports,
        first_request=_iso(first),
        last_request=_iso(last),
        requests=[
            {"endpoint": e, "requests": n, "failed": bad, "records": rec}
            for e, n, bad, rec in store.requests_by_endpoint()
        ],
        deletions=[
            {"record_type": t, "reason": why, "records": n}
            for t, why, n in store.deletions_summary()
        ],
        refreshes=len([r for r in store.runs_of("refresh") if r["status"] == "done"]),
        limitations=[
            Limitation(id=f.id, text=f.text, sources=[s.cite() for s in f.sources]) for f in g.facts
        ],
        software=f"tiktok-research {__version__}",
        parameters=parameters,
        citation=(
            f"tiktok-research (version {__version__}) [software]: design, collection, analysis "
            "and reporting of TikTok studies. Cite the version you used, and the methods it "
            "names (Kleinberg 2003; Lehmann et al. 2012; Righetti & Balluff 2025)."
        ),
        dataset_note=(
            "Cite every catalogue dataset you imported, as its catalogue entry says "
            "(tiktok-research datasets search shows DOI or URL and licence)."
        ),
    )
