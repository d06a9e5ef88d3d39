"""The lm-eval YAML tasks of the probes lm-eval lacks (tasks/hallucination/lm_eval_yaml/): the Hallucinations
Leaderboard's own definitions on their hub datasets, and `*_sample` variants that run them on the shipped
samples offline. Pinned: the verified hub ids/configs/splits and shots, the leaderboard's prompt layouts,
its HaluEval answer parser, and a run of every sample variant through lm-eval's own `simple_evaluate`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

YAML_DIR = Path(__file__).resolve().parents[3] / "tasks" / "hallucination" / "lm_eval_yaml"
PROBES = ["hallu_faithdial", "hallu_fever", "hallu_halueval_dialogue", "hallu_halueval_qa",
          "hallu_halueval_summarization", "hallu_popqa", "hallu_true_false", "hallu_xsum"]

# (dataset_path, dataset_name, split evaluated, shots): as the leaderboard's task files and About page set them.
HUB = {
    "hallu_faithdial": ("McGill-NLP/FaithDial", None, "test", 8),
    "hallu_fever": ("pminervini/hl-fever", "v1.0", "dev", 16),
    "hallu_halueval_dialogue": ("pminervini/HaluEval", "dialogue_samples", "data", 0),
    "hallu_halueval_qa": ("pminervini/HaluEval", "qa_samples", "data", 0),
    "hallu_halueval_summarization": ("pminervini/HaluEval", "summarization_samples", "data", 0),
    "hallu_popqa": ("akariasai/PopQA", None, "test", 8),
    "hallu_true_false": ("pminervini/true-false", "default", "cieacf", 8),
    "hallu_xsum": ("EdinburghNLP/xsum", None, "test", 2),
}


def _prompts() -> Any:
    spec = importlib.util.spec_from_file_location("leaderboard_prompts_under_test", YAML_DIR / "leaderboard_prompts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!function", lambda loader, node: f"!function {loader.construct_scalar(node)}")


def _config(name: str) -> dict[str, Any]:
    return yaml.load((YAML_DIR / f"{name}.yaml").read_text(), Loader=_Loader)


def test_every_probe_has_a_hub_yaml_and_a_sample_variant() -> None:
    names = sorted(p.stem for p in YAML_DIR.glob("*.yaml"))
    assert names == sorted(PROBES + [f"{p}_sample" for p in PROBES])
    for probe in PROBES:
        sample = _config(f"{probe}_sample")
        assert sample["include"] == f"{probe}.yaml" and sample["task"] == f"{probe}_sample"
        assert sample["custom_dataset"].startswith("!function shipped_samples.")
        assert sample["tag"] == ["hallucination_sample"]


@pytest.mark.parametrize("probe", PROBES)
def test_hub_settings_are_the_leaderboards(probe: str) -> None:
    config = _config(probe)
    path, name, split, shots = HUB[probe]
    assert config["dataset_path"] == path and config.get("dataset_name") == name
    assert split in (config.get("test_split"), config.get("validation_split"))
    assert config.get("test_split") in (split, None)
    assert config["num_fewshot"] == shots
    assert "kushalc/nd-lora@ef0bf65" in (YAML_DIR / f"{probe}.yaml").read_text()  # the cited source


def test_halueval_parser_is_the_leaderboards() -> None:
    scores = _prompts().halueval_scores
    assert scores("yes", "Yes") == {"correctness": 1.0, "em": 1.0, "acc": 1.0}
    assert scores("no", "Yes, it is") == {"correctness": 1.0, "em": 0.0, "acc": 0.0}
    assert scores("no", "No") == {"correctness": 1.0, "em": 1.0, "acc": 1.0}
    # both or neither of the case-sensitive words: malformed, no em, acc 0
    assert scores("yes", "Yes and No") == {"correctness": 0.0, "acc": 0.0}
    assert scores("yes", "yes") == {"correctness": 0.0, "acc": 0.0}


def test_faithdial_prompt_alternates_human_and_assistant() -> None:
    module = _prompts()
    doc = {"knowledge": "K.", "history": ["hi", "hello", "who?"], "response": "R.", "BEGIN": ["Hallucination", "Generic"]}
    assert module.faithdial_text(doc) == ("#Knowledge#: K.\n#Dialogue History#: [Human] hi [Assistant] hello [Human] who?"
                                          "\n#Response#: R.\n#Hallucinated#:")
    assert module.faithdial_target(doc) == "true"
    assert module.faithdial_target({**doc, "BEGIN": ["Entailment"]}) == "false"


def test_halueval_qa_prompt_ends_with_the_item() -> None:
    module = _prompts()
    text = module.halueval_qa_text({"knowledge": "K.", "question": "Q?", "answer": "A."})
    assert text.startswith("I want you act as an answer judge.")
    assert text.endswith('MUST be "Yes" or "No"".\n\n#Knowledge#: K.\n#Question#: Q?\n#Answer#: A.\n#Your Judgement#:')


def test_xsum_rouge_is_t5_style_times_100() -> None:
    rouge = _prompts().xsum_rouge
    assert rouge("the bridge will close", "the bridge will close") == {"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0}
    scores = rouge("the bridge will close next spring", "the bridge closes")
    assert scores["rouge1"] == pytest.approx(100 * 2 * (2 / 3) * (2 / 6) / (2 / 3 + 2 / 6))  # no stemming: closes != close


def test_xsum_metrics_call_both_scorers(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.tasks.hallucination import summary_metrics

    seen: list[tuple[str, list[str], list[str]]] = []

    class Fake:
        def __init__(self, name: str) -> None:
            self.name = name

        def score(self, summaries: list[str], sources: list[str]) -> dict[str, list[float]]:
            seen.append((self.name, list(summaries), list(sources)))
            return {"factKB": [0.25]} if self.name == "factkb" else {"bertscore_precision": [0.5],
                                                                     "bertscore_recall": [0.75], "bertscore_f1": [0.6]}

    monkeypatch.setattr(summary_metrics, "load_summary_scorer", lambda name: Fake(name))
    doc = {"document": "D.", "summary": "gold summary"}
    scores = _prompts().xsum_process_results(doc, ["model summary"])
    assert seen == [("factkb", ["model summary"], ["D."]), ("bertscore", ["model summary"], ["gold summary"])]
    assert scores["factKB"] == 0.25 and scores["bertscore_f1"] == 0.6 and scores["rouge1"] == 50.0


def test_sample_variants_run_in_lm_eval_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    from lm_eval import simple_evaluate
    from lm_eval.api.model import LM
    from lm_eval.tasks import TaskManager

    class Scripted(LM):  # the shortest choice wins; HaluEval judges say "Yes"; QA answers "Canberra"
        def loglikelihood(self, requests: list[Any]) -> list[tuple[float, bool]]:
            return [(-float(len(r.args[1])), False) for r in requests]

        def loglikelihood_rolling(self, requests: list[Any]) -> list[float]:
            raise NotImplementedError

        def generate_until(self, requests: list[Any]) -> list[str]:
            return ["Yes" if "#Your Judgement#:" in r.args[0] else "Canberra" for r in requests]

    manager = TaskManager(include_path=str(YAML_DIR))
    names = [f"{p}_sample" for p in PROBES]
    out = simple_evaluate(model=Scripted(), tasks=names, limit=2, task_manager=manager, bootstrap_iters=0,
                          log_samples=True)
    assert out is not None
    results, samples = out["results"], out["samples"]
    assert sorted(results) == sorted(names)
    first = {name: samples[name][0] for name in names}
    # the item's own text closes each prompt, after the leaderboard's demos
    assert first["hallu_fever_sample"]["arguments"][0][0].endswith("Claim: Paris is the capital of France.\nLabel:")
    assert first["hallu_fever_sample"]["arguments"][0][0].count("\nLabel: ") == 16  # 16 demos, never the item
    assert first["hallu_true_false_sample"]["arguments"][0][0].count("\nLabel: ") == 8
    assert first["hallu_popqa_sample"]["target"] == ["Canberra"]  # the JSON list parsed: multi-target EM
    assert results["hallu_popqa_sample"]["exact_match,remove_whitespace"] == 0.5  # Canberra right, then wrong
    # "Yes" on every HaluEval item: acc is the share of hallucinated items among the two
    for kind in ("qa", "dialogue", "summarization"):
        docs = [s["doc"] for s in samples[f"hallu_halueval_{kind}_sample"]]
        expected = sum(d["hallucination"] == "yes" for d in docs) / len(docs)
        assert results[f"hallu_halueval_{kind}_sample"]["acc,none"] == expected
        assert results[f"hallu_halueval_{kind}_sample"]["correctness,none"] == 1.0
    assert set(results["hallu_xsum_sample"]) >= {"rouge1,none", "rouge2,none", "rougeL,none"}
    assert "factKB,none" not in results["hallu_xsum_sample"]


def test_bridge_skips_lm_evals_index_when_the_include_path_defines_every_task() -> None:
    from bench.harness.lm_eval_bridge import _task_manager

    manager = _task_manager(str(YAML_DIR), ["hallu_fever_sample", "hallu_xsum_sample"])
    assert "hallu_fever_sample" in manager.all_tasks
    assert "nq_open" not in manager.all_tasks  # lm-eval's ~15,000 built-in tasks were not indexed
    assert len(manager.all_tasks) < 50
