"""lm-eval's own definition of a probe, as the inline task config the lm_eval bridge runs.

`lm_eval_spec(probe, data, shots, max_tokens)` loads the probe's YAML from the installed lm-eval
(includes and `!function` utils resolved, exactly as lm-eval's TaskManager loads it) and sets the
leaderboard's shots. With data="sample" the dataset becomes the shipped JSONL files in the hub
dataset's own schema (`dataset_path: json`, one data file per split the YAML names); with
data="hub" lm-eval's own dataset stays. On a sample the few-shot split is chosen so that a
document is never its own demonstration (`sample_fewshot_split`). The prompt, few-shot sampling, filters and metrics are
lm-eval's, untouched; `max_tokens` sets `generation_kwargs.max_gen_toks` of generation tasks (its
default is lm-eval's effective value: the YAML's, else the 256 of lm-eval's HF model).

BERTScore (cnn_dailymail's utils compute it whenever `bert_score` imports) needs its
distilbert-base-uncased checkpoint. `bertscore="auto"` keeps lm-eval's behaviour only where that
checkpoint is in the local Hugging Face cache; otherwise (and with "off") the task's
`process_results` runs with BERTScore switched off, so ROUGE is lm-eval's and the BERTScore
metrics are absent (recorded in the summary), instead of a download that fails offline.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness.errors import DataError
from bench.tasks.hallucination.probes import Probe

DATA_DIR = Path(__file__).resolve().parent / "data"
# nltk's English punkt_tab sentence tokenizer (data/SOURCE.md), which lm-eval's ifeval checkers load;
# nltk would otherwise download it, which cannot work offline and has no time bound.
NLTK_DATA_DIR = DATA_DIR / "nltk"


def lm_eval_yaml_path(probe: Probe, data: str = "hub") -> Path:
    """The YAML under the installed lm_eval/tasks, or under this folder for "lm_eval_yaml/..." (the
    project's own lm-eval definitions of probes lm-eval lacks); `sample_yaml` for data=sample if set."""
    import lm_eval

    assert probe.lm_eval is not None
    name = probe.lm_eval.sample_yaml if data == "sample" and probe.lm_eval.sample_yaml else probe.lm_eval.yaml
    if name.startswith("lm_eval_yaml/"):
        return Path(__file__).resolve().parent / name
    return Path(lm_eval.__file__).resolve().parent / "tasks" / name


# What lm-eval's task utils import or load beyond lm-eval's own requirements.
PREREQUISITES: dict[str, tuple[str, ...]] = {"ifeval": ("langdetect", "immutabledict", "nltk:tokenizers/punkt_tab")}
BERTSCORE_MODES = ("auto", "on", "off")


def missing_prerequisites(task: str) -> list[str]:
    """The modules and nltk data lm-eval's `task` needs that are not installed here (checked before its
    utils import, since ifeval's would otherwise call nltk.download, which has no time bound)."""
    import importlib.util

    missing: list[str] = []
    for need in PREREQUISITES.get(task, ()):
        if need.startswith("nltk:"):
            try:
                import nltk

                if str(NLTK_DATA_DIR) not in nltk.data.path:
                    nltk.data.path.append(str(NLTK_DATA_DIR))  # after the user's own nltk_data folders
                nltk.data.find(need.split(":", 1)[1])
            except (ImportError, LookupError):
                missing.append(f"nltk data {need.split(':', 1)[1]} (python -m nltk.downloader punkt_tab)")
        elif importlib.util.find_spec(need) is None:
            missing.append(f"{need} (pip install {need})")
    return missing


BERTSCORE_MODEL = "distilbert-base-uncased"  # the checkpoint lm-eval's cnn_dailymail utils name


def bertscore_available() -> bool:
    """Whether lm-eval's cnn_dailymail BERTScore can run here: bert_score imports and its model is
    local (summary_metrics.resolve_checkpoint, the one check of the probes' scoring checkpoints)."""
    from bench.tasks.hallucination.summary_metrics import resolve_checkpoint

    try:
        import bert_score  # noqa: F401

        resolve_checkpoint(BERTSCORE_MODEL, "bertscore")
    except (ImportError, DataError):
        return False
    return True


def without_bertscore(process_results: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """lm-eval's `process_results` run with its module's BERTSCORE_AVAILABLE flag off (ROUGE unchanged)."""
    module: Any = sys.modules[process_results.__module__]

    def rouge_only(doc: dict[str, Any], results: list[Any]) -> dict[str, Any]:
        saved = getattr(module, "BERTSCORE_AVAILABLE", False)
        module.BERTSCORE_AVAILABLE = False
        try:
            return process_results(doc, results)
        finally:
            module.BERTSCORE_AVAILABLE = saved

    return rouge_only


def sample_fewshot_split(config: dict[str, Any]) -> str | None:
    """The few-shot split of a task run on a shipped sample: its evaluated split.

    A sample holds one set of rows under every split name the task reads, so demos drawn from the
    training split could be the evaluated document itself: lm-eval drops the current document from
    the demos only when `fewshot_split` equals `test_split`. So a task evaluated on its test split gets
    `fewshot_split = test_split`; one without a test split (evaluated on validation) keeps None, which
    equals its None `test_split` already. Either way the demos are the other sample rows: few-shot and
    test documents disjoint, as on the real dataset, and the same prompts from every caller of this
    spec (bench's probes and the benchmark's lm-eval)."""
    split = config.get("test_split")
    return str(split) if split else None


def lm_eval_spec(probe: Probe, data: str, shots: int, max_tokens: int, bertscore: str = "auto") -> dict[str, Any]:
    """The inline lm-eval task config of `probe` (see the module docstring)."""
    assert probe.lm_eval is not None
    missing = missing_prerequisites(probe.lm_eval.task)
    if missing:
        raise DataError(f"task {probe.name!r} (lm-eval {probe.lm_eval.task}) needs what is not installed here: "
                        + "; ".join(missing))
    from lm_eval.tasks._yaml_loader import load_yaml

    path = lm_eval_yaml_path(probe, data)
    if not path.is_file():
        raise DataError(f"task {probe.name!r}: no lm-eval task file {path.name} (lm-eval's come with lm_eval 0.4.13)")
    config: dict[str, Any] = dict(load_yaml(path, resolve_func=True))
    for key in ("tag", "group"):
        config.pop(key, None)
    own_sample = data == "sample" and probe.lm_eval.sample_yaml is not None
    if own_sample:
        config["task"] = probe.lm_eval.task  # the sample variant's records carry the task's own name
    if config.get("task") != probe.lm_eval.task:
        raise DataError(f"task {probe.name!r}: {probe.lm_eval.yaml} defines {config.get('task')!r}, "
                        f"not {probe.lm_eval.task!r}")
    config["num_fewshot"] = shots
    if data == "sample" and not own_sample:
        files = {split: str(DATA_DIR / name) for split, name in probe.lm_eval.splits}
        config.update(dataset_path="json", dataset_name=None, dataset_kwargs={"data_files": files})
    if data == "sample" and shots > 0 and config.get("fewshot_split") is None:
        config["fewshot_split"] = sample_fewshot_split(config)
    if config.get("output_type") == "generate_until":
        config["generation_kwargs"] = {**(config.get("generation_kwargs") or {}), "max_gen_toks": max_tokens}
    process = config.get("process_results")
    # lm-eval's cnn_dailymail BERTScore (the leaderboard's XSum YAML scores its own, summary_metrics.py)
    uses_bertscore = not probe.lm_eval.yaml.startswith("lm_eval_yaml/") and any(str(m.get("metric", "")).startswith("bertscore") for m in config.get("metric_list") or [])
    if uses_bertscore and callable(process) and (bertscore == "off" or (bertscore == "auto" and not bertscore_available())):
        config["process_results"] = without_bertscore(process)
        config["metric_list"] = [m for m in config["metric_list"] if not str(m.get("metric", "")).startswith("bertscore")]
    return config
