"""``design``, ``datasets search`` and ``ethics-review``: advice from the guidance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..tools import TOOLS, ToolContext
from .common import JsonOption, emit, guarded
from .from_tool import tool_command

app = typer.Typer()


app.command("design")(
    tool_command(
        TOOLS["study_design"],
        arguments=("research_question",),
        names={
            "research_type": "--type",
            "approval_status": "--approval",
            "weeks_available": "--weeks",
            "period_start": "--since",
            "period_end": "--until",
            "needs": "--need",
        },
        summary="Rank the ways to get TikTok data for a research question, with reasons and "
        "sources.",
    )
)

datasets_app = typer.Typer(help="Existing TikTok datasets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")
datasets_app.command("search")(
    tool_command(
        TOOLS["dataset_finder"],
        arguments=("topic",),
        names={
            "keywords": "--keyword",
            "period_start": "--since",
            "period_end": "--until",
            "fields_needed": "--field",
            "max_results": "--limit",
        },
        summary="Find citable TikTok datasets that fit a topic, period and data needs.",
    )
)


@app.command("ethics-review")
@guarded
def ethics_review_cmd(
    plan: Annotated[Path | None, typer.Argument(help="Study plan (YAML or JSON).")] = None,
    example: Annotated[
        bool,
        typer.Option(
            "--example",
            help="Print an example plan with every field the checks read, to start from.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Check a study plan against ethics and data-protection criteria; findings with fixes."""
    from .. import guidance
    from ..tools import ethics_review

    if example:
        import yaml

        sample = guidance.load().example_plan
        emit(sample, as_json, yaml.safe_dump(sample, sort_keys=False, allow_unicode=True))
        return
    if plan is None:
        raise UsageError("give a plan file (or --example to see one)")
    out = TOOLS["ethics_review"].call({"plan": ethics_review.read_plan(plan)}, ToolContext())
    emit(out, as_json, getattr(out, "text", None))
    if getattr(out, "verdict", None) == "blocker":
        raise typer.Exit(1)  # do not collect until the blockers are fixed
