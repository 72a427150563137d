"""study_design: which way to TikTok data fits a research question, ranked, with reasons.

Give the research question, the type of study and your constraints (where you
are, your institution, whether you have Research API approval, how much time
and money you have, what data you need). You get the access routes ranked
with the reasons behind each position, the timeline, the data each route does
and does not give, the analyses that fit, the limitations to report, and the
sources - plus the same as text to show the researcher.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator

from .. import guidance
from .contract import Annotations, ToolContext

NAME = "study_design"
TITLE = "Recommend a TikTok study design"
ANNOTATIONS = Annotations(read_only=True, idempotent=True, open_world=False)

EEA = {
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
    "IS",
    "LI",
    "NO",
}
Need = Literal[
    "video_metadata",
    "comments",
    "transcripts",
    "follower_networks",
    "video_files",
    "recommendation_data",
    "exposure_data",
    "user_level_behaviour",
]


class Input(BaseModel):
    research_question: str = Field(min_length=3, description="The question the study answers.")
    research_type: str = Field(
        description="One of: trend, content, network, longitudinal, "
        "comparative, coordinated_behaviour, political_communication, "
        "health_communication."
    )
    country: str | None = Field(
        None,
        description="ISO country code of your institution, e.g. DE; decides EU DSA eligibility.",
    )
    region: str | None = Field(None, description="Region the study is about (ISO code), if any.")
    institution: Literal["university", "nonprofit", "company", "independent"] = Field(
        "university", description="Kind of organisation you research at."
    )
    approval_status: Literal["none", "applied", "approved"] = Field(
        "none", description="Your TikTok Research API approval."
    )
    budget: Literal["none", "low", "medium", "high"] = Field(
        "low", description="Money for participants, services or tools."
    )
    weeks_available: int | None = Field(None, ge=0, description="Weeks until data is needed.")
    period_start: date | None = Field(None, description="First day of the period studied.")
    period_end: date | None = Field(None, description="Last day of the period studied.")
    needs: list[Need] = Field(
        default_factory=list,
        description="Data the study cannot do without, e.g. video_files or recommendation_data.",
    )

    @field_validator("research_type")
    @classmethod
    def _known_type(cls, v: str) -> str:
        types = guidance.load().research_types
        if v not in types:
            raise ValueError(f"unknown research_type {v!r}; choose one of {', '.join(types)}")
        return v

    @field_validator("country", "region")
    @classmethod
    def _upper(cls, v: str | None) -> str | None:
        return v.strip().upper() if v else v


class RankedRoute(BaseModel):
    id: str
    name: str
    score: float
    rationale: list[str]
    timeline: str
    data_you_get: list[str]
    data_you_do_not_get: list[str]
    limits: list[str]
    steps: list[str] = Field(description="How to get access by this route, in order.")
    pitfalls: list[str] = Field(description="What goes wrong for researchers on this route.")
    ratings: dict[str, str]
    sources: list[str]


class Output(BaseModel):
    research_question: str
    research_type: str
    research_type_name: str
    ranked_routes: list[RankedRoute]
    not_recommended: list[RankedRoute] = Field(
        default_factory=list, description="Routes considered and ruled out, with the reasons."
    )
    analyses: list[str]
    limitations: list[str]
    sources: list[str]
    text: str


def _facts(inp: Input) -> dict[str, Any]:
    """The request as the ranking conditions see it."""
    past = inp.period_end is not None and inp.period_end < date.today() - timedelta(days=30)
    return {
        "research_type": inp.research_type,
        "country": inp.country,
        "region": inp.region,
        "in_eea": (inp.country in EEA) if inp.country else None,
        "institution": inp.institution,
        "approval_status": inp.approval_status,
        "budget": inp.budget,
        "weeks_available": inp.weeks_available,
        "needs": list(inp.needs),
        "timeframe_past": past,
    }


def _timeline(route: guidance.Route, inp: Input) -> str:
    if route.id == "research_api" and inp.approval_status == "approved":
        return "now (approved)"
    span = route.weeks_to_access
    if span.max == 0:
        return "now"
    return f"about {span.min}-{span.max} weeks" if span.min != span.max else f"{span.max} weeks"


def run(inp: Input, ctx: ToolContext | None = None) -> Output:
    g = guidance.load()
    rtype = g.research_types[inp.research_type]
    facts = _facts(inp)
    weights = {r.route: r for r in rtype.routes}
    ranked: list[Any] = []
    ruled_out: list[Any] = []
    for route in g.routes.values():
        fit = weights.get(route.id)
        score = float(fit.weight) if fit else 0.0
        why = [fit.why] if fit else []
        for adj in g.adjustments:
            if route.id in adj.routes and guidance.evaluate(adj.when, facts):
                score += adj.add
                why.append(adj.why)
        score += sum(route.scores.values()) / 20  # ties: the seed's ratings decide
        if not why:
            continue  # nothing connects this route to the study
        entry = RankedRoute(
            id=route.id,
            name=route.name,
            score=round(score, 2),
            rationale=why,
            timeline=_timeline(route, inp),
            data_you_get=route.data_you_get,
            data_you_do_not_get=route.data_you_do_not_get,
            limits=route.limits,
            steps=route.steps,
            pitfalls=route.pitfalls,
            ratings=dict(route.ratings),
            sources=[s.cite() for s in route.sources],
        )
        (ranked if score > 0 else ruled_out).append(entry)
    ranked.sort(key=lambda r: (-r.score, r.id))
    ruled_out.sort(key=lambda r: (-r.score, r.id))
    limitations = [p.text for p in g.common_pitfalls] + rtype.pitfalls
    sources = list(
        dict.fromkeys(
            [s.cite() for s in rtype.sources]
            + [s.cite() for p in g.common_pitfalls for s in p.sources]
        )
    )
    out = Output(
        research_question=inp.research_question,
        research_type=rtype.id,
        research_type_name=rtype.name,
        ranked_routes=ranked,
        not_recommended=ruled_out,
        analyses=rtype.analyses,
        limitations=limitations,
        sources=sources,
        text="",
    )
    out.text = guidance.render("study_design.j2", design=out, request=inp)
    return out
