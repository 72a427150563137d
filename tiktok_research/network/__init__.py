"""Networks from stored TikTok metadata: incidence, projections without pair loops,
communities and centrality, coordination, and exports Gephi reads."""

from .build import Graph, GraphKind, build
from .incidence import KINDS, Kind, incidence
from .projection import DEFAULT_MAX_OBJECT_DEGREE, count_pairs, prune

__all__ = [
    "DEFAULT_MAX_OBJECT_DEGREE",
    "KINDS",
    "Graph",
    "GraphKind",
    "Kind",
    "build",
    "count_pairs",
    "incidence",
    "prune",
]
