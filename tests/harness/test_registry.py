"""The registry: names -> plugins through entry points, in-process registration, and lazy command help."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

import pytest
from bench.harness import registry
from bench.harness.errors import UnknownNameError, UsageError
from bench.harness.requests import RequestKind
from bench.harness.task import Task


@dataclass(frozen=True)
class _NoOptions:
    pass


class _NeedsOptions(Task):
    name = "needs_options"
    version = "1"
    config_class = _NoOptions
    request_kinds = frozenset({RequestKind.CHAT})
    headline_metric = "accuracy"
    in_all = False

    async def run(self, ctx):  # never run here: the test only lists and loads it
        raise AssertionError("not run by this test")

    def summarize(self, samples, config, ctx):
        raise AssertionError("not run by this test")


class _NotATask:
    name = "not_a_task"


class _HeaderlessTask(Task):
    name = "headless"


@pytest.fixture
def isolated_registry(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(registry, "_REGISTERED", {})
    return registry


def test_builtin_plugins_are_found_through_entry_points():
    assert {"uno", "codegenbias", "rewardbench_length", "lm_eval"} <= set(registry.task_names())
    assert {"hf", "vllm", "openai", "fake"} <= set(registry.backend_names())
    assert {"gate", "leaderboard", "calibrate"} <= set(registry.command_entry_points())


def test_in_process_registration_wins_and_all_skips_tasks_that_need_options(isolated_registry):
    isolated_registry.register_task("needs_options", _NeedsOptions)
    assert isolated_registry.load_task_class("needs_options") is _NeedsOptions
    assert "needs_options" not in isolated_registry.expand_task_names("all")
    assert isolated_registry.expand_task_names("needs_options, uno,uno") == ["needs_options", "uno"]


def test_unknown_names_list_the_choices():
    with pytest.raises(UnknownNameError, match=r"unknown task 'nope'; choices: .*codegenbias.*uno"):
        registry.expand_task_names("uno,nope")
    with pytest.raises(UnknownNameError, match="unknown backend 'tgi'; choices: fake, hf, openai, vllm"):
        registry.load_backend_class("tgi")
    with pytest.raises(UsageError, match="no task given"):
        registry.expand_task_names(" , ")


def test_command_help_line_is_read_from_the_module_docstring_without_importing_it():
    # A fresh interpreter: nothing of the plugins may be imported by reading their help lines.
    probe = (
        "import sys; from bench.harness import registry\n"
        "lines = {n: registry.command_summary(n) for n in ('calibrate', 'leaderboard')}\n"
        "heavy = sorted(m for m in sys.modules if m.startswith(('scipy', 'bench.tasks.rewardbench_length', 'bench.leaderboards')))\n"
        "print(repr(lines)); print(repr(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.splitlines()
    lines, heavy = eval(out[0]), eval(out[1])  # noqa: S307 - our own repr output
    assert lines["calibrate"].startswith("post-hoc length calibration")
    assert lines["leaderboard"].startswith("build the static leaderboard")
    assert heavy == []


def test_command_summary_is_none_when_the_module_cannot_be_located(isolated_registry, monkeypatch):
    class _EntryPoint:
        value = "no_such_package.cli:register"

    monkeypatch.setattr(isolated_registry, "command_entry_points", lambda: {"ghost": _EntryPoint()})
    assert isolated_registry.command_summary("ghost") is None
    assert isolated_registry.command_summary("missing") is None


def test_a_plugin_that_is_not_a_task_subclass_is_refused_with_one_line(isolated_registry):
    isolated_registry.register_task("not_a_task", _NotATask)
    with pytest.raises(UsageError, match=r"task 'not_a_task' \(.*_NotATask\) is not a subclass of bench.harness.task.Task"):
        isolated_registry.load_task_class("not_a_task")


def test_a_task_without_its_whole_header_is_refused_naming_what_is_missing(isolated_registry):
    isolated_registry.register_task("headless", _HeaderlessTask)
    with pytest.raises(UsageError, match="lacks version, config_class, request_kinds, headline_metric, run, summarize"):
        isolated_registry.load_task_class("headless")
