"""THE reader of a JSON file a user or a data folder hands bench: the value, or one error line.

`read_json(path, what, error)` returns the parsed value of `path` or raises `error` (a BenchError
subclass: ResultFileError for result documents, DataError for a plugin's data files) with one line
that names the file (`{what} '{path}' ...`) and what is wrong with it: missing, a folder, unreadable,
not UTF-8, not valid JSON (with the line), or nested past MAX_NESTING levels. Callers check the
layout of the value themselves. `parse_json` is the same for text already read (a JSONL line).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.harness.errors import BenchError

__all__ = ["MAX_NESTING", "nesting_depth", "parse_json", "read_json"]

MAX_NESTING = 100  # levels of lists/objects; a bench document needs about 10 (task extras included)


def nesting_depth(value: Any, limit: int = MAX_NESTING) -> int:  # noqa: ANN401 - any JSON value
    """How deeply lists/dicts nest in `value` (0 for a scalar), counted without recursion; stops past `limit`."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                return deepest
            stack.extend((child, depth) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def parse_json(text: str, what: str, error: type[BenchError]) -> Any:  # noqa: ANN401 - the caller checks the layout
    """json.loads with every failure as one `error` line starting with `what`; deep nesting is refused.

    Deeply nested input would make json itself, or any recursive reader after it, raise
    RecursionError; past MAX_NESTING levels it is not a file bench reads.
    """
    too_deep = error(f"{what} is nested too deeply (more than {MAX_NESTING} levels of lists/objects)")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"{what} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    except RecursionError:
        raise too_deep from None
    if nesting_depth(value) > MAX_NESTING:
        raise too_deep
    return value


def read_json(path: str | Path, what: str, error: type[BenchError]) -> Any:  # noqa: ANN401 - the caller checks the layout
    """The JSON value in the file `path`; `what` names its role ("score file", "prompt file")."""
    file = Path(path)
    where = f"{what} {str(file)!r}"
    if file.is_dir():
        raise error(f"{where} is a folder, not a JSON file")
    if not file.exists():
        raise error(f"{where} does not exist")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise error(f"{where} is not a UTF-8 text file (binary?)") from None
    except OSError as exc:
        raise error(f"{where} cannot be read: {exc.strerror or exc}") from exc
    return parse_json(text, where, error)
