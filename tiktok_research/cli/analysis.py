"""``analyze`` and ``trends``: generated from the metadata_analysis and trend_lifecycle tools."""

from __future__ import annotations

import typer

from ..tools import TOOLS
from .from_tool import tool_command

app = typer.Typer()

#: the selection options, named as on the other commands
SELECTION = {
    "regions": "--region",
    "hashtags": "--hashtag",
    "keywords": "--keyword",
    "runs": "--run",
    "sources": "--source",
}

app.command("analyze")(
    tool_command(
        TOOLS["metadata_analysis"],
        names=SELECTION,
        summary="Hashtags, engagement, posting times, sounds, creators and trends of stored "
        "videos.",
    )
)
app.command("trends")(
    tool_command(
        TOOLS["trend_lifecycle"],
        names=SELECTION,
        summary="Hashtags, sounds or keywords that burst, with onset, peak, half-life, shape "
        "and status.",
    )
)
app.command("network")(
    tool_command(
        TOOLS["network_builder"],
        names=SELECTION,
        summary="Account networks of shared sounds, hashtags, mentions or duets, with "
        "communities; GEXF for Gephi, GraphML, CSV or Parquet.",
    )
)
app.command("coordination")(
    tool_command(
        TOOLS["coordination_detector"],
        names=SELECTION,
        summary="Accounts that post the same sound, caption or hashtag within seconds, more "
        "often than chance explains (or by CooRTweet's rule).",
    )
)
app.command("report")(
    tool_command(
        TOOLS["report_builder"],
        names=SELECTION,
        summary="One self-contained HTML report: figures, network, coordination, compliance "
        "and a methods appendix from provenance.",
    )
)
