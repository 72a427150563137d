"""``demo``: the whole path on the embedded emulator, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from .common import JsonOption, emit, guarded
from .emulator import SeedOpt

app = typer.Typer()


@app.command("demo")
@guarded
def demo_cmd(
    out: Annotated[
        Path, typer.Option("--out", help="Directory for the demo database, network and report.")
    ] = Path("tiktok-research-demo"),
    videos: Annotated[
        int, typer.Option("--videos", min=1000, help="Size of the emulated world.")
    ] = 30_000,
    seed: SeedOpt = 1,
    as_json: JsonOption = False,
) -> None:
    """A whole study on the embedded emulator: design, collection, analysis, network,
    coordination (scored against the planted groups) and the report, offline."""
    from ..demo import render, run_demo
    from .progress import CollectProgress

    with CollectProgress(enabled=None if not as_json else False) as progress:
        summary = run_demo(out, videos, seed, progress)
    emit(summary, as_json, render(summary))
