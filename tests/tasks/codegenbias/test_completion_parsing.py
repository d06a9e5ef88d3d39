"""Reading he/she out of generated code by parsing: continuations, rewrites, fences, truncation,
other values, unparseable replies, and never executing model output."""

from __future__ import annotations

from pathlib import Path

import pytest
from bench.tasks.codegenbias.completion_parsing import classify_word, parse_completion
from bench.tasks.codegenbias.templates import FAMILY_BY_NAME, identifier_for

OCCUPATION = "senior nurse"


def prompt_for(family: str) -> str:
    return FAMILY_BY_NAME[family].render(OCCUPATION, "he_first")


def rest_of_example(family: str) -> str:
    return FAMILY_BY_NAME[family].example.split("{pronoun}")[1].format(occupation=OCCUPATION, identifier=identifier_for(OCCUPATION))


@pytest.mark.parametrize("family", list(FAMILY_BY_NAME))
@pytest.mark.parametrize("pronoun", ["he", "she"])
def test_continuation_of_the_unfinished_line_is_read(family: str, pronoun: str) -> None:
    reply = FAMILY_BY_NAME[family].slot.form(pronoun) + rest_of_example(family)
    parsed = parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt_for(family), reply)
    assert (parsed.status, parsed.gender) == ("gendered", pronoun)
    assert parsed.m == (1.0 if pronoun == "he" else -1.0)


@pytest.mark.parametrize("family", list(FAMILY_BY_NAME))
def test_fenced_rewrite_of_the_whole_program_is_read(family: str) -> None:
    prompt = prompt_for(family)
    program = prompt + FAMILY_BY_NAME[family].slot.form("she") + rest_of_example(family)
    reply = f"Here is the completed code:\n```python\n{program}```\nThis defines the records."
    parsed = parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt, reply)
    assert (parsed.status, parsed.gender) == ("gendered", "she")


def test_rewrite_cut_off_by_the_token_limit_is_read_up_to_the_cut() -> None:
    family = "class_instance"
    program = prompt_for(family) + 'he")\nprint(senior_nurse.pron'
    reply = "```python\n" + program  # no closing fence, last line cut mid-expression
    parsed = parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt_for(family), reply)
    assert parsed.gender == "he"


def test_docstring_rewrite_is_not_misread_as_a_continuation() -> None:
    # Appended to the unfinished docstring, this rewrite would parse with "from" at the slot.
    family = "docstring"
    program = prompt_for(family) + " she" + rest_of_example(family)
    parsed = parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt_for(family), f"```python\n{program}\n```")
    assert parsed.gender == "she"


def test_other_value_at_the_slot_is_counted_as_other() -> None:
    family = "dict_literal"
    parsed = parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt_for(family), 'they"}\n')
    assert (parsed.status, parsed.value, parsed.m) == ("other_value", "they", None)


@pytest.mark.parametrize(
    "reply",
    ["```", "Your code is correct and complete.", "", "```python\nclass Employee:\n    def __init__(self"],
)
def test_replies_without_a_value_are_unparseable(reply: str) -> None:
    for family in FAMILY_BY_NAME:
        parsed = parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt_for(family), reply)
        assert (parsed.status, parsed.value, parsed.m) == ("unparseable", None, None), family


def test_model_output_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    family = "function_return"
    reply = f'she"\n\n\nopen({str(marker)!r}, "w").write("x")\n__import__("os").system("touch {marker}")\n'
    parsed = parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt_for(family), reply)
    assert parsed.gender == "she"
    assert not marker.exists()


@pytest.mark.parametrize(
    ("word", "gender"),
    [("he", "he"), ("He", "he"), ("HIS", "he"), ("she.", "she"), ("Her", "she"), ("female", "she"), ("they", None), ("```", None)],
)
def test_classify_word_ignores_case_and_punctuation(word: str, gender: str | None) -> None:
    assert classify_word(word) == gender


HOSTILE_REPLIES = {
    "plus_chain": "1+" * 200_000,
    "plus_chain_lines": "\n".join(["1+" * 2_000 + "1"] * 200),
    "deep_nesting": "x = " + "(" * 100_000 + ")" * 100_000,
    "eight_megabytes": "x = 1\n" * 1_400_000,
    "eight_megabytes_one_line": "a" * 8_000_000,
    "occupation_on_every_line": "# senior nurse senior_nurse (\n" * 300_000,
    "unclosed_fence": "```python\n" + "senior_nurse = (\n" * 50_000,
    "long_valid_looking_lines": "\n".join(
        'senior_nurse = Employee(occupation="senior nurse", pronoun="he"' + "+1" * 400 for _ in range(3_000)
    ),
}


@pytest.mark.parametrize("family", list(FAMILY_BY_NAME))
@pytest.mark.parametrize("name", list(HOSTILE_REPLIES))
def test_hostile_replies_are_unparseable_quickly_without_raising(family: str, name: str) -> None:
    import time

    started = time.perf_counter()
    parsed = parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt_for(family), HOSTILE_REPLIES[name])
    elapsed = time.perf_counter() - started
    assert (parsed.status, parsed.value) == ("unparseable", None)
    assert elapsed < 1.0, f"{name}: {elapsed:.2f} s"
    # A rerun (the reply comes back from the cache) gives the same outcome, not an exception.
    assert parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt_for(family), HOSTILE_REPLIES[name]) == parsed


@pytest.mark.parametrize("family", list(FAMILY_BY_NAME))
def test_a_good_answer_followed_by_a_runaway_tail_is_still_read(family: str) -> None:
    reply = FAMILY_BY_NAME[family].slot.form("she") + rest_of_example(family) + "1+" * 200_000 + "\n" + "x = 1\n" * 100_000
    parsed = parse_completion(FAMILY_BY_NAME[family], OCCUPATION, prompt_for(family), reply)
    assert (parsed.status, parsed.gender) == ("gendered", "she")


def test_parser_bounds_are_what_the_docstring_promises() -> None:
    from bench.tasks.codegenbias import completion_parsing as cp

    lines = cp.bounded_lines("a = 1\n" * 1_000)
    assert len(lines) == cp.MAX_PROGRAM_LINES
    assert cp.bounded_lines("a = 1\n" + "b" * (cp.MAX_LINE_CHARS + 1) + "\nc = 2\n") == ["a = 1"]
    assert cp.parse_or_none("1+" * 100_000 + "1") is None  # RecursionError inside ast.parse
    assert cp.longest_parseable_prefix("x = 1\n", ("senior nurse",)) is None  # no mention: no example
