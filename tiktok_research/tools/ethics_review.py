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

from pydantic import BaseModel, ConfigDict, Field

from .. import guidance
from ..errors import UsageError
from .contract import Annotations, ToolContext

NAME = "ethics_review"
TITLE = "Review a study plan's ethics"
ANNOTATIONS = Annotations(read_only=True, idempotent=True, open_world=False)
SEVERITIES = ("blocker", "high", "medium", "low")


class _Part(BaseModel):
    # a misspelt key must not silently turn a safeguard into "not given"
    model_config = ConfigDict(extra="forbid")


class Identifiability(_Part):
    collects: list[str] = Field(
        default_factory=list,
        description="What is collected, e.g. video_metadata, hashtags, usernames, user_ids, "
        "comments, bios, video_files.",
    )
    pseudonymisation: bool | None = Field(None, description="Usernames and ids pseudonymised.")


class Storage(_Part):
    location: str | None = Field(None, description="Where the data is kept.")
    encrypted: bool | None = None
    access_control: bool | None = Field(None, description="Only the team can read it.")


class Retention(_Part):
    months: int | None = Field(None, ge=0, description="How long the data is kept.")
    unlimited: bool | None = None


class Refresh(_Part):
    every_days: int | None = Field(None, ge=0, description="How often stored data is refreshed.")
    deletes_unavailable: bool | None = Field(
        None, description="Deletes what is no longer available on TikTok."
    )


class Sharing(_Part):
    raw_data: bool | None = Field(None, description="Raw data shared beyond the team.")
    ids_only: bool | None = Field(None, description="Only ids are shared (for rehydration).")
    aggregate_only: bool | None = Field(None, description="Only aggregates are published.")


class Quoting(_Part):
    verbatim_quotes: bool | None = None
    identifiable_examples: bool | None = None
    screenshots: bool | None = None
    usernames: bool | None = Field(None, description="Usernames appear in publications.")
    paraphrase: bool | None = Field(None, description="Quotes are paraphrased.")


class Consent(_Part):
    obtained: bool | None = None
    needed: bool | None = None


class Jurisdiction(_Part):
    researcher_country: str | None = Field(None, description="ISO country code.")
    transfer_outside_eea: bool | None = None
    safeguards: list[str] = Field(
        default_factory=list, description="Transfer safeguards, e.g. standard contractual clauses."
    )


class EthicsApproval(_Part):
    status: (
        Literal[
            "approved",
            "exempt",
            "pending",
            "applied",
            "submitted",
            "none",
            "not_applied",
            "rejected",
        ]
        | None
    ) = None
    board: str | None = None


class StudyPlan(_Part):
    """A study plan as the checks read it (``tiktok-research ethics-review --example``)."""

    title: str | None = None
    questions: list[str] = Field(default_factory=list)
    research_type: str | None = None
    data_sources: list[str] = Field(
        default_factory=list,
        description="research_api, dsa_vetted, datasets, data_donation, zeeschuimer, scraping, ...",
    )
    populations: list[str] = Field(
        default_factory=list, description="Whose data, e.g. adult creators, minors, patients."
    )
    topics: list[str] = Field(default_factory=list, description="e.g. elections, health.")
    identifiability: Identifiability | None = None
    storage: Storage | None = None
    retention: Retention | None = None
    refresh: Refresh | None = None
    sharing: Sharing | None = None
    quoting: Quoting | None = None
    consent: Consent | None = None
    jurisdiction: Jurisdiction | None = None
    ethics_approval: EthicsApproval | None = None
    dpia: bool | None = Field(None, description="A data protection impact assessment was done.")
    prepublication_notice: bool | None = Field(
        None, description="TikTok receives the draft before publication (Research API terms)."
    )
    legal_basis: str | None = Field(
        None, description="e.g. GDPR Art. 6(1)(e) and 9(2)(j) with Art. 89 safeguards."
    )
    commercial_purpose: bool | None = Field(
        None, description="The study or its data serve a commercial purpose."
    )
    recipients: list[str] = Field(
        default_factory=list,
        description="Who receives the data or results, e.g. journals, a funder, a company.",
    )
    researcher_safety_plan: bool | None = Field(
        None, description="The team has a plan for its own safety (harassment, doxxing)."
    )
    small_cell_threshold: int | None = Field(
        None, ge=0, description="Smallest count published in a table."
    )


class Input(BaseModel):
    plan: StudyPlan = Field(description="The study plan to review.")


class Finding(BaseModel):
    id: str
    severity: Literal["blocker", "high", "medium", "low"]
    title: str
    finding: str
    criterion: str
    mitigation: str
    sources: list[str]
    merged: list[str] = Field(
        default_factory=list, description="Findings this one contains and replaces."
    )


def _merge(findings: list[Finding], supersedes: dict[str, list[str]]) -> list[Finding]:
    """Fold the findings an escalation contains into it: one finding per problem."""
    by_id = {f.id: f for f in findings}
    gone: set[str] = set()
    for f in findings:
        for part in supersedes.get(f.id, []):
            if part in by_id:
                f.merged.append(part)
                f.sources = list(dict.fromkeys(f.sources + by_id[part].sources))
                gone.add(part)
    return [f for f in findings if f.id not in gone]


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
    warnings: list[str] = Field(
        default_factory=list, description="Core plan fields missing, so checks could not run."
    )
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


def run(inp: Input, ctx: ToolContext | None = None) -> Output:
    g = guidance.load()
    # what the plan says, as written: the conditions treat an absent field as not given
    plan = inp.plan.model_dump(mode="json", exclude_unset=True)
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
    findings = _merge(findings, {r.id: r.supersedes for r in g.rules})
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
    missing = [f for f in ("data_sources", "populations", "topics") if not plan.get(f)]
    out = Output(
        warnings=[
            f"the plan does not say {', '.join(missing)}: the checks that read "
            f"{'them' if len(missing) > 1 else 'it'} could not fire"
        ]
        if missing
        else [],
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
