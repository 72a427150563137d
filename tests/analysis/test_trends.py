"""Trend lifecycles: the burst model on hand-made series, and the planted trends of the
emulator found by burstiness (not volume) with their peak and onset."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from tiktok_research.analysis import detect, open_frames
from tiktok_research.analysis.trends import burst_states
from tiktok_research.emulator import Corpus, CorpusConfig, export_corpus
from tiktok_research.importers import import_files
from tiktok_research.store import Store


def test_a_flare_is_a_burst_and_a_steady_series_is_not():
    totals = np.full(40, 200)
    steady = np.full(40, 4)
    flare = np.full(40, 1)
    flare[20:25] = [6, 12, 15, 10, 5]
    states, gain = burst_states(np.vstack([steady, flare]), totals)
    assert not states[0].any()
    burst = np.flatnonzero(states[1])
    assert burst.min() >= 19 and burst.max() <= 25 and {21, 22, 23} <= set(burst)
    assert gain[1, 22] > 0 and gain[1, 5] < 0


def test_a_higher_entry_cost_needs_a_stronger_flare():
    totals = np.full(30, 100)
    small = np.full(30, 1)
    small[10] = 4
    assert burst_states(small[None, :], totals, gamma=0.1)[0].any()
    assert not burst_states(small[None, :], totals, gamma=3.0)[0].any()


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> list[tuple[dict, list, list]]:
    """For four seeds: (planted trends, detected trends, hashtags by volume)."""
    out = []
    for seed in (1, 2, 3, 4):
        corpus = Corpus(CorpusConfig(seed=seed, videos=20_000))
        tmp = tmp_path_factory.mktemp(f"seed{seed}")
        path = Path(tmp) / "videos.ndjson"
        export_corpus(corpus, str(path))
        with Store(Path(tmp) / "s.duckdb") as store:
            import_files(store, [path])
            with open_frames(store) as f:
                report = detect(f)  # the default top: no raising it to find them
                volume = [
                    r[0]
                    for r in f.rows(f"SELECT tag FROM {f.tags} GROUP BY tag ORDER BY count(*) DESC")
                ]
        out.append((corpus.truth()["trending_hashtags"], report, volume))
    return out


def test_planted_trends_are_found_with_their_peak_and_onset(planted):
    hits = total = 0
    for truth, report, volume in planted:
        listed = {t.item: t for t in report.trends}
        for tr in truth:
            total += 1
            t = listed.get(tr["hashtag"])
            assert t is not None, f"{tr['hashtag']} not among the trends"
            # found by burstiness: the planted hashtags are far down the volume ranking
            assert volume.index(tr["hashtag"]) > 50
            peak_ok = abs((t.peak_day - date.fromisoformat(tr["peak"])).days) <= 2
            onset_ok = (
                t.burst_onset is not None
                and abs((t.burst_onset - date.fromisoformat(tr["emergence"])).days) <= 3
            )
            hits += peak_ok and onset_ok
    assert total == 12 and hits / total >= 0.9


def test_lifecycles_are_complete_and_consistent(planted):
    truth, report, _ = planted[0]
    assert "Kleinberg" in report.method and any(
        "10.1023/A:1024940629314" in c for c in report.citations
    )
    assert any("10.1145/2187836.2187871" in c for c in report.citations)
    planted_tags = {t["hashtag"] for t in truth}
    for t in report.trends:
        assert t.first_seen <= t.peak_day <= t.last_seen
        assert len(t.series) == (report.last_day - report.first_day).days + 1
        assert sum(t.series) == t.videos and max(t.series) >= t.peak_videos
        assert abs(t.before_share + t.at_peak_share + t.after_share - 1) < 1e-3
        if t.item in planted_tags:
            # planted trends decay weeks before the data ends
            assert t.status == "ended" and t.burst_onset <= t.peak_day <= t.burst_end
            assert t.half_life_days is not None and 1 <= t.half_life_days <= 10
    strongest = [t.burst_weight for t in report.trends]
    assert strongest == sorted(strongest, reverse=True)


def test_by_sound_and_keyword_and_an_empty_selection(store):
    from tiktok_research.analysis import Selection

    with open_frames(store, Selection(regions=["ZZ"])) as f:
        for by in ("hashtag", "sound", "keyword"):
            r = detect(f, by)
            assert r.trends == [] and "no videos match" in r.message


def test_strongest_bursts_equal_a_loop_over_runs():
    from tiktok_research.analysis.trends import strongest_bursts

    rng = np.random.default_rng(7)
    states = (rng.random((50, 30)) < 0.3).astype(np.int8)
    gain = rng.normal(size=(50, 30))
    weights, best, n = strongest_bursts(states, gain)
    for i in range(50):
        runs, start = [], None
        for t, on in enumerate([*states[i], 0]):
            if on and start is None:
                start = t
            elif not on and start is not None:
                runs.append((gain[i, start:t].sum(), start, t - 1))
                start = None
        assert n[i] == len(runs)
        if runs:
            w, a, b = max(runs)
            assert weights[i] == pytest.approx(w) and tuple(best[i]) == (a, b)
        else:
            assert weights[i] == 0 and tuple(best[i]) == (-1, -1)
