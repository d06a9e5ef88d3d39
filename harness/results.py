"""The result document: one validated JSON file per run, plus per-task sample JSONL files.

Layout of one run (`--output-path DIR`):

    DIR/<model-slug>/<YYYYmmddTHHMMSS>-<run_id>/
        result.json                 # validated against harness/schema/result.schema.json
        samples_<task>.jsonl        # one record per sample (always written; the gate pairs on "id")
        plots/<task>/*.png          # figures the tasks made

Every file is written atomically (temporary file in the same folder, fsync, rename), so a reader
never sees half a document. `load_result` validates and raises `ResultFileError` with a one-line
message naming the file and the first problem.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from bench.harness.errors import ResultFileError

SCHEMA_VERSION = "1.0"
RESULT_FILENAME = "result.json"


@lru_cache(maxsize=1)
def result_schema() -> dict[str, Any]:
    text = resources.files("bench.harness").joinpath("schema/result.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def json_safe(value: Any) -> Any:
    """Recursively replace NaN/inf by None and tuples by lists so the document is strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return json_safe(value.item())
    return value


def write_bytes_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def write_json_atomic(path: Path, document: Any) -> None:
    text = json.dumps(json_safe(document), indent=2, ensure_ascii=False, allow_nan=False)
    write_bytes_atomic(path, (text + "\n").encode())


def write_jsonl_atomic(path: Path, records: Iterable[dict[str, Any]]) -> str:
    """Write records one per line; returns the file's sha256."""
    body = "".join(json.dumps(json_safe(r), ensure_ascii=False, allow_nan=False) + "\n" for r in records).encode()
    write_bytes_atomic(path, body)
    return hashlib.sha256(body).hexdigest()


def validate_result(document: Any, where: str = "result document") -> None:
    import jsonschema

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
    """Read and validate a result document (a result.json, or the run folder holding one)."""
    file = Path(path)
    if file.is_dir():
        file = file / RESULT_FILENAME
    if not file.exists():
        raise ResultFileError(f"result file {str(file)!r} does not exist")
    try:
        document = json.loads(file.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ResultFileError(f"result file {str(file)!r} cannot be read: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise ResultFileError(f"result file {str(file)!r} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    validate_result(document, where=f"result file {str(file)!r}")
    return document  # type: ignore[no-any-return]


def load_samples(result_path: str | Path, task: str) -> list[dict[str, Any]]:
    """The sample records of `task` in the run whose result.json is `result_path`."""
    file = Path(result_path)
    folder = file if file.is_dir() else file.parent
    document = load_result(file)
    entry = document["tasks"].get(task)
    if entry is None:
        raise ResultFileError(f"result file {str(file)!r} has no task {task!r}; it has: {', '.join(document['tasks'])}")
    if not entry.get("samples_file"):
        return []
    samples_path = folder / entry["samples_file"]
    try:
        lines = samples_path.read_text().splitlines()
    except OSError as exc:
        raise ResultFileError(f"samples file {str(samples_path)!r} of task {task!r} cannot be read: {exc}") from exc
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ResultFileError(f"samples file {str(samples_path)!r} line {number} is not JSON: {exc.msg}") from exc
    return records


def model_slug(name: str) -> str:
    """A file-system-safe folder name for a model name or path."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "__", name.strip("/").replace(os.sep, "__"))
    return slug[:120] or "model"
