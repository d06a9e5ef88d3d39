"""Plain-text tables of a result document for the terminal (`bench eval`, `bench show`)."""

from __future__ import annotations

from typing import Any

_ARROWS = {"higher": "↑", "lower": "↓", "none": " "}


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _uncertainty(metric: dict[str, Any]) -> str:
    if metric.get("ci_low") is not None and metric.get("ci_high") is not None:
        return f"[{_fmt(metric['ci_low'])}, {_fmt(metric['ci_high'])}]"
    if metric.get("stderr") is not None:
        return f"± {_fmt(metric['stderr'])}"
    return "-"


def format_result_table(document: dict[str, Any], with_provenance: bool = False) -> str:
    rows = [("task", "version", "metric", "", "value", "95% CI / stderr", "n")]
    for name, task in document["tasks"].items():
        if task["status"] != "ok":
            rows.append((name, task["version"], "FAILED", "", "-", str(task.get("error") or "")[:60], "-"))
            continue
        for i, metric in enumerate(task["metrics"]):
            rows.append(
                (
                    name if i == 0 else "",
                    task["version"] if i == 0 else "",
                    metric["name"],
                    _ARROWS.get(metric["direction"], " "),
                    _fmt(metric["value"]),
                    _uncertainty(metric),
                    str(metric["n"]),
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    model = document["model"]
    header = f"model {model['name']} ({model['backend']}, {model['fingerprint'][:23]})"
    out = [header, *lines]
    if with_provenance:
        p = document["provenance"]
        out.append("")
        out.append(
            f"run {document['run_id']} at {p['started_at']}: seed {p['seed']}, {p['wall_time_s']} s, "
            f"{p['requests']} requests ({p['cache_hits']} cached), bench {p['bench_version']} "
            f"git {str(p.get('git_revision'))[:12]}"
        )
    return "\n".join(out)
