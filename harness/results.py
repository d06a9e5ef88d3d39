"""The result document: one validated JSON file per run, plus per-task sample JSONL files.

Layout of one run (`--output-path DIR`):

    DIR/<model-slug>/<YYYYmmddTHHMMSS>-<run_id>/
        result.json                 # validated against harness/schema/result.schema.json
        samples_<task>.jsonl        # one record per sample (always written; the gate pairs on "id")
        plots/<task>/*.png          # figures the tasks made

Every file is written atomically (temporary file in the same folder, fsync, rename), so a reader
never sees half a document. Readers:

- `read_result(path) -> ResultDocument`: the typed document (what show, gate and leaderboard use);
- `load_result(path) -> dict`: the same file as validated JSON, for tools that inspect the raw file;
- `read_samples(folder, task)`: THE reader of a task's sample records. It reads only a file inside
  the run folder (no absolute path, no `..`, no symlink out of it) and checks its sha256 against the
  document's `samples_sha256` before returning anything.

Every problem is a `ResultFileError` (exit code 2) with a one-line message naming the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from bench.harness.atomic_files import write_bytes_atomic
from bench.harness.errors import ResultFileError
from bench.harness.json_files import parse_json, read_json
from bench.harness.schema.document import SCHEMA_VERSION, ResultDocument, TaskResult

__all__ = [
    "RESULT_FILENAME", "SCHEMA_VERSION", "json_safe", "load_result", "load_samples", "model_slug", "read_result",
    "read_samples", "result_schema", "validate_result", "write_bytes_atomic", "write_json_atomic",
    "write_jsonl_atomic",
]

RESULT_FILENAME = "result.json"


@lru_cache(maxsize=1)
def result_schema() -> dict[str, Any]:
    text = resources.files("bench.harness").joinpath("schema/result.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def json_safe(value: Any) -> Any:
    """Recursively replace NaN/inf by None and tuples by lists so the document is strict JSON.

    Records with a `to_json()` method (ResultDocument and its parts) are turned into their JSON first.
    """
    if hasattr(value, "to_json") and callable(value.to_json):
        return json_safe(value.to_json())
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return json_safe(value.item())
    return value


def write_json_atomic(path: Path, document: Any) -> None:
    text = json.dumps(json_safe(document), indent=2, ensure_ascii=False, allow_nan=False)
    write_bytes_atomic(path, (text + "\n").encode())


def jsonl_bytes(records: Iterable[dict[str, Any]]) -> bytes:
    """The bytes of a samples file holding `records`, one strict-JSON record per line."""
    return "".join(json.dumps(json_safe(r), ensure_ascii=False, allow_nan=False) + "\n" for r in records).encode()


def write_jsonl_atomic(path: Path, records: Iterable[dict[str, Any]]) -> str:
    """Write records one per line; returns the file's sha256."""
    body = jsonl_bytes(records)
    write_bytes_atomic(path, body)
    return hashlib.sha256(body).hexdigest()


def validate_result(document: Any, where: str = "result document") -> None:
    """Check a document (a ResultDocument or its JSON dict) against the JSON Schema; ResultFileError if not."""
    import jsonschema

    if isinstance(document, ResultDocument):
        document = json_safe(document)

    validator = jsonschema.Draft202012Validator(result_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        location = ".".join(str(p) for p in first.absolute_path) or "(top level)"
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise ResultFileError(f"{where} is invalid at {location}: {_short(first.message)}{more}")


def _short(message: str, limit: int = 160) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."


def load_result(path: str | Path) -> dict[str, Any]:
    """Read and validate a result document (a result.json, or the run folder holding one) as a dict."""
    file = Path(path)
    if file.is_dir():
        file = file / RESULT_FILENAME
    document = read_json(file, "result file", ResultFileError)
    validate_result(document, where=f"result file {str(file)!r}")
    return document  # type: ignore[no-any-return]


def read_result(path: str | Path) -> ResultDocument:
    """The typed result document of a result.json (or of the run folder holding one)."""
    return ResultDocument.from_json(load_result(path))


def result_path(path: str | Path) -> Path:
    """The result.json a user meant: the path itself, or the result.json inside a run folder."""
    file = Path(path)
    return file / RESULT_FILENAME if file.is_dir() else file


def samples_path(folder: Path, task: TaskResult) -> Path | None:
    """The task's samples file, checked to lie inside the run folder; None when the task has none.

    The document is input: an absolute path, a `..` component or a symlink resolving outside the
    folder is refused, so a result file can never make bench read an arbitrary file.
    """
    if not task.samples_file:
        return None
    name = task.samples_file
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts or "\\" in name or not relative.parts:
        raise ResultFileError(
            f"task {task.name!r}: samples_file {name!r} must be a relative path inside the run folder"
        )
    file = folder / relative
    root = folder.resolve()
    if not file.resolve().is_relative_to(root):
        raise ResultFileError(f"task {task.name!r}: samples_file {name!r} resolves outside the run folder")
    return file


def read_samples(folder: str | Path, task: TaskResult, *, label: str = "") -> dict[str, dict[str, Any]] | None:
    """The sample records of `task` by id, from the run folder `folder`; None when it has no samples file.

    The file's sha256 must equal the document's `samples_sha256` (a file swapped or edited after the
    run is refused); a document with no hash recorded gives None (the samples are not trusted).
    Raises ResultFileError (one line) for a path outside the folder, a hash mismatch, an unreadable
    file, a line that is not a JSON object with an "id", or a repeated id.
    """
    prefix = f"{label} " if label else ""
    file = samples_path(Path(folder), task)
    if file is None:
        return None
    try:
        body = file.read_bytes()
    except OSError as exc:
        raise ResultFileError(
            f"{prefix}samples file {str(file)!r} of task {task.name!r} cannot be read: {exc.strerror or exc}"
        ) from exc
    if task.samples_sha256 is None:
        return None
    digest = hashlib.sha256(body).hexdigest()
    if digest != task.samples_sha256:
        raise ResultFileError(
            f"{prefix}samples file {str(file)!r} of task {task.name!r} does not match its samples_sha256 "
            f"(file {digest[:12]}..., document {task.samples_sha256[:12]}...): it changed after the run"
        )
    try:
        lines = body.decode().splitlines()
    except UnicodeDecodeError as exc:
        raise ResultFileError(f"{prefix}samples file {str(file)!r} is not UTF-8 text: {exc.reason}") from exc
    records: dict[str, dict[str, Any]] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record = parse_json(line, f"{prefix}samples file {str(file)!r} line {number}", ResultFileError)
        if not isinstance(record, dict) or "id" not in record:
            raise ResultFileError(f"{prefix}samples file {str(file)!r} line {number} has no \"id\"")
        key = str(record["id"])
        if key in records:
            raise ResultFileError(f"{prefix}samples file {str(file)!r} repeats id {key!r} (line {number})")
        records[key] = record
    return records


def load_samples(result_file: str | Path, task: str) -> list[dict[str, Any]]:
    """The sample records of `task` in the run whose result.json (or run folder) is `result_file`, in file order."""
    file = result_path(result_file)
    document = read_result(file)
    entry = document.task(task)
    if entry is None:
        raise ResultFileError(f"result file {str(file)!r} has no task {task!r}; it has: {', '.join(document.tasks)}")
    records = read_samples(file.parent, entry)
    return list(records.values()) if records else []


def model_slug(name: str) -> str:
    """A file-system-safe folder name for a model name or path: one path component, never `.`/`..`/empty.

    Separators and other unsafe characters become "__"; leading dots are dropped so the folder is
    neither hidden nor a parent reference. A name with nothing usable left becomes "model".
    """
    slug = re.sub(r"[^A-Za-z0-9._-]+", "__", name.strip().strip("/\\").replace(os.sep, "__"))
    slug = slug.lstrip(".")[:120]
    if not slug.strip("._-"):
        return "model"
    return slug
