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

Prompts for probes lm-eval defines (nq_open, triviaqa, truthfulqa, inverse_scaling_memo_trap,
cnn_dailymail) are lm-eval's, verbatim; the others are written here (marked "reconstructed" in
`prompt_source`), since the leaderboard's fork that defined them is not available to us.
A prompt is: description + demo_1 + fewshot_delimiter + ... + demo_k + fewshot_delimiter + query,
a demo being query + target_delimiter + target (lm-eval's layout).
"""

from __future__ import annotations

import ast
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["exact_match", "contains", "squad", "rouge", "choice", "mc2", "detection"]
Category = Literal["factuality", "faithfulness"]
Row = Mapping[str, Any]
Item = dict[str, Any]  # id, fields the templates use, and golds | choices + gold (+ labels)

NQ_ARTICLES = r"\b(?:The |the |An |A |The |a |an )"


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

    @property
    def headline(self) -> str:
        return {"exact_match": "exact_match", "contains": "accuracy", "squad": "f1", "rouge": "rougeL",
                "choice": "acc", "mc2": "mc2", "detection": "acc"}[self.kind]

    @property
    def generates(self) -> bool:
        return self.kind in ("exact_match", "contains", "squad", "rouge")


# ---- row -> item mappers (hub schema; the shipped samples use the hub schema where it is simple) ----

def _nq(row: Row, i: int) -> Item:
    answers = row["answer"]
    return {"id": str(row.get("id", f"nq-{i}")), "question": row["question"], "golds": list(answers),
            "answer": answers[0]}


def _trivia(row: Row, i: int) -> Item:
    aliases = row["answer"]["aliases"] if isinstance(row["answer"], Mapping) else row["answer"]
    return {"id": str(row.get("question_id", row.get("id", f"tqa-{i}"))), "question": row["question"],
            "golds": list(aliases), "answer": aliases[0]}


def _popqa(row: Row, i: int) -> Item:
    answers = row.get("possible_answers", row.get("answer"))
    if isinstance(answers, str):
        answers = json.loads(answers)
    return {"id": str(row.get("id", f"popqa-{i}")), "question": row["question"], "golds": list(answers),
            "answer": answers[0]}


def _truthful_mc1(row: Row, i: int) -> Item:
    targets = row["mc1_targets"]
    return {"id": str(row.get("id", f"tqa-mc-{i}")), "question": row["question"], "choices": list(targets["choices"]),
            "gold": list(targets["labels"]).index(1)}


def _truthful_mc2(row: Row, i: int) -> Item:
    targets = row["mc2_targets"]
    return {"id": str(row.get("id", f"tqa-mc-{i}")), "question": row["question"], "choices": list(targets["choices"]),
            "labels": [int(x) for x in targets["labels"]], "gold": list(targets["labels"]).index(1)}


def _memo(row: Row, i: int) -> Item:
    classes = row["classes"]
    if isinstance(classes, str):
        classes = ast.literal_eval(classes)
    return {"id": str(row.get("id", f"memo-{i}")), "prompt": row["prompt"], "choices": list(classes),
            "gold": int(row["answer_index"])}


def _race(row: Row, i: int) -> Item:
    options = list(row["options"])
    gold = "ABCD".index(row["answer"])
    return {"id": str(row.get("id", row.get("example_id", f"race-{i}"))), "article": row["article"],
            "question": row["question"], "choices": options, "gold": gold, "answer": options[gold]}


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


def _cnn(row: Row, i: int) -> Item:
    return {"id": str(row.get("id", f"cnn-{i}")), "article": row["article"], "golds": [row["highlights"]],
            "answer": row["highlights"]}


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


def _nq_probe(shots: int) -> Probe:
    return Probe(
        name=f"hallu_nq_open_{shots}", category="factuality", subcategory="closed-book QA", kind="exact_match",
        description=f"NQ-Open closed-book QA, {shots}-shot, exact match (hallucination suite, factuality)",
        hub_path="google-research-datasets/nq_open", hub_config=None, hub_split="validation", fewshot_split="train",
        sample_file="closed_book_qa.jsonl", shots=shots, query="Q: {question}?\nA:", target="{answer}",
        instruction="Answer these questions:\n\n", fewshot_delimiter="\n", stops=("\n", ".", ","),
        regexes_to_ignore=(NQ_ARTICLES,), from_hub=_nq, from_sample=_shipped_qa,
    )


def _trivia_probe(shots: int) -> Probe:
    return Probe(
        name=f"hallu_triviaqa_{shots}", category="factuality", subcategory="closed-book QA", kind="exact_match",
        description=f"TriviaQA (rc.nocontext) closed-book, {shots}-shot, exact match vs any alias (hallucination suite)",
        hub_path="mandarjoshi/trivia_qa", hub_config="rc.nocontext", hub_split="validation", fewshot_split="train",
        sample_file="closed_book_qa.jsonl", shots=shots, query="Question: {question}?\nAnswer:", target="{answer}",
        stops=("\n", ".", ","), from_hub=_trivia, from_sample=_shipped_qa,
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
        description="TruthfulQA MC1, 0-shot (QA primer in the prompt), accuracy (hallucination suite)",
        hub_path="truthfulqa/truthful_qa", hub_config="multiple_choice", hub_split="validation", fewshot_split=None,
        sample_file="truthfulqa_mc.jsonl", shots=0, query=_TRUTHFUL_PRIMER.replace("{", "{{").replace("}", "}}")
        + "\n\nQ: {question}\nA:", target="", from_hub=_truthful_mc1, from_sample=_truthful_mc1,
    ),
    Probe(
        name="hallu_truthfulqa_mc2", category="factuality", subcategory="closed-book QA", kind="mc2",
        description="TruthfulQA MC2, 0-shot, normalised probability mass on true answers (hallucination suite)",
        hub_path="truthfulqa/truthful_qa", hub_config="multiple_choice", hub_split="validation", fewshot_split=None,
        sample_file="truthfulqa_mc.jsonl", shots=0, query=_TRUTHFUL_PRIMER.replace("{", "{{").replace("}", "}}")
        + "\n\nQ: {question}\nA:", target="", from_hub=_truthful_mc2, from_sample=_truthful_mc2,
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
        description="CNN/DailyMail 3.0.0 summaries, 2-shot, ROUGE-L (hallucination suite, faithfulness)",
        hub_path="abisee/cnn_dailymail", hub_config="3.0.0", hub_split="test", fewshot_split="train",
        sample_file="cnn_dailymail.jsonl", shots=2, query="Summarize the following article:\n\n{article}\n\nSummary:",
        target="{answer}", stops=("\n\n",), max_tokens=128, from_hub=_cnn, from_sample=_cnn,
    ),
    Probe(
        name="hallu_race", category="faithfulness", subcategory="reading comprehension", kind="choice",
        description="RACE-high reading comprehension, 2-shot, accuracy (hallucination suite, faithfulness)",
        hub_path="ehovy/race", hub_config="high", hub_split="test", fewshot_split="train", sample_file="race.jsonl",
        shots=2, query="Article: {article}\n\nQuestion: {question}\nAnswer:", target="{answer}",
        prompt_source="reconstructed (one question per prompt; lm-eval's race groups an article's questions)",
        from_hub=_race, from_sample=_race,
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
        description="MemoTrap: end a famous phrase as instructed, not as memorised, 0-shot, accuracy (hallucination suite)",
        hub_path="pminervini/inverse-scaling", hub_config="memo-trap", hub_split="data", fewshot_split=None,
        sample_file="memo_trap.jsonl", shots=0, query="{prompt}", target="", target_delimiter="",
        from_hub=_memo, from_sample=_memo,
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
        hub_path="pminervini/true-false", hub_config=None, hub_split="cities", fewshot_split=None,
        sample_file="true_false.jsonl", shots=8, query="Statement: {statement}\nTrue or False?", target="{label}",
        prompt_source="reconstructed", from_hub=_true_false, from_sample=_true_false,
    ),
)

PROBES: dict[str, Probe] = {probe.name: probe for probe in PROBE_LIST}
