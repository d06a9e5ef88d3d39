"""The regression gate: does a candidate run score worse than a baseline run, beyond noise?

`bench gate --baseline A.json --candidate B.json [--policy gate.toml]` and `bench eval
--gate-against A.json` both call `gate_documents`. The package, one job per module:

    policy.py       GatePolicy / ToleranceRule, read from TOML (alpha, tolerances by scope, allow_missing)
    loading.py      the two runs: typed ResultDocument, run folder, sample records (verified reader)
    comparison.py   per (task, metric): change, tolerance, test, verdict; Holm over the family
    report.py       markdown (PR comment) and JSON reports
    cli.py          the `bench gate` sub-command

The significance tests themselves are pure functions in `bench.metrics.significance`. How a
verdict is reached is in comparison.py's docstring and docs/ci-gate.md.
"""

from bench.harness.gate.comparison import (
    FAILING,
    GateInputError,
    GateReport,
    MetricComparison,
    Status,
    gate_documents,
    gate_runs,
)
from bench.harness.gate.loading import GateRun, RunIdentity, open_run
from bench.harness.gate.policy import GatePolicy, ToleranceRule, load_policy, policy_from_dict

__all__ = [
    "FAILING", "GateInputError", "GatePolicy", "GateReport", "GateRun", "MetricComparison", "RunIdentity", "Status",
    "ToleranceRule", "gate_documents", "gate_runs", "load_policy", "open_run", "policy_from_dict",
]
