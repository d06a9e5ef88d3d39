"""The three TextWorld tasks without a real model: the memory flow between trials and games
(tips of trial t in trial t+1's prompts; cross-game tips built from training games only), and a
whole `bench eval --tasks textworld` on the fake backend checked against its own records."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from bench.arenas.textworld.games import default_games_dir, ensure_games, game_set
from bench.harness.progress import Progress
from bench.harness.requests import GenerationAnswer, GenerationParams, LoglikelihoodAnswer, Message
from bench.harness.task import TaskContext
from bench.tasks.textworld import (
    TextWorldTipsCrossTask,
    TextWorldTipsExpertTask,
    TextWorldTipsSelfTask,
    TipsCrossConfig,
    TipsExpertConfig,
    TipsSelfConfig,
)

GAMES_DIR = str(default_games_dir())


class StubModel:
    """Records every request in order. Commands are ranked by length (shortest first); a tips
    request gets a numbered list with a serial number, a reflection request a numbered sentence;
    with `echo`, a tips request is answered with its own prompt's lines as tips."""

    def __init__(self, echo: bool = False) -> None:
        self.echo, self.calls, self.serial = echo, [], 0

    async def chat(self, messages: Sequence[Message], params: GenerationParams | None = None) -> GenerationAnswer:
        prompt = messages[-1].content
        self.serial += 1
        if "numbered list" in prompt:
            kind = "tips"
            text = ("\n".join(f"{i}. {line}" for i, line in enumerate(prompt.splitlines(), 1)) if self.echo
                    else f"1. Tip-{self.serial}: read the cookbook first.\n2. Tip-{self.serial}: open containers.")
        elif "sentences" in prompt:
            kind, text = "reflection", f"Reflection-{self.serial}: I should have opened the fridge."
        else:
            kind, text = "command", "look"
        self.calls.append((kind, prompt, text))
        return GenerationAnswer(text)

    async def loglikelihood(self, context: Any, continuation: str) -> LoglikelihoodAnswer:
        prompt = context[-1].content if not isinstance(context, str) else context
        if not self.calls or self.calls[-1][:2] != ("act", prompt):
            self.calls.append(("act", prompt, ""))
        return LoglikelihoodAnswer(-float(len(continuation)), False, 1)


def _run(task: Any, config: Any, model: StubModel, limit: int, tmp_path: Path) -> list[dict[str, Any]]:
    ctx = TaskContext(model=model, config=config, seed=0, limit=limit, artifacts_dir=tmp_path,  # type: ignore[arg-type]
                      progress=Progress(enabled=False))
    return asyncio.run(task.run(ctx))


def test_tips_written_after_trial_t_are_in_every_prompt_of_trial_t_plus_1(tmp_path: Path):
    config = TipsSelfConfig(levels=("L1",), agents=("tips",), trials=3, max_steps=3, games_dir=GAMES_DIR)
    model = StubModel()
    records = _run(TextWorldTipsSelfTask(), config, model, 1, tmp_path)
    by_trial = {r["trial"]: r for r in records}
    assert sorted(by_trial) == [1, 2, 3] and by_trial[1]["memory"] == []
    for t in (1, 2):
        assert by_trial[t]["memory_after"] == by_trial[t + 1]["memory"] != []
    assert by_trial[3]["memory_after"] is None  # no tips are written after the last trial
    assert by_trial[1]["memory_answer"].startswith("1. Tip-") and by_trial[3]["memory_answer"] is None
    # In request order: the acting prompts after the k-th tips answer carry exactly those tips.
    current = None
    acts = 0
    for kind, prompt, text in model.calls:
        if kind == "tips":
            current = re.findall(r"Tip-\d+", text)[0]
        elif kind == "act":
            acts += 1
            assert (current is None and "Tip-" not in prompt) or (current in prompt and len(set(re.findall(r"Tip-\d+", prompt))) == 1)
    assert acts == sum(r["steps"] for r in records)


def test_reflexion_reflects_after_failed_trials_and_keeps_the_last_ones(tmp_path: Path):
    config = TipsSelfConfig(levels=("L1",), agents=("reflexion", "tips"), trials=3, max_steps=2, max_reflections=1,
                            games_dir=GAMES_DIR)
    records = [r for r in _run(TextWorldTipsSelfTask(), config, StubModel(), 1, tmp_path) if r["agent"] == "reflexion"]
    by_trial = {r["trial"]: r for r in records}
    assert not any(r["won"] for r in records)  # two steps never win a cooking game
    assert by_trial[1]["memory"] == [] and len(by_trial[2]["memory"]) == 1 and len(by_trial[3]["memory"]) == 1
    assert by_trial[2]["memory"] != by_trial[3]["memory"] and by_trial[3]["memory"][0].startswith("Reflection-")
    assert by_trial[2]["memory_kind"] == "reflections"


def test_cross_game_tips_never_carry_names_of_test_only_entities(tmp_path: Path):
    config = TipsCrossConfig(levels=("L1", "L2"), train_games_per_level=1, max_steps=4, max_tips=200, games_dir=GAMES_DIR)
    model = StubModel(echo=True)
    records = _run(TextWorldTipsCrossTask(), config, model, 2, tmp_path)
    train = ensure_games(game_set([1, 2], "train", 1, 1), Path(GAMES_DIR))
    test = ensure_games(game_set([1, 2], "test", 2, 1)[:2], Path(GAMES_DIR))
    train_names = {n for g in train for n in g.entity_names}
    test_only = {n for g in test for n in g.entity_names} - train_names
    assert test_only  # the test split brings foods the training games never show
    [memory] = [r for r in records if r["id"] == "memory/tips"]
    text = "\n".join(memory["items"]).lower()
    assert any(name in text for name in train_names)  # the echo carried the training games' own words
    for name in test_only:
        assert not re.search(rf"\b{re.escape(name)}\b", text), name
    for r in records:
        if r["agent"] == "tips" and r.get("phase") == "eval":
            assert r["memory"] == memory["items"] and r["split"] == "test"
        if r.get("phase") == "source":
            assert r["split"] == "train"


def test_expert_memory_comes_from_walkthroughs_of_training_games(tmp_path: Path):
    config = TipsExpertConfig(levels=("L1",), train_games_per_level=2, max_steps=3, games_dir=GAMES_DIR)
    model = StubModel()
    records = _run(TextWorldTipsExpertTask(), config, model, 2, tmp_path)  # --limit 2 also keeps 2 training games
    demos = [r for r in records if r["phase"] == "demonstration"]
    assert len(demos) == 2 and all(d["won"] and d["split"] == "train" and d["choice_mode"] == "walkthrough" for d in demos)
    tips_prompts = [p for kind, p, _ in model.calls if kind == "tips"]
    assert len(tips_prompts) == 3  # one per demonstration, then the merge
    assert all("Expert trajectory" in p for p in tips_prompts[:2]) and "Tips from game 2" in tips_prompts[2]
    [tips] = [r for r in records if r["id"] == "memory/tips"]
    [reflections] = [r for r in records if r["id"] == "memory/reflexion"]
    assert set(tips["per_source"]) == set(reflections["per_source"]) == {d["game_id"] for d in demos}
    evals = [r for r in records if r["phase"] == "eval"]
    assert len(evals) == 2 * 3
    expected = {"tips": tips["items"], "reflexion": reflections["items"], "plain": []}
    assert all(r["memory"] == expected[r["agent"]] for r in evals)


def test_limit_also_caps_the_training_games(tmp_path: Path):
    config = TipsExpertConfig(levels=("L1",), train_games_per_level=2, max_steps=2, games_dir=GAMES_DIR)
    records = _run(TextWorldTipsExpertTask(), config, StubModel(), 1, tmp_path)
    assert len([r for r in records if r["phase"] == "demonstration"]) == 1
    assert len([r for r in records if r["phase"] == "eval"]) == 3


SMALL = "levels=L1|L2,max_steps=4,train_games_per_level=1,games_dir=" + GAMES_DIR


def test_textworld_group_on_the_fake_backend_reports_metrics_matching_its_records(bench_main, tmp_path: Path):
    args = ",".join(f"textworld_tips_{s}.{kv}" for s in ("self", "expert", "cross") for kv in SMALL.split(","))
    args += ",textworld_tips_self.trials=2"
    result = bench_main("eval", "--backend", "fake", "--model", "fake", "--tasks", "textworld", "--limit", "2",
                        "--output-path", str(tmp_path / "out"), "--no-progress", "--task-args", args)
    assert result.returncode == 0, result.stderr[-2000:]
    [path] = (tmp_path / "out").rglob("result.json")
    from bench.harness.results import load_result, load_samples

    document = load_result(path)
    for name in ("textworld_tips_self", "textworld_tips_expert", "textworld_tips_cross"):
        entry = document["tasks"][name]
        assert entry["status"] == "ok" and entry["headline_metric"] == "normalised_score_tips"
        samples = load_samples(path, name)
        episodes = [s for s in samples if s["record"] == "episode" and s["phase"] == "eval"]
        trials = 2 if name.endswith("self") else 1
        assert len(episodes) == 2 * 3 * trials and {e["level"] for e in episodes} == {1, 2}
        for e in episodes:
            assert 1 <= e["steps"] <= 4 and len(e["trajectory"]) == e["steps"]
            assert all(step["choice"]["mode"] == "loglikelihood" and step["admissible"] for step in e["trajectory"])
            assert sum(step["reward"] for step in e["trajectory"]) == e["score"]
        metrics = {m["name"]: m for m in entry["metrics"]}
        for m in metrics.values():  # each metric is the mean of its own field over the records that carry it
            values = [float(s[m["sample_field"]]) for s in samples if m["sample_field"] in s]
            assert m["value"] == pytest.approx(sum(values) / len(values)) and m["n"] == len(values)
            if m["ci_low"] is not None:
                assert 0 <= m["ci_low"] <= m["value"] <= m["ci_high"]
        assert {"normalised_score_plain", "success_rate_reflexion", "steps_tips", "normalised_score_tips_L2"} <= set(metrics)
        if trials == 2:
            assert {"normalised_score_tips_trial1", "normalised_score_tips_trial2"} <= set(metrics)
        games = entry["extra"]["games"]
        assert all(g["command"].startswith("PYTHONHASHSEED=0 tw-make tw-cooking ") for g in games)
        assert {g["split"] for g in games} == ({"test"} if name.endswith("self") else {"train", "test"})
        [plot] = entry["plots"]
        assert (path.parent / plot["path"]).read_bytes()[:4] == b"\x89PNG"
    # summarize is a function of the records: rescoring the run gives the same numbers
    rescored = bench_main("rescore", str(path), "-o", str(tmp_path / "rescored"))
    assert rescored.returncode == 0, rescored.stderr[-2000:]
    [again] = (tmp_path / "rescored").rglob("result.json")
    for name, entry in document["tasks"].items():
        before = {m["name"]: (m["value"], m["ci_low"]) for m in entry["metrics"]}
        after = {m["name"]: (m["value"], m["ci_low"]) for m in load_result(again)["tasks"][name]["metrics"]}
        assert before == after


@pytest.mark.parametrize(("arg", "message"), [
    ("levels=L9", "levels must be distinct values among L1, L2, L3, L4"),
    ("agents=plain", "include tips"),
    ("choice_mode=guess", "choice_mode must be one of 'loglikelihood', 'constrained', 'free'"),
    ("trials=0", "must be >= 1"),
    ("choice_normalize=max", "choice_normalize must be 'mean' or 'sum'"),
])
def test_bad_options_are_one_line_usage_errors(bench_main, arg: str, message: str):
    result = bench_main("eval", "--backend", "fake", "--tasks", "textworld_tips_self", "--task-args", f"textworld_tips_self.{arg}")
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_request_and_constraint_kinds_follow_the_choice_mode():
    from bench.harness.requests import RequestKind

    task = TextWorldTipsSelfTask()
    ranked = TipsSelfConfig()
    constrained = dataclasses.replace(ranked, choice_mode="constrained")
    assert task.request_kinds_for(ranked, frozenset()) == {RequestKind.CHAT, RequestKind.LOGLIKELIHOOD}
    assert task.request_kinds_for(constrained, frozenset()) == {RequestKind.CHAT}
    assert task.constraint_kinds_for(constrained) == {"choice"} and task.constraint_kinds_for(ranked) == frozenset()
    assert json.dumps(task.groups) == '["textworld"]'


class _Talkative(StubModel):
    async def chat(self, messages: Sequence[Message], params: GenerationParams | None = None) -> GenerationAnswer:
        if "numbered list" in messages[-1].content or "sentences" in messages[-1].content:
            return await super().chat(messages, params)
        return GenerationAnswer("Open fridge, then take the apple.\nGo north.")


def test_free_mode_records_the_raw_answer_and_sends_one_command(tmp_path: Path):
    config = TipsSelfConfig(levels=("L1",), agents=("tips",), trials=1, max_steps=2, choice_mode="free", games_dir=GAMES_DIR)
    [record] = _run(TextWorldTipsSelfTask(), config, _Talkative(), 1, tmp_path)
    assert record["choice_mode"] == "free" and record["steps"] == 2
    for step in record["trajectory"]:
        assert step["command"] == "Open fridge" and step["sanitised"] == "multiple"
        assert step["raw_command"].startswith("Open fridge, then") and step["choice"] == {"mode": "free"}


def test_shards_split_the_test_games_and_together_play_them_all(tmp_path: Path):
    from bench.harness.sharding import Shard

    config = TipsSelfConfig(levels=("L1", "L2"), agents=("tips",), trials=1, max_steps=1, games_dir=GAMES_DIR)
    played = []
    for index in range(2):
        ctx = TaskContext(model=StubModel(), config=config, seed=0, limit=4, artifacts_dir=tmp_path,  # type: ignore[arg-type]
                          progress=Progress(enabled=False), shard=Shard(index, 2), run_seed=7)
        played.append({r["game_id"] for r in asyncio.run(TextWorldTipsSelfTask().run(ctx))})
    assert played[0] and played[1] and not played[0] & played[1]
    assert played[0] | played[1] == {"L1-test-s1", "L2-test-s1", "L1-test-s2", "L2-test-s2"}
    assert all({g[:2] for g in shard} == {"L1", "L2"} for shard in played)  # stratified by level
