"""Guidance as data: the files load and validate, conditions evaluate, templates render."""

from __future__ import annotations

import shutil

import pytest
from helpers import merge

from tiktok_research import guidance
from tiktok_research.guidance import GuidanceError, evaluate
from tiktok_research.tools import dataset_finder, ethics_review, study_design


def test_every_item_has_sources_and_the_catalogue_links_are_well_formed():
    g = guidance.load()
    assert len(g.routes) >= 8 and len(g.research_types) >= 8 and len(g.datasets) >= 10
    for item in [
        *g.routes.values(),
        *g.research_types.values(),
        *g.datasets.values(),
        *g.rules,
        *g.facts,
        *g.common_pitfalls,
    ]:
        assert item.sources, item
        for s in item.sources:
            assert s.checked and s.title and (s.url or s.doi or s.unpublished)
    for d in g.datasets.values():
        assert d.doi or d.url
        assert d.link.startswith("https://")
    dois = {d.id: d.doi for d in g.datasets.values() if d.doi}
    assert dois["mcgill_ukraine"] == "10.5281/zenodo.7926959"
    assert dois["guinaudeau_political"] == "10.5117/CCR2022.2.004.GUIN"


@pytest.mark.parametrize(
    "bad,message",
    [
        ({"doi": "doi:10.5281/x"}, "not a DOI"),
        ({"url": "ftp//nope"}, "not a URL"),
        ({"access": "free"}, "access"),
        ({"period": {"start": "2024", "end": "unknown"}}, "YYYY-MM-DD"),
        ({"sources": []}, "sources"),
        ({"sources": [{"title": "A paper", "checked": "2026-12-07"}]}, "needs a url or a doi"),
        (
            {"sources": [{"document": "Old style", "checked": "2026-12-07"}]},
            "title: Field required",
        ),
    ],
)
def test_a_malformed_catalogue_entry_is_refused_by_name(tmp_path, monkeypatch, bad, message):
    root = tmp_path / "guidance"
    shutil.copytree(guidance.guidance_dir(), root)
    import yaml

    data = yaml.safe_load((root / "datasets.yaml").read_text())
    data["datasets"][0].update(bad)
    (root / "datasets.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    monkeypatch.setenv("TIKTOK_RESEARCH_GUIDANCE_DIR", str(root))
    guidance.load.cache_clear()
    try:
        with pytest.raises(GuidanceError, match=f"datasets.yaml: entry mcgill_ukraine.*{message}"):
            guidance.load()
    finally:
        guidance.load.cache_clear()


def refused_after_edit(tmp_path, monkeypatch, file: str, old: str, new: str, match: str) -> None:
    """Copy the guidance, replace ``old`` by ``new`` in ``file``: loading it must fail so."""
    root = tmp_path / "guidance"
    shutil.copytree(guidance.guidance_dir(), root)
    text = (root / file).read_text()
    assert old in text
    (root / file).write_text(text.replace(old, new))
    monkeypatch.setenv("TIKTOK_RESEARCH_GUIDANCE_DIR", str(root))
    guidance.load.cache_clear()
    try:
        with pytest.raises(GuidanceError, match=match):
            guidance.load()
    finally:
        guidance.load.cache_clear()


def test_a_rule_with_an_unknown_operator_is_refused(tmp_path, monkeypatch):
    refused_after_edit(
        tmp_path,
        monkeypatch,
        "ethics.yaml",
        "{field: quoting.verbatim_quotes, equals: true}",
        "{field: quoting.verbatim_quotes, is: true}",
        "rule verbatim_quotes",
    )


@pytest.mark.parametrize(
    "cond,data,expected",
    [
        ({"field": "a.b", "equals": "X"}, {"a": {"b": "x"}}, True),
        ({"field": "a.b", "equals": "x"}, {"a": {}}, False),
        ({"field": "a", "missing": True}, {"a": []}, True),
        ({"field": "a", "missing": False}, {"a": [1]}, True),
        ({"field": "a", "truthy": False}, {}, True),
        ({"field": "a", "truthy": False}, {"a": True}, False),
        ({"field": "a", "contains_any": ["Politics"]}, {"a": ["health", "politics"]}, True),
        ({"field": "a", "contains_any": ["politics"]}, {"a": "politics"}, True),
        ({"field": "a", "gt": 15}, {"a": 30}, True),
        ({"field": "a", "gt": 15}, {"a": "30"}, False),
        ({"field": "a", "lt": 5}, {}, False),
        ({"any": [{"field": "a", "equals": 1}, {"field": "b", "equals": 2}]}, {"b": 2}, True),
        (
            {"all": [{"field": "a", "equals": 1}, {"not": {"field": "b", "equals": 2}}]},
            {"a": 1, "b": 2},
            False,
        ),
        ({"field": "a", "in": ["none", None]}, {"a": None}, True),
    ],
)
def test_condition_language(cond, data, expected):
    assert evaluate(cond, data) is expected


def test_every_rule_stays_quiet_on_the_example_plan_and_fires_on_its_example():
    g = guidance.load()
    clean = ethics_review.run(ethics_review.Input(plan=g.example_plan))
    assert clean.findings == [] and clean.verdict == "none"
    for rule in g.rules:
        out = ethics_review.run(ethics_review.Input(plan=merge(g.example_plan, rule.example)))
        assert rule.id in {f.id for f in out.findings}, rule.id


@pytest.mark.parametrize("research_type", list(guidance.load().research_types))
def test_study_design_renders_for_every_research_type(research_type):
    out = study_design.run(
        study_design.Input(
            research_question="How does X spread?", research_type=research_type, country="DE"
        )
    )
    assert out.ranked_routes and out.text.startswith("# Study design")
    assert out.ranked_routes[0].name in out.text
    assert all(r.sources for r in out.ranked_routes)


@pytest.mark.parametrize("route", list(guidance.load().routes))
def test_every_route_renders_for_some_study(route):
    """Each route shows up (recommended or ruled out, with its reasons) in a rendered design."""
    g = guidance.load()
    for t in g.research_types:
        for kw in (
            {},
            {"needs": ["recommendation_data"], "country": "DE"},
            {"institution": "company"},
            {"budget": "high"},
            {"institution": "nonprofit", "country": "DE"},
            {"needs": ["ads"]},
        ):
            out = study_design.run(
                study_design.Input(research_question="Why q?", research_type=t, **kw)
            )
            shown = out.ranked_routes + out.not_recommended + out.not_available
            if any(r.id == route for r in shown):
                assert g.routes[route].name in out.text
                return
    pytest.fail(f"route {route} is never shown")


def test_templates_fail_loudly_on_missing_variables():
    out = study_design.run(study_design.Input(research_question="Why q?", research_type="trend"))
    with pytest.raises(GuidanceError, match="'request' is undefined"):
        guidance.render("study_design.j2", design=out)  # the request is missing
    with pytest.raises(GuidanceError, match="no template"):
        guidance.render("nope.j2")


def test_dataset_and_ethics_templates_render():
    out = dataset_finder.run(dataset_finder.Input(topic="election"))
    assert out.text.startswith("# Existing TikTok datasets")
    empty = dataset_finder.run(dataset_finder.Input(topic="zzzz qqqq"))
    assert "No dataset in the catalogue matches" in empty.text and empty.notes
    review = ethics_review.run(ethics_review.Input(plan={"title": "x"}))
    assert review.text.startswith("# Ethics review: x") and "[BLOCKER]" in review.text


def test_every_item_rests_on_a_published_source():
    """The founding document (unpublished) may back a judgement, never alone."""
    g = guidance.load()
    for item in [
        *g.routes.values(),
        *g.research_types.values(),
        *g.datasets.values(),
        *g.rules,
        *g.facts,
        *g.common_pitfalls,
    ]:
        assert any(s.url or s.doi for s in item.sources), item


def test_a_source_cites_authors_year_title_publisher_and_link():
    from tiktok_research.guidance import Source

    s = Source(
        title="What we can learn from TikTok through its Research API",
        authors="Corso, Pierri & De Francisci Morales",
        year=2024,
        publisher="arXiv",
        url="https://arxiv.org/abs/2402.13855",
        checked="2026-11-27",
    )
    assert s.cite() == (
        "Corso, Pierri & De Francisci Morales (2024). What we can learn from TikTok through "
        "its Research API, arXiv. https://arxiv.org/abs/2402.13855 (checked 2026-11-27)"
    )
    own = Source(title="Route data", unpublished=True, checked="2026-11-27")
    assert own.cite() == "Route data. Not published. (checked 2026-11-27)"


def test_every_time_to_access_says_what_it_rests_on():
    """A number of weeks is someone's figure: TikTok's, Meta's, or a planning estimate."""
    for route in guidance.load().routes.values():
        if route.weeks_to_access.max > 0:
            assert route.weeks_to_access.note, route.id


def test_the_rating_of_each_rehydration_is_data_and_complete(tmp_path, monkeypatch):
    g = guidance.load()
    assert "scraping" in g.rehydration_ethics["scraping"]
    refused_after_edit(
        tmp_path,
        monkeypatch,
        "datasets.yaml",
        '  research_api: "Clean',
        '  api: "Clean',
        "rehydration_ethics lacks \\['research_api'\\]",
    )
