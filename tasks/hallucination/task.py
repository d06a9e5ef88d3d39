"""The hallucination probes as bench tasks: one task per row of the probe table, group "hallucination".

    bench eval --tasks hallucination --limit 8                 # every probe on the shipped samples
    bench eval --tasks hallu_nq_open_8 --task-args hallu_nq_open_8.data=hub

Every probe with `probe.lm_eval` set (all but SQuAD v2) runs an lm-eval task definition through the
lm_eval bridge: lm-eval's own YAML (nq_open, triviaqa, truthfulqa mc1/mc2/gen, race, memo trap,
cnn_dailymail, ifeval) or the Hallucinations Leaderboard's shipped in lm_eval_yaml/ (popqa, xsum,
faithdial, halueval x3, fever, true_false). tasks/hallucination/bridged.py builds the inline config;
harness/lm_eval_bridge runs it and keeps one record per document with lm-eval's per-document metric
values (and the document's gold, for the detection probes' majority baseline); `summarize`
aggregates them as lm-eval does (harness/lm_eval_bridge.lm_eval_metrics, without lm-eval's stderr
where bench gives its own interval): means of 0/1 values get a Wilson interval, means of bounded
values a bootstrap one. Their prompt fields in the config only record the YAML's values.

SQuAD v2: `run` builds each item's few-shot prompt, asks the model for a greedy completion and
returns one record per item with the response text and golds; `summarize` scores the records with
the pure functions of bench.metrics.hallucination_qa (so `bench rescore` re-scores a finished run).

Two checks the paper's comparison across architectures needs (spec pitfalls 3 and 4):
- truncation: a generation whose prompt tokens plus `max_tokens`, or a log-likelihood request whose
  context plus longest choice, exceeds the model's declared context length is flagged in its record
  and counted (metric `truncated_prompts`). Log-likelihood requests are measured without a tokenizer
  when their UTF-8 length + 2 is below the context length (a byte-level or byte-fallback tokenizer
  never makes more tokens than bytes, plus BOS/EOS); only longer ones are tokenized
  (`ctx.model.tokenizer()`). Nothing is flagged when the context length is unknown.
- batching: on recurrent and hybrid models (`batch_check=auto`), the first `batch_check_n`
  prompts are generated as one batch and one at a time (`ModelClient.compare_batched_with_single`);
  the records carry `batch_equal`, and metric `batch_mismatches` counts the differing ones.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import field
from typing import Any, ClassVar

from bench.harness.errors import CapabilityError, ConfigError, DataError
from bench.harness.requests import CompletionRequest, GenerationParams, RequestKind
from bench.harness.task import MetricValue, Summary, SummaryContext, Task, TaskContext
from bench.metrics.hallucination_choice import majority_baseline
from bench.metrics.hallucination_qa import squad_exact, squad_f1
from bench.metrics.intervals import bounded_mean_estimate, metric_value, proportion_estimate
from bench.tasks.hallucination.data import SOURCES, build_prompt, demos_for, load_items
from bench.tasks.hallucination.probes import PROBES, Item, LmEvalSource, Probe

BATCH_CHECK_MODES = ("auto", "on", "off")
BATCH_CHECK_TOKENS = 16


# The probes with a majority-class baseline beside their accuracy (two labels, often unbalanced).
DETECTION_KINDS = ("detection", "judgement")
SQUAD_NORMALISATION = ("SQuAD v2 normalize_answer (lower, no punctuation, no a/an/the, single spaces); "
                       "'unanswerable' = empty answer")


def _normalisation(probe: Probe) -> str:
    return probe.lm_eval.normalisation if probe.lm_eval is not None else SQUAD_NORMALISATION


def probe_config_class(probe: Probe) -> type:
    """A frozen dataclass of the probe's knobs with the probe's settings as defaults (recorded per run)."""
    fields: list[tuple[str, Any, Any]] = [
        ("data", str, field(default="sample")),
        ("shots", int, field(default=probe.shots)),
        ("category", str, field(default=probe.category)),
        ("subcategory", str, field(default=probe.subcategory)),
        ("instruction", str, field(default=probe.instruction)),
        ("query", str, field(default=probe.query)),
        ("target", str, field(default=probe.target)),
        ("fewshot_delimiter", str, field(default=probe.fewshot_delimiter)),
        ("target_delimiter", str, field(default=probe.target_delimiter)),
        ("stops", tuple[str, ...], field(default=probe.stops)),
        ("max_tokens", int, field(default=probe.max_tokens)),
        ("normalisation", str, field(default=_normalisation(probe))),
        ("prompt_source", str, field(default=_prompt_source(probe))),
        ("batch_check", str, field(default="auto")),
        ("batch_check_n", int, field(default=4)),
    ]
    if probe.lm_eval is not None and probe.kind == "rouge" and probe.lm_eval.sample_yaml is None:  # cnn_dailymail
        fields.append(("bertscore", str, field(default="auto")))
    class_name = "".join(part.title() for part in probe.name.split("_")) + "Config"
    return dataclasses.make_dataclass(class_name, fields, frozen=True)


def _prompt_source(probe: Probe) -> str:
    if probe.lm_eval is None:
        return probe.prompt_source
    return f"lm-eval {probe.lm_eval.task} ({probe.lm_eval.yaml}), run through the lm_eval bridge"


# Config fields that only record lm-eval's definition of a bridged probe: setting them changes nothing.
RECORDED_FIELDS = ("instruction", "query", "target", "fewshot_delimiter", "target_delimiter", "stops", "normalisation",
                   "prompt_source")


class ProbeTask(Task):
    """Base of the probe tasks; each subclass names its row of the probe table in `probe`."""

    probe: ClassVar[Probe]
    version = "1"
    metrics_version = "1"
    groups = ("hallucination",)
    in_all = False  # 18 probes: run them with `--tasks hallucination`, not in every `--tasks all`
    comparability_keys = ("data", "shots", "query", "instruction", "stops", "max_tokens")

    def __init_subclass__(cls, probe_name: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if probe_name:
            probe = PROBES[probe_name]
            cls.probe = probe
            cls.name = probe.name
            cls.description = probe.description
            cls.config_class = probe_config_class(probe)
            cls.headline_metric = probe.headline
            cls.request_kinds = frozenset({RequestKind.COMPLETION if probe.generates else RequestKind.LOGLIKELIHOOD})
            if probe.lm_eval is not None:
                cls.version = "2"  # lm-eval's definition through the bridge: other records, prompts and metric names
                cls.metrics_version = "2"

    def request_kinds_for(self, config: Any, capabilities: frozenset[RequestKind]) -> frozenset[RequestKind]:
        kinds = set(self.request_kinds)
        if config.batch_check == "on":
            kinds.add(RequestKind.COMPLETION)
        return frozenset(kinds)

    # ---- run -----------------------------------------------------------------------------
    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        config = ctx.config
        if config.data not in SOURCES:
            raise ConfigError(f"task {self.name!r}: data={config.data!r}; choices: {', '.join(SOURCES)}")
        if config.batch_check not in BATCH_CHECK_MODES:
            raise ConfigError(f"task {self.name!r}: batch_check={config.batch_check!r}; choices: {', '.join(BATCH_CHECK_MODES)}")
        if self.probe.lm_eval is not None:
            return await self._run_lm_eval(ctx)
        return await self._run_squad(ctx)

    async def _run_squad(self, ctx: TaskContext) -> list[dict[str, Any]]:
        """SQuAD v2, the one probe bench prompts and scores itself: greedy completions of few-shot prompts."""
        config = ctx.config
        items, pool = load_items(self.probe, config.data)
        if ctx.limit is not None:
            items = items[: ctx.limit]
        items = ctx.take_shard(items, key=lambda item: str(item["id"]))
        architecture = ctx.model.info.architecture
        context_length = architecture.context_length if architecture is not None else None
        prompts: dict[str, str] = {}  # by record id
        shots_used: dict[str, int] = {}
        for item in items:
            demos = demos_for(item, pool, config.shots)
            shots_used[str(item["id"])] = len(demos)
            prompts[str(item["id"])] = build_prompt(
                item, demos, config.instruction, config.query, config.target, config.fewshot_delimiter,
                config.target_delimiter,
            )
        ctx.progress.start(self.name, len(items))

        async def one(item: Item) -> dict[str, Any]:
            prompt = prompts[str(item["id"])]
            record: dict[str, Any] = {"id": str(item["id"]), "shots": shots_used[str(item["id"])]}
            answer = await ctx.model.complete(prompt, GenerationParams(max_tokens=config.max_tokens, stop=config.stops))
            record.update(response=answer.text, golds=list(item["golds"]), prompt_tokens=answer.prompt_tokens)
            if context_length is not None and answer.prompt_tokens:
                record["truncated"] = answer.prompt_tokens + config.max_tokens > context_length
            if ctx.log_samples:
                record["prompt"] = prompt
            ctx.progress.advance(self.name)
            return record

        records = list(await asyncio.gather(*(one(item) for item in items)))
        if _should_check_batching(config.batch_check, architecture) and records:
            await self._check_batching(ctx, records, prompts, config)
        return records

    async def _run_lm_eval(self, ctx: TaskContext) -> list[dict[str, Any]]:
        """lm-eval's definition through the bridge; records get the shots, truncation and batching flags."""
        from bench.harness.lm_eval_bridge import run_lm_eval, settle_imports
        from bench.tasks.hallucination.bridged import BERTSCORE_MODES, lm_eval_spec

        config, probe = ctx.config, self.probe
        assert probe.lm_eval is not None
        defaults = self.config_class()
        changed = [name for name in RECORDED_FIELDS if getattr(config, name) != getattr(defaults, name)]
        if changed:
            raise ConfigError(f"task {self.name!r} runs lm-eval's {probe.lm_eval.task} definition: {', '.join(changed)} "
                              "only record(s) it and cannot be set; settable: data, shots, max_tokens, batch_check")
        bertscore = getattr(config, "bertscore", "off")
        if bertscore not in BERTSCORE_MODES:
            raise ConfigError(f"task {self.name!r}: bertscore={bertscore!r}; choices: {', '.join(BERTSCORE_MODES)}")
        await settle_imports(ctx)  # before lm_eval_spec imports the task's utils
        spec = lm_eval_spec(probe, config.data, config.shots, config.max_tokens, bertscore)
        asked: dict[int, list[tuple[Any, Any]]] = {}  # doc_id -> (request, answer) pairs

        def observe(instance: Any, request: Any, answer: Any) -> None:
            asked.setdefault(int(instance.doc_id), []).append((request, answer))

        ctx.progress.start(self.name, None)
        try:
            records = await run_lm_eval(ctx, [spec], observe=observe, targets=probe.kind in DETECTION_KINDS)
        except DataError as exc:
            hint = ""
            if config.data == "hub":
                dataset = str(spec.get("dataset_path")) + (f" ({spec['dataset_name']})" if spec.get("dataset_name") else "")
                hint = f"; dataset {dataset} from the hub; offline, run the shipped sample with --task-args {self.name}.data=sample"
            raise DataError(f"task {self.name!r}: {exc}{hint}") from exc
        architecture = ctx.model.info.architecture
        context_length = architecture.context_length if architecture is not None else None
        prompts: dict[str, str] = {}
        for record in sorted(records, key=lambda r: int(r["doc_id"])):
            pairs = asked.get(int(record["doc_id"]), [])
            record["shots"] = config.shots
            if not pairs:
                continue
            first = pairs[0][0]
            prompts[record["id"]] = first.prompt if probe.generates else first.context
            if ctx.log_samples:
                record["prompt"] = prompts[record["id"]]
            if context_length is None:
                continue
            if probe.generates:
                tokens = [answer.prompt_tokens for _, answer in pairs if answer.prompt_tokens]
                if tokens:
                    record["prompt_tokens"] = max(tokens)
                    record["truncated"] = max(tokens) + config.max_tokens > context_length
            else:
                longest = max((request.context + request.continuation for request, _ in pairs), key=len)
                exceeds = _exceeds_context(ctx, longest, context_length)
                if exceeds is not None:
                    record["truncated"] = exceeds
        records.sort(key=lambda r: int(r["doc_id"]))
        if _should_check_batching(config.batch_check, architecture) and prompts:
            await self._check_batching(ctx, [r for r in records if r["id"] in prompts], prompts, config)
        return records

    async def _check_batching(self, ctx: TaskContext, records: list[dict[str, Any]], prompts: dict[str, str],
                              config: Any) -> None:
        chosen = records[: max(0, config.batch_check_n)]
        params = GenerationParams(max_tokens=BATCH_CHECK_TOKENS, stop=config.stops)
        requests = [CompletionRequest(prompts[r["id"]], params) for r in chosen]
        try:
            comparison = await ctx.model.compare_batched_with_single(requests)
        except CapabilityError as exc:
            ctx.log.info("%s: batching not compared: %s", self.name, exc)
            return
        for record, equal in zip(chosen, comparison.equal):
            record["batch_equal"] = equal
        if comparison.differing:
            ctx.log.warning("%s: %d of %d greedy outputs differ between one batch and one at a time",
                            self.name, comparison.differing, len(chosen))

    # ---- summarize ---------------------------------------------------------------------------
    def summarize(self, samples: list[dict[str, Any]], config: Any, ctx: SummaryContext) -> Summary:
        probe = self.probe
        metrics: list[MetricValue] = []
        n = len(samples)
        if probe.lm_eval is not None:
            return self._summarize_lm_eval(samples, config, ctx)
        scores = headline_sample_scores(probe, samples)
        metrics.append(metric_value(probe.headline, bounded_mean_estimate(scores, 0.0, 1.0, seed=ctx.seed), "higher",
                                    description=_normalisation(probe)))
        exact = [squad_exact(_squad_answer(s["response"]), s["golds"]) for s in samples]
        metrics.append(metric_value("exact", proportion_estimate(sum(exact), n), "higher",
                                    description="SQuAD v2 exact match"))
        answerable = sum(any(g.strip() for g in s["golds"]) for s in samples)
        metrics.append(MetricValue("has_answer_share", answerable / n if n else float("nan"), "none", n,
                                   description="share of answerable questions"))
        return Summary(metrics=metrics, extra=_checks(samples, config, probe, metrics))

    def _summarize_lm_eval(self, samples: list[dict[str, Any]], config: Any, ctx: SummaryContext) -> Summary:
        """lm-eval's metrics from the per-document records (its aggregations); the headline first.

        A mean of 0/1 values gets a Wilson interval, a mean of values in [0, 1] a bootstrap one
        (the value is lm-eval's mean either way); other metrics keep lm-eval's value and stderr.
        Instruction-level IFEval accuracies (a custom lm-eval aggregation) are the mean over all
        instructions of all prompts, as lm-eval's agg_inst_level_acc computes them."""
        from bench.harness.lm_eval_bridge import lm_eval_metrics

        probe = self.probe
        assert probe.lm_eval is not None
        source = probe.lm_eval

        def own_interval(name: str) -> bool:  # bench's interval replaces lm-eval's stderr: not computed
            return _short_name(name) in source.proportions or _short_name(name) in source.unit_means

        raw, skipped = lm_eval_metrics(samples, bootstrap_iters=100, own_interval=own_interval)
        metrics: list[MetricValue] = []
        for metric in raw:
            short = _short_name(metric.name)
            values = [s[metric.name] for s in samples if metric.name in s]
            estimate = _unit_estimate(short, values, probe.lm_eval, ctx.seed)
            if estimate is None:
                metrics.append(dataclasses.replace(metric, name=short, sample_field=None))
            else:
                metrics.append(metric_value(short, estimate, metric.direction, description=metric.description))
        not_recomputable = []
        for name in skipped:
            values = [s[name] for s in samples if name in s]
            if values and all(isinstance(v, list) for v in values):  # ifeval's instruction-level lists
                flat = [float(x) for v in values for x in v]
                metrics.append(metric_value(_short_name(name), proportion_estimate(sum(flat), len(flat)), "higher",
                                            description=f"lm-eval {name}: mean over all instructions (agg_inst_level_acc)"))
            else:
                not_recomputable.append(name)
        headline = [m for m in metrics if m.name == probe.headline]
        if not headline:
            raise DataError(f"task {self.name!r}: lm-eval's records have no {probe.lm_eval.metric!r}")
        metrics = headline + [m for m in metrics if m.name != probe.headline]
        if probe.kind in DETECTION_KINDS:
            golds = [str(s["gold"]) for s in samples if "gold" in s]
            metrics.append(MetricValue("majority_baseline", majority_baseline(golds), "none", len(golds),
                                       description="accuracy of always answering the most frequent gold label"))
        extra = _checks(samples, config, probe, metrics)
        extra["lm_eval"] = {"task": probe.lm_eval.task, "yaml": probe.lm_eval.yaml,
                            "versions": samples[0].get("lm_eval_version", {}) if samples else {},
                            "metrics_not_recomputable": not_recomputable}
        return Summary(metrics=metrics, extra=extra)


def _short_name(name: str) -> str:
    """"nq_open/exact_match,remove_whitespace" -> "exact_match"."""
    return name.split("/", 1)[-1].split(",")[0]


def _unit_estimate(name: str, values: list[Any], source: LmEvalSource, seed: int) -> Any:
    """Wilson for the source's 0/1 metrics, bootstrap for its bounded means (in `source.mean_range`); None
    for the others (they keep lm-eval's stderr). Values outside the declared range are a DataError."""
    if name not in source.proportions and name not in source.unit_means:
        return None
    numbers = [float(v) for v in values]
    if name in source.proportions:
        if not all(v in (0.0, 1.0) for v in numbers):
            raise DataError(f"lm-eval {source.task} {name}: per-document values are not all 0 or 1")
        return proportion_estimate(sum(numbers), len(numbers))
    low, high = source.mean_range
    if not all(low <= v <= high for v in numbers):
        raise DataError(f"lm-eval {source.task} {name}: per-document values outside [{low:g}, {high:g}]")
    return bounded_mean_estimate(numbers, low, high, seed=seed)


def _checks(samples: list[dict[str, Any]], config: Any, probe: Probe, metrics: list[MetricValue]) -> dict[str, Any]:
    """The summary's extra: category, shots, truncation and batching counts (their metrics appended)."""
    extra: dict[str, Any] = {"category": config.category, "subcategory": config.subcategory, "kind": probe.kind,
                             "shots_used": sorted({int(s.get("shots", 0)) for s in samples})}
    flagged = [s for s in samples if "truncated" in s]
    truncated = sum(bool(s["truncated"]) for s in flagged)
    extra["truncated_prompts"] = truncated if flagged else None
    if flagged:
        metrics.append(MetricValue("truncated_prompts", float(truncated), "lower", len(flagged),
                                   description="prompts exceeding the context length (with max_tokens or the longest choice)"))
    checked = [s for s in samples if "batch_equal" in s]
    extra["batch_check"] = {"checked": len(checked), "differing": sum(not s["batch_equal"] for s in checked)} if checked else None
    if checked:
        metrics.append(MetricValue("batch_mismatches", float(extra["batch_check"]["differing"]), "lower", len(checked),
                                   description="greedy outputs that differ between one batch and one at a time"))
    return extra


def headline_scale(probe: Probe) -> float:
    """The upper end of the probe's headline range: 100 for the leaderboard's XSum ROUGE (x100), else 1."""
    source = probe.lm_eval
    return source.mean_range[1] if source is not None and probe.headline in source.unit_means else 1.0


def headline_sample_scores(probe: Probe, samples: list[dict[str, Any]]) -> list[float]:
    """Each record's contribution to the probe's headline metric (its mean) divided by `headline_scale`,
    so in [0, 1] for every probe (the report's scores are means of these)."""
    if probe.lm_eval is not None:
        return [float(s[probe.lm_eval.key]) / headline_scale(probe) for s in samples]
    return [squad_f1(_squad_answer(s["response"]), s["golds"]) for s in samples]


def _exceeds_context(ctx: TaskContext, text: str, context_length: int) -> bool | None:
    """Whether `text` has more tokens than `context_length` (None: no tokenizer to tell)."""
    if len(text.encode()) + 2 < context_length:
        return False
    try:
        tokenizer = ctx.model.tokenizer()
    except CapabilityError:
        return None
    return len(tokenizer(text, add_special_tokens=False)["input_ids"]) > context_length


def _should_check_batching(mode: str, architecture: Any) -> bool:
    if mode == "on":
        return True
    return mode == "auto" and architecture is not None and architecture.family in ("recurrent", "hybrid")


def _squad_answer(response: str) -> str:
    """The model's answer; 'unanswerable' (any case, trailing punctuation) means no answer."""
    text = response.strip()
    return "" if text.rstrip(".!").strip().lower() == "unanswerable" else text
