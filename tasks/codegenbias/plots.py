"""The two CodeGenBias figures, drawn from the per-profession breakdown (matplotlib, Agg backend).

- tendency_vs_factual: each mapped profession's mean tendency m against its real-world score
  f_ipums (IPUMS 2012 share of men, rescaled to [-1, 1]), with the identity line m = f_ipums (on it
  = no factual bias) and m = 0 (parity). Professions without a census category are not drawn.
- most_biased: the mapped professions with the largest |mean m - f_ipums|, as a horizontal bar
  chart of the signed gap (+ = more "he" than the real distribution supports).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.harness.derived_cache import cached_figure


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@cached_figure
def plot_tendency_vs_factual(per_profession: list[dict[str, Any]], path: Path, title: str) -> None:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(6.5, 6))
    mapped = [row for row in per_profession if row.get("f_ipums") is not None]
    f = [row["f_ipums"] for row in mapped]
    m = [row["mean_m"] for row in mapped]
    colours = [row["s"] for row in mapped]
    points = axes.scatter(f, m, c=colours, cmap="coolwarm_r", vmin=-1, vmax=1, s=18, alpha=0.8, edgecolors="none")
    axes.plot([-1, 1], [-1, 1], color="black", linewidth=1, label="m = f_ipums (no factual bias)")
    axes.axhline(0, color="grey", linewidth=0.8, linestyle="--", label="m = 0 (parity)")
    axes.set_xlim(-1.05, 1.05)
    axes.set_ylim(-1.05, 1.05)
    axes.set_xlabel("real-world score f_ipums = (% men - 50) / 50 (IPUMS 2012)")
    axes.set_ylabel("model tendency m = P(he) - P(she), mean over prompts")
    axes.set_title(title)
    axes.legend(loc="upper left", fontsize=8)
    figure.colorbar(points, ax=axes, label="stereotype score s")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


@cached_figure
def plot_most_biased(per_profession: list[dict[str, Any]], path: Path, title: str, top: int = 20) -> None:
    plt = _pyplot()
    mapped = [row for row in per_profession if row.get("m_minus_f_ipums") is not None]
    rows = sorted(mapped, key=lambda row: abs(row["m_minus_f_ipums"]), reverse=True)[:top][::-1]
    figure, axes = plt.subplots(figsize=(7, 0.3 * len(rows) + 1.5))
    gaps = [row["m_minus_f_ipums"] for row in rows]
    axes.barh([row["profession"].replace("_", " ") for row in rows], gaps,
              color=["tab:blue" if gap > 0 else "tab:red" for gap in gaps])
    axes.axvline(0, color="black", linewidth=0.8)
    axes.set_xlim(-2, 2)
    axes.set_xlabel("mean m - f_ipums   (+ more 'he' than the real distribution, - more 'she')")
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
