"""dataset_finder: existing TikTok datasets that fit a topic, period and data needs.

Searches the curated catalogue (``guidance/datasets.yaml``: real, citable
datasets with DOI or URL, access terms and licence) and ranks matches with the
reason each matched. With ``live=true`` it also asks the Zenodo, Harvard
Dataverse and OSF search APIs; when they cannot be reached the answer falls
back to the catalogue and says so.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

import httpx
from pydantic import BaseModel, Field

from .. import guidance
from .contract import Annotations, ToolContext

NAME = "dataset_finder"
TITLE = "Find existing TikTok datasets"
#: open world: with live=true it asks Zenodo, Harvard Dataverse and OSF
ANNOTATIONS = Annotations(read_only=True, idempotent=True, open_world=True)

ZENODO = "https://zenodo.org/api/records"
DATAVERSE = "https://dataverse.harvard.edu/api/search"
OSF = "https://api.osf.io/v2/nodes/"


class Input(BaseModel):
    topic: str = Field(
        min_length=2, description="What the study is about, e.g. 'election misinformation'."
    )
    keywords: list[str] = Field(default_factory=list, description="More words to match.")
    period_start: date | None = Field(None, description="First day of the period needed.")
    period_end: date | None = Field(None, description="Last day of the period needed.")
    fields_needed: list[str] = Field(
        default_factory=list,
        description="Data a dataset must hold, e.g. comments, video_files, transcripts, labels.",
    )
    access: Literal["any", "open_or_ids", "open"] = Field(
        "any",
        description="Only datasets you can get without applying ('open_or_ids'), or "
        "downloadable as is ('open').",
    )
    live: bool = Field(False, description="Also search Zenodo, Harvard Dataverse and OSF online.")
    max_results: int = Field(5, ge=1, le=50)


class Match(BaseModel):
    id: str
    name: str
    score: float
    reasons: list[str]
    period: str
    size: str
    access: str
    ethics: str = Field(description="Ethics rating; rehydration that scrapes counts as scraping.")
    covers_period: bool | None = Field(
        None,
        description="Whether it covers part of the period asked for; null when no period was "
        "asked or its own period is unknown.",
    )
    licence: str
    link: str
    fields: list[str]
    sources: list[str]


class LiveResult(BaseModel):
    repository: str
    title: str
    url: str
    doi: str | None = None
    published: str | None = None


class Output(BaseModel):
    query: str
    matches: list[Match]
    live_results: list[LiveResult]
    notes: list[str]
    text: str


#: words that say nothing about a dataset's topic
STOP = {"tiktok", "how", "what", "which", "who", "why", "does", "the", "and", "for", "with",
        "video", "videos", "content", "study", "about", "from", "they", "their", "are"}  # fmt: skip


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[\w-]+", text.lower()) if len(w) > 2 and w not in STOP}


def _overlap(d: guidance.Dataset, start: date | None, end: date | None) -> bool | None:
    """Whether ``d`` covers part of the period; None when no period is asked or its own is unknown."""
    if start is None and end is None:
        return None
    if "unknown" in (d.period.start, d.period.end):
        return None
    ds, de = date.fromisoformat(d.period.start), date.fromisoformat(d.period.end)
    return (start or date.min) <= de and (end or date.max) >= ds


def score(d: guidance.Dataset, inp: Input) -> tuple[float, list[str], bool | None]:
    """How well ``d`` fits, why, and whether it covers part of the period asked for."""
    phrases = [p.lower() for p in [inp.topic, *inp.keywords] if p.strip()]
    words = set().union(*(_words(p) for p in phrases))
    topics = [t.lower() for t in d.topics]
    reasons: list[str] = []
    s = 0.0
    hit_topics = [t for t in topics if t in phrases or any(w in _words(t) for w in words)]
    if hit_topics:
        s += 3 * len(hit_topics)
        reasons.append(f"topics match: {', '.join(hit_topics)}")
    text_hits = sorted(words & _words(f"{d.name} {d.description}"))
    if text_hits:
        s += len(text_hits)
        reasons.append(f"described with: {', '.join(text_hits)}")
    covers = _overlap(d, inp.period_start, inp.period_end)
    if s == 0:
        return 0.0, [], covers
    if covers is True:
        s += 2
        reasons.append(f"covers part of the period ({d.period.start} to {d.period.end})")
    elif covers is False:
        s -= 3
        reasons.append(f"outside the period asked for ({d.period.start} to {d.period.end})")
    elif inp.period_start or inp.period_end:
        reasons.append("its period is unknown")
    for f in inp.fields_needed:
        if f in d.fields:
            s += 1
            reasons.append(f"has {f}")
        else:
            s -= 1
            reasons.append(f"lacks {f}")
    return s, reasons, covers


def search_live(
    query: str, http: httpx.Client, rows: int = 5
) -> tuple[list[LiveResult], list[str]]:
    """Zenodo, Harvard Dataverse and OSF; each failure becomes a note, not an error."""
    results: list[LiveResult] = []
    notes: list[str] = []
    q = f"tiktok {query}".strip()

    def get(name: str, url: str, params: dict[str, Any]) -> Any:
        try:
            r = http.get(url, params=params, timeout=15)
            r.raise_for_status()
            return r.json()
        except (httpx.HTTPError, ValueError) as exc:
            notes.append(
                f"live search of {name} failed ({type(exc).__name__}); "
                "showing catalogue results only for it"
            )
            return None

    data = get("Zenodo", ZENODO, {"q": q, "size": rows, "type": "dataset"})
    for hit in (data or {}).get("hits", {}).get("hits", [])[:rows]:
        meta = hit.get("metadata", {})
        results.append(
            LiveResult(
                repository="Zenodo",
                title=meta.get("title", "?"),
                url=hit.get("links", {}).get("html") or f"https://doi.org/{hit.get('doi', '')}",
                doi=hit.get("doi"),
                published=meta.get("publication_date"),
            )
        )
    data = get("Harvard Dataverse", DATAVERSE, {"q": q, "type": "dataset", "per_page": rows})
    for item in (data or {}).get("data", {}).get("items", [])[:rows]:
        gid = item.get("global_id") or ""
        results.append(
            LiveResult(
                repository="Harvard Dataverse",
                title=item.get("name", "?"),
                url=item.get("url", ""),
                doi=gid[4:] if gid.startswith("doi:") else None,
                published=item.get("published_at"),
            )
        )
    data = get("OSF", OSF, {"filter[title]": "tiktok", "page[size]": 25})
    words = _words(query)
    for node in (data or {}).get("data", []):
        attrs = node.get("attributes", {})
        text = f"{attrs.get('title', '')} {attrs.get('description') or ''}".lower()
        if words and not words & _words(text):
            continue
        results.append(
            LiveResult(
                repository="OSF",
                title=attrs.get("title", "?"),
                url=node.get("links", {}).get("html", ""),
                published=attrs.get("date_created"),
            )
        )
        if sum(r.repository == "OSF" for r in results) >= rows:
            break
    return results, notes


def run(inp: Input, ctx: ToolContext | None = None, http: httpx.Client | None = None) -> Output:
    g = guidance.load()
    matches = []
    for d in g.datasets.values():
        if inp.fields_needed and not set(inp.fields_needed) <= set(d.fields):
            continue  # a dataset must hold every field asked for
        if inp.access == "open" and d.access != "open":
            continue
        if inp.access == "open_or_ids" and d.access not in ("open", "ids"):
            continue
        s, reasons, covers = score(d, inp)
        if s <= 0:
            continue
        matches.append(
            Match(
                id=d.id,
                name=d.name,
                score=s,
                reasons=reasons,
                period=f"{d.period.start} to {d.period.end}",
                size=d.size,
                access=d.access,
                ethics=g.rehydration_ethics[d.rehydration],
                covers_period=covers,
                licence=d.licence,
                link=d.link,
                fields=d.fields,
                sources=[src.cite() for src in d.sources],
            )
        )
    matches.sort(key=lambda m: (-m.score, m.id))
    matches = matches[: inp.max_results]
    notes = [] if matches else ["No catalogue dataset matches; try broader words, or live=true."]
    query = " ".join([inp.topic, *inp.keywords])
    live: list[LiveResult] = []
    if inp.live:
        own = http is None
        http = http or (ctx or ToolContext()).http()
        try:
            live, live_notes = search_live(query, http)
            notes += live_notes
        finally:
            if own:
                http.close()
    out = Output(query=query, matches=matches, live_results=live, notes=notes, text="")
    out.text = guidance.render("dataset_suggestions.j2", result=out, request=inp)
    return out
