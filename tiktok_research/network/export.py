"""Graphs to files: GEXF for Gephi, GraphML, CSV (edges and nodes) and Parquet.

GEXF avoids Gephi's traps: numbers that can pass 2^31 (views, followers, video
counts) are written as ``long``, ``modularity_class`` as the 32-bit ``integer``
Gephi's own Modularity writes; control characters that XML forbids are removed
from labels; no attribute is ever None (an unknown value is left out for that
node) and no value is a list (networkx would read it as a dynamic spell). The
edge weight is GEXF's own ``weight``.
"""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ..errors import UsageError
from .build import Graph

FORMATS = {".gexf": "gexf", ".graphml": "graphml", ".csv": "csv", ".parquet": "parquet"}
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def format_of(path: str | Path) -> str:
    """The format an output path names; a usage error (before any work) otherwise."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"cannot tell the graph format from {str(path)!r}: end it in " + ", ".join(FORMATS)
        )
    return FORMATS[suffix]


def clean(text: str) -> str:
    """Text XML can hold."""
    return _XML_ILLEGAL.sub("", text)


def node_table(g: Graph, membership: np.ndarray | None) -> pa.Table:
    cols: dict[str, pa.Array] = {
        "id": pa.array(g.ids, pa.string()),
        "label": pa.array([clean(x) for x in g.labels], pa.string()),
        "type": pa.array(g.node_type, pa.string()),
    }
    for name, values in g.attrs.items():
        cols[name] = pa.array([None if v < 0 else int(v) for v in values], pa.int64())
    if membership is not None:
        cols["modularity_class"] = pa.array(membership.astype(np.int32), pa.int32())
    return pa.table(cols)


def edge_table(g: Graph) -> pa.Table:
    ids = np.asarray(g.ids, dtype=object)
    integral = bool(np.all(g.weight == np.round(g.weight)))
    return pa.table(
        {
            "source": pa.array(ids[g.src], pa.string()),
            "target": pa.array(ids[g.dst], pa.string()),
            "weight": pa.array(g.weight.astype(np.int64) if integral else g.weight),
        }
    )


def to_networkx(g: Graph, membership: np.ndarray | None) -> nx.Graph:
    """A networkx graph with only values GEXF and GraphML carry safely."""
    G: nx.Graph = nx.DiGraph() if g.directed else nx.Graph()
    for i, node in enumerate(g.ids):
        data: dict[str, object] = {"label": clean(g.labels[i]), "type": g.node_type[i]}
        for name, values in g.attrs.items():
            if values[i] >= 0:
                data[name] = int(values[i])  # a Python int: written as long
        if membership is not None:
            data["modularity_class"] = np.int32(membership[i])  # Gephi's 32-bit integer
        G.add_node(clean(node), **data)
    ids = [clean(x) for x in g.ids]
    integral = bool(np.all(g.weight == np.round(g.weight)))
    for s, t, w in zip(g.src.tolist(), g.dst.tolist(), g.weight.tolist(), strict=True):
        G.add_edge(ids[s], ids[t], weight=int(w) if integral else float(w))
    return G


def write(g: Graph, path: str | Path, membership: np.ndarray | None = None) -> Path:
    """Write ``g`` in the format its extension names (CSV and Parquet: also a node table
    next to the edge list, ``<name>.nodes.csv`` / ``.nodes.parquet``)."""
    path = Path(path)
    fmt = format_of(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("gexf", "graphml"):
        G = to_networkx(g, membership)
        if fmt == "gexf":
            nx.write_gexf(G, path, version="1.2draft")
        else:
            nx.write_graphml(G, path)
        return path
    nodes_path = path.with_name(path.stem + ".nodes" + path.suffix)
    if fmt == "csv":
        pacsv.write_csv(edge_table(g), path)
        pacsv.write_csv(node_table(g, membership), nodes_path)
    else:
        pq.write_table(edge_table(g), path)
        pq.write_table(node_table(g, membership), nodes_path)
    return path
