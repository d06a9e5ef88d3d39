"""The regression gate: does a candidate run score worse than a baseline run, beyond noise?

`bench gate --baseline A.json --candidate B.json [--policy gate.toml]` and `bench eval
--gate-against A.json` both call `gate_documents`. For every (task, metric) the two result
documents share, with `direction` "higher" or "lower":

    bad_change = baseline - candidate      if higher is better
                 candidate - baseline      if lower is better
    tolerance  = max(abs_tolerance, rel_tolerance * |baseline|)      (from the policy)
    regression <=> bad_change > tolerance  AND  p_adjusted <= alpha

where p is a one-sided p-value for H0 "the candidate is not worse" (H1: bad_change > 0), and
p_adjusted is Holm's step-down correction over all metrics tested in this gate, so that the
chance of any false alarm in one gate stays at or below alpha (Holm 1979, "A simple sequentially
rejective multiple test procedure", Scand. J. Statist. 6:65-70).

Which test, in order of preference (the choice and its reason are recorded per metric):

1. Per-sample data, paired: the metric names a `sample_field` and both runs scored (mostly) the
   same sample ids. Pairs are matched by the records' "id".
   - every value is 0 or 1: exact McNemar test (McNemar 1947, Psychometrika 12:153-157), i.e. a
     one-sided binomial test on the discordant pairs: with b = #(baseline right, candidate wrong)
     and c = #(baseline wrong, candidate right), p = P(Binom(b + c, 1/2) >= b).
   - otherwise: paired permutation (sign-flip) test of the mean difference, exact when
     2^n <= resamples (scipy.stats.permutation_test, permutation_type="samples").
   The 95% interval of the difference is a paired percentile bootstrap (scipy.stats.bootstrap).
2. Per-sample data, unpaired (ids mostly disjoint, e.g. different data subsets): bootstrap of the
   difference of means, resampling each run independently; p = (#{delta* <= 0} + 1) / (B + 1)
   for the bad-direction difference delta* (percentile-interval inversion; Efron & Tibshirani
   1993, "An Introduction to the Bootstrap", ch. 16).
3. No per-sample data but both metrics carry an uncertainty: z-test on the difference,
   z = bad_change / sqrt(se_b^2 + se_c^2), p = 1 - Phi(z); a stderr is taken as given, a CI is
   turned into se = (ci_high - ci_low) / (2 z_{(1+level)/2}) (assumes a symmetric normal CI).
4. Nothing to test with: the metric is "unverified"; the policy says whether that fails the gate
   (default: it warns only, because failing on noise is worse for a CI gate than a warning).

Everything is deterministic: resampling uses `policy.seed`. Input problems (missing or invalid
document, bad policy, mismatched task versions, nothing in common) raise `GateInputError` or
`ResultFileError` (exit code 2); a regression is not an exception, it is `GateReport.exit_code`.
"""

from __future__ import annotations

import json
import logging
import math
import tomllib
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from bench.harness.errors import EXIT_OK, EXIT_REGRESSION, ConfigError, ResultFileError, UsageError
from bench.harness.results import RESULT_FILENAME, load_result, validate_result
from scipy import stats

log = logging.getLogger(__name__)

Status = Literal[
    "regression",  # worse beyond tolerance and significant: fails the gate
    "not significant",  # worse beyond tolerance, but within noise
    "within tolerance",  # worse, but not more than the policy allows
    "unchanged",
    "better",
    "unverified",  # worse beyond tolerance and no way to test it
    "not gated",  # direction "none"
    "ignored",  # the policy says so
    "no value",  # NaN/None on one side
]
FAILING: frozenset[str] = frozenset({"regression"})


class GateInputError(UsageError):
    """The two documents cannot be gated against each other (nothing shared, versions differ)."""


# --------------------------------------------------------------------------------------------
# Policy


@dataclass(frozen=True)
class ToleranceRule:
    """Tolerances for one scope (defaults, a metric name, a task, or one task's metric).

    None means "not set here": the next less specific scope decides (task+metric, then task,
    then metric name, then [default]).
    """

    abs_tolerance: float | None = None
    rel_tolerance: float | None = None
    ignore: bool | None = None


_RULE_KEYS = frozenset({"abs_tolerance", "rel_tolerance", "ignore"})


@dataclass(frozen=True)
class GatePolicy:
    """How strict the gate is. Load one from TOML with `load_policy` (see docs/ci-gate.md).

    alpha          family-wise false-alarm rate of one gate (one-sided tests, Holm-corrected)
    correction     "holm" or "none" (each metric tested at alpha on its own)
    default        tolerances for every metric; the defaults (0, 0) flag any significant drop
    metrics        tolerances by metric name, in any task
    tasks          tolerances for all metrics of one task
    task_metrics   tolerances for one metric of one task, keyed (task, metric)
    resamples      bootstrap / permutation resamples
    seed           seed of the resampling, so a gate is reproducible
    min_paired_fraction   pair by id when the shared ids are at least this fraction of the larger run
    untestable     "warn" or "fail": a metric worse beyond tolerance with no way to test significance
    failed_task    "fail" or "warn": a task that ran fine in the baseline but failed in the candidate
    """

    alpha: float = 0.05
    correction: Literal["holm", "none"] = "holm"
    default: ToleranceRule = ToleranceRule(abs_tolerance=0.0, rel_tolerance=0.0, ignore=False)
    metrics: Mapping[str, ToleranceRule] = field(default_factory=dict)
    tasks: Mapping[str, ToleranceRule] = field(default_factory=dict)
    task_metrics: Mapping[tuple[str, str], ToleranceRule] = field(default_factory=dict)
    resamples: int = 9999
    seed: int = 0
    min_paired_fraction: float = 0.5
    untestable: Literal["warn", "fail"] = "warn"
    failed_task: Literal["fail", "warn"] = "fail"

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ConfigError(f"gate policy: alpha must be in (0, 1), got {self.alpha}")
        if self.correction not in ("holm", "none"):
            raise ConfigError(f"gate policy: correction must be 'holm' or 'none', got {self.correction!r}")
        if self.untestable not in ("warn", "fail"):
            raise ConfigError(f"gate policy: untestable must be 'warn' or 'fail', got {self.untestable!r}")
        if self.failed_task not in ("warn", "fail"):
            raise ConfigError(f"gate policy: failed_task must be 'warn' or 'fail', got {self.failed_task!r}")
        if self.resamples < 99:
            raise ConfigError(f"gate policy: resamples must be at least 99, got {self.resamples}")
        if not 0 < self.min_paired_fraction <= 1:
            raise ConfigError(f"gate policy: min_paired_fraction must be in (0, 1], got {self.min_paired_fraction}")

    def rule_for(self, task: str, metric: str) -> tuple[float, float, bool]:
        """(abs_tolerance, rel_tolerance, ignore) for one metric: the most specific scope that sets each."""
        scopes = [self.task_metrics.get((task, metric)), self.tasks.get(task), self.metrics.get(metric), self.default]
        resolved = []
        for key in ("abs_tolerance", "rel_tolerance", "ignore"):
            resolved.append(next(getattr(s, key) for s in scopes if s is not None and getattr(s, key) is not None))
        return float(resolved[0]), float(resolved[1]), bool(resolved[2])

    def tolerance(self, task: str, metric: str, baseline_value: float) -> float:
        abs_tol, rel_tol, _ = self.rule_for(task, metric)
        return max(abs_tol, rel_tol * abs(baseline_value))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["metrics"] = {k: asdict(v) for k, v in self.metrics.items()}
        data["tasks"] = {k: asdict(v) for k, v in self.tasks.items()}
        data["task_metrics"] = {f"{t}/{m}": asdict(v) for (t, m), v in self.task_metrics.items()}
        return data


def _parse_rule(table: Any, where: str, extra_keys: frozenset[str] = frozenset()) -> ToleranceRule:
    if not isinstance(table, dict):
        raise ConfigError(f"gate policy: {where} must be a table")
    unknown = set(table) - _RULE_KEYS - extra_keys
    if unknown:
        raise ConfigError(
            f"gate policy: unknown key {sorted(unknown)[0]!r} in {where}; allowed: {', '.join(sorted(_RULE_KEYS))}"
        )
    values: dict[str, Any] = {}
    for key in ("abs_tolerance", "rel_tolerance"):
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or not math.isfinite(value):
                raise ConfigError(f"gate policy: {where}.{key} must be a non-negative number, got {value!r}")
            values[key] = float(value)
    if "ignore" in table:
        if not isinstance(table["ignore"], bool):
            raise ConfigError(f"gate policy: {where}.ignore must be true or false, got {table['ignore']!r}")
        values["ignore"] = table["ignore"]
    return ToleranceRule(**values)


_TOP_KEYS = {
    "alpha": (int, float), "correction": str, "resamples": int, "seed": int, "min_paired_fraction": (int, float),
    "untestable": str, "failed_task": str,
}


def policy_from_dict(data: Mapping[str, Any]) -> GatePolicy:
    """Build a policy from the parsed TOML (see `load_policy` for the layout)."""
    unknown = set(data) - set(_TOP_KEYS) - {"default", "metrics", "tasks"}
    if unknown:
        allowed = ", ".join(sorted([*_TOP_KEYS, "default", "metrics", "tasks"]))
        raise ConfigError(f"gate policy: unknown key {sorted(unknown)[0]!r}; allowed: {allowed}")
    scalars: dict[str, Any] = {}
    for key, kind in _TOP_KEYS.items():
        if key in data:
            if isinstance(data[key], bool) or not isinstance(data[key], kind):
                raise ConfigError(f"gate policy: {key} has the wrong type: {data[key]!r}")
            scalars[key] = data[key]
    base = GatePolicy().default
    default = base
    if "default" in data:
        given = _parse_rule(data["default"], "[default]")
        default = ToleranceRule(
            abs_tolerance=given.abs_tolerance if given.abs_tolerance is not None else base.abs_tolerance,
            rel_tolerance=given.rel_tolerance if given.rel_tolerance is not None else base.rel_tolerance,
            ignore=given.ignore if given.ignore is not None else base.ignore,
        )
    metrics_table = data.get("metrics", {})
    if not isinstance(metrics_table, dict):
        raise ConfigError("gate policy: [metrics] must be a table of metric names")
    metrics = {name: _parse_rule(rule, f"[metrics.{name}]") for name, rule in metrics_table.items()}
    tasks_table = data.get("tasks", {})
    if not isinstance(tasks_table, dict):
        raise ConfigError("gate policy: [tasks] must be a table of task names")
    tasks: dict[str, ToleranceRule] = {}
    task_metrics: dict[tuple[str, str], ToleranceRule] = {}
    for task, table in tasks_table.items():
        tasks[task] = _parse_rule(table, f"[tasks.{task}]", extra_keys=frozenset({"metrics"}))
        per_metric = table.get("metrics", {})
        if not isinstance(per_metric, dict):
            raise ConfigError(f"gate policy: [tasks.{task}.metrics] must be a table of metric names")
        for metric, rule in per_metric.items():
            task_metrics[(task, metric)] = _parse_rule(rule, f"[tasks.{task}.metrics.{metric}]")
    return GatePolicy(default=default, metrics=metrics, tasks=tasks, task_metrics=task_metrics, **scalars)


def load_policy(path: str | Path) -> GatePolicy:
    """Read a gate policy TOML file:

        alpha = 0.05                  # family-wise, one-sided
        [default]
        abs_tolerance = 0.0
        rel_tolerance = 0.0
        [metrics.win_rate]            # this metric name in every task
        abs_tolerance = 0.02
        [tasks.uno]                   # every metric of one task
        rel_tolerance = 0.05
        [tasks.uno.metrics.fb_score]  # one metric of one task
        ignore = true
    """
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text())
    except FileNotFoundError:
        raise ConfigError(f"gate policy file {str(file)!r} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"gate policy file {str(file)!r} cannot be read: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"gate policy file {str(file)!r} is not valid TOML: {exc}") from exc
    return policy_from_dict(data)


# --------------------------------------------------------------------------------------------
# Statistics on per-sample values (pure functions)


@dataclass(frozen=True)
class TestOutcome:
    """One significance test of "the candidate is worse": the test's name, p, and the delta's interval."""

    test: str
    p_value: float
    delta_ci_low: float | None  # interval of (candidate - baseline), policy.alpha-independent 95%
    delta_ci_high: float | None
    n_paired: int = 0
    detail: str = ""


def _is_binary(*arrays: np.ndarray) -> bool:
    return all(bool(np.all((a == 0) | (a == 1))) for a in arrays)


def mcnemar_exact_worse(baseline: np.ndarray, candidate: np.ndarray, higher_is_better: bool) -> tuple[float, int, int]:
    """One-sided exact McNemar test on paired 0/1 outcomes: (p, #pairs worse, #pairs better).

    worse = pairs where the candidate moved in the bad direction; p = P(Binom(worse + better, 1/2) >= worse).
    """
    sign = 1.0 if higher_is_better else -1.0
    bad = sign * (baseline - candidate)
    worse, better = int(np.sum(bad > 0)), int(np.sum(bad < 0))
    if worse + better == 0:
        return 1.0, 0, 0
    return float(stats.binomtest(worse, worse + better, 0.5, alternative="greater").pvalue), worse, better


def paired_permutation_worse(
    baseline: np.ndarray, candidate: np.ndarray, higher_is_better: bool, resamples: int, seed: int
) -> float:
    """One-sided sign-flip permutation test of mean(bad_change) > 0 on paired values."""
    sign = 1.0 if higher_is_better else -1.0
    bad = sign * (baseline - candidate)
    if not np.any(bad != 0):
        return 1.0
    result = stats.permutation_test(
        (sign * baseline, sign * candidate),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        vectorized=True,
        n_resamples=resamples,
        alternative="greater",
        random_state=np.random.default_rng(seed),
    )
    return float(result.pvalue)


def _bootstrap(samples: tuple[np.ndarray, ...], statistic: Any, paired: bool, resamples: int, seed: int) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # degenerate data (all values equal) is fine for percentile intervals
        return stats.bootstrap(
            samples, statistic, paired=paired, vectorized=True, n_resamples=resamples, method="percentile",
            confidence_level=0.95, random_state=np.random.default_rng(seed),
        )


def paired_bootstrap_delta_ci(
    baseline: np.ndarray, candidate: np.ndarray, resamples: int, seed: int
) -> tuple[float, float]:
    """95% percentile-bootstrap interval of mean(candidate - baseline) over paired samples."""
    result = _bootstrap(
        (baseline, candidate), lambda x, y, axis: np.mean(y - x, axis=axis), True, resamples, seed
    )
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def unpaired_bootstrap_worse(
    baseline: np.ndarray, candidate: np.ndarray, higher_is_better: bool, resamples: int, seed: int
) -> tuple[float, float, float]:
    """(p, ci_low, ci_high) for mean(candidate) - mean(baseline), resampling each run on its own.

    p = (#{bad_change* <= 0} + 1) / (B + 1): the share of bootstrap replicates in which the candidate
    is not worse, i.e. the one-sided level at which the percentile interval would touch zero.
    """
    result = _bootstrap(
        (baseline, candidate), lambda x, y, axis: np.mean(y, axis=axis) - np.mean(x, axis=axis), False, resamples, seed
    )
    replicates = np.asarray(result.bootstrap_distribution)
    bad = replicates * (-1.0 if higher_is_better else 1.0)
    p = (float(np.sum(bad <= 0)) + 1.0) / (len(bad) + 1.0)
    return min(p, 1.0), float(result.confidence_interval.low), float(result.confidence_interval.high)


def z_test_worse(bad_change: float, se_baseline: float, se_candidate: float) -> tuple[float, float]:
    """(p, se of the difference) of the one-sided z-test z = bad_change / sqrt(se_b^2 + se_c^2)."""
    se = math.hypot(se_baseline, se_candidate)
    if se == 0:
        return (0.0 if bad_change > 0 else 1.0), 0.0
    return float(stats.norm.sf(bad_change / se)), se


def holm_adjust(p_values: list[float]) -> list[float]:
    """Holm's step-down adjusted p-values (statsmodels' implementation)."""
    if not p_values:
        return []
    from statsmodels.stats.multitest import multipletests

    return [float(p) for p in multipletests(p_values, method="holm")[1]]


def metric_stderr(metric: Mapping[str, Any]) -> float | None:
    """The metric's standard error: given, or derived from its CI assuming a symmetric normal interval."""
    if metric.get("stderr") is not None:
        return float(metric["stderr"])
    low, high = metric.get("ci_low"), metric.get("ci_high")
    if low is not None and high is not None:
        level = float(metric.get("ci_level") or 0.95)
        return (float(high) - float(low)) / (2 * float(stats.norm.ppf(0.5 + level / 2)))
    return None


# --------------------------------------------------------------------------------------------
# Documents


@dataclass(frozen=True)
class RunIdentity:
    """Who produced a result document: enough to say in a report what was compared with what."""

    path: str | None
    model: str
    fingerprint: str
    backend: str
    run_id: str
    created_at: str
    seed: int
    git_revision: str | None

    @classmethod
    def of(cls, document: Mapping[str, Any], path: Path | None) -> RunIdentity:
        model = document["model"]
        return cls(
            path=str(path) if path else None, model=model["name"], fingerprint=model["fingerprint"],
            backend=model["backend"], run_id=document["run_id"], created_at=document["created_at"],
            seed=int(document["provenance"]["seed"]), git_revision=document["provenance"].get("git_revision"),
        )


@dataclass
class _Run:
    """A loaded document, the folder its samples files are relative to, and its samples read so far."""

    label: str
    document: dict[str, Any]
    folder: Path | None
    path: Path | None
    _samples: dict[str, dict[str, dict[str, Any]] | None] = field(default_factory=dict)

    def samples(self, task: str) -> dict[str, dict[str, Any]] | None:
        """Records of `task` by id, or None where the document has no samples file to read."""
        if task not in self._samples:
            self._samples[task] = self._read_samples(task)
        return self._samples[task]

    def _read_samples(self, task: str) -> dict[str, dict[str, Any]] | None:
        entry = self.document["tasks"][task]
        if not entry.get("samples_file") or self.folder is None:
            return None
        file = self.folder / entry["samples_file"]
        try:
            lines = file.read_text().splitlines()
        except OSError as exc:
            raise ResultFileError(f"{self.label} samples file {str(file)!r} of task {task!r} cannot be read: {exc}") from exc
        records: dict[str, dict[str, Any]] = {}
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ResultFileError(f"{self.label} samples file {str(file)!r} line {number} is not JSON: {exc.msg}") from exc
            if not isinstance(record, dict) or "id" not in record:
                raise ResultFileError(f"{self.label} samples file {str(file)!r} line {number} has no \"id\"")
            key = str(record["id"])
            if key in records:
                raise ResultFileError(f"{self.label} samples file {str(file)!r} repeats id {key!r} (line {number})")
            records[key] = record
        return records


def _open_run(source: Mapping[str, Any] | str | Path, label: str, folder: Path | None) -> _Run:
    if isinstance(source, Mapping):
        document = dict(source)
        validate_result(document, where=f"{label} document")
        return _Run(label, document, folder, None)
    path = Path(source)
    try:
        document = load_result(path)
    except ResultFileError as exc:
        raise ResultFileError(f"{label}: {exc}") from None
    file = path / RESULT_FILENAME if path.is_dir() else path
    return _Run(label, document, file.parent, file)


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


# --------------------------------------------------------------------------------------------
# The comparison


@dataclass(frozen=True)
class MetricComparison:
    """One (task, metric) of the gate: the values, the change, the test and the verdict.

    `delta` is candidate - baseline; `bad_change` is the same change signed so that > 0 is worse.
    `p_value` is one-sided for "the candidate is worse", `p_adjusted` after the family correction.
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


@dataclass
class _Pending:
    """A comparison before the family correction is known."""

    fields: dict[str, Any]
    exceeds: bool


def _select_test(
    task: str, metric: Mapping[str, Any], other: Mapping[str, Any], base: _Run, cand: _Run, policy: GatePolicy,
    bad_change: float,
) -> tuple[TestOutcome | None, dict[str, Any]]:
    """Run the best available test for one metric; returns (outcome or None, counts and notes)."""
    higher = metric["direction"] == "higher"
    field_name = metric.get("sample_field") if metric.get("sample_field") == other.get("sample_field") else None
    info: dict[str, Any] = {"n_baseline": int(metric.get("n") or 0), "n_candidate": int(other.get("n") or 0)}
    notes: list[str] = []
    if metric.get("sample_field") != other.get("sample_field"):
        notes.append("sample_field differs between the runs")
    if field_name:
        base_records, cand_records = base.samples(task), cand.samples(task)
        if base_records is not None and cand_records is not None:
            xb, xc = _sample_values(base_records, field_name), _sample_values(cand_records, field_name)
            info.update(n_baseline=len(xb), n_candidate=len(xc))
            for label, values, reported in (("baseline", xb, metric["value"]), ("candidate", xc, other["value"])):
                if values and abs(float(np.mean(list(values.values()))) - reported) > 1e-6 * max(1.0, abs(reported)):
                    notes.append(f"{label} mean of {field_name!r} differs from the reported value")
            shared = sorted(set(xb) & set(xc))
            enough = len(shared) >= 2 and len(shared) >= policy.min_paired_fraction * max(len(xb), len(xc))
            if enough:
                b = np.array([xb[k] for k in shared])
                c = np.array([xc[k] for k in shared])
                low, high = paired_bootstrap_delta_ci(b, c, policy.resamples, policy.seed)
                if _is_binary(b, c):
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
            notes.append("per-sample records not available")
    se_b, se_c = metric_stderr(metric), metric_stderr(other)
    if se_b is not None and se_c is not None:
        p, se = z_test_worse(bad_change, se_b, se_c)
        delta = float(other["value"]) - float(metric["value"])
        z95 = float(stats.norm.ppf(0.975))
        low, high = delta - z95 * se, delta + z95 * se
        notes.append("z-test on the reported uncertainties (no per-sample data)")
        return TestOutcome("z-test", p, low, high), {**info, "notes": notes}
    notes.append("no per-sample data and no reported uncertainty: significance not tested")
    return None, {**info, "notes": notes}


def _compare_metric(
    task: str, metric: Mapping[str, Any], other: Mapping[str, Any], base: _Run, cand: _Run, policy: GatePolicy
) -> _Pending:
    name = metric["name"]
    direction = metric["direction"]
    fields: dict[str, Any] = {"task": task, "metric": name, "direction": direction,
                              "baseline": metric["value"], "candidate": other["value"]}
    if direction != other["direction"]:
        raise GateInputError(
            f"metric {task}/{name} is {direction!r}-is-better in the baseline but {other['direction']!r} in the candidate"
        )
    none = {"delta": None, "bad_change": None, "tolerance": None}
    if metric["value"] is None or other["value"] is None:
        return _Pending({**fields, **none, "status": "no value", "note": "value missing (NaN) in one run"}, False)
    delta = float(other["value"]) - float(metric["value"])
    fields["delta"] = delta
    if direction == "none":
        return _Pending({**fields, "bad_change": None, "tolerance": None, "status": "not gated",
                         "note": "direction 'none': reported, never gated"}, False)
    abs_tol, rel_tol, ignore = policy.rule_for(task, name)
    bad_change = (-delta if direction == "higher" else delta) + 0.0  # no "-0.0" in reports
    tolerance = max(abs_tol, rel_tol * abs(float(metric["value"])))
    fields.update(bad_change=bad_change, tolerance=tolerance)
    if ignore:
        return _Pending({**fields, "status": "ignored", "note": "ignored by the policy"}, False)
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


def gate_runs(base: _Run, cand: _Run, policy: GatePolicy) -> GateReport:
    base_tasks, cand_tasks = base.document["tasks"], cand.document["tasks"]
    shared_tasks = [t for t in base_tasks if t in cand_tasks]
    notes: list[str] = []
    only_base = [t for t in base_tasks if t not in cand_tasks]
    only_cand = [t for t in cand_tasks if t not in base_tasks]
    if only_base:
        notes.append(f"tasks only in the baseline, not compared: {', '.join(only_base)}")
    if only_cand:
        notes.append(f"tasks only in the candidate, not compared: {', '.join(only_cand)}")
    mismatched = [t for t in shared_tasks if base_tasks[t]["version"] != cand_tasks[t]["version"]]
    if mismatched:
        t = mismatched[0]
        raise GateInputError(
            f"task {t!r} has version {base_tasks[t]['version']!r} in the baseline but "
            f"{cand_tasks[t]['version']!r} in the candidate; different task versions are not comparable"
            + (f" (also: {', '.join(mismatched[1:])})" if len(mismatched) > 1 else "")
        )
    failed_tasks: list[str] = []
    pending: list[_Pending] = []
    for task in shared_tasks:
        b_entry, c_entry = base_tasks[task], cand_tasks[task]
        if b_entry["status"] != "ok":
            notes.append(f"task {task!r} failed in the baseline: not compared")
            continue
        if c_entry["status"] != "ok":
            failed_tasks.append(task)
            notes.append(f"task {task!r} failed in the candidate: {c_entry.get('error') or 'no error message'}")
            continue
        cand_metrics = {m["name"]: m for m in c_entry["metrics"]}
        for metric in b_entry["metrics"]:
            other = cand_metrics.get(metric["name"])
            if other is None:
                notes.append(f"metric {task}/{metric['name']} only in the baseline")
                continue
            pending.append(_compare_metric(task, metric, other, base, cand, policy))
        base_names = {m["name"] for m in b_entry["metrics"]}
        for name in cand_metrics:
            if name not in base_names:
                notes.append(f"metric {task}/{name} only in the candidate")
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
    base_seed, cand_seed = base.document["provenance"]["seed"], cand.document["provenance"]["seed"]
    if base_seed != cand_seed:
        notes.append(
            f"the runs used different seeds ({base_seed} vs {cand_seed}): samples are paired by id, which may "
            "then name different items; the tests stay valid but lose power"
        )
    return GateReport(
        baseline=RunIdentity.of(base.document, base.path), candidate=RunIdentity.of(cand.document, cand.path),
        policy=policy, comparisons=comparisons, failed_tasks=tuple(failed_tasks), notes=tuple(notes),
    )


def gate_documents(
    baseline: Mapping[str, Any] | str | Path,
    candidate: Mapping[str, Any] | str | Path,
    policy: GatePolicy | None = None,
    *,
    baseline_dir: Path | None = None,
    candidate_dir: Path | None = None,
) -> GateReport:
    """Gate `candidate` against `baseline`: result.json paths (or run folders), or loaded documents.

    A document passed as a dict has its samples files read relative to `baseline_dir` /
    `candidate_dir`; without one, its metrics fall back to the z-test on reported uncertainties.
    Raises ResultFileError / GateInputError / ConfigError (exit code 2) for input problems.
    """
    base = _open_run(baseline, "baseline", baseline_dir)
    cand = _open_run(candidate, "candidate", candidate_dir)
    report = gate_runs(base, cand, policy or GatePolicy())
    log.info("gate: %d comparisons, %d regressions", len(report.comparisons), len(report.regressions))
    return report
