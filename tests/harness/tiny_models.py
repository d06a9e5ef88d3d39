"""Tiny random-weight models for tests: no download, no embedded model, built in milliseconds."""

from __future__ import annotations

from typing import Any


def byte_tokenizer(chat_template: bool = False) -> Any:
    """A byte-level BPE tokenizer with no merges: 256 byte tokens + `<eos>` (also the pad token).

    With `chat_template`, a minimal "role: content" template, so chat requests can be rendered."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    vocab["<eos>"] = len(vocab)
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<eos>", pad_token="<eos>")
    if chat_template:
        tokenizer.chat_template = (
            "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
            "{% if add_generation_prompt %}assistant:{% endif %}"
        )
    return tokenizer


def tiny_llama(tokenizer: Any, seed: int = 0) -> Any:
    """A 2-layer Llama over `tokenizer`'s vocabulary, weights large enough (initializer_range 0.5)
    that greedy logits are not near ties: batching or device changes must not flip a token."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    eos = tokenizer.eos_token_id
    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, initializer_range=0.5,
        eos_token_id=eos, bos_token_id=eos, pad_token_id=eos,
    )  # fmt: skip
    return LlamaForCausalLM(config).eval()
