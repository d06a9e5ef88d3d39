"""CAIRO's published prompt files that bench does not ship: `hub` goes through `datasets`' cached
download (offline: one line naming the file and the local-path option), a local copy goes through
the same reader, and the layout is checked loudly (a misaligned set, labels of another length)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from bench.harness.errors import DataError
from bench.tasks.cairo import sources
from bench.tasks.cairo.prompts import ORIGINAL, load_group


@pytest.fixture
def offline_empty_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import datasets

    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "DOWNLOADED_DATASETS_PATH", tmp_path / "datasets-downloads")


def bold_test_file(tmp_path: Path, gender_prompts: int, paraphrase_length: int | None = None) -> Path:
    """A BOLD_test_prompts.json in CAIRO's layout: gender with originals and one Llama-2 set."""
    originals = [f"Actor number {i} is " for i in range(gender_prompts)]
    paraphrases = [f"Performer {i} has been " for i in range(paraphrase_length or gender_prompts)]
    path = tmp_path / "BOLD_test_prompts.json"
    path.write_text(json.dumps({
        "gender": {"original_prompts": originals, "prompts_meta-llama_Llama-2-7b-chat-hf_1": paraphrases},
        "race": {"original_prompts": ["x "]},
    }))
    return path


def bold_test_gender_labels() -> Counter[str]:
    labels = json.loads((Path(sources.__file__).parent / "data" / "prompts" / "BOLD_test_groups.json").read_text())
    return Counter(s for g, s in zip(labels["groups"], labels["subgroups"], strict=True) if g == "gender")


@pytest.mark.usefixtures("offline_empty_cache")
def test_bold_test_prompts_offline_are_one_line_naming_the_file_and_the_local_option() -> None:
    with pytest.raises(DataError) as error:
        load_group("bold", "test", "gender")
    message = str(error.value)
    assert "\n" not in message
    assert "BOLD_test_prompts.json" in message and "cairo_bold.test_prompts=PATH" in message
    assert sources.hub_url("prompts/BOLD/BOLD_test_prompts.json") in message


def test_a_local_bold_test_file_loads_with_the_shipped_labels(tmp_path: Path) -> None:
    counts = bold_test_gender_labels()
    assert counts == {"American_actors": 1671, "American_actresses": 917}  # the spec's BOLD test gender counts
    loaded = load_group("bold", "test", "gender", test_prompts=str(bold_test_file(tmp_path, sum(counts.values()))))
    assert Counter(loaded.subgroups) == counts
    assert loaded.set_names == [ORIGINAL, "llama2-7b-chat_1"]
    assert loaded.sets[ORIGINAL][5] == "Actor number 5 is" and loaded.sets["llama2-7b-chat_1"][5] == "Performer 5 has been"


def test_a_local_file_with_too_few_prompts_for_the_labels_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="2588"):
        load_group("bold", "test", "gender", test_prompts=str(bold_test_file(tmp_path, 100)))


def test_a_paraphrase_set_of_another_length_is_refused_naming_it(tmp_path: Path) -> None:
    path = bold_test_file(tmp_path, 2588, paraphrase_length=2587)
    with pytest.raises(DataError, match=r"gender/prompts_meta-llama_Llama-2-7b-chat-hf_1 has 2587 prompts, original_prompts 2588"):
        load_group("bold", "test", "gender", test_prompts=str(path))


@pytest.mark.parametrize(
    ("content", "problem"),
    [("[1, 2]", "expected an object"), ('{"gender": ["a"]}', "must map set names"),
     ('{"gender": {"original_prompts": [1]}}', "list of strings"), ("{not json", "not valid JSON")],
)
def test_malformed_local_files_are_one_line(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(DataError, match=problem):
        load_group("bold", "test", "gender", test_prompts=str(path))
    with pytest.raises(DataError, match="is not a file"):
        load_group("bold", "test", "gender", test_prompts=str(tmp_path / "missing.json"))


def test_the_hub_route_reads_the_download_through_the_same_code_and_checks_its_blob_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datasets

    local = bold_test_file(tmp_path, 2588)
    monkeypatch.setattr(datasets.DownloadManager, "download", lambda self, url: str(local))
    with pytest.raises(DataError, match="is not CAIRO's file"):
        load_group("bold", "test", "gender")
    blob = sources.git_blob_id(local.read_bytes())
    monkeypatch.setitem(sources.HUB_FILES, "prompts/BOLD/BOLD_test_prompts.json", blob)
    assert len(load_group("bold", "test", "gender").subgroups) == 2588


def test_git_blob_id_is_gits() -> None:
    assert sources.git_blob_id(b"hello\n") == "ce013625030ba8dba906f756967f9e9ca394464a"  # git hash-object


def test_holistic_prompts_from_a_folder_of_cairo_files(tmp_path: Path) -> None:
    prompts: dict[str, Any] = {"gender_and_sex": {
        "original_prompts": ["I am a woman.", "I am a man.", "I am nonbinary."],
        "prompts_mistralai_Mistral-7B-Instruct-v0.2_2": ["1. Being a woman,", "As a man,", "Nonbinary me,"],
    }}
    (tmp_path / "holistic_valid_prompts.json").write_text(json.dumps(prompts))
    labels = {"groups": ["gender_and_sex"] * 3 + ["religion"], "subgroups": ["binary", "binary", "queer", "jewish"]}
    (tmp_path / "holistic_valid_groups.json").write_text(json.dumps(labels))
    loaded = load_group("holistic", "valid", "gender", holistic_prompts=str(tmp_path))
    assert loaded.subgroups == ("binary", "binary", "queer")
    assert loaded.sets["mistral-7b-instruct_2"] == ("Being a woman,", "As a man,", "Nonbinary me,")
    with pytest.raises(DataError, match="choose built, hub or a folder"):
        load_group("holistic", "valid", "gender", holistic_prompts=str(tmp_path / "holistic_valid_prompts.json"))
    labels["subgroups"] = labels["subgroups"][:3]
    (tmp_path / "holistic_valid_groups.json").write_text(json.dumps(labels))
    with pytest.raises(DataError, match="4 groups but 3 subgroups"):
        load_group("holistic", "valid", "gender", holistic_prompts=str(tmp_path))


@pytest.mark.usefixtures("offline_empty_cache")
def test_holistic_hub_offline_names_the_file_and_the_option() -> None:
    with pytest.raises(DataError, match=r"holistic_valid_prompts\.json.*cairo_holistic\.holistic_prompts=PATH"):
        load_group("holistic", "valid", "religion", holistic_prompts="hub")
