"""Agent tools: one module per tool under one contract (``contract.py``).

The registry ``TOOLS`` is the single source of the CLI's tool commands, the MCP
server, ``skill.yaml`` and ``tools/*.json``.
"""

from . import (
    api_search,
    collection_status,
    compliance_refresh,
    coordination_detector,
    dataset_finder,
    donation_import,
    ethics_review,
    import_dataset,
    metadata_analysis,
    network_builder,
    report_builder,
    study_design,
    trend_lifecycle,
)
from .contract import Annotations, Tool, ToolContext

TOOLS: dict[str, Tool] = {
    t.name: t
    for t in map(
        Tool.from_module,
        (
            study_design,
            dataset_finder,
            ethics_review,
            api_search,
            import_dataset,
            collection_status,
            compliance_refresh,
            metadata_analysis,
            trend_lifecycle,
            network_builder,
            coordination_detector,
            report_builder,
            donation_import,
        ),
    )
}

__all__ = [
    "TOOLS",
    "Annotations",
    "Tool",
    "ToolContext",
    "api_search",
    "collection_status",
    "compliance_refresh",
    "coordination_detector",
    "dataset_finder",
    "donation_import",
    "ethics_review",
    "import_dataset",
    "metadata_analysis",
    "network_builder",
    "report_builder",
    "study_design",
    "trend_lifecycle",
]
