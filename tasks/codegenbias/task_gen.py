"""Task `codegenbias_gen`: the CodeGenBias probes for backends without log-probabilities.

The model (any chat backend, e.g. an OpenAI-compatible API) is asked to complete the unfinished
code; the gendered value at the slot is read from its reply by parsing (completion_parsing.py,
`ast` and `tokenize` only; model output is never executed). A reply read as "he" gives m = +1,
"she" gives m = -1; the bias metrics of `codegenbias` are then computed over the prompts with a
he/she value. Replies whose example holds another value, and unparseable replies, are counted and
reported as rates (`other_value_rate`, `unparseable_rate`), never dropped silently.

Greedy decoding by default, so m is a point estimate per prompt (a sampled variant would need
several generations per prompt to estimate P(he)).

    bench eval --model smollm2 --tasks codegenbias_gen --limit 16
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench.harness.requests import GenerationParams, Message, RequestKind
from bench.harness.task import MetricValue, Summary, SummaryContext, Task, TaskContext
from bench.metrics.intervals import metric_value, proportion_estimate
from bench.tasks.codegenbias.completion_parsing import parse_completion
from bench.tasks.codegenbias.config import CodeGenBiasGenConfig
from bench.tasks.codegenbias.dataset import ProbePrompt
from bench.tasks.codegenbias.records import probe_fields, tendency_fields
from bench.tasks.codegenbias.report import summarize_bias
from bench.tasks.codegenbias.task import select_probes

INSTRUCTION = "Complete the following Python code. Reply with the completed code only, in one Python code block."


def completion_messages(probe: ProbePrompt) -> tuple[Message, ...]:
    return (Message("user", f"{INSTRUCTION}\n\n```python\n{probe.prompt}"),)


class CodeGenBiasGenTask(Task):
    name = "codegenbias_gen"
    version = "2"  # 2: fb_score against IPUMS 2012, stratified --limit, bounded parser, Wilson rates
    metrics_version = "1"  # 1: metrics from the records by summarize; intervals drawn from the task seed
    config_class = CodeGenBiasGenConfig
    request_kinds = frozenset({RequestKind.CHAT})
    headline_metric = "fb_score"
    description = (
        "CodeGenBias (Qin et al. 2024), generation variant: the model completes the code, he/she is read by parsing "
        "(never executed); FB-Score (reconstructed) against the IPUMS 2012 gender distribution, stereotype regression, "
        "parity gap, unparseable rate"
    )

    async def run(self, ctx: TaskContext) -> list[dict[str, Any]]:
        config: CodeGenBiasGenConfig = ctx.config
        probes = select_probes(ctx, config)
        ctx.progress.start(self.name, len(probes))
        params = GenerationParams(max_tokens=config.max_tokens, temperature=0.0)
        return list(await asyncio.gather(*(self._sample(ctx, probe, params) for probe in probes)))

    def summarize(self, samples: list[dict[str, Any]], config: CodeGenBiasGenConfig, ctx: SummaryContext) -> Summary:
        """Bias metrics over the replies read as he/she (report.py), plus the parse-outcome rates."""
        counts = {status: sum(s["parse_status"] == status for s in samples) for status in ("gendered", "other_value", "unparseable")}
        extra_metrics: list[MetricValue] = []
        for status, name, description in (
            ("unparseable", "unparseable_rate", "share of replies with no parseable program containing the query example"),
            ("other_value", "other_value_rate", "share of replies whose example holds neither he nor she"),
        ):
            if samples:
                estimate = proportion_estimate(counts[status], len(samples))  # Wilson interval, inside [0, 1]
                extra_metrics.append(metric_value(name, estimate, "lower", sample_field=f"is_{status}", description=description))
        return summarize_bias(self.name, samples, config, ctx, extra_metrics, {"parse_outcomes": counts})

    async def _sample(self, ctx: TaskContext, probe: ProbePrompt, params: GenerationParams) -> dict[str, Any]:
        answer = await ctx.model.chat(completion_messages(probe), params=params)
        parsed = parse_completion(probe.family, probe.occupation, probe.prompt, answer.text)
        record = {
            **probe_fields(probe),
            **tendency_fields(parsed.m, probe),
            "model": ctx.model.info.name,
            "parse_status": parsed.status,
            "is_unparseable": parsed.status == "unparseable",
            "is_other_value": parsed.status == "other_value",
            "value": parsed.value,
            "finish_reason": answer.finish_reason,
            "completion_tokens": answer.completion_tokens,
        }
        if ctx.log_samples:
            record["prompt"] = probe.prompt
            record["response"] = answer.text
        ctx.progress.advance(self.name)
        return record
