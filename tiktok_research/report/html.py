"""The study report: one self-contained HTML file (inline CSS and SVG, nothing loaded from
anywhere), with a methods appendix built from provenance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from .. import api_spec, guidance
from ..analysis import Selection, analyse, detect, open_frames
from ..analysis.frames import ANALYSIS_MEMORY_LIMIT
from ..analysis.metadata import WEEKDAYS, distribution, view_shares
from ..network import build
from ..network.communities import structure
from ..network.coordination import CAVEAT, DEFAULT_KINDS, shares
from ..network.coordination import detect as coordination
from ..network.export import write as write_graph
from ..privacy import Pseudonymiser
from ..store import Store
from .methods import appendix

SECTIONS = (
    "Overview",
    "Hashtags",
    "Engagement",
    "Time",
    "Sounds",
    "Creators",
    "Trends",
    "Network",
    "Coordination",
    "Compliance",
    "Methods appendix",
)


class Section(BaseModel):
    title: str
    finding: str = Field(description="One line: what the section shows.")
    empty: bool = False


class Report(BaseModel):
    path: str
    network_file: str | None
    sections: list[Section]
    warnings: list[str]
    publishable: bool


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def build_report(
    db: Path,
    out: Path,
    *,
    selection: Selection | None = None,
    tz: str = "UTC",
    publishable: bool = False,
    pseudonymiser: Pseudonymiser | None = None,
    k: int = 10,
    memory_limit: str = ANALYSIS_MEMORY_LIMIT,
    now: datetime | None = None,
) -> Report:
    """Analyse the study database and write the report to ``out``."""
    now = now or datetime.now(UTC)
    sel = selection or Selection()
    hide = (lambda name: str(pseudonymiser(name))) if publishable and pseudonymiser else str
    warnings: list[str] = []
    network_file = out.with_name(out.stem + ".network.gexf")
    with Store(db, read_only=True, memory_limit=memory_limit) as store:
        with open_frames(store, sel) as f:
            meta = analyse(
                f, tz=tz, top=15, publishable=publishable, k=k, pseudonymiser=pseudonymiser
            )
            trend = detect(f, "hashtag", 6)
            lorenz = view_shares(f)
            engagement = distribution(f, "engagement")
            views = distribution(f, "views")
            graph = build(f, ["sound", "hashtag"], max_object_degree=500, top_k=20)
            co = shares(f, list(DEFAULT_KINDS))
        counts = store.counts()
        last_refresh = store.last_refresh()
        overdue = store.overdue(now - timedelta(days=api_spec.REFRESH_DAYS))
        methods = appendix(
            store,
            meta.overview.sources,
            {
                "selection": sel.describe(),
                "time zone": tz,
                "publishable": publishable,
                "small-cell threshold k": k if publishable else None,
                "trends": trend.method,
                "network": "accounts linked by shared sounds and hashtags; objects used by more "
                "than 500 accounts left out; each account's 20 heaviest links kept; Leiden "
                "communities (seed 1)",
                "coordination": "sound and caption, 60 s window, min participation 2, "
                "chance-aware test at alpha 0.01 (Bonferroni)",
            },
        )
    st = structure(graph.n, graph.src, graph.dst, graph.weight, seed=1)
    if graph.n:
        write_graph(graph, network_file, st.membership)
    coord = coordination(co, window=60) if len(co.account) else None

    # -- what each section says ------------------------------------------------------------
    o, e = meta.overview, meta.engagement
    sections: dict[str, Section] = {}

    def section(title: str, finding: str, empty: bool = False) -> None:
        sections[title] = Section(title=title, finding=finding, empty=empty)

    if methods.emulated:
        warnings.append(
            "The data comes from the local Research API emulator: it is synthetic and must not "
            "be reported as findings about TikTok."
        )
    nothing = meta.message is not None
    if nothing:
        warnings.append(
            "The database (or the selection) holds no videos: collect or import first; the "
            "sections below say what is missing."
        )
    section(
        "Overview",
        "No videos in the database (or the selection): collect or import first."
        if nothing
        else f"{o.videos:,} videos by {o.creators:,} creators, {o.first_day} to {o.last_day}; "
        f"{methods.access_route}.",
        nothing,
    )
    top = meta.hashtags[:3]
    section(
        "Hashtags",
        ", ".join(f"#{h.hashtag} on {_pct(h.share_of_videos)} of videos" for h in top)
        if top
        else "No hashtags in the selection.",
        not top,
    )
    section(
        "Engagement",
        f"Median engagement rate {e.rate.median:.3f} (mean {e.rate.mean:.3f}) over "
        f"{e.rated:,} videos; {e.excluded_zero_views + e.excluded_missing_views:,} without "
        f"views left out; Gini of views {e.views_gini:.2f}."
        if e.rated
        and e.rate.median is not None
        and e.rate.mean is not None
        and e.views_gini is not None
        else "No video has a known view count, so no engagement rate.",
        not e.rated,
    )
    busiest = max(
        (
            (v or 0, d, h)
            for d, row in enumerate(meta.time.hour_weekday_local)
            for h, v in enumerate(row)
        ),
        default=(0, 0, 0),
    )
    section(
        "Time",
        f"Most posting on {WEEKDAYS[busiest[1]]} at {busiest[2]:02d}:00 ({tz}); "
        f"{len(meta.time.per_day)} days with videos."
        if busiest[0]
        else "No posting times in the selection.",
        not busiest[0],
    )
    snd = meta.sounds
    section(
        "Sounds",
        f"{snd.sounds:,} sounds; {_pct(snd.reused_share)} of videos use a sound another video "
        "uses too."
        if snd.sounds
        else "No sound ids in the selection.",
        not snd.sounds,
    )
    c = meta.creators
    section(
        "Creators",
        f"The top 1% of creators hold {_pct(c.top1pct_view_share)} of views, the top 10% "
        f"{_pct(c.top10pct_view_share)}."
        if c.creators
        else "No creators in the selection.",
        not c.creators,
    )
    bursting = [t for t in trend.trends if t.burst_onset is not None]
    section(
        "Trends",
        "; ".join(f"#{t.item} ({t.status}, peak {t.peak_day})" for t in bursting[:3])
        if bursting
        else "No hashtag burst stands out in the selection.",
        not bursting,
    )
    comms = np.bincount(st.membership) if graph.n else np.array([], dtype=int)
    section(
        "Network",
        f"{graph.n:,} accounts, {len(graph.src):,} links; {len(comms)} communities "
        f"(modularity {st.modularity:.2f}), the largest with {int(comms.max()) if len(comms) else 0} "
        "accounts."
        if len(graph.src)
        else "No two accounts share a sound or hashtag in the selection.",
        not len(graph.src),
    )
    flagged_groups = coord.groups if coord else []
    section(
        "Coordination",
        f"{len(flagged_groups)} group(s) of accounts co-posting the same sound or caption "
        "within a minute beyond chance: review the evidence."
        if flagged_groups
        else "No coordinated pairs beyond chance.",
        not flagged_groups,
    )
    n_overdue = sum(overdue.values())
    if n_overdue:
        warnings.append(
            f"{n_overdue:,} stored videos and comments are past the {api_spec.REFRESH_DAYS}-day "
            "refresh duty: run tiktok-research refresh."
        )
    section(
        "Compliance",
        f"Last refresh: {last_refresh:%Y-%m-%d}; " if last_refresh else "Never refreshed; ",
    )
    sections["Compliance"].finding += (
        f"{n_overdue:,} records past the {api_spec.REFRESH_DAYS}-day duty; "
        f"{sum(d['records'] for d in methods.deletions):,} deleted at refresh."
    )
    section("Methods appendix", f"{len(methods.collections)} collection(s), "
            f"{len(methods.imports)} import(s), {len(methods.limitations)} known API limits.")  # fmt: skip

    # -- figures -----------------------------------------------------------------------------
    from . import plots  # imported here: matplotlib takes half a second to load

    fig: dict[str, str] = {}
    if meta.time.per_day:
        fig["daily"] = plots.daily(
            [d.day for d in meta.time.per_day],
            [d.videos for d in meta.time.per_day],
            "Videos per day (UTC)",
        )
        fig["heatmap"] = plots.heatmap(
            meta.time.hour_weekday_local, WEEKDAYS, f"Posting by weekday and hour ({tz})"
        )
    if meta.hashtags:
        fig["hashtags"] = plots.bars(
            [f"#{h.hashtag}" for h in meta.hashtags[:12]],
            [h.videos for h in meta.hashtags[:12]],
            "Top hashtags",
            "videos",
        )
    if len(engagement):
        fig["engagement"] = plots.log_hist(
            engagement, e.rate.median, "Engagement rate", "(likes + comments + shares) / views"
        )
    if len(views):
        fig["views"] = plots.log_hist(views, e.views.median, "Views per video", "views")
    if snd.top_by_videos:
        fig["sounds"] = plots.bars(
            [s.title or str(s.music_id) for s in snd.top_by_videos[:10]],
            [s.videos for s in snd.top_by_videos[:10]],
            "Most used sounds",
            "videos",
        )
    if len(lorenz) and lorenz[-1] > 0:
        fig["lorenz"] = plots.lorenz(lorenz, "Concentration of views")
    if bursting and trend.first_day is not None:
        fig["trends"] = plots.trends(
            trend.first_day,
            [
                (
                    f"#{t.item}",
                    t.series,
                    (t.burst_onset - trend.first_day).days if t.burst_onset else None,
                    (t.burst_end - trend.first_day).days if t.burst_end else None,
                    (t.peak_day - trend.first_day).days,
                )
                for t in bursting[:4]
            ],
            "Lifecycles of the strongest hashtag bursts",
        )

    # -- the network and coordination tables -------------------------------------------------
    order = np.argsort(-st.strength, kind="stable") if graph.n else np.array([], dtype=int)
    communities: list[dict[str, Any]] = []
    for cid in range(len(comms)):
        if comms[cid] < 2 or len(communities) == 6:
            break  # numbered by size: the rest are single accounts
        members = [graph.labels[i] for i in order if st.membership[i] == cid][:6]
        communities.append(
            {"id": cid, "size": int(comms[cid]), "members": [hide(m) for m in members]}
        )
    groups = []
    if coord:
        for gi, members in enumerate(coord.groups[:10]):
            rows = [ev for ev in coord.evidence if ev.group == gi][:6]
            groups.append(
                {
                    "id": gi,
                    "members": [hide(m) for m in members],
                    "evidence": [
                        {
                            "object": _object(ev.object, publishable),
                            "first": hide(ev.first),
                            "second": hide(ev.second),
                            "time": datetime.fromtimestamp(ev.first_time, UTC).strftime(
                                "%Y-%m-%d %H:%M:%S"
                            ),
                            "delta": ev.delta_seconds,
                        }
                        for ev in rows
                    ],
                }
            )
    html = guidance.render(
        "report.html.j2",
        title="TikTok study report",
        generated=now.strftime("%Y-%m-%d %H:%M UTC"),
        selection=sel.describe(),
        warnings=warnings,
        sections=sections,
        order=SECTIONS,
        meta=meta,
        counts=counts,
        trend=trend,
        bursting=bursting[:6],
        fig=fig,
        graph={
            "nodes": graph.n,
            "edges": len(graph.src),
            "modularity": st.modularity,
            "dropped": graph.dropped[:8],
            "dropped_total": len(graph.dropped),
            "file": network_file.name if graph.n else None,
        },  # fmt: skip
        communities=communities,
        coordination=coord,
        groups=groups,
        caveat=CAVEAT,
        methods=methods,
        last_refresh=last_refresh.strftime("%Y-%m-%d %H:%M UTC") if last_refresh else None,
        overdue=overdue,
        refresh_days=api_spec.REFRESH_DAYS,
        publishable=publishable,
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    return Report(
        path=str(out),
        network_file=str(network_file) if graph.n else None,
        sections=[sections[t] for t in SECTIONS],
        warnings=warnings,
        publishable=publishable,
    )


def _object(obj: str, publishable: bool) -> str:
    """How an evidence row names the object: captions are not quoted in publishable mode."""
    kind, _, value = obj.partition(":")
    if kind == "caption" and publishable:
        return "a caption (not quoted)"
    return f"{kind}: {value}"
