"""Knowledge as data: load ``guidance/*.yaml``, evaluate their conditions, render ``prompts/*.j2``.

The YAML files hold what the project knows (access routes, methods, datasets,
ethics criteria, API facts), each item with its sources; a domain expert edits
them without touching Python. This module checks them on load (a malformed
entry is an error naming the file and the entry), evaluates the small
condition language the rules use, and renders the Jinja templates with
undefined variables failing loudly.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Any, Literal, get_args

import jinja2
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .errors import TikTokResearchError
from .files import read_mapping

DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$")


class GuidanceError(TikTokResearchError):
    """A guidance file or template that cannot be used."""


def _data_dir(name: str) -> Path:
    env = os.environ.get(f"TIKTOK_RESEARCH_{name.upper()}_DIR")
    here = Path(__file__).resolve().parent
    for candidate in ([Path(env)] if env else []) + [here / name, here.parent / name]:
        if candidate.is_dir():
            return candidate
    raise GuidanceError(f"cannot find the {name}/ folder next to the package ({here})")


def guidance_dir() -> Path:
    return _data_dir("guidance")


def prompts_dir() -> Path:
    return _data_dir("prompts")


# --- models of the YAML files ------------------------------------------------------------
class _Item(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Item):
    """A cited source: what it is, who wrote it and when, where to find it, when it was checked."""

    title: str = Field(min_length=3)
    authors: str | None = None  # as cited, e.g. "Corso, Pierri & De Francisci Morales"
    year: int | None = Field(None, ge=1900, le=2100)
    publisher: str | None = None  # organisation, journal, venue or site
    section: str | None = None  # the part that backs the claim
    url: str | None = None
    doi: str | None = None
    #: no public copy to point to (the project's own data or founding document)
    unpublished: bool = False
    checked: str

    @field_validator("url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not URL_RE.match(v):
            raise ValueError(f"not a URL: {v!r}")
        return v

    @field_validator("doi")
    @classmethod
    def _doi(cls, v: str | None) -> str | None:
        if v is not None and not DOI_RE.match(v):
            raise ValueError(f"not a DOI (10.xxxx/...): {v!r}")
        return v

    @model_validator(mode="after")
    def _findable(self) -> Source:
        if not (self.url or self.doi or self.unpublished):
            raise ValueError(f"source {self.title!r} needs a url or a doi (or unpublished: true)")
        return self

    def cite(self) -> str:
        who = f"{self.authors} ({self.year}). " if self.authors else ""
        when = f" ({self.year})" if self.year and not self.authors else ""
        where = "".join(f", {x}" for x in (self.publisher, self.section) if x)
        if self.doi:
            link = f" https://doi.org/{self.doi}"
        elif self.url:
            link = f" {self.url}"
        else:
            link = " Not published."
        return f"{who}{self.title}{when}{where}.{link} (checked {self.checked})"


Sources = list[Source]


class Span(_Item):
    min: int = Field(ge=0)
    max: int = Field(ge=0)
    #: what the span rests on, shown after it (e.g. whose estimate it is)
    note: str | None = None


class Route(_Item):
    id: str
    name: str
    summary: str
    eligibility: list[str]
    steps: list[str]
    #: how many of the first steps are applying for access (skipped once approved)
    application_steps: int = Field(0, ge=0)
    weeks_to_access: Span
    eligible_institutions: list[str]
    eligible_regions: list[str]
    ratings: dict[Literal["cost", "data_access", "reliability", "ethics"], str]
    scores: dict[Literal["cost", "data_access", "reliability", "ethics"], int]
    provides: list[str]
    data_you_get: list[str]
    data_you_do_not_get: list[str]
    limits: list[str]
    pitfalls: list[str]
    sources: Sources = Field(min_length=1)


class MethodRoute(_Item):
    route: str
    weight: int = Field(ge=0, le=5)
    why: str


class Pitfall(_Item):
    id: str
    text: str
    sources: Sources = Field(min_length=1)


class ResearchType(_Item):
    id: str
    name: str
    description: str
    routes: list[MethodRoute] = Field(min_length=1)
    analyses: list[str]
    needs: list[str]
    pitfalls: list[str]
    sources: Sources = Field(min_length=1)


class Adjustment(_Item):
    when: dict[str, Any]
    routes: list[str] = Field(min_length=1)
    add: float
    why: str


class Period(_Item):
    start: str
    end: str

    @field_validator("start", "end")
    @classmethod
    def _date(cls, v: str) -> str:
        if v != "unknown" and not re.match(r"^\d{4}-\d{2}-\d{2}$", str(v)):
            raise ValueError(f"expected YYYY-MM-DD or 'unknown', got {v!r}")
        return str(v)


class Dataset(_Item):
    id: str
    name: str
    creators: str
    description: str
    period: Period
    size: str
    doi: str | None = None
    url: str | None = None
    access: Literal["open", "ids", "application", "unknown"]
    fields: list[str] = Field(min_length=1)
    topics: list[str] = Field(min_length=1)
    languages: list[str]
    licence: str
    collection: str
    #: how ids are re-fetched: through the Research API, or by scraping TikTok's web app
    rehydration: Literal["research_api", "scraping", "not_needed", "unknown"] = "not_needed"
    sources: Sources = Field(min_length=1)

    _url = field_validator("url")(Source._url.__func__)  # type: ignore[attr-defined]
    _doi = field_validator("doi")(Source._doi.__func__)  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _link(self) -> Dataset:
        if self.access == "ids" and self.rehydration == "not_needed":
            raise ValueError(f"{self.id}: a dataset of ids must say how they are rehydrated")
        if not self.doi and not self.url:
            raise ValueError(f"dataset {self.id}: give a doi or a url")
        return self

    @property
    def link(self) -> str:
        return f"https://doi.org/{self.doi}" if self.doi else str(self.url)


class Rule(_Item):
    id: str
    title: str
    severity: Literal["blocker", "high", "medium", "low"]
    when: dict[str, Any]
    finding: str
    criterion: str
    mitigation: str
    sources: Sources = Field(min_length=1)
    example: dict[str, Any]
    #: findings this one contains (an escalation replaces its parts)
    supersedes: list[str] = Field(default_factory=list)


class AoirStage(_Item):
    stage: str
    questions: list[str]


class Fact(_Item):
    id: str
    text: str
    sources: Sources = Field(min_length=1)
    routes: list[str] = Field(default_factory=list)  # the access routes it concerns


class DmpMapping(_Item):
    personal_fields: list[str]
    sensitive_rules: list[str]


class Guidance(BaseModel):
    routes: dict[str, Route]
    common_pitfalls: list[Pitfall]
    research_types: dict[str, ResearchType]
    adjustments: list[Adjustment]
    datasets: dict[str, Dataset]
    #: how using a dataset is rated, by how its ids are rehydrated (scraping is rated as scraping)
    rehydration_ethics: dict[str, str]
    rules: list[Rule]
    verdicts: dict[str, str]
    aoir_stages: list[AoirStage]
    aoir_sources: Sources
    example_plan: dict[str, Any]
    dmp: DmpMapping
    facts: list[Fact]

    def plan_fields(self) -> set[str]:
        """Top-level study-plan fields the checks know: the example's and the rules'."""
        fields = set(self.example_plan)

        def walk(cond: Any) -> None:
            if isinstance(cond, dict):
                if "field" in cond:
                    fields.add(str(cond["field"]).split(".")[0])
                for v in cond.values():
                    walk(v)
            elif isinstance(cond, list):
                for v in cond:
                    walk(v)

        for rule in self.rules:
            walk(rule.when)
        return fields


# --- the condition language ----------------------------------------------------------------
OPS = {
    "equals",
    "not_equals",
    "in",
    "not_in",
    "contains_any",
    "mentions_any",
    "missing",
    "truthy",
    "gt",
    "lt",
    "gte",
    "lte",
}
_MISSING = object()


def get_path(data: Any, path: str) -> Any:
    cur = data
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return _MISSING
        cur = cur[part]
    return cur


def _norm(v: Any) -> Any:
    return v.strip().lower() if isinstance(v, str) else v


def check_condition(cond: Any, where: str) -> None:
    """Raise GuidanceError naming ``where`` if a condition is malformed."""
    if not isinstance(cond, dict) or not cond:
        raise GuidanceError(f"{where}: a condition must be a mapping")
    if "all" in cond or "any" in cond:
        key = "all" if "all" in cond else "any"
        if set(cond) != {key} or not isinstance(cond[key], list) or not cond[key]:
            raise GuidanceError(f"{where}: '{key}' takes a non-empty list of conditions")
        for i, c in enumerate(cond[key]):
            check_condition(c, f"{where}.{key}[{i}]")
        return
    if "not" in cond:
        if set(cond) != {"not"}:
            raise GuidanceError(f"{where}: 'not' takes one condition")
        check_condition(cond["not"], f"{where}.not")
        return
    ops = set(cond) - {"field"}
    if "field" not in cond or len(ops) != 1 or not ops <= OPS:
        raise GuidanceError(
            f"{where}: expected {{field: ..., <op>: ...}} with one op of "
            f"{sorted(OPS)}, got {sorted(cond)}"
        )


def evaluate(cond: dict[str, Any], data: dict[str, Any]) -> bool:
    """Does ``data`` satisfy the condition? Missing fields never satisfy a comparison."""
    if "all" in cond:
        return all(evaluate(c, data) for c in cond["all"])
    if "any" in cond:
        return any(evaluate(c, data) for c in cond["any"])
    if "not" in cond:
        return not evaluate(cond["not"], data)
    value = get_path(data, cond["field"])
    ((op, arg),) = ((k, v) for k, v in cond.items() if k != "field")
    absent = value is _MISSING or value is None or value == "" or value == []
    if op == "missing":
        return absent == bool(arg)
    if op == "truthy":
        return (not absent and bool(value)) == bool(arg)
    if value is _MISSING:
        return False
    if op == "equals":
        return _norm(value) == _norm(arg)
    if op == "not_equals":
        return _norm(value) != _norm(arg)
    if op in ("in", "not_in"):
        found = _norm(value) in [_norm(a) for a in arg]
        return found if op == "in" else not found
    if op == "contains_any":
        items = value if isinstance(value, list) else [value]
        return bool({_norm(v) for v in items} & {_norm(a) for a in arg})
    if op == "mentions_any":  # free text naming any of the phrases
        text = " ".join(map(str, value)) if isinstance(value, list) else str(value)
        return any(str(a).lower() in text.lower() for a in arg)
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return {"gt": value > arg, "lt": value < arg, "gte": value >= arg, "lte": value <= arg}[op]


# --- loading -------------------------------------------------------------------------------
def _read(name: str) -> dict[str, Any]:
    return read_mapping(guidance_dir() / name, "guidance file", GuidanceError)


def _items(model: type[BaseModel], raw: list[Any] | None, file: str) -> list[Any]:
    out = []
    for i, item in enumerate(raw or []):
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            ident = item.get("id", f"#{i + 1}") if isinstance(item, dict) else f"#{i + 1}"
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise GuidanceError(f"guidance/{file}: entry {ident}: {loc}: {first['msg']}") from None
    return out


@functools.lru_cache(maxsize=1)
def load() -> Guidance:
    """Read and check every guidance file (cached)."""
    routes = _read("access_routes.yaml")
    methods = _read("methods.yaml")
    ranking = _read("ranking.yaml")
    datasets = _read("datasets.yaml")
    ethics = _read("ethics.yaml")
    facts = _read("api_facts.yaml")
    g = Guidance(
        routes={r.id: r for r in _items(Route, routes.get("routes"), "access_routes.yaml")},
        common_pitfalls=_items(Pitfall, methods.get("common_pitfalls"), "methods.yaml"),
        research_types={
            t.id: t for t in _items(ResearchType, methods.get("research_types"), "methods.yaml")
        },
        adjustments=_items(Adjustment, ranking.get("adjustments"), "ranking.yaml"),
        datasets={d.id: d for d in _items(Dataset, datasets.get("datasets"), "datasets.yaml")},
        rehydration_ethics=datasets.get("rehydration_ethics") or {},
        rules=_items(Rule, ethics.get("rules"), "ethics.yaml"),
        verdicts=ethics.get("verdicts") or {},
        aoir_stages=_items(AoirStage, ethics.get("aoir_stages"), "ethics.yaml"),
        aoir_sources=_items(Source, ethics.get("sources_aoir"), "ethics.yaml"),
        example_plan=ethics.get("example_plan") or {},
        dmp=DmpMapping.model_validate(
            ethics.get("dmp") or {"personal_fields": [], "sensitive_rules": []}
        ),
        facts=_items(Fact, facts.get("facts"), "api_facts.yaml"),
    )
    return check(g)


def check(g: Guidance) -> Guidance:
    """Raise GuidanceError if the files disagree with each other (unknown ids, bad conditions)."""
    kinds = set(get_args(Dataset.model_fields["rehydration"].annotation))
    if missing := kinds - set(g.rehydration_ethics):
        raise GuidanceError(f"guidance/datasets.yaml: rehydration_ethics lacks {sorted(missing)}")
    for t in g.research_types.values():
        for r in t.routes:
            if r.route not in g.routes:
                raise GuidanceError(
                    f"guidance/methods.yaml: {t.id} names unknown route {r.route!r}"
                )
    for i, a in enumerate(g.adjustments):
        check_condition(a.when, f"guidance/ranking.yaml: adjustment #{i + 1}")
        for route_id in a.routes:
            if route_id not in g.routes:
                raise GuidanceError(
                    f"guidance/ranking.yaml: adjustment #{i + 1} names unknown route {route_id!r}"
                )
    rule_ids = {r.id for r in g.rules}
    for rule in g.rules:
        check_condition(rule.when, f"guidance/ethics.yaml: rule {rule.id}")
        if set(rule.supersedes) - rule_ids:
            raise GuidanceError(
                f"guidance/ethics.yaml: rule {rule.id} supersedes unknown rules "
                f"{sorted(set(rule.supersedes) - rule_ids)}"
            )
    unknown = set(g.dmp.sensitive_rules) - {r.id for r in g.rules}
    if unknown:
        raise GuidanceError(
            f"guidance/ethics.yaml: dmp.sensitive_rules names unknown rules {sorted(unknown)}"
        )
    missing = {"blocker", "high", "medium", "low", "none"} - set(g.verdicts)
    if missing:
        raise GuidanceError(f"guidance/ethics.yaml: verdicts lacks {sorted(missing)}")
    return g


# --- rendering -----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(prompts_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        # HTML templates escape what they show (captions, names); text templates do not
        autoescape=lambda name: name is not None and ".html" in name,
    )


def render(template: str, **context: Any) -> str:
    """Render ``prompts/<template>``; an undefined variable is an error, not a blank."""
    try:
        return _env().get_template(template).render(**context).strip() + "\n"
    except jinja2.TemplateNotFound:
        raise GuidanceError(f"no template prompts/{template}") from None
    except jinja2.UndefinedError as exc:
        raise GuidanceError(f"prompts/{template}: {exc}") from None
