"""Hugging Face transformers backend: CPU or GPU, batched generation, log-likelihoods, reward scores.

- Generation: chat template (with the generation prompt) or raw prompt, greedy by default (top-k /
  top-p / temperature sampling from a per-request seed); one decode loop over the batch
  (left-padded caches, per-row positions), each row stopping at its own EOS, stop strings or
  max_tokens and leaving the batch. Constrained requests (choice / regex / JSON schema) are
  decoded under xgrammar grammars compiled with vLLM's settings, one matcher per row, so greedy
  constrained answers equal vLLM's and do not depend on batch-mates. Prompt prefixes computed before (the
  conversation so far, a shared preamble) are reused from a bounded key/value store instead of
  being prefilled again (see hf_generation.py).
- Log-likelihood: lm-eval's tokenisation convention (context and continuation encoded together,
  trailing context spaces moved into the continuation). Each distinct input runs once; requests
  whose token sequences share a long prefix (few-shot demonstrations, one conversation with
  several candidate answers) run that prefix once (kept in the prefix store across batches) and
  only their suffixes, batched by length (see hf_loglikelihood.py). Results equal a full forward
  pass to float32 rounding (tested).
- Score: a `*ForSequenceClassification` model (a reward model) scores chat-templated
  conversations, truncated to the model's maximum length (reported per answer).

Model args (`--model-args k=v,...`): dtype (float32|bfloat16|float16|auto; default float32 on CPU,
bfloat16 on CUDA), device (cpu|cuda|cuda:N|auto), gguf_file, revision, trust_remote_code,
max_length, min_shared_prefix (tokens; default 16), add_bos_token, prefix_cache_gb (bytes of
reusable prompt KV kept, default 0.5; 0 disables reuse).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bench.harness.architecture import ArchitectureInfo, architecture_from_folder, architecture_info
from bench.harness.backends.args import HFArgs
from bench.harness.backends.base import Backend, BackendDescription, ModelInfo
from bench.harness.backends.prompting import (
    PromptFormatter,
    model_max_length,
)
from bench.harness.errors import BackendError
from bench.harness.model_source import (
    ModelSource,
    local_config_architectures,
    local_config_folder,
    resolve_model,
    weights_fingerprint,
)
from bench.harness.requests import (
    GenerationAnswer,
    GenerationRequest,
    LoglikelihoodAnswer,
    LoglikelihoodRequest,
    RequestKind,
    ScoreAnswer,
    ScoreRequest,
)

if TYPE_CHECKING:
    from bench.harness.backends.grammar import ConstraintGrammars

log = logging.getLogger(__name__)

class HFBackend(Backend):
    name = "hf"
    args_class = HFArgs
    constraint_kinds = frozenset({"choice", "regex", "json"})  # xgrammar inside our decode loop

    @classmethod
    def describe(cls, model: str, model_args: dict[str, Any], batch_size: int | None) -> BackendDescription | None:
        """Identity from the weight files and config.json alone; None where only transformers can tell
        (a GGUF file, a hub model that is not in the local cache)."""
        args: HFArgs = cls.parse_args(model_args)
        source = resolve_model(model)
        architectures = _architectures_without_loading(source, args)
        if architectures is None:
            return None
        architecture = _architecture_without_loading(source, args)
        return _description(
            model, source, args, model_args, batch_size or 16, _resolve_device(args.device), architectures, architecture
        )

    def __init__(self, model: str, model_args: dict[str, Any] | None = None, batch_size: int = 16) -> None:
        from bench.harness.transformers_import import import_transformers

        import_transformers()  # before any model class: keeps scikit-learn and scipy out of start-up
        import torch
        from bench.harness.backends.hf_generation import PrefixKVStore
        from bench.harness.backends.hf_loglikelihood import LoglikelihoodScorer
        from transformers import AutoConfig, AutoTokenizer

        raw_args = dict(model_args or {})
        args: HFArgs = self.parse_args(raw_args)
        self.source = resolve_model(model)
        gguf_file = args.gguf_file or self.source.gguf_file
        self.device = torch.device(_resolve_device(args.device))
        description_dtype = args.dtype or ("bfloat16" if self.device.type == "cuda" else "float32")
        dtypes = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16, "auto": "auto"}
        load_kwargs: dict[str, Any] = {"revision": args.revision, "trust_remote_code": args.trust_remote_code}
        if gguf_file:
            load_kwargs["gguf_file"] = gguf_file
        try:
            config = AutoConfig.from_pretrained(self.source.path, **load_kwargs)
            self.tokenizer = AutoTokenizer.from_pretrained(self.source.path, **load_kwargs)
            architectures = list(config.architectures or [])
            self.is_reward_model = _is_reward_model(architectures)
            model_class = self._model_class()
            self.model = model_class.from_pretrained(self.source.path, dtype=dtypes[description_dtype], **load_kwargs)
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
        self.max_length = args.max_length or model_max_length(self.model.config, self.tokenizer)
        self.min_shared_prefix = args.min_shared_prefix
        self.prompts = PromptFormatter(self.tokenizer, self.max_length, args.add_bos_token)
        self.eos_ids = _eos_ids(self.model, self.tokenizer)
        self._constraint_grammars: ConstraintGrammars | None = None
        self.prefix_store = (
            PrefixKVStore(int(args.prefix_cache_gb * 2**30), self.min_shared_prefix) if args.prefix_cache_gb > 0 else None
        )
        self.loglikelihood_scorer = LoglikelihoodScorer(
            self.model, self.tokenizer.pad_token_id, self.device, self.min_shared_prefix, self.prefix_store
        )
        architecture = None if gguf_file else _architecture_without_loading(self.source, args)
        if architecture is None:  # a GGUF file (or an unreadable folder): what transformers loaded
            architecture = architecture_info(config.to_dict(), int(self.model.num_parameters()))
        description = _description(
            model, self.source, args, raw_args, batch_size, str(self.device), architectures, architecture
        )
        self.info, self.capabilities, self.max_batch_size = (
            description.info, description.capabilities, description.max_batch_size
        )
        self.stateful = architecture.stateful  # recurrent/hybrid models are served one request at a time

    def _model_class(self) -> Any:
        from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification
        from transformers.utils import logging as transformers_logging

        # transformers draws its own "Loading weights" bar on stderr; bench's progress covers the run
        transformers_logging.disable_progress_bar()
        return AutoModelForSequenceClassification if self.is_reward_model else AutoModelForCausalLM

    # ---- generation --------------------------------------------------------------------------
    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationAnswer]:
        if self.stateful:  # recurrent/hybrid: one request at a time, unpadded (hf_stateful.py)
            from bench.harness.backends.hf_stateful import generate_one

            pad = self.tokenizer.pad_token_id
            encoded_one = [self.prompts.generation_prompt(r) for r in requests]
            return [self._finish(generate_one(self.model, e, r.params, self.eos_ids, pad, self.device), r, len(e), self.eos_ids)
                    for r, e in zip(requests, encoded_one)]
        from bench.harness.backends.hf_generation import generate_batch

        encoded = [self.prompts.generation_prompt(r) for r in requests]
        grammars = self._grammars() if any(r.params.constraint is not None for r in requests) else None
        outputs = generate_batch(
            self.model, self.tokenizer, encoded, [r.params for r in requests], self.eos_ids, self.prefix_store, self.device,
            grammars,
        )
        return [self._finish(tokens, r, len(e), self.eos_ids) for tokens, r, e in zip(outputs, requests, encoded)]

    def _grammars(self) -> ConstraintGrammars:
        """The compiled-constraint cache of this tokenizer (built on the first constrained request)."""
        if self._constraint_grammars is None:
            from bench.harness.backends.grammar import ConstraintGrammars

            vocab_size = int(self.model.get_output_embeddings().weight.shape[0])  # the logits' width
            self._constraint_grammars = ConstraintGrammars.for_hf_tokenizer(self.tokenizer, vocab_size, sorted(self.eos_ids))
        return self._constraint_grammars

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
        text = str(self.tokenizer.decode(kept, skip_special_tokens=True))  # one sequence in, one string out
        cut = _first_stop(text, request.params.stop)
        if cut is not None:
            text, finish = text[:cut], "stop"
            kept = self.prompts.encode(text)
        return GenerationAnswer(text=text, prompt_tokens=prompt_len, completion_tokens=len(kept), finish_reason=finish)

    # ---- log-likelihood ----------------------------------------------------------------------
    def loglikelihood(self, requests: Sequence[LoglikelihoodRequest]) -> list[LoglikelihoodAnswer]:
        """See hf_loglikelihood.py: distinct inputs once, shared prefixes once, batched suffixes."""
        if self.stateful:  # recurrent/hybrid: one unpadded forward pass per request (hf_stateful.py)
            from bench.harness.backends.hf_stateful import loglikelihood_one

            return [loglikelihood_one(self.model, self.prompts.loglikelihood_tokens(r), self.device) for r in requests]
        return self.loglikelihood_scorer.score([self.prompts.loglikelihood_tokens(r) for r in requests])

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


def _resolve_device(device: str) -> str:
    """`auto` -> cuda when torch can use a GPU, else cpu (torch is imported only if it might).

    A device asked for by name must exist: `cuda` without a visible GPU, or `cuda:N` past the last
    one, is a BackendError naming the devices there are (not torch's assertion at the first `.to`)."""
    if device == "cpu":
        return device
    if device == "auto":
        if not _torch_has_gpu_build():
            return "cpu"
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"
    import torch

    if device == "mps":
        if not torch.backends.mps.is_available():
            raise BackendError("device=mps: this machine has no usable Apple GPU; choices: cpu, auto")
        return device
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        build = f"torch {torch.__version__}" + ("" if torch.version.cuda else ", a CPU-only build")
        raise BackendError(f"device={device}: no CUDA GPU is visible ({build}); choices: cpu, auto")
    index = int(device.partition(":")[2] or 0)
    if index >= count:
        raise BackendError(f"device={device}: {count} CUDA GPU(s) visible; choices: cpu, auto, cuda, cuda:0..cuda:{count - 1}")
    return device


def _torch_has_gpu_build() -> bool:
    """False when the installed torch is a CPU-only build (read from torch/version.py, without the
    ~1 s import of torch), so a fully cached run on a CPU machine never imports it."""
    import importlib.util
    import re
    from pathlib import Path

    spec = importlib.util.find_spec("torch")
    if spec is None or not spec.submodule_search_locations:
        return True  # unknown layout: let torch answer
    try:
        text = (Path(next(iter(spec.submodule_search_locations))) / "version.py").read_text()
    except OSError:
        return True
    builds = re.findall(r"^(cuda|hip)\b.*=\s*(.+)$", text, flags=re.MULTILINE)
    return not builds or any(value.strip() != "None" for _, value in builds)


def _is_reward_model(architectures: Sequence[str]) -> bool:
    return any(a.endswith("ForSequenceClassification") for a in architectures)


def _architectures_without_loading(source: ModelSource, args: HFArgs) -> list[str] | None:
    if args.gguf_file or source.gguf_file:
        return None  # the architecture is inside the GGUF's metadata: transformers reads it
    return local_config_architectures(source, args.revision)


def _architecture_without_loading(source: ModelSource, args: HFArgs) -> ArchitectureInfo | None:
    """Family, parameters (safetensors headers) and context length from the files, for describe and load alike."""
    folder = local_config_folder(source, args.revision)
    return architecture_from_folder(folder) if folder is not None else None


def _description(
    model: str,
    source: ModelSource,
    args: HFArgs,
    raw_args: dict[str, Any],
    batch_size: int,
    device: str,
    architectures: Sequence[str],
    architecture: ArchitectureInfo | None = None,
) -> BackendDescription:
    """The one place that computes the hf backend's identity, for `describe` and a real load alike."""
    dtype_name = args.dtype or ("bfloat16" if device.startswith("cuda") else "float32")
    fingerprint, revision = weights_fingerprint(source)
    # Recorded as the user gave them (the cache namespace keys on these), plus the dtype used.
    recorded = {k: v for k, v in raw_args.items() if k != "batch_size"}
    recorded["dtype"] = dtype_name
    info = ModelInfo(
        name=model,
        source=source.hub_id or source.path,
        fingerprint=fingerprint,
        backend=HFBackend.name,
        backend_args=recorded,
        revision=revision or args.revision,
        dtype=dtype_name,
        device=device,
        architecture=architecture,
    )
    kinds = (
        frozenset({RequestKind.SCORE})
        if _is_reward_model(architectures)
        else frozenset({RequestKind.CHAT, RequestKind.COMPLETION, RequestKind.LOGLIKELIHOOD})
    )
    return BackendDescription(info, kinds, args.batch_size or batch_size)


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
