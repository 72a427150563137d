"""coordination_detector: accounts that post the same sound, caption or hashtag within
seconds of each other, more often than chance explains.

Forms co-share pairs the way CooRTweet does (shares of the same object by
different accounts at most ``window`` seconds apart, the older first, loops
removed, ``min_participation`` before and after) and flags account pairs. The
default method flags a pair only when its co-shares exceed what the two
accounts' activity and the objects' popularity explain by chance (a Poisson
test against a uniform-time null model, Bonferroni-corrected at ``alpha``), so a
hyperactive account that meets popular sounds by chance is not flagged;
``method: coortweet`` applies CooRTweet's own rule (weight strictly above the
``edge_weight`` quantile). Groups are the connected components of flagged pairs,
each with members, objects, time span and evidence rows (who posted what,
when, seconds apart). Sound and caption are combined by default. A flag calls
for human review: co-use of a trending sound is often organic. ``out`` writes
the groups as CSV or the account network as GEXF.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field, field_validator

from ..network.coordination import (
    CAVEAT,
    CITATIONS,
    DEFAULT_KINDS,
    CoKind,
    Result,
    detect,
    shares,
)
from .common import SelectionInput, frames_for, split_list
from .contract import Annotations, ToolContext

NAME = "coordination_detector"
TITLE = "Detect coordinated sharing"
ANNOTATIONS = Annotations(read_only=False, destructive=False, idempotent=True, open_world=False)
INLINE = 20


def _default_kinds() -> list[CoKind]:
    return list(DEFAULT_KINDS)


class Input(SelectionInput):
    by: Annotated[list[CoKind], BeforeValidator(split_list)] = Field(
        default_factory=_default_kinds,
        min_length=1,
        description="Objects shared: sound, hashtag, caption, mention, duet (combined).",
    )
    method: Literal["default", "coortweet"] = Field(
        "default", description="default (beyond chance) or coortweet (its percentile rule)."
    )
    window: int = Field(60, gt=0, description="Seconds between two shares of one object.")
    min_participation: int = Field(
        2, ge=1, description="Shares an account needs to take part (before and after pairing)."
    )
    edge_weight: float = Field(
        0.5, ge=0, le=1, description="coortweet: flag weights above this quantile."
    )
    fast_window: int | None = Field(
        None, gt=0, description="A narrower second window (the _fast attributes)."
    )
    alpha: float = Field(0.01, gt=0, lt=1, description="default: significance level.")
    out: str | None = Field(None, description="Write groups (.csv) or the network (.gexf).")

    @field_validator("out")
    @classmethod
    def _format(cls, v: str | None) -> str | None:
        if v is not None and not v.lower().endswith((".csv", ".gexf")):
            raise ValueError(f"write groups as .csv or the network as .gexf, not {v!r}")
        return v


class Group(BaseModel):
    id: int
    size: int
    members: list[str]
    objects: list[str] = Field(description="What they co-shared (at most 10).")
    first: str | None = Field(description="Earliest co-share (UTC).")
    last: str | None
    co_shares: int


class EdgeRow(BaseModel):
    a: str
    b: str
    weight: int = Field(description="Co-share pairs.")
    avg_time_delta: float
    symmetry: float
    expected: float | None = Field(description="default: co-shares chance explains.")
    p_value: float | None
    weight_fast: int | None


class EvidenceRow(BaseModel):
    group: int
    object: str
    first: str
    first_video: int
    first_time: str
    second: str
    second_video: int
    delta_seconds: int


class Output(BaseModel):
    method: str
    parameters: dict[str, object]
    shares: int
    co_share_rows: int
    account_pairs: int
    flagged_pairs: int
    threshold: float | None = Field(description="coortweet: the weight quantile used.")
    groups: list[Group]
    flagged_edges: list[EdgeRow] = Field(description="At most 20.")
    evidence: list[EvidenceRow] = Field(description="At most 20 rows.")
    message: str | None
    caveat: str
    citations: list[str]
    file: str | None
    text: str


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).isoformat()


def _groups(r: Result) -> list[Group]:
    out = []
    for gi, members in enumerate(r.groups):
        rows = [e for e in r.evidence if e.group == gi]
        inside = set(members)
        edges = [e for e in r.edges if e.flagged and e.a in inside]
        objects = sorted({o for e in edges for o in e.objects})
        times = [t for e in rows for t in (e.first_time, e.second_time)]
        out.append(
            Group(
                id=gi,
                size=len(members),
                members=members,
                objects=objects[:10],
                first=_iso(min(times)) if times else None,
                last=_iso(max(times)) if times else None,
                co_shares=sum(e.weight for e in edges),
            )
        )
    return out


def _write(r: Result, groups: list[Group], path: str) -> None:
    if path.lower().endswith(".csv"):
        import csv

        with open(path, "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(["group", "account", "group_size", "objects", "first", "last"])
            for g in groups:
                for m in g.members:
                    w.writerow([g.id, m, g.size, " ".join(g.objects), g.first, g.last])
        return
    import networkx as nx

    from ..network.export import clean

    G = nx.Graph()
    group_of = {m: g.id for g in groups for m in g.members}
    for e in r.edges:
        for node in (e.a, e.b):
            if node not in G:
                G.add_node(clean(node), label=clean(node), group=int(group_of.get(node, -1)))
        G.add_edge(clean(e.a), clean(e.b), weight=e.weight, flagged=int(e.flagged))
    nx.write_gexf(G, path)


def run(inp: Input, ctx: ToolContext) -> Output:
    out_path = ctx.output(inp.out, inp.out, "output file") if inp.out else None
    with frames_for(ctx, inp) as f:
        s = shares(f, inp.by)
    params: dict[str, object] = {
        "by": list(inp.by),
        "method": inp.method,
        "window": inp.window,
        "min_participation": inp.min_participation,
        "edge_weight": inp.edge_weight,
        "fast_window": inp.fast_window,
        "alpha": inp.alpha,
    }
    if len(s.account) == 0:
        r = Result(inp.method, list(inp.by), inp.window, inp.fast_window, 0, 0, [], None)
    else:
        r = detect(
            s,
            method=inp.method,
            window=inp.window,
            min_participation=inp.min_participation,
            edge_weight=inp.edge_weight,
            fast_window=inp.fast_window,
            alpha=inp.alpha,
            kinds=list(inp.by),
        )
    groups = _groups(r)
    if out_path:
        _write(r, groups, str(out_path))
    flagged = [e for e in r.edges if e.flagged]
    message = None
    if not r.co_share_rows:
        message = "no coordinated pairs: no object was shared by two accounts within the window"
    elif not flagged:
        message = "no coordinated pairs: co-shares found, none beyond the threshold"
    text = "\n".join(
        [
            f"coordination ({r.method}, by {', '.join(inp.by)}, window {r.window} s): "
            f"{r.shares:,} shares, {r.co_share_rows:,} co-share pairs, {len(r.edges):,} "
            f"account pairs, {len(flagged):,} flagged, {len(groups)} group(s)",
            *[
                f"  group {g.id}: {g.size} accounts ({', '.join(g.members[:6])}"
                f"{', ...' if g.size > 6 else ''}), {g.co_shares} co-shares, "
                f"{g.first} to {g.last}"
                for g in groups[:10]
            ],
            *([f"  {message}"] if message else []),
            f"  {CAVEAT}",
            *([f"  written: {out_path}"] if out_path else []),
        ]
    )
    return Output(
        method=r.method,
        parameters=params,
        shares=r.shares,
        co_share_rows=r.co_share_rows,
        account_pairs=len(r.edges),
        flagged_pairs=len(flagged),
        threshold=r.threshold,
        groups=groups,
        flagged_edges=[
            EdgeRow(
                a=e.a,
                b=e.b,
                weight=e.weight,
                avg_time_delta=round(e.avg_time_delta, 2),
                symmetry=round(e.symmetry, 3),
                expected=e.expected,
                p_value=e.p_value,
                weight_fast=e.weight_fast,
            )
            for e in flagged[:INLINE]
        ],
        evidence=[
            EvidenceRow(
                group=e.group,
                object=e.object,
                first=e.first,
                first_video=e.first_video,
                first_time=_iso(e.first_time),
                second=e.second,
                second_video=e.second_video,
                delta_seconds=e.delta_seconds,
            )
            for e in r.evidence[:INLINE]
        ],
        message=message,
        caveat=CAVEAT,
        citations=CITATIONS,
        file=str(out_path) if out_path else None,
        text=text,
    )
