"""Hugging Face transformers backend: CPU or GPU, batched generation, log-likelihoods, reward scores.

- Generation: chat template (with the generation prompt) or raw prompt, greedy by default; one
  decode loop over the batch (left-padded caches, per-row positions), each row stopping at its own
  EOS, stop strings or max_tokens and leaving the batch. Prompt prefixes computed before (the
  conversation so far, a shared preamble) are reused from a bounded key/value store instead of
  being prefilled again (see hf_generation.py).
- Log-likelihood: lm-eval's tokenisation convention (context and continuation encoded together,
  trailing context spaces moved into the continuation). Requests whose token sequences share a
  long prefix (few-shot demonstrations, one prompt with several candidate answers) are grouped;
  the prefix is run once and its KV cache is reused for every suffix in the group. Results equal
  a full forward pass to float32 rounding (tested).
- Score: a `*ForSequenceClassification` model (a reward model) scores chat-templated
  conversations, truncated to the model's maximum length (reported per answer).

Model args (`--model-args k=v,...`): dtype (float32|bfloat16|float16|auto; default float32 on CPU,
bfloat16 on CUDA), device (cpu|cuda|cuda:N|auto), gguf_file, revision, trust_remote_code,
max_length, min_shared_prefix (tokens; default 16), add_bos_token, prefix_cache_gb (bytes of
reusable prompt KV kept, default 2; 0 disables reuse).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from bench.harness.backends.base import Backend, ModelInfo
from bench.harness.backends.hf_generation import PrefixKVStore, generate_batch
from bench.harness.backends.prompting import PromptFormatter, ScoredTokens, model_max_length
from bench.harness.errors import BackendError, ConfigError
from bench.harness.model_source import resolve_model, weights_fingerprint
from bench.harness.requests import (
    GenerationAnswer,
    GenerationRequest,
    LoglikelihoodAnswer,
    LoglikelihoodRequest,
    RequestKind,
    ScoreAnswer,
    ScoreRequest,
)

log = logging.getLogger(__name__)

_KNOWN_ARGS = {
    "dtype", "device", "gguf_file", "revision", "trust_remote_code", "max_length", "min_shared_prefix",
    "batch_size", "add_bos_token", "prefix_cache_gb",
}


class HFBackend(Backend):
    name = "hf"

    def __init__(self, model: str, model_args: dict[str, Any] | None = None, batch_size: int = 16) -> None:
        import torch
        from transformers import AutoConfig, AutoTokenizer

        args = dict(model_args or {})
        unknown = set(args) - _KNOWN_ARGS
        if unknown:
            raise ConfigError(f"unknown hf model-args {sorted(unknown)}; choices: {', '.join(sorted(_KNOWN_ARGS))}")
        self.source = resolve_model(model)
        gguf_file = args.get("gguf_file") or self.source.gguf_file
        device = args.get("device", "auto")
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        self.device = torch.device(device)
        dtype_name = args.get("dtype", "bfloat16" if self.device.type == "cuda" else "float32")
        dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16, "auto": "auto"}
        if dtype_name not in dtypes:
            raise ConfigError(f"unknown dtype {dtype_name!r}; choices: {', '.join(dtypes)}")
        load_kwargs: dict[str, Any] = {
            "revision": args.get("revision"),
            "trust_remote_code": bool(args.get("trust_remote_code", False)),
        }
        if gguf_file:
            load_kwargs["gguf_file"] = gguf_file
        try:
            config = AutoConfig.from_pretrained(self.source.path, **load_kwargs)
            self.tokenizer = AutoTokenizer.from_pretrained(self.source.path, **load_kwargs)
            self.is_reward_model = any(a.endswith("ForSequenceClassification") for a in (config.architectures or []))
            model_class = self._model_class()
            self.model = model_class.from_pretrained(self.source.path, dtype=dtypes[dtype_name], **load_kwargs)
        except OSError as exc:
            raise BackendError(
                f"cannot load model {model!r} with transformers ({str(exc).splitlines()[0]}); offline, only local "
                "folders, .gguf files, hub models already in the HF cache, and the embedded 'smollm2' load"
            ) from exc
        self.model.to(self.device).eval()
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        if self.is_reward_model and self.model.config.pad_token_id is None:
            self.model.config.pad_token_id = self.tokenizer.pad_token_id
        self.max_length = int(args.get("max_length") or model_max_length(self.model.config, self.tokenizer))
        self.min_shared_prefix = int(args.get("min_shared_prefix", 16))
        self.prompts = PromptFormatter(self.tokenizer, self.max_length, bool(args.get("add_bos_token", False)))
        self.eos_ids = _eos_ids(self.model, self.tokenizer)
        prefix_cache_gb = float(args.get("prefix_cache_gb", 2.0))
        self.prefix_store = PrefixKVStore(int(prefix_cache_gb * 2**30), self.min_shared_prefix) if prefix_cache_gb > 0 else None
        self.max_batch_size = int(args.get("batch_size", batch_size))
        self.capabilities = (
            frozenset({RequestKind.SCORE})
            if self.is_reward_model
            else frozenset({RequestKind.CHAT, RequestKind.COMPLETION, RequestKind.LOGLIKELIHOOD})
        )
        fingerprint, revision = weights_fingerprint(self.source)
        recorded_args = {k: v for k, v in args.items() if k != "batch_size"}
        recorded_args["dtype"] = dtype_name
        self.info = ModelInfo(
            name=model,
            source=self.source.hub_id or self.source.path,
            fingerprint=fingerprint,
            backend=self.name,
            backend_args=recorded_args,
            revision=revision or args.get("revision"),
            dtype=dtype_name,
            device=str(self.device),
        )

    def _model_class(self) -> Any:
        from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

        return AutoModelForSequenceClassification if self.is_reward_model else AutoModelForCausalLM

    # ---- generation --------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationAnswer]:
        encoded = [self.prompts.generation_prompt(r) for r in requests]
        outputs = generate_batch(
            self.model, self.tokenizer, encoded, [r.params for r in requests], self.eos_ids, self.prefix_store, self.device
        )
        return [self._finish(tokens, r, len(e), self.eos_ids) for tokens, r, e in zip(outputs, requests, encoded)]

    def _finish(self, tokens: list[int], request: GenerationRequest, prompt_len: int, eos_ids: set[int]) -> GenerationAnswer:
        """Cut one row at EOS, max_tokens or the first stop string, independent of its batch."""
        limit = request.params.max_tokens
        finish = "length"
        kept: list[int] = []
        for token in tokens[:limit]:
            if token in eos_ids:
                finish = "stop"
                break
            kept.append(token)
        text = self.tokenizer.decode(kept, skip_special_tokens=True)
        cut = _first_stop(text, request.params.stop)
        if cut is not None:
            text, finish = text[:cut], "stop"
            kept = self.prompts.encode(text)
        return GenerationAnswer(text=text, prompt_tokens=prompt_len, completion_tokens=len(kept), finish_reason=finish)

    # ---- log-likelihood ----------------------------------------------------------------------
    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodAnswer]:
        scored = [self.prompts.loglikelihood_tokens(r) for r in requests]
        answers: list[LoglikelihoodAnswer | None] = [None] * len(requests)
        for group, prefix_len in _shared_prefix_groups(scored, self.min_shared_prefix):
            for index, answer in zip(group, self._score_group([scored[i] for i in group], prefix_len)):
                answers[index] = answer
        return [a for a in answers if a is not None]

    def _score_group(self, items: list[ScoredTokens], prefix_len: int) -> list[LoglikelihoodAnswer]:
        """One forward over `items`; the first `prefix_len` tokens (shared by all) are run once.

        An item whose input tokens are a prefix of another item's input (a prompt scored with
        several one-token answers, " he" / " she") reads its log-probs from that longer row, so
        each distinct input runs once, as in lm-eval's context grouping.
        """
        import torch

        pad = self.tokenizer.pad_token_id
        inputs = [s.tokens[:-1] for s in items]  # the last token is only predicted, never input
        rows: list[list[int]] = []
        host: dict[int, int] = {}
        for index in sorted(range(len(items)), key=lambda i: -len(inputs[i])):
            x = inputs[index]
            match = next((r for r, row in enumerate(rows) if row[: len(x)] == x), None)
            if match is None:
                rows.append(x)
                match = len(rows) - 1
            host[index] = match
        with torch.inference_mode():
            past = None
            if prefix_len > 0:
                prefix = torch.tensor([rows[0][:prefix_len]], device=self.device)
                past = self.model(input_ids=prefix, use_cache=True).past_key_values
                if len(rows) > 1:
                    past.batch_repeat_interleave(len(rows))
            suffixes = [x[prefix_len:] for x in rows]
            width = max(len(x) for x in suffixes)
            ids = torch.tensor([x + [pad] * (width - len(x)) for x in suffixes], device=self.device)
            mask = torch.tensor(
                [[1] * (prefix_len + len(x)) + [0] * (width - len(x)) for x in suffixes], device=self.device
            )
            positions = torch.arange(prefix_len, prefix_len + width, device=self.device).expand(len(rows), -1)
            logits = self.model(
                input_ids=ids, attention_mask=mask, position_ids=positions, past_key_values=past, use_cache=past is not None
            ).logits
            logprobs = torch.log_softmax(logits.float(), dim=-1)
        answers = []
        for index, item in enumerate(items):
            targets = item.tokens[item.continuation_start :]
            first = item.continuation_start - 1 - prefix_len  # suffix position predicting the first target
            predicted = logprobs[host[index], first : first + len(targets)]
            target_tensor = torch.tensor(targets, device=predicted.device)
            token_logprobs = predicted.gather(1, target_tensor[:, None]).squeeze(1)
            greedy = bool((predicted.argmax(dim=-1) == target_tensor).all())
            answers.append(LoglikelihoodAnswer(float(token_logprobs.sum()), greedy, len(targets)))
        return answers

    # ---- reward scores -----------------------------------------------------------------------
    def score(self, requests: Sequence[ScoreRequest]) -> list[ScoreAnswer]:
        import torch

        if not self.is_reward_model:
            return super().score(requests)
        texts = [self.prompts.render_chat(r.messages, add_generation_prompt=False) for r in requests]
        encoded = [self.prompts.encode(t) for t in texts]
        truncated = [len(e) > self.max_length for e in encoded]
        encoded = [e[: self.max_length] for e in encoded]
        width = max(len(e) for e in encoded)
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([e + [pad] * (width - len(e)) for e in encoded], device=self.device)
        mask = torch.tensor([[1] * len(e) + [0] * (width - len(e)) for e in encoded], device=self.device)
        with torch.inference_mode():
            hidden = self.model.base_model(input_ids=ids, attention_mask=mask).last_hidden_state
            last = torch.tensor([len(e) - 1 for e in encoded], device=self.device)
            pooled = hidden[torch.arange(len(encoded), device=self.device), last]
            logits = self.model.score(pooled).float()
        return [ScoreAnswer(float(logits[i, 0]), truncated[i]) for i in range(len(requests))]

    def close(self) -> None:
        self.model = None  # type: ignore[assignment]


def _shared_prefix_groups(items: list[ScoredTokens], min_prefix: int) -> list[tuple[list[int], int]]:
    """Group requests whose inputs share >= min_prefix leading tokens; (indices, usable prefix length).

    Sorting the token sequences puts sequences with long common prefixes next to each other; a
    group's prefix is capped so every member still has its first continuation-predicting
    position in the suffix part.
    """
    order = sorted(range(len(items)), key=lambda i: items[i].tokens)
    groups: list[tuple[list[int], int]] = []
    current: list[int] = []
    common = 0
    for index in order:
        tokens = items[index].tokens[:-1]
        if current:
            shared = _common_prefix_len(items[current[0]].tokens[:-1], tokens)
            candidate = min(common, shared)
            if candidate >= min_prefix:
                current.append(index)
                common = candidate
                continue
            groups.append((current, common))
        current, common = [index], len(tokens)
    if current:
        groups.append((current, common))
    result = []
    for members, shared in groups:
        cap = min(items[i].continuation_start - 1 for i in members)
        prefix = min(shared, cap)
        result.append((members, prefix if len(members) > 1 and prefix >= min_prefix else 0))
    return result


def _common_prefix_len(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def _first_stop(text: str, stops: Sequence[str]) -> int | None:
    positions = [text.find(s) for s in stops if s and s in text]
    return min(positions) if positions else None


def _eos_ids(model: Any, tokenizer: Any) -> set[int]:
    ids = set()
    for source in (getattr(model, "generation_config", None), model.config):
        value = getattr(source, "eos_token_id", None) if source is not None else None
        if isinstance(value, int):
            ids.add(value)
        elif isinstance(value, (list, tuple)):
            ids.update(value)
    if tokenizer.eos_token_id is not None:
        ids.add(tokenizer.eos_token_id)
    return ids
