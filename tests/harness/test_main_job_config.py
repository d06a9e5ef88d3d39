"""The README's main job (docs/main-job.toml) stays a valid configuration of every task in `--tasks all`."""

from __future__ import annotations

from pathlib import Path

from bench.harness import registry
from bench.harness.cli import build_parser, config_from_args
from bench.harness.scheduler import plan_tasks

MAIN_JOB = Path(__file__).resolve().parents[2] / "docs" / "main-job.toml"


def test_the_main_job_plans_every_task_of_all_with_its_slice_settings() -> None:
    args = build_parser("eval").parse_args(["eval", "--config", str(MAIN_JOB)])
    config = config_from_args(args)
    planned = {p.name: p.config for p in plan_tasks(config)}
    in_all = {n for n in registry.task_names() if registry.load_task_class(n).in_all}
    assert set(planned) == in_all and config.limit == 2
    for name in config.task_args:
        assert name in planned, f"docs/main-job.toml sets options of {name!r}, which --tasks all does not run"
    assert planned["uno"].answer_mode == "constrained" and planned["uno"].max_turns == 20
    assert planned["textworld_tips_self"].levels == ("L1",) and planned["textworld_tips_self"].trials == 2
    assert planned["cairo_bold"].seeds == (1, 2) and planned["cairo_bold"].paraphrase_sets is False
