"""The comparison: for every (task, metric) of the baseline, is the candidate worse beyond noise?

For a metric with direction "higher" or "lower":

    bad_change = baseline - candidate      if higher is better
                 candidate - baseline      if lower is better
    tolerance  = max(abs_tolerance, rel_tolerance * |baseline|)      (from the policy)
    regression <=> bad_change > tolerance  AND  p_adjusted <= alpha

p is one-sided for H0 "the candidate is not worse", p_adjusted is Holm's correction over every
metric tested in this gate. Which test (metrics/significance.py), in order of preference: paired on
per-sample records matched by "id" (exact McNemar for 0/1 values, sign-flip permutation otherwise);
unpaired bootstrap when the runs scored mostly different samples; a z-test on the reported
uncertainties when there are no per-sample records; otherwise "unverified" (fails only with
`untestable = "fail"`).

Missing values: a candidate metric that is NaN/null, or absent while the baseline has it, is
"missing" and fails the gate unless the policy's `allow_missing` covers it ("no value", a warning).
A baseline without a value for a metric gives "no baseline": nothing to regress against, reported,
never failing. Input problems (versions or comparability keys that differ, nothing in common) raise
`GateInputError` (exit 2); a regression is not an exception, it is `GateReport.exit_code`.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
from bench.harness.errors import EXIT_OK, EXIT_REGRESSION, UsageError
from bench.harness.gate.loading import GateRun, RunIdentity, open_run
from bench.harness.gate.policy import GatePolicy
from bench.harness.schema import MetricValue, ResultDocument
from bench.metrics.significance import (
    holm_adjust,
    is_binary,
    mcnemar_exact_worse,
    paired_bootstrap_delta_ci,
    paired_permutation_worse,
    stderr_from_interval,
    unpaired_bootstrap_worse,
    z_test_worse,
)

log = logging.getLogger(__name__)

Status = Literal[
    "regression",  # worse beyond tolerance and significant: fails the gate
    "missing",  # no value (NaN or absent) in the candidate: fails unless the policy allows it
    "not significant",  # worse beyond tolerance, but within noise
    "within tolerance",  # worse, but not more than the policy allows
    "unchanged",
    "better",
    "unverified",  # worse beyond tolerance and no way to test it
    "not gated",  # direction "none"
    "ignored",  # the policy says so
    "no value",  # no value in the candidate, allowed by the policy
    "no baseline",  # no value in the baseline: nothing to compare with
]
FAILING: frozenset[str] = frozenset({"regression", "missing"})


class GateInputError(UsageError):
    """The two documents cannot be gated against each other (nothing shared, versions differ)."""


@dataclass(frozen=True)
class MetricComparison:
    """One (task, metric) of the gate: the values, the change, the test and the verdict.

    `delta` is candidate - baseline; `bad_change` is the same change signed so that > 0 is worse.
    `p_value` is one-sided for "the candidate is worse", `p_adjusted` after the family correction.
    A value that is missing is None.
    """

    task: str
    metric: str
    direction: str
    baseline: float | None
    candidate: float | None
    delta: float | None
    bad_change: float | None
    tolerance: float | None
    status: Status
    test: str | None = None
    p_value: float | None = None
    p_adjusted: float | None = None
    delta_ci_low: float | None = None
    delta_ci_high: float | None = None
    n_baseline: int = 0
    n_candidate: int = 0
    n_paired: int = 0
    note: str = ""

    @property
    def failing(self) -> bool:
        return self.status in FAILING

    @property
    def relative_delta(self) -> float | None:
        if self.delta is None or not self.baseline:
            return None
        return self.delta / abs(self.baseline)


@dataclass(frozen=True)
class GateReport:
    """The gate's verdict: every comparison, what could not be compared, and the exit code."""

    baseline: RunIdentity
    candidate: RunIdentity
    policy: GatePolicy
    comparisons: tuple[MetricComparison, ...]
    failed_tasks: tuple[str, ...] = ()  # ok in the baseline, failed in the candidate
    notes: tuple[str, ...] = ()

    @property
    def regressions(self) -> tuple[MetricComparison, ...]:
        """Every failing comparison (a significant regression, or a missing candidate value)."""
        return tuple(c for c in self.comparisons if c.failing)

    @property
    def tests_run(self) -> int:
        return sum(1 for c in self.comparisons if c.p_value is not None)

    @property
    def passed(self) -> bool:
        failed_tasks_fail = bool(self.failed_tasks) and self.policy.failed_task == "fail"
        return not self.regressions and not failed_tasks_fail

    @property
    def exit_code(self) -> int:
        return EXIT_OK if self.passed else EXIT_REGRESSION

    def to_json(self) -> dict[str, Any]:
        comparisons = []
        for c in self.comparisons:
            entry = asdict(c)
            entry["relative_delta"] = c.relative_delta
            comparisons.append(entry)
        return {
            "report": "bench-gate",
            "report_version": "1",
            "passed": self.passed,
            "exit_code": self.exit_code,
            "regressions": [f"{c.task}/{c.metric}" for c in self.regressions],
            "failed_tasks": list(self.failed_tasks),
            "baseline": asdict(self.baseline),
            "candidate": asdict(self.candidate),
            "policy": self.policy.to_json(),
            "tests_run": self.tests_run,
            "comparisons": comparisons,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class TestOutcome:
    """One significance test of "the candidate is worse": the test's name, p, and the delta's 95% interval."""

    test: str
    p_value: float
    delta_ci_low: float | None
    delta_ci_high: float | None
    n_paired: int = 0
    detail: str = ""


@dataclass
class _Pending:
    """A comparison before the family correction is known."""

    fields: dict[str, Any]
    exceeds: bool


def _value(metric: MetricValue | None) -> float | None:
    return float(metric.value) if metric is not None and metric.has_value else None


def _sample_values(records: Mapping[str, Mapping[str, Any]], field_name: str) -> dict[str, float]:
    """id -> numeric value of `field_name`; records without a finite number there are left out."""
    values = {}
    for key, record in records.items():
        value = record.get(field_name)
        if isinstance(value, bool):
            value = float(value)
        if isinstance(value, (int, float)) and math.isfinite(value):
            values[key] = float(value)
    return values


def _select_test(
    task: str, metric: MetricValue, other: MetricValue, base: GateRun, cand: GateRun, policy: GatePolicy,
    bad_change: float,
) -> tuple[TestOutcome | None, dict[str, Any]]:
    """Run the best available test for one metric; returns (outcome or None, counts and notes)."""
    higher = metric.direction == "higher"
    field_name = metric.sample_field if metric.sample_field == other.sample_field else None
    info: dict[str, Any] = {"n_baseline": metric.n, "n_candidate": other.n}
    notes: list[str] = []
    if metric.sample_field != other.sample_field:
        notes.append("sample_field differs between the runs")
    if field_name:
        base_records, cand_records = base.samples(task), cand.samples(task)
        if base_records is not None and cand_records is not None:
            xb, xc = _sample_values(base_records, field_name), _sample_values(cand_records, field_name)
            info.update(n_baseline=len(xb), n_candidate=len(xc))
            for label, values, reported in (("baseline", xb, metric.value), ("candidate", xc, other.value)):
                if values and abs(float(np.mean(list(values.values()))) - reported) > 1e-6 * max(1.0, abs(reported)):
                    notes.append(f"{label} mean of {field_name!r} differs from the reported value")
            shared = sorted(set(xb) & set(xc))
            enough = len(shared) >= 2 and len(shared) >= policy.min_paired_fraction * max(len(xb), len(xc))
            if enough:
                b = np.array([xb[k] for k in shared])
                c = np.array([xc[k] for k in shared])
                low, high = paired_bootstrap_delta_ci(b, c, policy.resamples, policy.seed)
                if is_binary(b, c):
                    p, worse, better = mcnemar_exact_worse(b, c, higher)
                    outcome = TestOutcome("McNemar exact", p, low, high, len(shared),
                                          f"{worse} pairs worse, {better} better")
                else:
                    p = paired_permutation_worse(b, c, higher, policy.resamples, policy.seed)
                    outcome = TestOutcome("paired permutation", p, low, high, len(shared))
                info["n_paired"] = len(shared)
                if len(shared) < max(len(xb), len(xc)):
                    notes.append(f"paired on the {len(shared)} shared sample ids")
                return outcome, {**info, "notes": notes}
            if len(xb) >= 2 and len(xc) >= 2:
                b = np.array(list(xb.values()))
                c = np.array(list(xc.values()))
                p, low, high = unpaired_bootstrap_worse(b, c, higher, policy.resamples, policy.seed)
                notes.append(f"unpaired: only {len(shared)} sample ids shared")
                return TestOutcome("unpaired bootstrap", p, low, high), {**info, "notes": notes}
            notes.append(f"too few per-sample values of {field_name!r} to test")
        else:
            notes += [n for n in (base.notes.get(task), cand.notes.get(task)) if n]
            notes.append("per-sample records not available")
    se_b = stderr_from_interval(metric.stderr, metric.ci_low, metric.ci_high, metric.ci_level)
    se_c = stderr_from_interval(other.stderr, other.ci_low, other.ci_high, other.ci_level)
    if se_b is not None and se_c is not None:
        p, se = z_test_worse(bad_change, se_b, se_c)
        delta = other.value - metric.value
        z95 = 1.959963984540054
        notes.append("z-test on the reported uncertainties (no per-sample data)")
        return TestOutcome("z-test", p, delta - z95 * se, delta + z95 * se), {**info, "notes": notes}
    notes.append("no per-sample data and no reported uncertainty: significance not tested")
    return None, {**info, "notes": notes}


def _compare_metric(
    task: str, metric: MetricValue, other: MetricValue | None, base: GateRun, cand: GateRun, policy: GatePolicy
) -> _Pending:
    """One baseline metric against the candidate's metric of that name (None: the candidate lacks it)."""
    name, direction = metric.name, metric.direction
    if other is not None and direction != other.direction:
        raise GateInputError(
            f"metric {task}/{name} is {direction!r}-is-better in the baseline but {other.direction!r} in the candidate"
        )
    base_value, cand_value = _value(metric), _value(other)
    fields: dict[str, Any] = {"task": task, "metric": name, "direction": direction, "baseline": base_value,
                              "candidate": cand_value, "delta": None, "bad_change": None, "tolerance": None,
                              "n_baseline": metric.n, "n_candidate": other.n if other is not None else 0}
    abs_tol, rel_tol, ignore = policy.rule_for(task, name)
    if ignore:
        return _Pending({**fields, "status": "ignored", "note": "ignored by the policy"}, False)
    if direction == "none":
        return _Pending({**fields, "status": "not gated", "note": "direction 'none': reported, never gated"}, False)
    if cand_value is None:
        why = "absent from the candidate" if other is None else "NaN/null in the candidate"
        if policy.allows_missing(task, name):
            return _Pending({**fields, "status": "no value", "note": f"{why}; allowed by the policy"}, False)
        return _Pending({**fields, "status": "missing",
                         "note": f"{why}; fails the gate (set allow_missing in the policy to accept)"}, False)
    assert other is not None
    if base_value is None:
        return _Pending({**fields, "status": "no baseline",
                         "note": "NaN/null in the baseline: nothing to compare with"}, False)
    delta = cand_value - base_value
    bad_change = (-delta if direction == "higher" else delta) + 0.0  # no "-0.0" in reports
    tolerance = max(abs_tol, rel_tol * abs(base_value))
    fields.update(delta=delta, bad_change=bad_change, tolerance=tolerance)
    outcome, info = _select_test(task, metric, other, base, cand, policy, bad_change)
    notes = info.pop("notes")
    fields.update(info)
    if outcome is not None:
        fields.update(test=outcome.test, p_value=outcome.p_value, delta_ci_low=outcome.delta_ci_low,
                      delta_ci_high=outcome.delta_ci_high, n_paired=outcome.n_paired)
        if outcome.detail:
            notes.insert(0, outcome.detail)
    fields["note"] = "; ".join(notes)
    return _Pending(fields, bad_change > tolerance)


def _verdict(pending: _Pending, p_adjusted: float | None, policy: GatePolicy) -> MetricComparison:
    fields = dict(pending.fields)
    if "status" not in fields:
        bad_change = fields["bad_change"]
        if bad_change == 0:
            status = "unchanged"
        elif bad_change < 0:
            status = "better"
        elif not pending.exceeds:
            status = "within tolerance"
        elif fields.get("p_value") is None:
            status = "regression" if policy.untestable == "fail" else "unverified"
        elif p_adjusted is not None and p_adjusted <= policy.alpha:
            status = "regression"
        else:
            status = "not significant"
        fields["status"] = status
        fields["p_adjusted"] = p_adjusted
    return MetricComparison(**fields)


def _check_comparable(base: ResultDocument, cand: ResultDocument, shared: list[str]) -> None:
    mismatched = [t for t in shared if base.tasks[t].version != cand.tasks[t].version]
    if mismatched:
        t = mismatched[0]
        raise GateInputError(
            f"task {t!r} has version {base.tasks[t].version!r} in the baseline but "
            f"{cand.tasks[t].version!r} in the candidate; different task versions are not comparable"
            + (f" (also: {', '.join(mismatched[1:])})" if len(mismatched) > 1 else "")
        )
    for t in shared:
        b, c = base.tasks[t], cand.tasks[t]
        keys = dict.fromkeys([*b.comparability_keys, *c.comparability_keys])
        differing = [k for k in keys if repr(b.config.get(k)) != repr(c.config.get(k))]
        if differing:
            k = differing[0]
            raise GateInputError(
                f"task {t!r} ran with {k}={b.config.get(k)!r} in the baseline but {k}={c.config.get(k)!r} in the "
                f"candidate; {k!r} is a comparability key of the task, so the numbers are not comparable"
            )


def gate_runs(base: GateRun, cand: GateRun, policy: GatePolicy) -> GateReport:
    """Compare two opened runs under `policy`; see the module docstring."""
    base_tasks, cand_tasks = base.document.tasks, cand.document.tasks
    shared_tasks = [t for t in base_tasks if t in cand_tasks]
    notes: list[str] = []
    only_base = [t for t in base_tasks if t not in cand_tasks]
    only_cand = [t for t in cand_tasks if t not in base_tasks]
    if only_base:
        notes.append(f"tasks only in the baseline, not compared: {', '.join(only_base)}")
    if only_cand:
        notes.append(f"tasks only in the candidate, not compared: {', '.join(only_cand)}")
    _check_comparable(base.document, cand.document, shared_tasks)
    failed_tasks: list[str] = []
    pending: list[_Pending] = []
    for task in shared_tasks:
        b_entry, c_entry = base_tasks[task], cand_tasks[task]
        if not b_entry.ok:
            notes.append(f"task {task!r} failed in the baseline: not compared")
            continue
        if not c_entry.ok:
            failed_tasks.append(task)
            notes.append(f"task {task!r} failed in the candidate: {c_entry.error or 'no error message'}")
            continue
        for metric in b_entry.metrics:
            pending.append(_compare_metric(task, metric, c_entry.metric(metric.name), base, cand, policy))
        base_names = {m.name for m in b_entry.metrics}
        for m in c_entry.metrics:
            if m.name not in base_names:
                notes.append(f"metric {task}/{m.name} only in the candidate: no baseline to compare with")
    if not pending and not failed_tasks:
        raise GateInputError(
            f"no metric in common: baseline has tasks {', '.join(base_tasks) or '(none)'}, "
            f"candidate has {', '.join(cand_tasks) or '(none)'}"
        )
    tested = [i for i, p in enumerate(pending) if p.fields.get("p_value") is not None and "status" not in p.fields]
    raw = [pending[i].fields["p_value"] for i in tested]
    adjusted = holm_adjust(raw) if policy.correction == "holm" else raw
    adjusted_by_index = dict(zip(tested, adjusted))
    comparisons = tuple(_verdict(p, adjusted_by_index.get(i), policy) for i, p in enumerate(pending))
    base_seed, cand_seed = base.document.provenance.seed, cand.document.provenance.seed
    if base_seed != cand_seed:
        notes.append(
            f"the runs used different seeds ({base_seed} vs {cand_seed}): samples are paired by id, which may "
            "then name different items; the tests stay valid but lose power"
        )
    return GateReport(
        baseline=base.identity, candidate=cand.identity, policy=policy, comparisons=comparisons,
        failed_tasks=tuple(failed_tasks), notes=tuple(notes),
    )


def gate_documents(
    baseline: ResultDocument | Mapping[str, Any] | str | Path,
    candidate: ResultDocument | Mapping[str, Any] | str | Path,
    policy: GatePolicy | None = None,
    *,
    baseline_dir: Path | None = None,
    candidate_dir: Path | None = None,
) -> GateReport:
    """Gate `candidate` against `baseline`: result.json paths (or run folders), or loaded documents.

    A document passed as a ResultDocument or dict has its samples files read from `baseline_dir` /
    `candidate_dir`; without one, its metrics fall back to the z-test on reported uncertainties.
    Raises ResultFileError / GateInputError / ConfigError (exit code 2) for input problems.
    """
    base = open_run(baseline, "baseline", baseline_dir)
    cand = open_run(candidate, "candidate", candidate_dir)
    report = gate_runs(base, cand, policy or GatePolicy())
    log.info("gate: %d comparisons, %d failing", len(report.comparisons), len(report.regressions))
    return report
