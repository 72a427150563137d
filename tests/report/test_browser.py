"""The demo's report in a real browser, with every network request blocked and recorded:
every section is there, the figures have content, and nothing was requested from anywhere."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tiktok_research.demo import run_demo
from tiktok_research.report import SECTIONS

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser", "google-chrome")
INSTALL = "apt-get update && apt-get install -y chromium-headless-shell"


def browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.fail(f"no headless Chromium found ({', '.join(BROWSERS)}); install one: {INSTALL}")


def load(page: Path, tmp: Path, *extra: str) -> tuple[str, set[str]]:
    """The rendered DOM and every URL the browser tried to fetch (from its net log)."""
    netlog = tmp / f"{page.stem}.netlog.json"
    proc = subprocess.run(
        [
            browser(),
            "--no-sandbox",
            "--disable-gpu",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--log-net-log={netlog}",
            "--virtual-time-budget=8000",
            *extra,
            page.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    events = json.loads(netlog.read_text()).get("events", [])
    urls = {
        v
        for e in events
        for k, v in (e.get("params") or {}).items()
        if k == "url" and isinstance(v, str)
    }
    return proc.stdout, urls


def test_the_report_renders_offline_with_every_section_and_real_figures(tmp_path):
    # the instrument first: a page that does load from the network is caught
    bait = tmp_path / "bait.html"
    bait.write_text(
        '<img src="http://example.com/x.png"><link rel=stylesheet href="https://a.b/c.css">'
    )
    _, bait_urls = load(bait, tmp_path, "--dump-dom")
    assert "http://example.com/x.png" in bait_urls and "https://a.b/c.css" in bait_urls

    demo = run_demo(tmp_path / "demo", videos=6000, seed=3)
    report = Path(demo.report)
    dom, urls = load(report, tmp_path, "--dump-dom")
    assert not {u for u in urls if re.match(r"(https?|wss?|ftp)://", u)}, urls
    headings = re.findall(r"<h2>(.*?)</h2>", dom)
    assert headings == list(SECTIONS)
    svgs = re.findall(r"<svg.*?</svg>", dom, re.S)
    assert len(svgs) >= 7
    for svg in svgs:  # every figure drew something: paths or rectangles beyond its frame
        assert len(re.findall(r"<(path|rect|use)\b", svg)) > 10
    shot = tmp_path / "report.png"
    load(report, tmp_path, f"--screenshot={shot}", "--window-size=1280,4200", "--hide-scrollbars")
    assert shot.exists() and shot.stat().st_size > 50_000
