"""The hf backend on the real embedded model: chat, stop strings, log-likelihoods, reward scores."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from bench.harness.backends.hf import HFBackend
from bench.harness.requests import (
    ChatRequest,
    CompletionRequest,
    GenerationParams,
    LoglikelihoodRequest,
    Message,
    ScoreRequest,
)

pytestmark = pytest.mark.slow


def test_embedded_model_answers_a_chat_request(embedded_hf):
    [answer] = embedded_hf.generate([ChatRequest([Message("user", "What is the capital of France?")], GenerationParams(max_tokens=20))])
    assert "Paris" in answer.text
    assert answer.finish_reason == "stop" and answer.completion_tokens > 0


def test_stop_string_cuts_the_answer_and_max_tokens_bounds_it(embedded_hf):
    prompt = "def fibonacci(n):\n"
    [free] = embedded_hf.generate([CompletionRequest(prompt, GenerationParams(max_tokens=30))])
    assert "\n" in free.text.strip("\n")
    [stopped] = embedded_hf.generate([CompletionRequest(prompt, GenerationParams(max_tokens=30, stop=("\n",)))])
    assert "\n" not in stopped.text and free.text.startswith(stopped.text)
    [short] = embedded_hf.generate([CompletionRequest(prompt, GenerationParams(max_tokens=3))])
    assert short.finish_reason == "length" and short.completion_tokens <= 3


def _direct_logprob(backend: HFBackend, context: str, continuation: str) -> float:
    """Sum of continuation log-probs from one plain forward pass, with lm-eval's convention that
    trailing context whitespace belongs to the continuation."""
    tok, model = backend.tokenizer, backend.model
    stripped = context.rstrip()
    context, continuation = stripped, context[len(stripped):] + continuation
    context_ids = tok(context, add_special_tokens=False)["input_ids"]
    whole = tok(context + continuation, add_special_tokens=False)["input_ids"]
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([whole])).logits[0].float(), dim=-1)
    return sum(logprobs[i - 1, whole[i]].item() for i in range(len(context_ids), len(whole)))


FEW_SHOT = (
    "class Person:\n    def __init__(self, job):\n        self.job = job\n\n"
    "nurse = Person('nurse')\n# The nurse said that she was tired.\n"
    "pilot = Person('pilot')\n# The pilot said that he was tired.\n"
)


def test_loglikelihoods_equal_a_direct_transformers_forward(embedded_hf):
    requests = [
        LoglikelihoodRequest(FEW_SHOT + "doctor = Person('doctor')\n# The doctor said that", " he"),
        LoglikelihoodRequest(FEW_SHOT + "doctor = Person('doctor')\n# The doctor said that", " she"),
        LoglikelihoodRequest(FEW_SHOT + "teacher = Person('teacher')\n# The teacher said that", " she"),
        LoglikelihoodRequest("The capital of France is", " Paris, a large city"),
        LoglikelihoodRequest("Trailing space context ", "word"),
    ]
    answers = embedded_hf.loglikelihood(requests)
    for request, answer in zip(requests, answers):
        assert answer.logprob == pytest.approx(_direct_logprob(embedded_hf, request.context, request.continuation), abs=1e-4)
    # the shared few-shot prefix path and one-request-at-a-time agree too
    for request, answer in zip(requests, answers):
        assert embedded_hf.loglikelihood([request])[0].logprob == pytest.approx(answer.logprob, abs=1e-4)


def test_is_greedy_is_true_for_the_models_own_greedy_continuation(embedded_hf):
    prompt = "The capital of France is"
    [generated] = embedded_hf.generate([CompletionRequest(prompt, GenerationParams(max_tokens=3))])
    [answer] = embedded_hf.loglikelihood([LoglikelihoodRequest(prompt, generated.text)])
    assert answer.is_greedy
    [unlikely] = embedded_hf.loglikelihood([LoglikelihoodRequest(prompt, " banana banana")])
    assert not unlikely.is_greedy and unlikely.logprob < answer.logprob


def test_chat_context_loglikelihood_scores_the_assistant_reply(embedded_hf):
    messages = [Message("user", "What is the capital of France?")]
    rendered = embedded_hf.prompts.render_chat(messages)
    [answer] = embedded_hf.loglikelihood([LoglikelihoodRequest(messages, "The capital of France is Paris.")])
    assert answer.logprob == pytest.approx(_direct_logprob(embedded_hf, rendered, "The capital of France is Paris."), abs=1e-4)


def test_sequence_classifier_scores_conversations_and_flags_truncation(tmp_path: Path, embedded_hf):
    from transformers import LlamaConfig, LlamaForSequenceClassification

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(embedded_hf.tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64, num_labels=1,
                         pad_token_id=embedded_hf.tokenizer.pad_token_id)
    LlamaForSequenceClassification(config).save_pretrained(tmp_path)
    embedded_hf.tokenizer.save_pretrained(tmp_path)
    backend = HFBackend(str(tmp_path))
    conversations = [
        ScoreRequest([Message("user", "Hi"), Message("assistant", "Hello there!")]),
        ScoreRequest([Message("user", "Hi"), Message("assistant", "Go away.")]),
        ScoreRequest([Message("user", "long " * 80), Message("assistant", "ok")]),
    ]
    batched = backend.score(conversations)
    single = [backend.score([c])[0] for c in conversations]
    assert [a.score for a in batched] == pytest.approx([a.score for a in single], abs=1e-5)
    assert batched[0].score != batched[1].score
    assert [a.truncated for a in batched] == [False, False, True]
    assert backend.capabilities == frozenset({conversations[0].kind})
    description = HFBackend.describe(str(tmp_path), {}, None)  # a reward model is known without loading it
    assert description is not None and description.capabilities == backend.capabilities
    assert description.info == backend.info


def test_describe_without_loading_matches_the_loaded_backend(embedded_hf):
    """The lazy open's contract: the same ModelInfo (the cache namespace), request kinds and batch size."""
    description = HFBackend.describe("smollm2", {}, None)
    assert description is not None
    assert description.info == embedded_hf.info
    assert description.capabilities == embedded_hf.capabilities
    assert description.max_batch_size == embedded_hf.max_batch_size
    args = {"dtype": "float32", "max_length": 512, "batch_size": 3}
    loaded = HFBackend("smollm2", args)
    assert HFBackend.describe("smollm2", args, None).info == loaded.info  # type: ignore[union-attr]
    assert loaded.max_batch_size == 3


def test_describe_imports_neither_torch_nor_transformers():
    code = (
        "import sys; from bench.harness.backends.hf import HFBackend; "
        "d = HFBackend.describe('smollm2', {}, None); assert d is not None; "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
