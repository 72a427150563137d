"""Figures for the report: matplotlib on the Agg backend, embedded as inline SVG (no file,
no font or script from the network; text stays text)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

plt.rcParams.update(
    {
        "svg.fonttype": "none",
        "font.family": "sans-serif",
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titlesize": 10,
        "axes.titleweight": "bold",
    }
)
INK, ACCENT, SOFT = "#1f2937", "#d6336c", "#99c1de"


def _svg(fig: plt.Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg") :]


def daily(days: Sequence[date], counts: Sequence[int | None], title: str) -> str:
    fig, ax = plt.subplots(figsize=(7.5, 2.4))
    x = np.array(days, dtype="datetime64[D]")
    y = np.array([c or 0 for c in counts])
    ax.fill_between(x, y, color=SOFT, step="mid")
    ax.plot(x, y, color=INK, lw=1, drawstyle="steps-mid")
    ax.set_ylabel("videos")
    ax.set_title(title, loc="left")
    fig.autofmt_xdate()
    return _svg(fig)


def heatmap(grid: list[list[int | None]], weekdays: Sequence[str], title: str) -> str:
    data = np.array([[np.nan if v is None else v for v in row] for row in grid], dtype=float)
    fig, ax = plt.subplots(figsize=(7.5, 2.5))
    im = ax.imshow(data, aspect="auto", cmap="magma_r")
    ax.set_yticks(range(7), list(weekdays))
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlabel("hour of posting")
    ax.set_title(title, loc="left")
    fig.colorbar(im, ax=ax, label="videos", fraction=0.03)
    return _svg(fig)


def log_hist(values: np.ndarray, median: float | None, title: str, xlabel: str) -> str:
    fig, ax = plt.subplots(figsize=(3.7, 2.4))
    v = values[values > 0]
    if len(v):
        bins = np.logspace(np.log10(v.min()), np.log10(v.max()) + 1e-9, 40)
        ax.hist(v, bins=list(bins), color=SOFT, edgecolor=INK, lw=0.3)
        ax.set_xscale("log")
        if median:
            ax.axvline(median, color=ACCENT, lw=1.5)
            shown = f"{median:,.0f}" if median >= 100 else f"{median:.3g}"  # 1,180, not 1.18e+03
            ax.text(median, ax.get_ylim()[1] * 0.92, f" median {shown}", color=ACCENT)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("videos")
    ax.set_title(title, loc="left")
    return _svg(fig)


def bars(labels: Sequence[str], values: Sequence[float | None], title: str, xlabel: str) -> str:
    labels, values = list(labels)[::-1], [v or 0 for v in values][::-1]
    fig, ax = plt.subplots(figsize=(3.7, 0.22 * max(len(labels), 4) + 0.7))
    ax.barh(range(len(values)), values, color=SOFT, edgecolor=INK, lw=0.3)
    ax.set_yticks(range(len(labels)), [lab[:28] for lab in labels])
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left")
    return _svg(fig)


def lorenz(shares: np.ndarray, title: str) -> str:
    """Cumulative share of views against the share of creators, most viewed first."""
    fig, ax = plt.subplots(figsize=(3.7, 2.6))
    x = np.linspace(0, 1, len(shares) + 1)
    ax.plot(x, np.r_[0, shares], color=INK, lw=1.5)
    ax.plot([0, 1], [0, 1], color="#9ca3af", lw=0.8, ls="--")
    for frac in (0.01, 0.10):
        i = max(1, int(np.ceil(frac * len(shares))))
        ax.plot([x[i]], [shares[i - 1]], "o", color=ACCENT)
        ax.annotate(f"top {frac:.0%}: {shares[i - 1]:.0%}", (x[i], shares[i - 1]),
                    textcoords="offset points", xytext=(6, -10), color=ACCENT)  # fmt: skip
    ax.set_xlabel("share of creators (most viewed first)")
    ax.set_ylabel("share of views")
    ax.set_title(title, loc="left")
    return _svg(fig)


def trends(
    first: date,
    rows: Sequence[tuple[str, Sequence[int], int | None, int | None, int]],
    title: str,
) -> str:
    """Small multiples: (label, daily series, burst start, burst end, peak), as day offsets."""
    n = len(rows)
    cols = 2
    fig, axes = plt.subplots(
        (n + 1) // cols, cols, figsize=(7.5, 1.7 * ((n + 1) // cols)), squeeze=False
    )
    days = None
    for ax, (label, series, b0, b1, peak) in zip(axes.flat, rows, strict=False):
        days = np.arange(len(series))
        ax.plot(days, series, color=INK, lw=1)
        if b0 is not None and b1 is not None:
            ax.axvspan(b0, b1, color=SOFT, alpha=0.6, lw=0, label="burst")
        ax.plot([peak], [series[peak]], "v", color=ACCENT, label="peak")
        ax.set_title(label, loc="left", fontsize=9)
        ax.set_xlabel(f"days from {first}")
    for ax in list(axes.flat)[n:]:
        ax.axis("off")
    axes.flat[0].legend(frameon=False, fontsize=8)
    fig.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=10)
    fig.tight_layout()
    return _svg(fig)
