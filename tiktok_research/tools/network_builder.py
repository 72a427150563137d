"""network_builder: who is connected to whom through sounds, hashtags, mentions and duets.

Builds, from a selection of the study database, the account network of shared
objects (accounts linked by the sounds, hashtags, mention targets or duet
sources they both used; weight = how many, or Newman's 1/(k-1) weighting), the
bipartite account-object graph, the directed mention graph (author ->
mentioned account), the directed duet graph (author -> source video's author)
or the hashtag co-occurrence graph. Objects used by more than
``max_object_degree`` accounts (a viral sound) are left out of projections and
reported one by one; ``min_weight`` and ``top_k`` prune further and are
reported too. Communities come from Leiden (modularity; the same seed gives
the same result) as the node attribute ``modularity_class``, the name Gephi's
own Modularity uses; degree, strength and betweenness rank the top accounts.
Writes GEXF (for Gephi), GraphML, CSV (edges plus ``.nodes.csv``) or Parquet,
chosen by the extension of ``out``.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, Field, field_validator

from ..network import DEFAULT_MAX_OBJECT_DEGREE, Kind, build
from ..network.communities import structure
from ..network.export import format_of, write
from .common import SelectionInput, frames_for, split_list
from .contract import Annotations, ToolContext

NAME = "network_builder"
TITLE = "Build a network and its communities"
ANNOTATIONS = Annotations(read_only=False, destructive=False, idempotent=True, open_world=False)
INLINE = 20


def _sound() -> list[Kind]:
    return ["sound"]


class Input(SelectionInput):
    by: Annotated[list[Kind], BeforeValidator(split_list)] = Field(
        default_factory=_sound,
        min_length=1,
        description="Objects that link accounts: sound, hashtag, mention, duet (several: "
        "combined). mention or duet alone give the directed mention or duet graph.",
    )
    graph: Literal["accounts", "bipartite", "mentions", "duets", "hashtags"] | None = Field(
        None,
        description="accounts (shared objects), bipartite, mentions, duets, or hashtags "
        "(co-occurrence). Default: from by.",
    )
    bipartite: bool = Field(False, description="The account-object graph (same as graph).")
    max_object_degree: int = Field(
        DEFAULT_MAX_OBJECT_DEGREE,
        ge=2,
        description="Leave out objects used by more accounts than this (reported).",
    )
    min_weight: float = Field(0.0, ge=0, description="Drop edges lighter than this.")
    top_k: int | None = Field(None, ge=1, description="Keep each node's k heaviest edges.")
    newman: bool = Field(False, description="Weight shared objects by 1/(k-1) (Newman 2001).")
    seed: int = Field(1, description="Seed of the community detection.")
    out: str = Field(
        "network.gexf", description="File to write: .gexf, .graphml, .csv or .parquet."
    )

    @field_validator("out")
    @classmethod
    def _format(cls, v: str) -> str:
        try:
            format_of(v)
        except Exception as exc:
            raise ValueError(str(exc)) from None
        return v

    def kind(self) -> Literal["accounts", "bipartite", "mentions", "duets", "hashtags"]:
        if self.bipartite:
            return "bipartite"
        if self.graph:
            return self.graph
        if self.by == ["mention"]:
            return "mentions"
        if self.by == ["duet"]:
            return "duets"
        return "accounts"


class Community(BaseModel):
    id: int = Field(description="modularity_class (0 = the largest).")
    size: int
    top_members: list[str] = Field(description="Its strongest nodes (at most 5).")


class NodeRow(BaseModel):
    id: str
    label: str
    community: int
    degree: int
    strength: float
    betweenness: float


class DroppedObject(BaseModel):
    object: str
    label: str
    degree: int = Field(description="Accounts that used it.")
    pairs: int = Field(description="Account pairs it would have added.")


class Output(BaseModel):
    graph: str
    objects: list[str]
    directed: bool
    weighting: str
    nodes: int
    edges: int
    components: int
    largest_component: int
    modularity: float
    communities: list[Community] = Field(description="The largest communities (at most 10).")
    top_nodes: list[NodeRow] = Field(description="By strength (at most 20).")
    betweenness_sampled: bool
    dropped_objects: list[DroppedObject] = Field(description="Left out by the guard (at most 20).")
    dropped_total: int
    pruning: dict[str, int | float | None]
    notes: list[str]
    message: str | None
    file: str
    format: str
    text: str


def run(inp: Input, ctx: ToolContext) -> Output:
    kind = inp.kind()
    if kind in ("mentions", "duets") and inp.by not in (["mention"], ["duet"]):
        inp = inp.model_copy(update={"by": ["mention" if kind == "mentions" else "duet"]})
    out_path = ctx.output(inp.out, inp.out, "network file")
    with frames_for(ctx, inp) as f:
        empty = f.n == 0
        g = build(
            f,
            list(inp.by),
            graph=kind,
            max_object_degree=inp.max_object_degree,
            min_weight=inp.min_weight,
            top_k=inp.top_k,
            newman=inp.newman,
        )
    st = structure(g.n, g.src, g.dst, g.weight, directed=g.directed, seed=inp.seed)
    write(g, out_path, st.membership)
    order = np.argsort(-st.strength, kind="stable")
    communities = []
    for c in range(int(st.membership.max()) + 1 if g.n else 0):
        members = np.flatnonzero(st.membership[order] == c)[:5]
        size = int((st.membership == c).sum())
        communities.append(
            Community(id=c, size=size, top_members=[g.labels[order[m]] for m in members])
        )
        if len(communities) == 10:
            break
    top = [
        NodeRow(
            id=g.ids[i],
            label=g.labels[i],
            community=int(st.membership[i]),
            degree=int(st.degree[i]),
            strength=float(st.strength[i]),
            betweenness=round(float(st.betweenness[i]), 3),
        )
        for i in order[:INLINE]
    ]
    message = f"no videos match ({f.selection.describe()}): the graph is empty" if empty else None
    if not empty and not len(g.src):
        message = "no edges: nothing links these accounts (after the guard and pruning)"
    text = "\n".join(
        [
            f"{g.kind} network by {', '.join(g.objects)}: {g.n:,} nodes, {len(g.src):,} edges "
            f"({g.weighting}); {st.components:,} components, largest {st.largest_component:,}",
            f"  {len(communities)} largest communities (Leiden, modularity {st.modularity:.3f}): "
            + "; ".join(
                f"#{c.id} ({c.size}): {', '.join(c.top_members[:3])}" for c in communities[:5]
            ),
            f"  guard: {len(g.dropped)} object(s) used by more than {inp.max_object_degree:,} "
            "accounts left out"
            + (f" (largest: {g.dropped[0].label}, {g.dropped[0].degree:,})" if g.dropped else ""),
            f"  written: {out_path}",
            *[f"  note: {n}" for n in g.notes],
            *([f"  {message}"] if message else []),
        ]
    )
    return Output(
        graph=g.kind,
        objects=list(g.objects),
        directed=g.directed,
        weighting=g.weighting,
        nodes=g.n,
        edges=len(g.src),
        components=st.components,
        largest_component=st.largest_component,
        modularity=round(st.modularity, 4),
        communities=communities,
        top_nodes=top,
        betweenness_sampled=st.betweenness_sampled,
        dropped_objects=[DroppedObject(**d.__dict__) for d in g.dropped[:INLINE]],
        dropped_total=len(g.dropped),
        pruning=g.pruned,
        notes=g.notes,
        message=message,
        file=str(out_path),
        format=format_of(out_path),
        text=text,
    )
