"""Recall curves (records read vs includes found) as PNG, ours against random, perfect and ASReview.

Why: one picture shows what a table of WSS numbers hides: where a ranker finds the includes early and
where it leaves a long tail of hard-to-find records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402

from screening.measures.metrics import recall_curve  # noqa: E402

STYLE = {
    "expected": {"color": "0.6", "linestyle": ":"},
    "perfect": {"color": "0.3", "linestyle": "--", "linewidth": 0.8},
    "random": {"color": "0.7", "linewidth": 0.8},
}


def draw_recall_curves(ax: Axes, curves: Mapping[str, np.ndarray], title: str = "") -> None:
    """Draw one panel: each named curve (0/1 labels in reading order, complete) plus perfect and random."""
    first = next(iter(curves.values()))
    n, n_included = len(first), int(np.sum(first))
    x = np.arange(n + 1)
    ax.plot(x, np.minimum(x, n_included), label="perfect", **STYLE["perfect"])
    ax.plot(x, x * n_included / n, label="random (expected)", **STYLE["expected"])
    for name, ordered in curves.items():
        screened, found = recall_curve(np.asarray(ordered))
        ax.plot(screened, found, label=name, **{"linewidth": 1.2, **STYLE.get(name, {})})
    ax.set_xlim(0, n)
    ax.set_ylim(0, max(n_included, 1) * 1.02)
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=6)
    ax.set_xlabel("records screened", fontsize=7)
    ax.set_ylabel("includes found", fontsize=7)


def save_recall_grid(path: Path, panels: Mapping[str, Mapping[str, np.ndarray]], columns: int = 5) -> Path:
    """One panel per dataset (title -> curves) in a grid, a shared legend, saved as PNG."""
    if not panels:
        raise ValueError("no recall curves to plot")
    rows = math.ceil(len(panels) / columns)
    cols = min(columns, len(panels))
    fig, axes = plt.subplots(rows, cols, figsize=(3.2 * cols, 2.6 * rows), squeeze=False)
    for ax, (title, curves) in zip(axes.flat, panels.items(), strict=False):
        draw_recall_curves(ax, curves, title)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.1 / rows, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
