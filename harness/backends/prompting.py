"""Turning requests into token ids, shared by every backend that tokenises locally (hf, vllm).

One implementation means the hf and vLLM backends see the same token ids for the same request,
so their answers are comparable and a cross-backend check is meaningful.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.harness.errors import BackendError
from bench.harness.requests import ChatRequest, GenerationRequest, LoglikelihoodRequest, Message


@dataclass(frozen=True)
class ScoredTokens:
    """A tokenised log-likelihood request: context + continuation ids, and where the continuation starts."""

    tokens: list[int]
    continuation_start: int


def common_prefix_len(a: Sequence[int], b: Sequence[int]) -> int:
    """Number of leading tokens `a` and `b` share (the one longest-common-prefix helper of the backends).

    A plain loop: token lists are at most a few thousand long, and this runs on Python lists
    without a tensor round trip.
    """
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def model_max_length(config: Any, tokenizer: Any) -> int:
    for attribute in ("max_position_embeddings", "n_positions", "max_seq_len"):
        value = getattr(config, attribute, None)
        if isinstance(value, int) and value > 0:
            return value
    value = getattr(tokenizer, "model_max_length", None)
    return value if isinstance(value, int) and 0 < value < 10**7 else 2048


class PromptFormatter:
    def __init__(self, tokenizer: Any, max_length: int, add_bos_token: bool = False) -> None:
        self.tokenizer, self.max_length, self.add_bos_token = tokenizer, max_length, add_bos_token

    def render_chat(self, messages: Sequence[Message], add_generation_prompt: bool = True) -> str:
        """The chat-templated prompt string (plain 'role: content' lines for a model without a template)."""
        conversation = [{"role": m.role, "content": m.content} for m in messages]
        if getattr(self.tokenizer, "chat_template", None):
            return str(
                self.tokenizer.apply_chat_template(conversation, tokenize=False, add_generation_prompt=add_generation_prompt)
            )
        text = "\n".join(f"{m.role}: {m.content}" for m in messages)
        return text + ("\nassistant:" if add_generation_prompt else "")

    def encode(self, text: str) -> list[int]:
        ids: list[int] = self.tokenizer(text, add_special_tokens=False)["input_ids"]
        if self.add_bos_token and self.tokenizer.bos_token_id is not None:
            ids = [self.tokenizer.bos_token_id, *ids]
        return ids

    def generation_prompt(self, request: GenerationRequest) -> list[int]:
        text = self.render_chat(request.messages) if isinstance(request, ChatRequest) else request.prompt
        return self.encode(text)

    def loglikelihood_tokens(self, request: LoglikelihoodRequest) -> ScoredTokens:
        """lm-eval's convention: trailing context whitespace moves into the continuation, then
        context+continuation is encoded as one string and split where the context's ids end."""
        context = request.context if isinstance(request.context, str) else self.render_chat(request.context)
        continuation = request.continuation
        n_spaces = len(context) - len(context.rstrip())
        if n_spaces > 0:
            continuation = context[-n_spaces:] + continuation
            context = context[:-n_spaces]
        whole = self.encode(context + continuation)
        context_ids = self.encode(context) if context else []
        if not context_ids:
            tok = self.tokenizer
            prefix = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
            return ScoredTokens([prefix, *whole], 1)
        start = len(context_ids)
        if whole[:start] != context_ids:  # a merge across the boundary: encode the parts separately
            whole = context_ids + self.encode(continuation)
        if len(whole) > self.max_length:
            drop = len(whole) - self.max_length
            if drop >= start:
                raise BackendError(f"continuation longer than the model's maximum length {self.max_length}")
            whole, start = whole[drop:], start - drop
        return ScoredTokens(whole, start)
