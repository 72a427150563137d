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

from pydantic import BaseModel, Field, field_validator, model_validator

from .. import api_spec, guidance
from ..api import budget
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
#: country names people type, to suggest the code
COUNTRY_NAMES = {
    "germany": "DE", "deutschland": "DE", "france": "FR", "spain": "ES", "italy": "IT",
    "netherlands": "NL", "austria": "AT", "switzerland": "CH", "united kingdom": "GB",
    "england": "GB", "britain": "GB", "great britain": "GB", "united states": "US", "usa": "US",
    "america": "US", "canada": "CA", "australia": "AU", "brazil": "BR", "india": "IN",
    "japan": "JP", "mexico": "MX", "poland": "PL", "sweden": "SE", "denmark": "DK",
    "norway": "NO", "finland": "FI", "belgium": "BE", "ireland": "IE", "portugal": "PT",
    "greece": "GR", "turkey": "TR", "indonesia": "ID", "philippines": "PH", "nigeria": "NG",
    "kenya": "KE", "south africa": "ZA", "argentina": "AR", "chile": "CL", "colombia": "CO",
}  # fmt: skip
EU = EEA - {"IS", "LI", "NO"}
#: the region names routes use (``eligible_regions``) -> ISO codes; other names are codes
REGION_GROUPS = {"EEA": EEA, "EU": EU, "UK": {"GB"}}


def iso_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 code; UK is read as GB, a country name gets a suggestion."""
    v = value.strip()
    code = v.upper()
    if code == "UK":
        return "GB"
    if code in api_spec.REGION_CODES:
        return code
    hint = COUNTRY_NAMES.get(v.lower())
    raise ValueError(
        f"{value!r} is not an ISO 3166-1 country code"
        + (f"; did you mean {hint}?" if hint else " (two letters, e.g. DE, US, GB)")
    )


def eligibility(route: guidance.Route, country: str | None, institution: str) -> str | None:
    """Why the researcher may not use ``route`` (None: eligible, or not known to be barred)."""
    if institution not in route.eligible_institutions:
        allowed = ", ".join(route.eligible_institutions)
        return f"open to {allowed} researchers, not {institution}"
    regions = set(route.eligible_regions)
    if country is None or "ANY" in regions:
        return None
    ok = any(country in REGION_GROUPS.get(r, {r}) for r in regions)
    return None if ok else f"open to researchers in {', '.join(sorted(regions))}, not {country}"


Need = Literal[
    "video_metadata",
    "comments",
    "transcripts",
    "follower_networks",
    "video_files",
    "recommendation_data",
    "exposure_data",
    "user_level_behaviour",
    "ads",
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

    expected_videos: int | None = Field(
        None,
        ge=0,
        description="Videos you expect to collect over the whole period; gives the "
        "Research API requests and quota days the plan needs.",
    )
    comments_per_video: int | None = Field(
        None,
        ge=0,
        description="Comments to collect per video (the API lists the top 1,000); "
        "assumed 100 when comments are needed and this is not given.",
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
    def _iso(cls, v: str | None) -> str | None:
        return iso_country(v) if v else v

    @model_validator(mode="after")
    def _period(self) -> Input:
        if self.period_start and self.period_end and self.period_start > self.period_end:
            raise ValueError(
                f"period_start {self.period_start} is after period_end {self.period_end}"
            )
        return self


class RankedRoute(BaseModel):
    id: str
    name: str
    score: float = Field(description="Fit to this study (the ranking's sum; higher is better).")
    eligibility: list[str] = Field(description="Who may use this route.")
    not_available_because: str | None = Field(
        None, description="Why this researcher cannot use it (then it is not ranked)."
    )
    rationale: list[str]
    timeline: str
    data_you_get: list[str]
    data_you_do_not_get: list[str]
    limits: list[str]
    steps: list[str] = Field(description="How to get access by this route, in order.")
    pitfalls: list[str] = Field(description="What goes wrong for researchers on this route.")
    ratings: dict[str, str]
    sources: list[str]
    caveats: list[str] = Field(
        default_factory=list, description="Known data-quality problems of this route, sourced."
    )


class Quota(budget.Budget):
    """Research API requests and quota days the planned collection needs (an upper bound)."""

    fits_time_available: bool | None = Field(
        None, description="Whether the days fit the weeks available (None: not given)."
    )


class Output(BaseModel):
    research_question: str
    research_type: str
    research_type_name: str
    ranked_routes: list[RankedRoute]
    not_recommended: list[RankedRoute] = Field(
        default_factory=list, description="Routes considered and ruled out, with the reasons."
    )
    not_available: list[RankedRoute] = Field(
        default_factory=list, description="Routes this researcher is not eligible for, and why."
    )
    matching_datasets: list[str] = Field(
        default_factory=list, description="Catalogue datasets that match the question and period."
    )
    quota: Quota | None = Field(
        None, description="Research API requests and days for expected_videos, if given."
    )
    request: dict[str, Any] = Field(default_factory=dict, description="The inputs, as read.")
    notes: list[str] = Field(default_factory=list)
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
        "study_in_eu": (inp.region in EU) if inp.region else None,
        "institution": inp.institution,
        "approval_status": inp.approval_status,
        "budget": inp.budget,
        "weeks_available": inp.weeks_available,
        "needs": list(inp.needs),
        "timeframe_past": past,
    }


def _approved(route: guidance.Route, inp: Input) -> bool:
    """The researcher already has access by this route (approval_status is the Research API's)."""
    return route.id == "research_api" and inp.approval_status == "approved"


def _timeline(route: guidance.Route, inp: Input) -> str:
    if _approved(route, inp):
        return "now (approved)"
    span = route.weeks_to_access
    if span.max == 0:
        return "now"
    text = f"about {span.min}-{span.max} weeks" if span.min != span.max else f"{span.max} weeks"
    return f"{text} {span.note}" if span.note else text


def _matching_datasets(inp: Input) -> list[str]:
    """Catalogue datasets the dataset finder matches for this question and period."""
    from . import dataset_finder

    found = dataset_finder.run(
        dataset_finder.Input(
            topic=inp.research_question,
            period_start=inp.period_start,
            period_end=inp.period_end,
            max_results=5,
        )
    )
    period = inp.period_start is not None or inp.period_end is not None
    # a topic must match (3 points), not a stray word of the description; and for a study with
    # a period, the dataset must be known to cover part of it (an unknown period is no match)
    return [
        f"{m.name} ({m.link})"
        for m in found.matches
        if m.score >= 3 and (m.covers_period or not period)
    ]


def quota(inp: Input) -> Quota | None:
    """The plan's quota arithmetic, when the researcher says how many videos they expect."""
    if inp.expected_videos is None:
        return None
    per_video = inp.comments_per_video
    assumed = []
    if per_video is None:
        per_video = 100 if "comments" in inp.needs else 0
        if per_video:
            assumed.append("100 comments per video assumed (give comments_per_video)")
    est = budget.estimate(
        inp.expected_videos, inp.period_start, inp.period_end, comments_per_video=per_video
    )
    fits = None if inp.weeks_available is None else est.days <= inp.weeks_available * 7
    return Quota(
        **est.model_dump(exclude={"assumptions"}),
        assumptions=est.assumptions + assumed,
        fits_time_available=fits,
    )


def _notes(inp: Input, q: Quota | None) -> list[str]:
    notes = ["UK was read as GB (ISO 3166-1)."] if inp.country == "GB" else []
    if q is not None and q.fits_time_available is False:
        notes.append(
            f"The planned collection takes {q.days} days of Research API quota, more than the "
            f"{inp.weeks_available} weeks available: collect fewer videos or a shorter period, "
            "or sample."
        )
    return notes


def run(inp: Input, ctx: ToolContext | None = None) -> Output:
    g = guidance.load()
    rtype = g.research_types[inp.research_type]
    facts = _facts(inp)
    weights = {r.route: r for r in rtype.routes}
    ranked: list[Any] = []
    ruled_out: list[Any] = []
    barred: list[Any] = []
    matches = _matching_datasets(inp)
    facts["datasets_match"] = bool(matches)
    for route in g.routes.values():
        fit = weights.get(route.id)
        score = float(fit.weight) if fit else 0.0
        why = [fit.why] if fit else []
        for adj in g.adjustments:
            if route.id in adj.routes and guidance.evaluate(adj.when, facts):
                score += adj.add
                why.append(adj.why)
        score += sum(route.scores.values()) / 20  # ties: the seed's ratings decide
        if route.id == "existing_datasets" and matches:
            why.append("matching catalogue datasets: " + "; ".join(matches[:3]))
        if not why:
            continue  # nothing connects this route to the study
        reason = eligibility(route, inp.country, inp.institution)
        steps = route.steps
        if _approved(route, inp):
            steps = steps[route.application_steps :]  # already approved: no applying and waiting
        entry = RankedRoute(
            id=route.id,
            name=route.name,
            score=round(score, 2),
            eligibility=route.eligibility,
            not_available_because=reason,
            rationale=why,
            timeline=_timeline(route, inp),
            data_you_get=route.data_you_get,
            data_you_do_not_get=route.data_you_do_not_get,
            limits=route.limits,
            steps=steps,
            pitfalls=route.pitfalls,
            ratings=dict(route.ratings),
            sources=[s.cite() for s in route.sources],
            caveats=[
                f"{f.text} ({'; '.join(s.cite() for s in f.sources)})"
                for f in g.facts
                if route.id in f.routes
            ],
        )
        if reason or score <= 0:
            # limits and pitfalls only for the routes recommended
            entry.limits, entry.pitfalls, entry.caveats = [], [], []
        (barred if reason else ranked if score > 0 else ruled_out).append(entry)
    ranked.sort(key=lambda r: (-r.score, r.id))
    ruled_out.sort(key=lambda r: (-r.score, r.id))
    limitations = [p.text for p in g.common_pitfalls] + rtype.pitfalls
    q = quota(inp)
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
        not_available=barred,
        matching_datasets=matches,
        quota=q,
        request=inp.model_dump(mode="json"),
        notes=_notes(inp, q),
        analyses=rtype.analyses,
        limitations=limitations,
        sources=sources,
        text="",
    )
    out.text = guidance.render("study_design.j2", design=out, request=inp)
    return out
