"""lm-eval's `simple_evaluate` ends with an environment report (torch's collect_env: about fifteen
subprocesses; `git rev-parse`): the bridge's own calls skip it, any other caller in the process keeps it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bench.harness.config import EvalConfig
from bench.harness.scheduler import evaluate
from lm_eval.api.model import LM
from lm_eval_capitals import write_capitals_task


class ConstantLM(LM):
    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        return [(-1.0, False) for _ in requests]

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        raise NotImplementedError  # a multiple-choice task makes no rolling requests

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        raise NotImplementedError  # nor generation requests


def test_bridge_skips_lm_evals_environment_report_and_other_callers_keep_it(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import torch.utils.collect_env as collect_env
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    reports: list[str] = []
    monkeypatch.setattr(collect_env, "get_pretty_env_info", lambda: reports.append("asked") or "the report")
    write_capitals_task(tmp_path, "bench_capitals_report")
    config = EvalConfig(tasks=("lm_eval",), backend="fake", model="fake-model", limit=2, output_path=str(tmp_path / "out"),
                        use_cache=False, show_progress=False,
                        task_args={"lm_eval": {"tasks": ("bench_capitals_report",), "include_path": str(tmp_path)}})
    assert evaluate(config).exit_code == 0
    assert reports == []

    results = simple_evaluate(model=ConstantLM(), tasks=["bench_capitals_report"], limit=2, bootstrap_iters=0,
                              task_manager=TaskManager(include_path=str(tmp_path), include_defaults=False))
    assert results is not None and results["pretty_env_info"] == "the report"
    assert reports == ["asked"]
