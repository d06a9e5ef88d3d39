"""The task contract on the fake backend: `run` returns records, `summarize` computes the metrics from
them as written to disk, shards partition the units exactly, groups expand, constraint kinds are
checked before any request, and `choose` ranks candidates by log-likelihood."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bench.harness import registry
from bench.harness.backends.fake import FakeBackend
from bench.harness.choosing import choose
from bench.harness.client import ModelClient
from bench.harness.config import EvalConfig
from bench.harness.errors import CapabilityError, ConfigError, UnknownNameError
from bench.harness.requests import Constraint, GenerationParams, Message, RequestKind, request_key_payload
from bench.harness.samples import canonical_samples
from bench.harness.scheduler import evaluate
from bench.harness.sharding import Shard, take_shard
from bench.harness.task import MetricValue, Summary, SummaryContext, Task, TaskContext


@dataclass(frozen=True)
class WordsConfig:
    n: int = 7
    constrained: bool = False


class WordsTask(Task):
    """One completion per unit; the metric (mean words per answer) comes from the records only."""

    name = "contract_words"
    version = "1"
    metrics_version = "3"
    config_class = WordsConfig
    request_kinds = frozenset({RequestKind.COMPLETION})
    headline_metric = "words"
    groups = ("contract_group",)
    seen_orders: list[list[Any]] = []

    def constraint_kinds_for(self, config: WordsConfig) -> frozenset[str]:
        return frozenset({"regex"}) if config.constrained else frozenset()

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        config: WordsConfig = ctx.config
        units = list(range(config.n if ctx.limit is None else min(config.n, ctx.limit)))
        units = ctx.take_shard(units, key=str, stratum=lambda u: str(u % 2))

        async def one(i: int) -> dict[str, Any]:
            await asyncio.sleep(random.random() / 100)  # finish in any order
            answer = await ctx.model.complete(f"prompt {i}", GenerationParams(max_tokens=8))
            return {"id": f"u{i:02d}", "words": len(answer.text.split()), "pair": (i, i + 1), "nan": float("nan")}

        return list(await asyncio.gather(*(one(i) for i in units)))

    def summarize(self, samples: list[dict[str, Any]], config: WordsConfig, ctx: SummaryContext) -> Summary:
        WordsTask.seen_orders.append([s["id"] for s in samples])
        assert all(isinstance(s["pair"], list) and s["nan"] is None for s in samples)  # as on disk
        mean = sum(s["words"] for s in samples) / len(samples)
        return Summary([MetricValue("words", mean, "none", len(samples))], extra={"seed": ctx.seed})


class OtherGroupMember(WordsTask):
    name = "contract_words_b"


@pytest.fixture(autouse=True)
def contract_tasks() -> None:
    WordsTask.seen_orders.clear()
    for task in (WordsTask, OtherGroupMember):
        registry.register_task(task.name, task)


def _config(tmp_path: Path, tasks: tuple[str, ...] = ("contract_words",), **overrides: Any) -> EvalConfig:
    values: dict[str, Any] = {
        "tasks": tasks, "backend": "fake", "model": "contract-model", "output_path": str(tmp_path / "out"),
        "cache_path": str(tmp_path / "cache.sqlite"), "show_progress": False,
    }
    return EvalConfig(**{**values, **overrides})


def _samples(result_path: Path, task: str = "contract_words") -> list[dict[str, Any]]:
    document = json.loads(result_path.read_text())
    samples_file = result_path.parent / document["tasks"][task]["samples_file"]
    return [json.loads(line) for line in samples_file.read_text().splitlines()]


def test_summarize_sees_the_written_records_sorted_and_its_metrics_are_recorded(tmp_path: Path) -> None:
    outcome = evaluate(_config(tmp_path))
    assert outcome.exit_code == 0
    entry = json.loads(outcome.result_path.read_text())["tasks"]["contract_words"]
    written = _samples(outcome.result_path)
    assert [s["id"] for s in written] == [f"u{i:02d}" for i in range(7)] == WordsTask.seen_orders[0]
    expected = sum(s["words"] for s in written) / 7
    assert entry["metrics"][0]["value"] == pytest.approx(expected) and entry["metrics_version"] == "3"
    # Summarizing the file again gives the same document numbers (what `bench rescore` relies on).
    again = WordsTask().summarize(canonical_samples(written), WordsConfig(), SummaryContext(0, tmp_path))
    assert again.metric("words").value == entry["metrics"][0]["value"]


def test_three_shards_partition_the_units_and_their_records_rebuild_the_whole_run(tmp_path: Path) -> None:
    whole = _samples(evaluate(_config(tmp_path / "whole")).result_path)
    parts = [_samples(evaluate(_config(tmp_path / f"s{i}", shard=f"{i}/3")).result_path) for i in range(3)]
    ids = [s["id"] for part in parts for s in part]
    assert len(ids) == len(set(ids)) == 7 and all(len(p) in (2, 3) for p in parts)
    assert canonical_samples(r for part in parts for r in part) == whole
    document = json.loads(evaluate(_config(tmp_path / "s9", shard="1/3")).result_path.read_text())
    assert document["config"]["shard"] == "1/3"


@pytest.mark.parametrize("spec", ["3/3", "-1/2", "1", "a/b", "0/0"])
def test_a_malformed_shard_is_one_config_error(tmp_path: Path, spec: str) -> None:
    with pytest.raises(ConfigError, match="i/n"):
        _config(tmp_path, shard=spec)


def test_take_shard_is_stratified_seeded_and_independent_of_input_order() -> None:
    units = [f"g{i}" for i in range(40)]
    strata = {u: ("a" if int(u[1:]) < 10 else "b") for u in units}
    parts = [take_shard(units, Shard(i, 4), 7, key=str, stratum=strata.__getitem__) for i in range(4)]
    assert sorted(u for p in parts for u in p) == sorted(units)
    assert all(sum(strata[u] == "a" for u in p) in (2, 3) for p in parts)  # 10 "a" units over 4 shards
    shuffled = random.Random(1).sample(units, len(units))
    assert set(take_shard(shuffled, Shard(2, 4), 7, key=str)) == set(take_shard(units, Shard(2, 4), 7, key=str))
    assert set(take_shard(units, Shard(2, 4), 8, key=str)) != set(take_shard(units, Shard(2, 4), 7, key=str))
    assert take_shard(units, None, 7, key=str) == units
    with pytest.raises(ValueError, match="unique key"):
        take_shard(["x", "x"], Shard(0, 2), 7, key=str)


def test_a_group_name_runs_its_tasks_and_an_unknown_name_lists_groups(tmp_path: Path) -> None:
    assert registry.expand_task_names("contract_group") == ["contract_words", "contract_words_b"]
    assert registry.expand_task_names("contract_words_b,contract_group") == ["contract_words_b", "contract_words"]
    with pytest.raises(UnknownNameError, match=r"contract_group \(group\)"):
        registry.expand_task_names("no_such_thing")


def test_a_constraint_the_backend_cannot_serve_is_refused_before_any_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(FakeBackend, "constraint_kinds", frozenset({"choice"}))
    config = _config(tmp_path, task_args={"contract_words": {"constrained": True}})
    with pytest.raises(CapabilityError, match="regex constrained generation.*it serves: choice"):
        evaluate(config)


def test_unset_new_generation_fields_keep_old_cache_keys_and_set_ones_change_them() -> None:
    from bench.harness.requests import CompletionRequest

    plain = json.loads(request_key_payload(CompletionRequest("p")))
    assert "constraint" not in plain["params"] and "top_k" not in plain["params"]
    keys = {
        request_key_payload(CompletionRequest("p", GenerationParams(constraint=c)))
        for c in (Constraint.choice(["a", "b"]), Constraint.regex("a|b"), Constraint.json_schema_of({"type": "string"}))
    }
    assert len(keys) == 3 and request_key_payload(CompletionRequest("p", GenerationParams(top_k=5))) not in keys
    with pytest.raises(ValueError):
        Constraint("regex", choices=("a",))
    with pytest.raises(ValueError):
        GenerationParams(top_k=0)


def test_choose_takes_the_most_likely_candidate_and_reports_every_score() -> None:
    backend = FakeBackend("choose-model")
    messages = (Message("user", "pick one"),)
    candidates = ["alpha", "beta", "gamma delta"]

    async def go() -> Any:
        client = ModelClient(backend, cache=None)
        try:
            return await choose(client, messages, candidates), await choose(client, messages, candidates, "mean")
        finally:
            await client.aclose()

    by_sum, by_mean = asyncio.run(go())
    expected = [backend.answer(_ll(messages, c)).logprob for c in candidates]  # type: ignore[union-attr]
    assert list(by_sum.logprobs) == expected and by_sum.index == max(range(3), key=lambda i: expected[i])
    assert by_sum.text == candidates[by_sum.index] and by_sum.method == "loglikelihood"
    means = [lp / n for lp, n in zip(by_mean.logprobs, by_mean.token_counts)]
    assert by_mean.index == max(range(3), key=lambda i: means[i])
    with pytest.raises(ValueError):
        asyncio.run(choose(ModelClient(backend, cache=None), messages, []))


def _ll(messages: tuple[Message, ...], continuation: str) -> Any:
    from bench.harness.requests import LoglikelihoodRequest

    return LoglikelihoodRequest(messages, continuation)
