"""The hf decode loop (harness/backends/hf_generation.py) on a tiny random-weight Llama with a byte-level
tokenizer built in the test (no download, no embedded model): constraints hold per row, greedy and
sampled rows do not depend on their batch-mates, stop strings and top_k work, grammars compile once."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest
import torch
from bench.harness.backends.grammar import ConstraintGrammars
from bench.harness.backends.hf_generation import _Row, _Sampler, generate_batch
from bench.harness.errors import BackendError
from bench.harness.requests import Constraint, GenerationParams

CPU = torch.device("cpu")
SCHEMA = {
    "type": "object",
    "properties": {"move": {"enum": ["play", "draw"]}, "card": {"type": "integer"}, "uno": {"type": "boolean"}},
    "required": ["move", "card", "uno"],
}


@pytest.fixture(scope="module")
def tiny() -> tuple[Any, Any, ConstraintGrammars]:
    """A 2-layer Llama over 256 byte tokens + EOS, weights large enough that logits are not near ties."""
    from tiny_models import byte_tokenizer, tiny_llama

    tokenizer = byte_tokenizer()
    model = tiny_llama(tokenizer)
    grammars = ConstraintGrammars.for_hf_tokenizer(tokenizer, len(tokenizer), [tokenizer.eos_token_id])
    return model, tokenizer, grammars


def _generate(tiny: tuple[Any, Any, ConstraintGrammars], prompts: list[str], params: list[GenerationParams]) -> list[list[int]]:
    model, tokenizer, grammars = tiny
    encoded = [tokenizer.encode(p) for p in prompts]
    return generate_batch(model, tokenizer, encoded, params, {tokenizer.eos_token_id}, None, CPU, grammars)


def _text(tiny: tuple[Any, Any, ConstraintGrammars], tokens: list[int]) -> str:
    eos = tiny[1].eos_token_id
    assert tokens[-1] == eos, "a constrained row must end because its grammar accepted EOS"
    return str(tiny[1].decode(tokens[:-1]))


PROMPTS = ["UNO: your move?", "x", "The quick brown fox", "Pick a colour: red or blue", "12 + 7 =", "{"]


def test_each_constraint_kind_holds_greedy_and_sampled(tiny) -> None:
    kinds = [
        Constraint.choice(["red", "blue", "green yellow"]),
        Constraint.regex(r"(play|draw) [RGBY][0-9]"),
        Constraint.regex(r"[a-c]{2,4}x"),
        Constraint.json_schema_of(SCHEMA),
    ]
    for temperature in (0.0, 1.0):
        params = [GenerationParams(max_tokens=96, constraint=c, temperature=temperature, seed=s)
                  for s, c in enumerate(kinds)]  # fmt: skip
        choice, regex_a, regex_b, schema = (_text(tiny, t) for t in _generate(tiny, PROMPTS[:4], params))
        assert choice in kinds[0].choices
        assert re.fullmatch(r"(play|draw) [RGBY][0-9]", regex_a) and re.fullmatch(r"[a-c]{2,4}x", regex_b)
        jsonschema.validate(json.loads(schema), SCHEMA)


def test_greedy_rows_do_not_depend_on_their_batch_mates(tiny) -> None:
    params = [
        GenerationParams(max_tokens=12),
        GenerationParams(max_tokens=20, constraint=Constraint.regex(r"[a-z]{3,9}")),
        GenerationParams(max_tokens=5),
        GenerationParams(max_tokens=30, constraint=Constraint.choice(["alpha", "beta", "gamma"])),
        GenerationParams(max_tokens=16, stop=("e",)),
        GenerationParams(max_tokens=64, constraint=Constraint.json_schema_of(SCHEMA)),
    ]
    batched = _generate(tiny, PROMPTS, params)
    alone = [_generate(tiny, [p], [g])[0] for p, g in zip(PROMPTS, params)]
    assert batched == alone
    assert [len(t) for t in batched[:3:2]] == [12, 5]  # unconstrained rows run to their own max_tokens


def test_sampled_rows_follow_their_own_seed(tiny) -> None:
    sampled = [GenerationParams(max_tokens=10, temperature=1.0, seed=s) for s in (1, 2)]
    batched = _generate(tiny, ["abc", "abc", "zzz"], [*sampled, GenerationParams(max_tokens=4)])
    assert batched[0] == _generate(tiny, ["abc"], sampled[:1])[0]
    assert batched[1] == _generate(tiny, ["abc"], sampled[1:])[0]
    assert batched[0] != batched[1]


def test_stop_string_ends_its_row_and_not_the_others(tiny) -> None:
    forced = Constraint.regex(r"abXcdefgh")
    params = [GenerationParams(max_tokens=20, constraint=forced, stop=("X",)), GenerationParams(max_tokens=20, constraint=forced)]
    stopped, full = _generate(tiny, ["p", "q"], params)
    tokenizer = tiny[1]
    assert tokenizer.decode(stopped) == "abX"  # the caller cuts the stop string itself (hf.py _finish)
    assert tokenizer.decode(full[:-1]) == "abXcdefgh"


def test_top_k_keeps_only_the_k_most_likely_tokens() -> None:
    logits = torch.tensor([[0.0, 3.0, 2.9, 2.8, 2.7, -1.0, 2.6]])
    seen = set()
    for seed in range(200):
        row = _Row([1], GenerationParams(temperature=5.0, top_k=3, seed=seed), [])
        seen.add(int(_Sampler([row], CPU).pick(logits.clone(), [0], torch.tensor([0]))[0]))
    assert seen == {1, 2, 3}
    rows = [_Row([1], GenerationParams(temperature=1.0, top_k=1, seed=s), []) for s in range(5)]
    picks = _Sampler(rows, CPU).pick(logits.repeat(5, 1), list(range(5)), torch.arange(5))
    assert picks.tolist() == [1] * 5  # top_k=1 is greedy



def test_top_k_applies_per_row_in_a_mixed_batch() -> None:
    """Rows with different top_k (and none) in one batch: each keeps exactly its own k tokens."""
    logits = torch.tensor([[0.0, 3.0, 2.9, 2.8, 2.7, -1.0, 2.6]]).repeat(3, 1)
    seen: list[set[int]] = [set(), set(), set()]
    for seed in range(300):
        rows = [
            _Row([1], GenerationParams(temperature=5.0, top_k=2, seed=seed), []),
            _Row([1], GenerationParams(temperature=5.0, top_k=4, seed=seed), []),
            _Row([1], GenerationParams(temperature=5.0, seed=seed), []),  # no top-k: every token possible
        ]
        picks = _Sampler(rows, CPU).pick(logits.clone(), [0, 1, 2], torch.arange(3))
        for row, token in enumerate(picks.tolist()):
            seen[row].add(token)
    assert seen[0] == {1, 2}
    assert seen[1] == {1, 2, 3, 4}
    assert seen[2] == {0, 1, 2, 3, 4, 5, 6}

def test_top_p_keeps_the_nucleus() -> None:
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    seen = set()
    for seed in range(200):
        row = _Row([1], GenerationParams(temperature=1.0, top_p=0.7, seed=seed), [])
        seen.add(int(_Sampler([row], CPU).pick(logits.clone(), [0], torch.tensor([0]))[0]))
    assert seen == {0, 1}
    rows = [_Row([1], GenerationParams(temperature=1.0, top_p=0.0, seed=s), []) for s in range(5)]
    assert _Sampler(rows, CPU).pick(logits.repeat(5, 1), list(range(5)), torch.arange(5)).tolist() == [0] * 5


def test_grammars_compile_once_per_constraint(tiny) -> None:
    _, _, grammars = tiny
    constraint = Constraint.regex(r"[0-9]{2}")
    before = grammars.compilations
    for _ in range(3):
        _generate(tiny, ["a", "b"], [GenerationParams(max_tokens=4, constraint=constraint)] * 2)
    assert grammars.compilations == before + 1


def test_a_regex_xgrammar_cannot_compile_is_one_backend_error(tiny) -> None:
    with pytest.raises(BackendError, match=r"regex constraint \(\?=a\)a: .*[Ll]ookahead"):
        _generate(tiny, ["a"], [GenerationParams(max_tokens=4, constraint=Constraint.regex("(?=a)a"))])


class _ModelSpy:
    """The tiny model, recording (rows, input columns, attention-mask columns) of every forward it runs."""

    def __init__(self, model: Any) -> None:
        self.model, self.calls = model, []

    def __call__(self, **kwargs: Any) -> Any:
        self.calls.append((*kwargs["input_ids"].shape, kwargs["attention_mask"].shape[1]))
        return self.model(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)


LONG_PROMPT = "A long few-shot prompt. " * 12  # 288 byte tokens
SHORT_PROMPTS = ["Q: 1+1?", "Q: red?", "Q: fox?", "Q: sky?"]


def test_a_long_prompt_is_prefilled_apart_from_short_ones_and_answers_stay_the_same(tiny) -> None:
    model, tokenizer, _ = tiny
    spy = _ModelSpy(model)
    prompts = [LONG_PROMPT, *SHORT_PROMPTS]
    params = [GenerationParams(max_tokens=3)] * len(prompts)
    encoded = [tokenizer.encode(p) for p in prompts]
    batched = generate_batch(spy, tokenizer, encoded, params, {tokenizer.eos_token_id}, None, CPU)
    prefill = sorted(call for call in spy.calls if call[1] > 1)
    # the long prompt alone, the short ones together (none padded to the long one's length)
    assert prefill == [(1, len(encoded[0]), len(encoded[0])), (4, 7, 7)]
    assert [call[0] for call in spy.calls if call[1] == 1] == [5, 5]  # then one decode batch of all rows
    assert batched == [_generate(tiny, [p], [g])[0] for p, g in zip(prompts, params)]


def test_rows_that_finish_take_their_padding_columns_with_them(tiny) -> None:
    model, tokenizer, _ = tiny
    spy = _ModelSpy(model)
    prompts = [LONG_PROMPT, SHORT_PROMPTS[0]]
    params = [GenerationParams(max_tokens=1), GenerationParams(max_tokens=6)]
    encoded = [tokenizer.encode(p) for p in prompts]
    batched = generate_batch(spy, tokenizer, encoded, params, {tokenizer.eos_token_id}, None, CPU)
    decode = spy.calls[-5:]  # the short row's steps 2..6, alone once the long row has left after its one token
    assert decode == [(1, 1, len(encoded[1]) + step) for step in range(1, 6)]
    assert batched == [_generate(tiny, [p], [g])[0] for p, g in zip(prompts, params)]


def test_rows_continuing_stored_prefixes_batch_with_rows_that_reuse_nothing(tiny) -> None:
    from bench.harness.backends.hf_generation import PrefixKVStore

    model, tokenizer, _ = tiny
    store = PrefixKVStore(2**26, min_reuse=4)
    eos = {tokenizer.eos_token_id}
    first = generate_batch(model, tokenizer, [tokenizer.encode(LONG_PROMPT)], [GenerationParams(max_tokens=4)], eos, store, CPU)
    assert len(store) == 1
    prompts = [LONG_PROMPT + "Q: next?", "Q: unrelated?", LONG_PROMPT]
    params = [GenerationParams(max_tokens=5)] * 3
    reused_before = store.reused_tokens
    batched = generate_batch(model, tokenizer, [tokenizer.encode(p) for p in prompts], params, eos, store, CPU)
    assert store.reused_tokens - reused_before >= 2 * len(tokenizer.encode(LONG_PROMPT)) - 1
    assert batched == [_generate(tiny, [p], [g])[0] for p, g in zip(prompts, params)]
    assert batched[2][:4] == first[0]


def test_a_prefix_that_rows_of_one_batch_share_runs_once(tiny) -> None:
    from bench.harness.backends.hf_generation import PrefixKVStore

    model, tokenizer, _ = tiny
    spy = _ModelSpy(model)
    store = PrefixKVStore(2**26, min_reuse=16)
    instructions = "Judge whether the answer is supported. " * 4  # 156 byte tokens every row begins with
    prompts = [instructions + q for q in SHORT_PROMPTS] + ["An unrelated prompt"]
    encoded = [tokenizer.encode(p) for p in prompts]
    params = [GenerationParams(max_tokens=4)] * len(prompts)
    batched = generate_batch(spy, tokenizer, encoded, params, {tokenizer.eos_token_id}, store, CPU)
    prefill_tokens = sum(rows * columns for rows, columns, _ in spy.calls if columns > 1)
    assert prefill_tokens <= len(tokenizer.encode(instructions)) + 4 * 7 + 19  # the instructions once, then suffixes
    assert store.prefilled_tokens + store.reused_tokens >= sum(len(e) for e in encoded)
    assert batched == [_generate(tiny, [p], [g])[0] for p, g in zip(prompts, params)]
