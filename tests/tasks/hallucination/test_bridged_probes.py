"""The probes lm-eval defines run lm-eval's own definition through the lm_eval bridge (fast tier,
fake backend): bench's numbers equal lm-eval's `simple_evaluate` on the same model outputs, the
shipped samples are in the hub datasets' schemas, shards merge to the unsharded run (few-shot
included), truncation and batching checks are kept, missing prerequisites fail in one line."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
import json
import logging
import random
from pathlib import Path
from typing import Any

import pytest
from bench.harness.architecture import ArchitectureInfo
from bench.harness.backends.fake import FakeBackend
from bench.harness.client import ModelClient
from bench.harness.config import EvalConfig
from bench.harness.errors import ConfigError, DataError
from bench.harness.progress import Progress
from bench.harness.requests import CompletionRequest, GenerationParams, LoglikelihoodRequest
from bench.harness.samples import canonical_samples
from bench.harness.scheduler import evaluate, task_seed
from bench.harness.task import SummaryContext, TaskContext
from bench.tasks.hallucination import HalluFeverTask, HalluMemoTrapTask, HalluNqOpen8Task, HalluNqOpen64Task
from bench.tasks.hallucination.bridged import DATA_DIR, lm_eval_spec, lm_eval_yaml_path, missing_prerequisites
from bench.tasks.hallucination.probes import PROBES
from lm_eval.api.model import LM

BRIDGED = [name for name, probe in PROBES.items() if probe.lm_eval is not None]
LIMIT = 4


class FakeLM(LM):
    """lm-eval's side: the fake backend's answers to the very requests lm-eval makes, without bench."""

    def __init__(self, backend: FakeBackend) -> None:
        super().__init__()
        self.backend = backend

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list[tuple[float, bool]]:
        answers = [self.backend.answer(LoglikelihoodRequest(c, x)) for c, x in (r.args for r in requests)]
        return [(a.logprob, a.is_greedy) for a in answers]  # type: ignore[union-attr]

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list[float]:
        raise NotImplementedError

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        out = []
        for context, kwargs in (r.args for r in requests):
            until = kwargs.get("until") or []
            params = GenerationParams(max_tokens=int(kwargs.get("max_gen_toks", 256)), temperature=0.0, top_p=1.0,
                                      stop=tuple([until] if isinstance(until, str) else until))
            out.append(self.backend.answer(CompletionRequest(context, params)).text)  # type: ignore[union-attr]
        return out


def _bench_run(tmp_path: Path, tasks: list[str], model_args: dict[str, Any], shard: str | None = None,
               label: str = "out") -> dict[str, Any]:
    config = EvalConfig(tasks=tuple(tasks), backend="fake", model="fake-model", model_args=model_args,
                        limit=LIMIT, output_path=str(tmp_path / label), cache_path=str(tmp_path / "cache.sqlite"),
                        show_progress=False, shard=shard)
    outcome = evaluate(config)
    assert outcome.exit_code == 0
    document = json.loads(outcome.result_path.read_text())
    document["_folder"] = str(outcome.result_path.parent)
    return document


def _lm_eval_run(name: str, model_args: dict[str, Any]) -> dict[str, float]:
    from lm_eval import simple_evaluate
    from lm_eval.tasks import TaskManager

    probe = PROBES[name]
    spec = lm_eval_spec(probe, "sample", probe.shots, probe.max_tokens)
    seed = task_seed(EvalConfig.seed, name)  # the seed bench gives the task (recorded in its result)
    # few-shot demos: lm-eval's default fewshot_random_seed (1234), which bench draws them with (its run seed)
    assert EvalConfig.seed == inspect.signature(simple_evaluate).parameters["fewshot_random_seed"].default
    results = simple_evaluate(model=FakeLM(FakeBackend("fake-model", model_args)), tasks=[spec], limit=LIMIT,
                              task_manager=TaskManager(include_defaults=False), bootstrap_iters=0, random_seed=seed,
                              numpy_random_seed=seed, torch_random_seed=seed)
    assert results is not None
    return {key.split(",")[0]: value for key, value in results["results"][probe.lm_eval.task].items()  # type: ignore[union-attr]
            if "," in key and "_stderr" not in key}


@pytest.mark.parametrize("model_args", [{}, {"text": "Canberra"}, {"text": "Yes"}],
                         ids=["hashed-answers", "fixed-answer", "fixed-judgement"])
def test_bench_equals_lm_evals_simple_evaluate_on_the_same_model_outputs(tmp_path: Path, model_args: dict[str, Any]) -> None:
    # A fixed reply changes only the generation probes' answers: the log-likelihood ones run once; a
    # well-formed "Yes" judgement reaches the HaluEval parser's em branch, which other replies miss.
    names = [n for n in BRIDGED if PROBES[n].generates] if model_args else BRIDGED
    if model_args.get("text") == "Yes":
        names = [n for n in names if PROBES[n].kind == "judgement"]
    document = _bench_run(tmp_path, names, model_args)
    compared = 0
    for name in names:
        entry = document["tasks"][name]
        assert entry["status"] == "ok", (name, entry.get("error"))
        ours = {m["name"]: m["value"] for m in entry["metrics"]}
        theirs = _lm_eval_run(name, model_args)
        assert entry["headline_metric"] in theirs, name
        for metric, value in theirs.items():
            assert ours[metric] == pytest.approx(value, abs=1e-12), (name, metric)
            compared += 1
        assert entry["config"]["prompt_source"].startswith(f"lm-eval {PROBES[name].lm_eval.task} ")  # type: ignore[union-attr]
    assert compared >= 2 * len(names)
    if model_args.get("text") == "Canberra":  # the gold of the first closed-book item: exact match is not all zeros
        assert document["tasks"]["hallu_nq_open_8"]["metrics"][0]["value"] > 0
        assert document["tasks"]["hallu_popqa"]["metrics"][0]["value"] > 0
    if model_args.get("text") == "Yes":  # every judgement well formed: acc = em = the share of hallucinated items
        for name in names:
            metrics = {m["name"]: m["value"] for m in document["tasks"][name]["metrics"]}
            assert metrics["correctness"] == 1.0 and metrics["acc"] == metrics["em"]
            assert 0.0 < metrics["acc"] < 1.0 and metrics["majority_baseline"] == max(metrics["acc"], 1 - metrics["acc"])


def test_recorded_prompt_fields_equal_lm_evals_yaml() -> None:
    for name in BRIDGED:
        probe = PROBES[name]
        spec = lm_eval_spec(probe, "sample", probe.shots, probe.max_tokens) if name in BRIDGED else None
        text = lm_eval_yaml_path(probe).read_text()
        assert f"task: {probe.lm_eval.task}" in text or spec is not None  # type: ignore[union-attr]
        if spec is None:
            continue
        assert spec["num_fewshot"] == probe.shots and spec["task"] == probe.lm_eval.task  # type: ignore[union-attr]
        if probe.lm_eval.sample_yaml is None:  # type: ignore[union-attr]
            assert spec["dataset_path"] == "json"
        else:  # the leaderboard's YAML: its sample variant reads the shipped rows, the shots are the YAML's
            assert callable(spec["custom_dataset"]) and spec["num_fewshot"] == _yaml_shots(probe.lm_eval.yaml)  # type: ignore[union-attr]
        assert spec.get("description", "") == probe.instruction, name
        assert spec.get("fewshot_delimiter", "\n\n") == probe.fewshot_delimiter, name
        if isinstance(spec["doc_to_text"], str) and "{%" not in spec["doc_to_text"]:
            expected = spec["doc_to_text"] if "{{" in spec["doc_to_text"] else "{{" + spec["doc_to_text"] + "}}"
            assert expected == probe.query, name
        if spec.get("output_type") == "generate_until":
            until = (spec.get("generation_kwargs") or {}).get("until")
            assert tuple(until if until is not None else [probe.fewshot_delimiter]) == probe.stops, name
            assert spec["generation_kwargs"]["max_gen_toks"] == probe.max_tokens
    truthful = lm_eval_spec(PROBES["hallu_truthfulqa_mc1"], "sample", 0, 0)
    assert "Q: What is human life expectancy" in truthful["doc_to_text"] and PROBES["hallu_truthfulqa_mc1"].query.startswith(
        "Q: What is human life expectancy")


def _yaml_shots(yaml_name: str) -> int:
    text = (Path(lm_eval_yaml_path.__code__.co_filename).parent / yaml_name).read_text()
    return int(next(line.split(":")[1] for line in text.splitlines() if line.startswith("num_fewshot:")))


def test_shipped_samples_are_in_the_hub_schema_with_their_sha256() -> None:
    import datasets

    source = (DATA_DIR / "SOURCE.md").read_text()
    for name in BRIDGED:
        probe = PROBES[name]
        for split, file in probe.lm_eval.splits:  # type: ignore[union-attr]
            digest = hashlib.sha256((DATA_DIR / file).read_bytes()).hexdigest()
            assert f"{digest}  {file}" in source, file
            rows = datasets.load_dataset("json", data_files={split: str(DATA_DIR / file)}, split=split)
            assert len(rows) >= 5, file
    triviaqa = json.loads((DATA_DIR / "triviaqa.jsonl").read_text().splitlines()[0])
    assert set(triviaqa["answer"]) >= {"aliases", "value"}  # mandarjoshi/trivia_qa's nested answer
    race = json.loads((DATA_DIR / "race.jsonl").read_text().splitlines()[0])
    assert set(race) == {"article", "problems"} and isinstance(race["problems"], str)  # EleutherAI/race


def test_shards_of_a_few_shot_probe_merge_to_the_unsharded_records(tmp_path: Path) -> None:
    """lm-eval draws demonstrations from one stream in document order: each shard walks every document."""
    full = _bench_run(tmp_path, ["hallu_nq_open_8"], {"text": "Canberra"}, label="full")
    for name in ("hallu_nq_open_8",):
        whole = _records(full, name)
        parts: dict[str, Any] = {}
        for i in range(3):
            shard = _bench_run(tmp_path, [name], {"text": "Canberra"}, shard=f"{i}/3", label=f"{name}-{i}")
            records = _records(shard, name)
            assert not set(records) & set(parts)
            parts.update(records)
        assert parts == whole, name


def _records(document: dict[str, Any], name: str) -> dict[str, Any]:
    path = Path(document["_folder"]) / document["tasks"][name]["samples_file"]
    return {r["id"]: r for r in (json.loads(line) for line in path.read_text().splitlines())}


def _context(backend: FakeBackend, config: Any, limit: int | None = None, log_samples: bool = False) -> TaskContext:
    return TaskContext(model=ModelClient(backend), config=config, seed=0, limit=limit, artifacts_dir=Path("."),
                       progress=Progress(enabled=False), rng=random.Random(0), log=logging.getLogger("test"),
                       log_samples=log_samples)


def test_64_shot_prompts_hold_64_demonstrations_and_rescore_equals_the_run() -> None:
    task = HalluNqOpen64Task()
    records = asyncio.run(task.run(_context(FakeBackend("fake-model"), task.config_class(), limit=2, log_samples=True)))
    for record in records:
        assert record["prompt"].startswith("Answer these questions:\n\n") and record["prompt"].count("\nA:") == 65
        assert record["shots"] == 64
    config = task.config_class()
    once = task.summarize(canonical_samples(records), config, SummaryContext(0, Path(".")))
    again = task.summarize(canonical_samples(json.loads(json.dumps(records))), config, SummaryContext(0, Path(".")))
    assert [m.value for m in once.metrics] == [m.value for m in again.metrics]


def test_recurrent_models_get_the_batching_check_and_long_prompts_are_counted() -> None:
    recurrent = FakeBackend("fake-mamba")
    recurrent.info = dataclasses.replace(recurrent.info, architecture=ArchitectureInfo(family="recurrent"))
    task = HalluMemoTrapTask()
    records = asyncio.run(task.run(_context(recurrent, task.config_class(batch_check_n=3), limit=5)))
    assert sum("batch_equal" in r for r in records) == 3 and all(r.get("batch_equal", True) for r in records)
    summary = task.summarize(canonical_samples(records), task.config_class(), SummaryContext(0, Path(".")))
    assert summary.extra["batch_check"] == {"checked": 3, "differing": 0}
    short = FakeBackend("fake-short-context")
    short.info = dataclasses.replace(short.info, architecture=ArchitectureInfo(family="attention", context_length=40))
    nq = HalluNqOpen8Task()
    records = asyncio.run(nq.run(_context(short, nq.config_class(), limit=3)))
    assert all(r["truncated"] for r in records)  # 8-shot prompts + 256 new tokens > 40
    summary = nq.summarize(canonical_samples(records), nq.config_class(), SummaryContext(0, Path(".")))
    assert summary.metric("truncated_prompts").value == 3


def test_recorded_fields_cannot_be_set_and_hub_data_offline_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    task = HalluNqOpen8Task()
    with pytest.raises(ConfigError, match=r"hallu_nq_open_8.*lm-eval's nq_open.*query"):
        asyncio.run(task.run(_context(FakeBackend("fake-model"), task.config_class(query="Q: {question}"), limit=2)))
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DataError, match=r"hallu_nq_open_8.*data=sample") as caught:
        asyncio.run(task.run(_context(FakeBackend("fake-model"), task.config_class(data="hub"), limit=2)))
    assert "\n" not in str(caught.value)


def test_ifeval_runs_offline_on_the_shipped_punkt_data_and_missing_prerequisites_are_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    assert missing_prerequisites("ifeval") == []  # dependencies installed, punkt_tab from data/nltk
    import nltk

    assert nltk.sent_tokenize("Dr. Smith arrived. He sat down.") == ["Dr. Smith arrived.", "He sat down."]

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "langdetect" else real(name, *a))
    missing = missing_prerequisites("ifeval")
    assert any(m.startswith("langdetect") for m in missing)
    with pytest.raises(DataError, match=r"hallu_ifeval.*langdetect"):
        lm_eval_spec(PROBES["hallu_ifeval"], "sample", 0, 1280)


def test_cnn_dailymail_without_a_cached_bertscore_model_scores_rouge_only() -> None:
    spec = lm_eval_spec(PROBES["hallu_cnn_dailymail"], "sample", 2, 128, bertscore="off")
    assert [m["metric"] for m in spec["metric_list"]] == ["rouge1", "rouge2", "rougeL"]
    doc = {"highlights": "The council closed the bridge."}
    scores = spec["process_results"](doc, ["The council closed the bridge."])
    assert scores["rougeL"] == pytest.approx(1.0) and not any(k.startswith("bertscore") for k in scores)



def _scored_by_the_bridged_definition(name: str, doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
    """lm-eval's process_results of the probe's definition, exactly as the bridge builds it."""
    from lm_eval.api.task import ConfigurableTask

    return ConfigurableTask(config=lm_eval_spec(PROBES[name], "sample", 0, 32)).process_results(doc, results)  # type: ignore[no-any-return]


@pytest.mark.parametrize(("response", "golds", "em"), [
    ("The Pacific Ocean", ["Pacific Ocean"], 1.0),  # the article regex, then case and punctuation
    ("pacific ocean!", ["the Pacific Ocean"], 1.0),
    ("indian", ["Pacific", "Indian"], 1.0),  # any alias
    ("Atlantic", ["Pacific", "Indian"], 0.0),
    ("THE Pacific", ["Pacific"], 0.0),  # the articles go before case folding: "THE " stays
])
def test_nq_open_exact_match_normalises_by_hand(response: str, golds: list[str], em: float) -> None:
    scores = _scored_by_the_bridged_definition("hallu_nq_open_8", {"question": "q", "answer": golds}, [response])
    assert scores["exact_match"] == em


def test_truthfulqa_mc2_is_the_normalised_true_mass_and_mc1_the_argmax_by_hand() -> None:
    import numpy as np

    logliks, labels = [-1.0, -2.0, -0.5, -3.0], [1, 1, 0, 0]
    doc = {"question": "q", "mc2_targets": {"choices": ["a", "b", "c", "d"], "labels": labels},
           "mc1_targets": {"choices": ["a", "b", "c", "d"], "labels": [1, 0, 0, 0]}}
    p = np.exp(logliks)
    mc2 = _scored_by_the_bridged_definition("hallu_truthfulqa_mc2", doc, [(ll, False) for ll in logliks])["acc"]
    assert mc2 == pytest.approx((p[0] + p[1]) / p.sum())
    mc1 = _scored_by_the_bridged_definition("hallu_truthfulqa_mc1", doc, [(ll, False) for ll in logliks])["acc"]
    assert mc1 == 0.0  # choice 2 has the highest log-likelihood; the true answer is choice 0
    mc1 = _scored_by_the_bridged_definition("hallu_truthfulqa_mc1", doc, [(-0.1, False), (-2.0, False), (-0.5, False), (-3.0, False)])["acc"]
    assert mc1 == 1.0


@pytest.mark.parametrize(("name", "label", "logliks", "acc"), [
    ("hallu_fever", "supported", [-1.0, -2.0], 1.0),  # choices ["supported", "refuted"]: the label string is the gold
    ("hallu_fever", "refuted", [-1.0, -2.0], 0.0),
    ("hallu_true_false", 1, [-2.0, -1.0], 1.0),  # choices ["false", "true"]: label 1 = "true" = choice 1
    ("hallu_true_false", 0, [-2.0, -1.0], 0.0),
])
def test_the_leaderboards_label_choices_score_by_hand(name: str, label: Any, logliks: list[float], acc: float) -> None:
    from lm_eval.api.task import ConfigurableTask

    task = ConfigurableTask(config=lm_eval_spec(PROBES[name], "sample", 0, 32))
    doc = {"claim": "C.", "statement": "S.", "label": label}
    assert task.process_results(doc, [(ll, False) for ll in logliks])["acc"] == acc


def test_a_leaderboard_yaml_probe_on_the_hub_offline_names_its_dataset_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    task = HalluFeverTask()
    with pytest.raises(DataError, match=r"hallu_fever.*pminervini/hl-fever \(v1.0\).*hallu_fever.data=sample") as caught:
        asyncio.run(task.run(_context(FakeBackend("fake-model"), task.config_class(data="hub"), limit=2)))
    assert "\n" not in str(caught.value)


def test_a_sample_document_is_never_its_own_few_shot_demonstration() -> None:
    """Every split of a shipped sample holds the same rows; lm-eval drops the evaluated document from the
    demos only when `fewshot_split == test_split`. The spec (both harnesses run it) must meet that rule,
    so each prompt holds its own document once: as the query, never as a demonstration."""
    from lm_eval.api.task import ConfigurableTask

    checked = 0
    for name in BRIDGED:
        probe = PROBES[name]
        assert probe.lm_eval is not None
        if probe.shots == 0 or missing_prerequisites(probe.lm_eval.task):
            continue
        task = ConfigurableTask(config=lm_eval_spec(probe, "sample", probe.shots, probe.max_tokens))
        assert task.fewshot_cfg.split == task.config.test_split, name
        for doc in list(task.eval_docs)[:LIMIT]:
            query = task.doc_to_text(doc)
            assert isinstance(query, str)
            prompt = task.fewshot_context(doc, probe.shots)
            assert isinstance(prompt, str) and prompt.endswith(query) and prompt.count(query) == 1, name
            checked += 1
    assert checked >= 8 * LIMIT  # xsum, cnn_dailymail, faithdial, fever, true_false, popqa, nq_open, triviaqa, race
