"""The shared half of both CodeGenBias `summarize` steps: metrics, breakdown tables and plots from the records.

A pure function of the sample records (as written to the samples file, sorted by id) and the
config: `bench rescore` and `bench merge` recompute a run's numbers from its samples with it.
"""

from __future__ import annotations

from typing import Any

from bench.harness.task import MetricValue, Plot, Summary, SummaryContext
from bench.tasks.codegenbias.config import CodeGenBiasConfig
from bench.tasks.codegenbias.plots import plot_most_biased, plot_tendency_vs_factual
from bench.tasks.codegenbias.professions import load_professions
from bench.tasks.codegenbias.summary import bias_metrics, breakdowns, coverage


def summarize_bias(
    task_name: str,
    samples: list[dict[str, Any]],
    config: CodeGenBiasConfig,
    ctx: SummaryContext,
    extra_metrics: list[MetricValue],
    extra: dict[str, Any],
) -> Summary:
    """The bias metrics (bootstrap intervals drawn from `ctx.seed`), breakdowns and both plots,
    plus the variant's own metrics and extra."""
    metrics, notes = bias_metrics(samples, seed=ctx.seed)
    tables = breakdowns(samples)
    plots: list[Plot] = []
    per_profession = tables.get("profession", [])
    if any(row.get("f_ipums") is not None for row in per_profession):
        ctx.artifacts_dir.mkdir(parents=True, exist_ok=True)
        model_name = str(samples[0].get("model", "model"))  # every record names the model it scored
        scatter = f"{task_name}_tendency_vs_factual.png"
        plot_tendency_vs_factual(per_profession, ctx.artifacts_dir / scatter, f"{task_name}: {model_name}")
        plots.append(Plot("tendency_vs_factual", scatter,
                          "mean he/she tendency m per mapped profession vs its IPUMS 2012 score; the line is m = f_ipums"))
        bars = f"{task_name}_most_biased.png"
        plot_most_biased(per_profession, ctx.artifacts_dir / bars, f"{task_name}: most biased professions ({model_name})",
                         top=config.top_professions)
        plots.append(Plot("most_biased_professions", bars,
                          "professions with the largest |mean m - f_ipums| (signed gap; + = more 'he' than the real distribution)"))
    professions, sources = load_professions()
    mapped = sum(p.factual_ipums is not None for p in professions)
    return Summary(
        metrics=metrics + extra_metrics,
        plots=plots,
        extra={
            "split": config.split,
            "n_prompts": len(samples),
            **extra,
            "notes": {**notes, "fb_score": "FB-Score is reconstructed (the paper's equation was not available), "
                      "here against the IPUMS 2012 share of men in each profession's census category "
                      "(professions without a category are left out, see fb_score_coverage); "
                      "templates and modifiers are the project's own"},
            "fb_score_coverage": coverage(samples, mapped, len(professions)),
            "data_sources": sources,
            "breakdowns": tables,
        },
    )
