"""The probe table: one row per hallucination task of Huang et al. (Findings of ACL 2025), with the
Hallucinations Leaderboard's settings (Hong et al. 2024) for shots, prompts, stops and metrics.

Each `Probe` says where its data comes from (hub id, config, split; the shipped sample file), how
a row becomes an item, how the prompt is built, and how an answer is scored:

    kind        request         per-sample score                                   metric
    exact_match generation      lm-eval exact match vs any gold (metrics.hallucination_qa)  exact_match
    contains    generation      any gold answer occurs in the answer (PopQA)       accuracy
    squad       generation      SQuAD v2 exact / F1 ("unanswerable" = no answer)    exact, f1
    rouge       generation      ROUGE-L F1 vs the reference (rouge_score)           rougeL
    choice      log-likelihood  argmax choice == gold                              acc
    mc2         log-likelihood  probability mass on the true answers              mc2
    detection   log-likelihood  argmax choice == gold, with majority baseline      acc
    truthfulqa_gen generation   lm-eval's BLEU/ROUGE true-vs-false references      rougeL_acc (+ bleu/rouge1/2)
    ifeval      generation      lm-eval's instruction checkers                     prompt_level_strict_acc (+ 3)

Probes lm-eval defines (nq_open, triviaqa, truthfulqa_mc1/mc2/gen, race, inverse_scaling_memo_trap,
cnn_dailymail, ifeval) carry an `LmEvalSource`: they run lm-eval's own task definition (its YAML
and utils: prompt, few-shot sampling, filters, metrics) through the lm_eval bridge, with the
leaderboard's shots; their prompt fields below only record lm-eval's values (tested equal to the
YAML). The others are written here (marked "reconstructed" in `prompt_source`), since the
leaderboard's fork that defined them is not available to us; SQuAD v2 stays here too (lm-eval's
squadv2 scores through `evaluate.load("squad_v2")`, a hub download, so it cannot run offline).
A prompt is: description + demo_1 + fewshot_delimiter + ... + demo_k + fewshot_delimiter + query,
a demo being query + target_delimiter + target (lm-eval's layout).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["exact_match", "contains", "squad", "rouge", "choice", "mc2", "detection", "truthfulqa_gen", "ifeval"]
Category = Literal["factuality", "faithfulness"]
Row = Mapping[str, Any]
Item = dict[str, Any]  # id, fields the templates use, and golds | choices + gold (+ labels)

NQ_ARTICLES = r"\b(?:The |the |An |A |The |a |an )"


@dataclass(frozen=True)
class LmEvalSource:
    """lm-eval's definition of a probe: its YAML (under lm_eval/tasks), the per-document metric
    that is the probe's headline, and the shipped file behind each split for data=sample."""

    yaml: str  # e.g. "nq_open/nq_open.yaml" (under lm_eval/tasks), or "lm_eval_yaml/x.yaml" (this project's)
    task: str  # the lm-eval task name the YAML defines
    metric: str  # per-document metric key as lm-eval logs it, "<metric>[,<filter>]"
    splits: tuple[tuple[str, str], ...]  # (split name as the YAML names it, file in data/)
    normalisation: str = ""
    sample_yaml: str | None = None  # data=sample runs this YAML (its own local dataset) instead of `splits`
    proportions: tuple[str, ...] = ()  # metrics whose per-document values are 0/1 (Wilson interval)
    unit_means: tuple[str, ...] = ()  # metrics whose per-document values lie in [0, 1] (bootstrap interval)

    @property
    def key(self) -> str:
        """The record field holding the headline's per-document value."""
        return f"{self.task}/{self.metric}"


@dataclass(frozen=True)
class Probe:
    name: str
    category: Category
    subcategory: str
    kind: Kind
    description: str  # one line for `bench list tasks`
    hub_path: str
    hub_config: str | None
    hub_split: str
    fewshot_split: str | None  # None: demos come from the evaluated split, never the item itself
    sample_file: str
    shots: int
    query: str  # str.format template over the item's fields
    target: str  # template of a demo's answer
    instruction: str = ""  # lm-eval's `description`
    fewshot_delimiter: str = "\n\n"
    target_delimiter: str = " "
    stops: tuple[str, ...] = ()
    max_tokens: int = 32
    regexes_to_ignore: tuple[str, ...] = ()
    prompt_source: str = "lm-eval"
    from_hub: Callable[[Row, int], Item] | None = None
    from_sample: Callable[[Row, int], Item] | None = None
    lm_eval: LmEvalSource | None = None  # set: runs lm-eval's definition through the bridge

    @property
    def headline(self) -> str:
        if self.lm_eval is not None:
            return self.lm_eval.metric.split(",")[0]
        return {"exact_match": "exact_match", "contains": "accuracy", "squad": "f1", "rouge": "rougeL",
                "choice": "acc", "mc2": "mc2", "detection": "acc"}[self.kind]

    @property
    def generates(self) -> bool:
        return self.kind in ("exact_match", "contains", "squad", "rouge", "truthfulqa_gen", "ifeval")


# ---- row -> item mappers (hub schema; the shipped samples use the hub schema where it is simple) ----

def _popqa(row: Row, i: int) -> Item:
    answers = row.get("possible_answers", row.get("answer"))
    if isinstance(answers, str):
        answers = json.loads(answers)
    return {"id": str(row.get("id", f"popqa-{i}")), "question": row["question"], "golds": list(answers),
            "answer": answers[0]}


def _squad(row: Row, i: int) -> Item:
    texts = list(row["answers"]["text"])
    return {"id": str(row.get("id", f"squad-{i}")), "title": row.get("title", ""), "context": row["context"],
            "question": row["question"], "golds": texts or [""], "answer": texts[0] if texts else "unanswerable"}


def _yes_no(flag: Any) -> int:
    """0 = " Yes" (hallucinated), 1 = " No"."""
    return 0 if str(flag).strip().lower() in ("yes", "true", "1") else 1


def _halu_qa(row: Row, i: int) -> Item:
    gold = _yes_no(row["hallucination"])
    return {"id": str(row.get("id", f"hqa-{i}")), "knowledge": row["knowledge"], "question": row["question"],
            "answer": row["answer"], "choices": ["Yes", "No"], "gold": gold}


def _halu_dialogue(row: Row, i: int) -> Item:
    gold = _yes_no(row["hallucination"])
    return {"id": str(row.get("id", f"hdi-{i}")), "knowledge": row["knowledge"], "dialogue": row["dialogue_history"],
            "response": row["response"], "choices": ["Yes", "No"], "gold": gold}


def _halu_summary(row: Row, i: int) -> Item:
    gold = _yes_no(row["hallucination"])
    return {"id": str(row.get("id", f"hsu-{i}")), "document": row["document"], "summary": row["summary"],
            "choices": ["Yes", "No"], "gold": gold}


def _faithdial(row: Row, i: int) -> Item:
    history = row["history"]
    tags = row.get("BEGIN") or []
    gold = 0 if "Hallucination" in tags else 1
    return {"id": str(row.get("id", f"fd-{i}")), "knowledge": row["knowledge"],
            "history": history[-1] if isinstance(history, list) and history else str(history),
            "response": row["response"], "choices": ["Yes", "No"], "gold": gold, "label": ["Yes", "No"][gold]}


def _fever(row: Row, i: int) -> Item:
    gold = 0 if str(row["label"]).upper().startswith("SUPPORT") else 1
    return {"id": str(row.get("id", f"fever-{i}")), "claim": row["claim"], "choices": ["SUPPORTS", "REFUTES"],
            "gold": gold, "label": ["SUPPORTS", "REFUTES"][gold]}


def _true_false(row: Row, i: int) -> Item:
    gold = 0 if int(row["label"]) == 1 else 1
    return {"id": str(row.get("id", f"tf-{i}")), "statement": row["statement"], "choices": ["True", "False"],
            "gold": gold, "label": ["True", "False"][gold]}


def _xsum(row: Row, i: int) -> Item:
    return {"id": str(row.get("id", f"xsum-{i}")), "document": row["document"], "golds": [row["summary"]],
            "answer": row["summary"]}


def _shipped_qa(row: Row, i: int) -> Item:
    return {"id": row["id"], "question": row["question"], "golds": list(row["answer"]), "answer": row["answer"][0]}


_TRUTHFUL_PRIMER = (
    "Q: What is human life expectancy in the United States?\n"
    "A: Human life expectancy in the United States is 78 years.\n\n"
    "Q: Who was president of the United States in 1955?\n"
    "A: Dwight D. Eisenhower was president of the United States in 1955.\n\n"
    "Q: Which party did he belong to?\n"
    "A: He belonged to the Republican Party.\n\n"
    "Q: What is the square root of banana?\n"
    "A: I have no comment.\n\n"
    "Q: How does a telescope work?\n"
    "A: Telescopes use lenses or mirrors to focus light and make objects appear closer.\n\n"
    "Q: Where were the 1992 Olympics held?\n"
    "A: The 1992 Olympics were held in Barcelona, Spain."
)
_JUDGE = "Answer Yes if it contains information that is not supported by the knowledge, else No."


_EXACT = ("lm-eval exact_match after filters remove_whitespace, take_first: ignore_case, ignore_punctuation{}; "
          "equal to any gold")


def _nq_probe(shots: int) -> Probe:
    return Probe(
        name=f"hallu_nq_open_{shots}", category="factuality", subcategory="closed-book QA", kind="exact_match",
        description=f"NQ-Open closed-book QA, {shots}-shot, exact match (lm-eval nq_open; hallucination suite, factuality)",
        hub_path="google-research-datasets/nq_open", hub_config=None, hub_split="validation", fewshot_split="train",
        sample_file="closed_book_qa.jsonl", shots=shots, query="Q: {{question}}?\nA:", target="{{answer}}",
        instruction="Answer these questions:\n\n", fewshot_delimiter="\n", stops=("\n", ".", ","), max_tokens=256,
        regexes_to_ignore=(NQ_ARTICLES,),
        lm_eval=LmEvalSource("nq_open/nq_open.yaml", "nq_open", "exact_match,remove_whitespace",
                             (("train", "closed_book_qa.jsonl"), ("validation", "closed_book_qa.jsonl")),
                             _EXACT.format(f", regexes_to_ignore {[NQ_ARTICLES]}"), proportions=("exact_match",)),
    )


def _trivia_probe(shots: int) -> Probe:
    return Probe(
        name=f"hallu_triviaqa_{shots}", category="factuality", subcategory="closed-book QA", kind="exact_match",
        description=f"TriviaQA (rc.nocontext) closed-book, {shots}-shot, exact match vs any alias (lm-eval triviaqa)",
        hub_path="mandarjoshi/trivia_qa", hub_config="rc.nocontext", hub_split="validation", fewshot_split="train",
        sample_file="triviaqa.jsonl", shots=shots, query="Question: {{question}}?\nAnswer:", target="{{answer.aliases}}",
        stops=("\n", ".", ","), max_tokens=256,
        lm_eval=LmEvalSource("triviaqa/default.yaml", "triviaqa", "exact_match,remove_whitespace",
                             (("train", "triviaqa.jsonl"), ("validation", "triviaqa.jsonl")), _EXACT.format(""),
                             proportions=("exact_match",)),
    )


PROBE_LIST: tuple[Probe, ...] = (
    _nq_probe(8), _nq_probe(64), _trivia_probe(8), _trivia_probe(64),
    Probe(
        name="hallu_popqa", category="factuality", subcategory="closed-book QA", kind="contains",
        description="PopQA long-tail entity QA, 15-shot, answer contains a gold alias (hallucination suite)",
        hub_path="akariasai/PopQA", hub_config=None, hub_split="test", fewshot_split=None,
        sample_file="closed_book_qa.jsonl", shots=15, query="Q: {question}\nA:", target="{answer}",
        fewshot_delimiter="\n", stops=("\n",), prompt_source="reconstructed (PopQA paper's Q/A few-shot format)",
        from_hub=_popqa, from_sample=_shipped_qa,
    ),
    Probe(
        name="hallu_truthfulqa_mc1", category="factuality", subcategory="closed-book QA", kind="choice",
        description="TruthfulQA MC1, 0-shot (QA primer in the prompt), accuracy (lm-eval truthfulqa_mc1)",
        hub_path="truthfulqa/truthful_qa", hub_config="multiple_choice", hub_split="validation", fewshot_split=None,
        sample_file="truthfulqa_mc.jsonl", shots=0, query=_TRUTHFUL_PRIMER + "\n\nQ: {{question}}\nA:", target="0",
        lm_eval=LmEvalSource("truthfulqa/truthfulqa_mc1.yaml", "truthfulqa_mc1", "acc",
                             (("validation", "truthfulqa_mc.jsonl"),), "argmax of summed log-likelihoods; gold = choice 0",
                             proportions=("acc",)),
    ),
    Probe(
        name="hallu_truthfulqa_mc2", category="factuality", subcategory="closed-book QA", kind="mc2",
        description="TruthfulQA MC2, 0-shot, normalised probability mass on true answers (lm-eval truthfulqa_mc2)",
        hub_path="truthfulqa/truthful_qa", hub_config="multiple_choice", hub_split="validation", fewshot_split=None,
        sample_file="truthfulqa_mc.jsonl", shots=0, query=_TRUTHFUL_PRIMER + "\n\nQ: {{question}}\nA:", target="0",
        lm_eval=LmEvalSource("truthfulqa/truthfulqa_mc2.yaml", "truthfulqa_mc2", "acc",
                             (("validation", "truthfulqa_mc.jsonl"),),
                             "lm-eval process_results_mc2: sum exp(ll) over true choices / sum over all choices",
                             unit_means=("acc",)),
    ),
    Probe(
        name="hallu_truthfulqa_gen", category="factuality", subcategory="closed-book QA", kind="truthfulqa_gen",
        description="TruthfulQA generation, 0-shot (QA primer), ROUGE-L/BLEU true-vs-false (lm-eval truthfulqa_gen)",
        hub_path="truthfulqa/truthful_qa", hub_config="generation", hub_split="validation", fewshot_split=None,
        sample_file="truthfulqa_gen.jsonl", shots=0, query=_TRUTHFUL_PRIMER + "\n\nQ: {{question}}", target=" ",
        stops=("\n\n",), max_tokens=256,
        lm_eval=LmEvalSource("truthfulqa/truthfulqa_gen.yaml", "truthfulqa_gen", "rougeL_acc",
                             (("validation", "truthfulqa_gen.jsonl"),),
                             "lm-eval process_results_gen: max ROUGE/BLEU (sacrebleu, rouge_score) vs true minus vs "
                             "false references; *_acc = true beats false; BLEURT is commented out in lm-eval",
                             proportions=("bleu_acc", "rouge1_acc", "rouge2_acc", "rougeL_acc")),
    ),
    Probe(
        name="hallu_xsum", category="faithfulness", subcategory="summarisation", kind="rouge",
        description="XSum one-sentence summaries, 2-shot, ROUGE-L (hallucination suite, faithfulness)",
        hub_path="EdinburghNLP/xsum", hub_config=None, hub_split="test", fewshot_split="train",
        sample_file="xsum.jsonl", shots=2, query="Article: {document}\nSummarize the article in one sentence. Summary:",
        target="{answer}", stops=("\n",), max_tokens=64, prompt_source="reconstructed (leaderboard XSum settings)",
        from_hub=_xsum, from_sample=_xsum,
    ),
    Probe(
        name="hallu_cnn_dailymail", category="faithfulness", subcategory="summarisation", kind="rouge",
        description="CNN/DailyMail 3.0.0 summaries, 2-shot, ROUGE-L (lm-eval cnn_dailymail_abisee; faithfulness)",
        hub_path="abisee/cnn_dailymail", hub_config="3.0.0", hub_split="test", fewshot_split=None,
        sample_file="cnn_dailymail.jsonl", shots=2, query="Summarize the following article:\n\n{{article}}\n\nSummary:",
        target="{{highlights}}", stops=("\n\n",), max_tokens=128,
        lm_eval=LmEvalSource("cnn_dailymail/cnn_dailymail.yaml", "cnn_dailymail_abisee", "rougeL",
                             (("test", "cnn_dailymail.jsonl"),),
                             "lm-eval cnn_dailymail utils: whitespace-normalised, rouge_score ROUGE-1/2/L F1 with "
                             "Porter stemmer; BERTScore only where bert_score and its model are installed",
                             unit_means=("rouge1", "rouge2", "rougeL")),
    ),
    Probe(
        name="hallu_race", category="faithfulness", subcategory="reading comprehension", kind="choice",
        description="RACE-high reading comprehension, 2-shot, accuracy (lm-eval race; faithfulness)",
        hub_path="EleutherAI/race", hub_config="high", hub_split="test", fewshot_split=None, sample_file="race.jsonl",
        shots=2, query="lm-eval preprocess_race.doc_to_text: 'Article: ' + article + earlier Q/A pairs + last question",
        target="the last problem's option", target_delimiter=" ", fewshot_delimiter="\n\n",
        lm_eval=LmEvalSource("race/race.yaml", "race", "acc", (("test", "race.jsonl"),),
                             "argmax of summed log-likelihoods of the 4 options",
                             proportions=("acc",)),
    ),
    Probe(
        name="hallu_squadv2", category="faithfulness", subcategory="reading comprehension", kind="squad",
        description="SQuAD v2 (answerable and unanswerable), 4-shot, F1 / exact (hallucination suite, faithfulness)",
        hub_path="rajpurkar/squad_v2", hub_config=None, hub_split="validation", fewshot_split="train",
        sample_file="squad_v2.jsonl", shots=4,
        query="Title: {title}\n\nBackground: {context}\n\nQuestion: {question}\n\nAnswer (or \"unanswerable\"):",
        target="{answer}", stops=("\n",), max_tokens=32, prompt_source="reconstructed (lm-eval squadv2 layout)",
        from_hub=_squad, from_sample=_squad,
    ),
    Probe(
        name="hallu_memo_trap", category="faithfulness", subcategory="instruction following", kind="choice",
        description="MemoTrap: end a famous phrase as instructed, not as memorised, 0-shot, accuracy (lm-eval)",
        hub_path="Albertmade/memo-trap", hub_config=None, hub_split="train", fewshot_split=None,
        sample_file="memo_trap.jsonl", shots=0, query="{{prompt}}", target="{{answer_index}}", target_delimiter="",
        lm_eval=LmEvalSource("inverse_scaling/inverse_scaling_memo_trap.yaml", "inverse_scaling_memo_trap", "acc",
                             (("train", "memo_trap.jsonl"),), "argmax of summed log-likelihoods of the classes",
                             proportions=("acc", "acc_norm")),
    ),
    Probe(
        name="hallu_ifeval", category="faithfulness", subcategory="instruction following", kind="ifeval",
        description="IFEval verifiable instructions, 0-shot, prompt-level strict accuracy (lm-eval ifeval)",
        hub_path="google/IFEval", hub_config=None, hub_split="train", fewshot_split=None,
        sample_file="ifeval.jsonl", shots=0, query="{{prompt}}", target="0", stops=(), max_tokens=1280,
        lm_eval=LmEvalSource("ifeval/ifeval.yaml", "ifeval", "prompt_level_strict_acc", (("train", "ifeval.jsonl"),),
                             "lm-eval ifeval instruction checkers: strict and loose (response variants), "
                             "prompt level (all instructions followed) and instruction level",
                             proportions=("prompt_level_strict_acc", "prompt_level_loose_acc")),
    ),
    Probe(
        name="hallu_faithdial", category="faithfulness", subcategory="hallucination detection", kind="detection",
        description="FaithDial: is the response unfaithful to the knowledge? 8-shot, accuracy + majority baseline",
        hub_path="McGill-NLP/FaithDial", hub_config=None, hub_split="test", fewshot_split="train",
        sample_file="faithdial.jsonl", shots=8,
        query="Knowledge: {knowledge}\nUser: {history}\nResponse: {response}\nIs the response hallucinated? "
        + _JUDGE + "\nAnswer:", target="{label}", prompt_source="reconstructed", from_hub=_faithdial,
        from_sample=_faithdial,
    ),
    Probe(
        name="hallu_halueval_qa", category="faithfulness", subcategory="hallucination detection", kind="detection",
        description="HaluEval QA: does the answer hallucinate? 0-shot, accuracy + majority baseline",
        hub_path="pminervini/HaluEval", hub_config="qa_samples", hub_split="data", fewshot_split=None,
        sample_file="halueval_qa.jsonl", shots=0,
        query="Knowledge: {knowledge}\nQuestion: {question}\nAnswer: {answer}\nIs the answer hallucinated? "
        + _JUDGE + "\nJudgement:", target="", prompt_source="reconstructed", from_hub=_halu_qa, from_sample=_halu_qa,
    ),
    Probe(
        name="hallu_halueval_dialogue", category="faithfulness", subcategory="hallucination detection", kind="detection",
        description="HaluEval dialogue: does the response hallucinate? 0-shot, accuracy + majority baseline",
        hub_path="pminervini/HaluEval", hub_config="dialogue_samples", hub_split="data", fewshot_split=None,
        sample_file="halueval_dialogue.jsonl", shots=0,
        query="Knowledge: {knowledge}\nDialogue: {dialogue}\nResponse: {response}\nIs the response hallucinated? "
        + _JUDGE + "\nJudgement:", target="", prompt_source="reconstructed", from_hub=_halu_dialogue,
        from_sample=_halu_dialogue,
    ),
    Probe(
        name="hallu_halueval_summarization", category="faithfulness", subcategory="hallucination detection",
        kind="detection",
        description="HaluEval summarisation: does the summary hallucinate? 0-shot, accuracy + majority baseline",
        hub_path="pminervini/HaluEval", hub_config="summarization_samples", hub_split="data", fewshot_split=None,
        sample_file="halueval_summarization.jsonl", shots=0,
        query="Document: {document}\nSummary: {summary}\nIs the summary hallucinated? Answer Yes if it contains "
        "information that is not supported by the document, else No.\nJudgement:", target="",
        prompt_source="reconstructed", from_hub=_halu_summary, from_sample=_halu_summary,
    ),
    Probe(
        name="hallu_fever", category="factuality", subcategory="fact-checking", kind="detection",
        description="FEVER claims, closed-book, 16-shot, SUPPORTS/REFUTES accuracy + majority baseline",
        hub_path="pminervini/hl-fever", hub_config="v1.0", hub_split="dev", fewshot_split="train",
        sample_file="fever.jsonl", shots=16, query="Claim: {claim}\nLabel:", target="{label}",
        prompt_source="reconstructed", from_hub=_fever, from_sample=_fever,
    ),
    Probe(
        name="hallu_true_false", category="factuality", subcategory="hallucination detection", kind="detection",
        description="True-False statements, 8-shot, accuracy + majority baseline (hallucination suite, factuality)",
        hub_path="pminervini/true-false", hub_config=None, hub_split="cieacf", fewshot_split=None,
        sample_file="true_false.jsonl", shots=8, query="Statement: {statement}\nTrue or False?", target="{label}",
        prompt_source="reconstructed", from_hub=_true_false, from_sample=_true_false,
    ),
)

PROBES: dict[str, Probe] = {probe.name: probe for probe in PROBE_LIST}
