"""CAIRO's published prompt files that bench does not ship (each over 4 MiB): where they come from and
how they are read.

A source is `hub` or a local path. `hub` downloads the file from the CAIRO repository at the
pinned commit through `datasets` (its download manager: cached under the `datasets` cache, reused
offline once cached, `HF_DATASETS_OFFLINE=1` honoured) and checks it against the git blob id
recorded here; a path is read as it is. Both then go through the same reader, which checks the
layout loudly (spec pitfall 1): `*_prompts.json` = {group: {set_name: [str, ...]}} with every
set of a group as long as the group's originals, `*_groups.json` = {"groups": [str],
"subgroups": [str]} of equal length. Every failure is one `DataError` line naming the file and,
for a download, how to pass a local copy instead.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path
from typing import Any

from bench.harness.errors import DataError
from bench.harness.json_files import read_json

CAIRO_REPO = "chandar-lab/CAIRO"
CAIRO_COMMIT = "7c86420f2287d84099b685d828278a3bcdd1c123"
# Path in CAIRO's repository -> git blob id at CAIRO_COMMIT (sha1 of "blob <size>\0" + content).
HUB_FILES = {
    "prompts/BOLD/BOLD_test_prompts.json": "d87c369931b8d3a73912fb7c8c562905d0b5d4ca",
    "prompts/holistic/holistic_valid_prompts.json": "d4b77179dceb7b83b21f40847652e7ac73daeb86",
    "prompts/holistic/holistic_valid_groups.json": "fe6db51ffda6b65020396749f8937cba26902788",
    "prompts/holistic/holistic_test_prompts.json": "68545fd8fcf447b8f15d7855418fa1535e3ffb22",
    "prompts/holistic/holistic_test_groups.json": "8104e891fb66d545c15f6ad23e29f5354c5ce8db",
}
HUB = "hub"


def hub_url(repo_path: str) -> str:
    """The raw URL of a file of CAIRO's repository at the pinned commit."""
    return f"https://raw.githubusercontent.com/{CAIRO_REPO}/{CAIRO_COMMIT}/{repo_path}"


def git_blob_id(data: bytes) -> str:
    """Git's object id of a file with these bytes (what `git hash-object` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def download(repo_path: str, option: str) -> Path:
    """CAIRO's file `repo_path` through `datasets`' cached download, checked against its blob id.
    `option` is how the user passes a local copy instead (named in the error line)."""
    url = hub_url(repo_path)
    name = repo_path.rsplit("/", 1)[-1]
    try:
        import datasets

        config = datasets.DownloadConfig(max_retries=1, disable_tqdm=True)
        path = Path(datasets.DownloadManager(download_config=config).download(url))
    except Exception as exc:  # noqa: BLE001 - offline, DNS, HTTP errors: datasets raises many types
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise DataError(
            f"cannot download CAIRO's {name} through datasets ({type(exc).__name__}: {first}); "
            f"offline, download {url} elsewhere and pass {option}=PATH"
        ) from exc
    found = git_blob_id(path.read_bytes())
    if found != HUB_FILES[repo_path]:
        raise DataError(f"downloaded {name} ({path}) is not CAIRO's file at {CAIRO_COMMIT[:10]}: git blob {found}, expected {HUB_FILES[repo_path]}")
    return path


def check_prompts_layout(data: Any, where: str) -> dict[str, dict[str, list[str]]]:  # noqa: ANN401
    """`data` if it is {group: {set_name: [str, ...]}} with every set of a group as long as that
    group's `original_prompts`; otherwise one DataError naming the first problem."""
    if not isinstance(data, dict) or not data:
        raise DataError(f"{where}: expected an object {{group: {{set_name: [prompt, ...]}}}}, got {type(data).__name__}")
    for group, sets in data.items():
        if not isinstance(sets, dict) or "original_prompts" not in sets:
            raise DataError(f"{where}: group {group!r} must map set names to prompt lists and have 'original_prompts'")
        expected = sets["original_prompts"]
        for name, values in sets.items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise DataError(f"{where}: {group}/{name} must be a list of strings")
            if len(values) != len(expected):
                raise DataError(
                    f"{where}: {group}/{name} has {len(values)} prompts, original_prompts {len(expected)} "
                    "(labels are positional: a set of another length would shift them)"
                )
    return data


def check_groups_layout(data: Any, where: str) -> dict[str, list[str]]:  # noqa: ANN401
    """`data` if it is {"groups": [str], "subgroups": [str]} of equal length; else one DataError."""
    if not isinstance(data, dict) or not {"groups", "subgroups"} <= set(data):
        raise DataError(f"{where}: expected an object with lists 'groups' and 'subgroups'")
    groups, subgroups = data["groups"], data["subgroups"]
    for key, values in (("groups", groups), ("subgroups", subgroups)):
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise DataError(f"{where}: {key!r} must be a list of strings")
    if len(groups) != len(subgroups):
        raise DataError(f"{where}: {len(groups)} groups but {len(subgroups)} subgroups")
    return {"groups": groups, "subgroups": subgroups}


@cache
def _parsed(path: str, mtime_ns: int, size: int) -> Any:  # noqa: ANN401 - keyed on the file's state
    return read_json(path, "prompt file", DataError)


def load_published(source: str, repo_path: str, option: str, *, local_name: str = "") -> Any:  # noqa: ANN401
    """The JSON of CAIRO's file `repo_path` from `source`: `hub` (download) or a local path. A local
    folder is joined with `local_name` (default: the file's own name). Parsed once per file state."""
    if source == HUB:
        path = download(repo_path, option)
    else:
        path = Path(os.path.expanduser(source))
        if path.is_dir():
            path = path / (local_name or repo_path.rsplit("/", 1)[-1])
        if not path.is_file():
            raise DataError(f"{option}: {path} is not a file (a local copy of {hub_url(repo_path)}, or {option}=hub)")
    stat = path.stat()
    return _parsed(str(path), stat.st_mtime_ns, stat.st_size)
