"""ethics_review: check a TikTok study plan against ethics and data-protection criteria.

Give the plan (YAML or JSON, fields as in ``guidance/ethics.yaml``'s
``example_plan``: questions, data sources, populations, topics,
identifiability, storage, retention, refresh, sharing, quoting, consent,
jurisdiction, ethics approval, DPIA). You get findings with severity
(blocker, high, medium, low), the criterion and its source and a concrete
mitigation; an overall verdict; the AoIR questions to work through; and the
ethics part of a machine-actionable DMP (RDA DMP Common Standard).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from .. import guidance
from ..errors import UsageError

NAME = "ethics_review"
TITLE = "Review a study plan's ethics"
SEVERITIES = ("blocker", "high", "medium", "low")


class Input(BaseModel):
    plan: dict[str, Any] = Field(
        description="The study plan: questions, data_sources, "
        "populations, topics, identifiability, storage, retention, "
        "refresh, sharing, quoting, consent, jurisdiction, "
        "ethics_approval, dpia, small_cell_threshold."
    )


class Finding(BaseModel):
    id: str
    severity: Literal["blocker", "high", "medium", "low"]
    title: str
    finding: str
    criterion: str
    mitigation: str
    sources: list[str]


class DmpDataset(BaseModel):
    title: str
    personal_data: Literal["yes", "no", "unknown"]
    sensitive_data: Literal["yes", "no", "unknown"]


class Dmp(BaseModel):
    """The ethics fields of the RDA DMP Common Standard (dmp.* and dmp.dataset[].*)."""

    ethical_issues_exist: Literal["yes", "no", "unknown"]
    ethical_issues_description: str
    dataset: list[DmpDataset]


class Output(BaseModel):
    verdict: Literal["blocker", "high", "medium", "low", "none"]
    verdict_text: str
    counts: dict[str, int]
    findings: list[Finding]
    aoir_questions: dict[str, list[str]]
    dmp: Dmp
    text: str


def read_plan(path: str | Path) -> dict[str, Any]:
    """A plan from a YAML or JSON file (JSON is YAML)."""
    return guidance.read_mapping(Path(path), "plan file", UsageError)


class _Fill(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _text(template: str, plan: dict[str, Any]) -> str:
    values = {k: ", ".join(map(str, v)) if isinstance(v, list) else v for k, v in plan.items()}
    return template.format_map(_Fill(values))


def run(inp: Input) -> Output:
    g = guidance.load()
    plan = inp.plan
    unknown = sorted(set(plan) - g.plan_fields())
    if unknown:
        raise UsageError(
            f"unknown plan field(s) {unknown}; the checks know: "
            f"{', '.join(sorted(g.plan_fields()))}"
        )
    findings = [
        Finding(
            id=r.id,
            severity=r.severity,
            title=r.title,
            finding=_text(r.finding, plan),
            criterion=r.criterion,
            mitigation=r.mitigation,
            sources=[s.cite() for s in r.sources],
        )
        for r in g.rules
        if guidance.evaluate(r.when, plan)
    ]
    findings.sort(key=lambda f: (SEVERITIES.index(f.severity), f.id))
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITIES}
    verdict = next((s for s in SEVERITIES if counts[s]), "none")
    collects = guidance.get_path(plan, "identifiability.collects")
    if isinstance(collects, list):
        personal = "yes" if set(collects) & set(g.dmp.personal_fields) else "no"
    else:
        personal = "unknown"
    fired = {f.id for f in findings}
    sensitive = "yes" if fired & set(g.dmp.sensitive_rules) else "no"
    description = (
        "; ".join(f"{f.title}: {f.mitigation}" for f in findings)
        or "No ethical issues found by the automated checks."
    )
    dmp = Dmp(
        ethical_issues_exist="yes" if findings or personal == "yes" else "no",
        ethical_issues_description=description,
        dataset=[
            DmpDataset(
                title=str(plan.get("title") or "TikTok data"),
                personal_data=personal,
                sensitive_data=sensitive,
            )
        ],
    )
    out = Output(
        verdict=verdict,
        verdict_text=g.verdicts[verdict],
        counts=counts,
        findings=findings,
        aoir_questions={s.stage: s.questions for s in g.aoir_stages},
        dmp=dmp,
        text="",
    )
    out.text = guidance.render(
        "ethics_review.j2", review=out, plan=plan, aoir_sources=[s.cite() for s in g.aoir_sources]
    )
    return out
