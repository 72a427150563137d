"""``design``, ``datasets search`` and ``ethics-review``: advice from the guidance."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from ..tools import dataset_finder, study_design
from .common import JsonOption, emit, guarded

app = typer.Typer()


def _tool(module, data: dict, as_json: bool, **run_kw) -> None:
    from pydantic import ValidationError

    try:
        inp = module.Input.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise UsageError(f"{where}: {err['msg']}") from None
    out = module.run(inp, **run_kw)
    emit(out.model_dump(mode="json"), as_json, out.text)


def _described(fields: dict) -> dict[str, str]:
    """Option help from a tool's model: its description, and its choices if it has some."""
    import typing

    out = {}
    for name, f in fields.items():
        choices = typing.get_args(f.annotation)
        if typing.get_origin(f.annotation) is list:
            choices = typing.get_args(choices[0]) if choices else ()
        text = f.description or ""
        if choices and all(isinstance(c, str) for c in choices):
            text += f" Choices: {', '.join(choices)}."
        out[name] = text
    return out


# The tools' pydantic models are the one place an option's meaning is written.
_SD = _described(study_design.Input.model_fields)
_DF = _described(dataset_finder.Input.model_fields)


@app.command("design")
@guarded
def design_cmd(
    question: Annotated[str, typer.Argument(help=_SD["research_question"])],
    research_type: Annotated[str, typer.Option("--type", help=_SD["research_type"])],
    country: Annotated[str | None, typer.Option(help=_SD["country"])] = None,
    region: Annotated[str | None, typer.Option(help=_SD["region"])] = None,
    institution: Annotated[str, typer.Option(help=_SD["institution"])] = "university",
    approval: Annotated[str, typer.Option(help=_SD["approval_status"])] = "none",
    budget: Annotated[str, typer.Option(help=_SD["budget"])] = "low",
    weeks: Annotated[int | None, typer.Option(help=_SD["weeks_available"])] = None,
    since: Annotated[str | None, typer.Option(help=_SD["period_start"])] = None,
    until: Annotated[str | None, typer.Option(help=_SD["period_end"])] = None,
    need: Annotated[list[str] | None, typer.Option(help=f"{_SD['needs']} (repeatable)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Rank the ways to get TikTok data for a research question, with reasons and sources."""
    _tool(
        study_design,
        {
            "research_question": question,
            "research_type": research_type,
            "country": country,
            "region": region,
            "institution": institution,
            "approval_status": approval,
            "budget": budget,
            "weeks_available": weeks,
            "period_start": since,
            "period_end": until,
            "needs": need or [],
        },
        as_json,
    )


datasets_app = typer.Typer(help="Existing TikTok datasets.", no_args_is_help=True)
app.add_typer(datasets_app, name="datasets")


@datasets_app.command("search")
@guarded
def datasets_search(
    topic: Annotated[str, typer.Argument(help=_DF["topic"])],
    keyword: Annotated[
        list[str] | None, typer.Option(help=f"{_DF['keywords']} (repeatable)")
    ] = None,
    since: Annotated[str | None, typer.Option(help=_DF["period_start"])] = None,
    until: Annotated[str | None, typer.Option(help=_DF["period_end"])] = None,
    field: Annotated[
        list[str] | None, typer.Option(help=f"{_DF['fields_needed']} (repeatable)")
    ] = None,
    access: Annotated[str, typer.Option(help=_DF["access"])] = "any",
    live: Annotated[bool, typer.Option(help=_DF["live"])] = False,
    limit: Annotated[int, typer.Option(help="Most matches shown.")] = 5,
    as_json: JsonOption = False,
) -> None:
    """Find citable TikTok datasets that fit a topic, period and data needs."""
    _tool(
        dataset_finder,
        {
            "topic": topic,
            "keywords": keyword or [],
            "period_start": since,
            "period_end": until,
            "fields_needed": field or [],
            "access": access,
            "live": live,
            "max_results": limit,
        },
        as_json,
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
    _tool(ethics_review, {"plan": ethics_review.read_plan(plan)}, as_json)
