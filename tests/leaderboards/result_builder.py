"""Schema-valid result documents for leaderboard tests, laid out as `bench eval` writes them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.harness.results import model_slug, validate_result

HOSTILE = "<script>alert(1)</script>"


def metric(name: str, value: float | None, direction: str = "higher", n: int = 50, *, stderr: float | None = None,
           ci: tuple[float, float] | None = None, description: str = "") -> dict[str, Any]:
    return {"name": name, "value": value, "direction": direction, "n": n, "stderr": stderr,
            "ci_low": ci[0] if ci else None, "ci_high": ci[1] if ci else None, "ci_level": 0.95,
            "sample_field": None, "description": description}


def task(metrics: list[dict[str, Any]], version: str = "1", *, headline: str | None = None, status: str = "ok",
         plots: list[dict[str, str]] | None = None, description: str = "", config: dict[str, Any] | None = None,
         comparability_keys: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"version": version, "metrics": metrics, "headline": headline or (metrics[0]["name"] if metrics else None),
            "status": status, "plots": plots or [], "description": description,
            "config": config if config is not None else {"games": 4}, "comparability_keys": list(comparability_keys)}


def write_result(results: Path, model: str, run_id: str, created_at: str, tasks: dict[str, dict[str, Any]],
                 *, seed: int = 1234, fingerprint: str | None = None, backend: str = "hf",
                 plot_files: dict[str, bytes] | None = None) -> Path:
    """Write <results>/<model-slug>/<run_id>/result.json (+ empty samples files and any plot files)."""
    folder = results / model_slug(model) / run_id
    folder.mkdir(parents=True, exist_ok=True)
    for relative, content in (plot_files or {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_bytes(content)
    entries = {}
    for number, (name, spec) in enumerate(tasks.items()):
        (folder / f"samples_{number}.jsonl").write_text("")
        failed = spec["status"] != "ok"
        entries[name] = {
            "name": name, "version": spec["version"], "description": spec["description"], "config": spec["config"],
            "comparability_keys": spec["comparability_keys"],
            "headline_metric": spec["headline"], "status": spec["status"], "error": "it broke" if failed else None,
            "metrics": [] if failed else spec["metrics"], "samples_file": f"samples_{number}.jsonl", "n_samples": 0,
            "plots": spec["plots"], "extra": {}, "wall_time_s": 12.5,
        }
    document = {
        "schema_version": "1.0", "run_id": run_id, "created_at": created_at,
        "model": {"name": model, "source": f"local/{model}", "fingerprint": fingerprint or f"sha256:{run_id}",
                  "revision": None, "backend": backend, "backend_args": {"dtype": "float32"}, "dtype": "float32",
                  "device": "cpu"},
        "config": {"tasks": list(tasks), "seed": seed, "limit": None},
        "tasks": entries,
        "provenance": {"bench_version": "0.1.0", "git_revision": "0123456789abcdef", "git_dirty": False,
                       "python": "3.11.7", "platform": "Linux-x86_64", "hardware": {"cpu_count": 2},
                       "packages": {"torch": "2.13.0", "transformers": "5.19.0"}, "seed": seed,
                       "started_at": created_at, "wall_time_s": 42.0, "requests": 120, "cache_hits": 20,
                       "command": f"bench eval --model {model}"},
    }
    validate_result(document)
    path = folder / "result.json"
    path.write_text(json.dumps(document, indent=1))
    return path


def tiny_png() -> bytes:
    """A real 2x2 PNG drawn by matplotlib (what a task's plot looks like on disk)."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1, 2], [0.2, 0.5, 0.4])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=60)
    plt.close(fig)
    return buffer.getvalue()


def demo_results(results: Path) -> Path:
    """Three models (one hostile name), two tasks, a task at two versions, history, a failed task, a plot."""
    png = tiny_png()
    write_result(results, "alpha-7b", "a1", "2026-01-01T10:00:00+00:00", {
        "uno": task([metric("win_rate", 0.40, ci=(0.30, 0.50)), metric("fb_score", 0.2, "lower", stderr=0.05)]),
        "qa": task([metric("accuracy", 0.70, stderr=0.02)]),
    })
    write_result(results, "alpha-7b", "a2", "2026-02-01T10:00:00+00:00", {
        "uno": task([metric("win_rate", 0.55, ci=(0.45, 0.65)), metric("fb_score", 0.1, "lower", stderr=0.05)],
                    plots=[{"name": "win rate by seat", "path": "plots/uno/seats.png", "caption": "per seat"}]),
        "qa": task([metric("accuracy", 0.72, stderr=0.02)], version="2"),
    }, plot_files={"plots/uno/seats.png": png})
    write_result(results, "beta-1b", "b1", "2026-01-15T10:00:00+00:00", {
        "uno": task([metric("win_rate", 0.25, ci=(0.15, 0.35)), metric("fb_score", 0.3, "lower", stderr=0.05)]),
        "qa": task([metric("accuracy", 0.80, stderr=0.02)]),
    })
    write_result(results, HOSTILE, "h1", "2026-01-20T10:00:00+00:00", {
        "uno": task([metric("win_rate", 0.10, ci=(0.05, 0.15), description=HOSTILE),
                     metric("fb_score", 0.9, "lower", stderr=0.05)],
                    description=f"desc {HOSTILE}"),
        "qa": task([], status="failed"),
    })
    return results
