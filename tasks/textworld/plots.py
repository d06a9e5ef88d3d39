"""The TextWorld tasks' figure (matplotlib, Agg backend, PNG): normalised score vs trial per agent."""

from __future__ import annotations

from pathlib import Path

from bench.harness.derived_cache import cached_figure
from bench.metrics.intervals import Estimate


@cached_figure
def plot_score_by_trial(path: Path, curves: dict[str, list[Estimate]], title: str) -> None:
    """One line per agent: mean normalised score at trial 1..T with its 95% interval as error
    bars (none where too few games for one); y from 0 to 1."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for k, (label, estimates) in enumerate(curves.items()):
        xs = [t + 1 + (k - (len(curves) - 1) / 2) * 0.04 for t in range(len(estimates))]  # dodge overlapping bars
        ys = [e.value for e in estimates]
        low = [0.0 if e.interval is None else e.value - e.interval.low for e in estimates]
        high = [0.0 if e.interval is None else e.interval.high - e.value for e in estimates]
        ax.errorbar(xs, ys, yerr=[low, high], marker="o", capsize=4, label=label)
    trials = max(len(e) for e in curves.values())
    ax.set_xticks(range(1, trials + 1))
    ax.set_xlabel("trial")
    ax.set_ylabel("normalised score (score / max score)")
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
