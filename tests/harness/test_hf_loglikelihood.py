"""The hf backend's log-likelihood plan (harness/backends/hf_loglikelihood.py, with the prefix groups of
hf_prefix_sharing.py and the forwards of hf_rows.py): which tokens run, in which forwards, and that the
answers equal one plain forward per request."""

from __future__ import annotations

import pytest
from bench.harness.backends.hf_loglikelihood import distinct_inputs
from bench.harness.backends.hf_prefix_sharing import PrefixGroup, plan_prefix_groups
from bench.harness.backends.hf_rows import FORWARD_OVERHEAD_TOKENS, MAX_FORWARD_TOKENS, forward_chunks
from bench.harness.backends.prompting import ScoredTokens
from bench.harness.requests import LoglikelihoodRequest, Message


def _cost(rows: list[list[int]], groups: list[PrefixGroup]) -> int:
    """Tokens a plan runs (what plan_prefix_groups minimises, overhead included)."""
    total = 0
    for g in groups:
        total += sum(len(rows[r]) - g.prefix_len for r in g.rows)
        if g.prefix_len:
            total += g.prefix_len + FORWARD_OVERHEAD_TOKENS
    return total


def test_an_input_that_begins_another_reads_from_the_longer_row():
    items = [
        ScoredTokens([1, 2, 3, 4], 3),  # input [1, 2, 3], answer [4]
        ScoredTokens([1, 2, 3, 5], 3),  # same input, other answer
        ScoredTokens([1, 2, 3, 4, 6, 7], 3),  # input [1, 2, 3, 4, 6] extends [1, 2, 3]
        ScoredTokens([9, 8], 1),
    ]
    plan = distinct_inputs(items)
    assert plan.rows == [[1, 2, 3, 4, 6], [9]]
    assert plan.host == [0, 0, 0, 1]
    # the earliest position whose logits are read: position 2 predicts the first answer token
    assert plan.first_needed == [2, 0]


def test_two_prompt_families_get_their_own_long_prefixes_not_one_short_shared_one():
    header = list(range(100, 120))  # 20 tokens both families share
    family_a = [header + list(range(200, 260)) + [k, k + 1, k + 2] for k in range(0, 30, 3)]
    family_b = [header + list(range(300, 360)) + [k, k + 1, k + 2] for k in range(0, 30, 3)]
    rows = sorted(family_a + family_b)
    groups = plan_prefix_groups(rows, [len(r) - 1 for r in rows], min_prefix=16)
    assert [g.prefix_len for g in groups] == [80, 80]
    assert sorted(len(g.rows) for g in groups) == [10, 10]
    one_group = [PrefixGroup(list(range(len(rows))), 20)]
    assert _cost(rows, groups) < _cost(rows, one_group)


def test_a_prefix_stops_before_the_first_position_whose_logits_are_read():
    rows = [[1] * 30 + [2, 3], [1] * 30 + [4, 5]]
    [group] = plan_prefix_groups(rows, [25, 31], min_prefix=16)
    assert group.prefix_len == 25 and group.rows == [0, 1]


def test_rows_sharing_less_than_min_prefix_run_alone():
    rows = [[1] * 10 + [2], [1] * 10 + [3]]
    groups = plan_prefix_groups(rows, [10, 10], min_prefix=16)
    assert [(g.rows, g.prefix_len) for g in groups] == [([0], 0), ([1], 0)]


def test_forwards_split_where_suffix_lengths_differ_and_respect_the_token_bound():
    # 8 short rows and 8 long ones: one forward would pad every short row to 100 tokens
    widths = [(0, 100)] * 8 + [(0, 10)] * 8
    chunks = forward_chunks(widths)
    assert sorted(sorted(c) for c in chunks) == [list(range(8)), list(range(8, 16))]
    many = [(50, 50)] * 200
    chunks = forward_chunks(many)
    assert all(len(c) * 100 <= MAX_FORWARD_TOKENS for c in chunks)
    assert sorted(r for c in chunks for r in c) == list(range(200))
    # a row larger than every bound still runs (alone)
    assert forward_chunks([(0, 10 * MAX_FORWARD_TOKENS)]) == [[0]]
    assert all(len(c) * 4 <= 8 for c in forward_chunks([(0, 4)] * 10, kept=[4] * 10, max_kept=8))


# ---- on the embedded model --------------------------------------------------------------------


def _direct_logprob(backend, request: LoglikelihoodRequest) -> float:
    import torch

    scored = backend.prompts.loglikelihood_tokens(request)
    with torch.no_grad():
        logprobs = torch.log_softmax(backend.model(torch.tensor([scored.tokens])).logits[0].float(), dim=-1)
    return sum(logprobs[i - 1, scored.tokens[i]].item() for i in range(scored.continuation_start, len(scored.tokens)))


FEW_SHOT = (
    "class Person:\n    def __init__(self, job):\n        self.job = job\n\n"
    "nurse = Person('nurse')\n# The nurse said that she was tired.\n"
    "pilot = Person('pilot')\n# The pilot said that he was tired.\n"
)
REQUESTS = [
    LoglikelihoodRequest(FEW_SHOT + "doctor = Person('doctor')\n# The doctor said that", " he"),
    LoglikelihoodRequest(FEW_SHOT + "doctor = Person('doctor')\n# The doctor said that", " she"),
    LoglikelihoodRequest(FEW_SHOT + "doctor = Person('doctor')\n# The doctor said that", " she was tired"),
    LoglikelihoodRequest(FEW_SHOT + "teacher = Person('teacher')\n# The teacher said that", " she"),
    LoglikelihoodRequest("The capital of France is", " Paris, a large city"),
    LoglikelihoodRequest("Trailing space context ", "word"),
    LoglikelihoodRequest("", "Hello world"),
    LoglikelihoodRequest([Message("user", "Pick a colour")], "red"),
    LoglikelihoodRequest([Message("user", "Pick a colour")], "blue, definitely blue"),
]


@pytest.mark.slow
@pytest.mark.parametrize("min_shared_prefix", [16, 10**9], ids=["prefix-reuse", "no-reuse"])
def test_loglikelihoods_equal_one_plain_forward_per_request(embedded_hf, min_shared_prefix):
    scorer = embedded_hf.loglikelihood_scorer
    saved = scorer.min_shared_prefix
    scorer.min_shared_prefix = min_shared_prefix
    try:
        if embedded_hf.prefix_store is not None:
            embedded_hf.prefix_store.clear()
        answers = embedded_hf.loglikelihood(REQUESTS)
    finally:
        scorer.min_shared_prefix = saved
    for request, answer in zip(REQUESTS, answers):
        assert answer.logprob == pytest.approx(_direct_logprob(embedded_hf, request), abs=1e-4)
    assert [a.continuation_tokens for a in answers][:2] == [1, 1]


@pytest.mark.slow
def test_choose_runs_the_conversation_once_and_the_candidates_in_one_forward(embedded_hf):
    conversation = [
        Message("system", "You play UNO. Answer with one legal move. " * 20),
        Message("user", "Your hand: red 5, blue 7, green skip, wild. Top card: red 2. Your move?"),
    ]
    candidates = ["play red 5", "play blue 7", "play green skip", "play wild card", "draw a card"]
    scorer, store = embedded_hf.loglikelihood_scorer, embedded_hf.prefix_store
    store.clear()
    before = (scorer.forwards, scorer.tokens_run)
    answers = embedded_hf.loglikelihood([LoglikelihoodRequest(conversation, c) for c in candidates])
    forwards, tokens = scorer.forwards - before[0], scorer.tokens_run - before[1]
    context = len(embedded_hf.prompts.loglikelihood_tokens(LoglikelihoodRequest(conversation, "x")).tokens) - 1
    assert forwards == 2  # the shared conversation once, then every candidate's suffix together
    assert tokens < context + 8 * len(candidates)  # the conversation (>200 tokens) ran once
    for candidate, answer in zip(candidates, answers):
        assert answer.logprob == pytest.approx(_direct_logprob(embedded_hf, LoglikelihoodRequest(conversation, candidate)), abs=1e-4)
    # a candidate cut off into the next batch continues the stored conversation: one short forward
    before = (scorer.forwards, scorer.tokens_run)
    [late] = embedded_hf.loglikelihood([LoglikelihoodRequest(conversation, "play red 5 and say UNO")])
    assert scorer.forwards - before[0] == 1 and scorer.tokens_run - before[1] < 16
    assert late.logprob == pytest.approx(
        _direct_logprob(embedded_hf, LoglikelihoodRequest(conversation, "play red 5 and say UNO")), abs=1e-4
    )
