"""The gate's report in the two forms CI needs: markdown for a PR comment, JSON for machines.

`render_markdown(report)` puts the verdict in the first line, then one table row per compared
metric (regressions first), then notes, then a collapsed explanation of how the verdict was
reached. Every name that comes from a result document is escaped for markdown tables and HTML,
so a model or task name cannot break the table or inject markup into the comment.
"""

from __future__ import annotations

import json
from typing import Any

from bench.harness.gate.comparison import GateReport, MetricComparison

_ARROW = {"higher": "↑", "lower": "↓", "none": ""}
_ICON = {
    "regression": "❌",
    "unverified": "⚠️",
    "not significant": "➖",
    "within tolerance": "➖",
    "unchanged": "✅",
    "better": "✅",
    "not gated": "ℹ️",
    "ignored": "ℹ️",
    "no value": "⚠️",
    "missing": "❌",
    "no baseline": "ℹ️",
}
_ORDER = ["regression", "missing", "unverified", "no value", "not significant", "within tolerance", "better",
          "unchanged", "no baseline", "not gated", "ignored"]


def md_escape(text: object) -> str:
    """Text safe inside a markdown table cell: no HTML, no pipes, no newlines, no emphasis marks."""
    value = str(text)
    for raw, safe in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("|", "\\|"), ("`", "'"), ("*", "\\*"),
                      ("_", "\\_"), ("[", "\\["), ("]", "\\]")):
        value = value.replace(raw, safe)
    return " ".join(value.split())


def _num(value: float | None) -> str:
    if value is None:
        return "–"
    if value != 0 and (abs(value) >= 1e5 or abs(value) < 1e-3):
        return f"{value:.3g}"
    return f"{value:.4g}"


def _signed(value: float | None) -> str:
    if value is None:
        return "–"
    text = _num(value)
    return text if text.startswith("-") or value == 0 else "+" + text


def _p(value: float | None) -> str:
    if value is None:
        return "–"
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def _test_cell(c: MetricComparison) -> str:
    if c.test is None:
        return "–"
    if c.n_paired:
        return f"{c.test} ({c.n_paired} pairs)"
    if c.test == "unpaired bootstrap":
        return f"{c.test} ({c.n_baseline} vs {c.n_candidate})"
    return c.test


def _row(c: MetricComparison) -> str:
    ci = "–" if c.delta_ci_low is None else f"[{_signed(c.delta_ci_low)}, {_signed(c.delta_ci_high)}]"
    relative = c.relative_delta
    delta = _signed(c.delta) + (f" ({relative:+.1%})" if relative is not None and c.delta else "")
    cells = [
        _ICON.get(c.status, ""), md_escape(c.task), f"{md_escape(c.metric)} {_ARROW.get(c.direction, '')}".strip(),
        _num(c.baseline), _num(c.candidate), delta, ci, _num(c.tolerance), _test_cell(c), _p(c.p_adjusted),
        f"**{c.status}**" if c.failing else c.status,
    ]
    return "| " + " | ".join(cells) + " |"


def _run_line(label: str, run: Any) -> str:
    return (
        f"- **{label}**: {md_escape(run.model)} ({md_escape(run.backend)}, {md_escape(run.fingerprint[:23])}), "
        f"run {md_escape(run.run_id)} of {md_escape(run.created_at[:19])}, seed {run.seed}"
        + (f", git {md_escape(run.git_revision[:10])}" if run.git_revision else "")
    )


def verdict_line(report: GateReport, escape: Any = str) -> str:
    """One line: pass/fail, the counts, and the names of what failed (`escape` applied to each name)."""
    unverified = [c for c in report.comparisons if c.status == "unverified"]
    if report.passed:
        line = "✅ bench gate: no regression"
        if unverified:
            line += f" ({len(unverified)} unverified change{'s' if len(unverified) > 1 else ''}, see below)"
        return line
    regressions = [c for c in report.comparisons if c.status == "regression"]
    missing = [c for c in report.comparisons if c.status == "missing"]
    parts = []
    if regressions:
        parts.append(f"{len(regressions)} regression{'s' if len(regressions) > 1 else ''}")
    if missing:
        parts.append(f"{len(missing)} missing value{'s' if len(missing) > 1 else ''}")
    failed_tasks = list(report.failed_tasks) if report.policy.failed_task == "fail" else []
    if failed_tasks:
        parts.append(f"{len(failed_tasks)} failed task{'s' if len(failed_tasks) > 1 else ''}")
    named = [f"{c.task}/{c.metric}" for c in report.regressions] + failed_tasks
    shown = ", ".join(escape(n) for n in named[:3]) + (f", +{len(named) - 3} more" if len(named) > 3 else "")
    return f"❌ bench gate: {', '.join(parts)} ({shown})"


def render_markdown(report: GateReport) -> str:
    """The report as GitHub-flavoured markdown, short enough for a PR comment."""
    regressions = [c for c in report.comparisons if c.status == "regression"]
    missing = [c for c in report.comparisons if c.status == "missing"]
    headline = "## " + verdict_line(report, md_escape)
    policy = report.policy
    lines = [
        headline,
        "",
        _run_line("baseline", report.baseline),
        _run_line("candidate", report.candidate),
        "",
        f"{len(report.comparisons)} metrics compared, {report.tests_run} tested for a drop at α = {policy.alpha:g} "
        f"(one-sided{', Holm-corrected' if policy.correction == 'holm' else ''}). "
        f"Default tolerance: abs {policy.default.abs_tolerance:g}, rel {policy.default.rel_tolerance:g}.",
        "",
    ]
    if regressions:
        lines.append("Regressions: " + ", ".join(f"**{md_escape(c.task)}/{md_escape(c.metric)}**" for c in regressions))
        lines.append("")
    if missing:
        lines.append("No value in the candidate: " + ", ".join(f"**{md_escape(c.task)}/{md_escape(c.metric)}**"
                                                            for c in missing))
        lines.append("")
    if report.failed_tasks:
        lines.append("Failed in the candidate: " + ", ".join(f"**{md_escape(t)}**" for t in report.failed_tasks))
        lines.append("")
    lines += [
        "| | task | metric | baseline | candidate | Δ | 95% CI of Δ | tolerance | test | p (adj.) | verdict |",
        "|---|---|---|---:|---:|---:|---|---:|---|---:|---|",
    ]
    ordered = sorted(report.comparisons, key=lambda c: (_ORDER.index(c.status) if c.status in _ORDER else 99,
                                                        c.task, c.metric))
    lines += [_row(c) for c in ordered]
    metric_notes = [f"- {md_escape(c.task)}/{md_escape(c.metric)}: {md_escape(c.note)}" for c in ordered if c.note]
    if report.notes or metric_notes:
        lines += ["", "<details><summary>Notes</summary>", ""]
        lines += [f"- {md_escape(n)}" for n in report.notes]
        lines += metric_notes
        lines += ["", "</details>"]
    lines += [
        "",
        "<details><summary>How the verdict is reached</summary>",
        "",
        "A metric regresses when its change in the bad direction is larger than its tolerance "
        "(max of the absolute tolerance and the relative tolerance × |baseline|) **and** a one-sided test "
        "says the drop is significant after Holm's correction over all tested metrics. Per-sample records "
        "are paired by id: exact McNemar for 0/1 outcomes, sign-flip permutation otherwise; unpaired "
        "bootstrap when the runs scored different samples; a z-test on reported standard errors when no "
        "per-sample data exists. *Unverified* means worse beyond tolerance with nothing to test it on. "
        "*Missing* means the candidate has no value (NaN or absent) for a metric the baseline has; it fails "
        "unless the policy sets `allow_missing` for it (then *no value*).",
        "",
        "</details>",
    ]
    return "\n".join(lines) + "\n"


def render_json(report: GateReport) -> str:
    """The report as indented strict JSON (NaN/inf become null)."""
    from bench.harness.results import json_safe

    return json.dumps(json_safe(report.to_json()), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
