"""Short valid texts for a regular expression or a JSON schema, built from the pattern or schema alone.

The fake backend answers a constrained request with one of these (harness/backends/fake.py), so a
task run on `--backend fake` gets answers that satisfy its constraints, without a model:

- regex: Python's own parse of the pattern, taking each repeat's minimum count, each
  alternation's first branch and each character class's first member (`[a-z]+@[a-z]+\\.com` ->
  `a@a.com`); checked with `re.fullmatch`.
- JSON schema: the required properties only, each value minimal for its type (the first enum
  value, 0 clamped into [minimum, maximum], `minLength` times "a", `minItems` items, ...);
  checked with `jsonschema`.

`satisfies` checks a text the same way (the fake backend keeps a scripted reply that does).
Both builders return None where the construction does not apply (lookarounds, conditional groups, schema
features it does not model) or its result does not check; the caller then walks the grammar.
"""

from __future__ import annotations

import importlib
import json
import math
import re
from collections.abc import Sequence
from typing import Any

from bench.harness.requests import Constraint


def satisfies(constraint: Constraint, text: str) -> bool:
    """Whether `text` is a complete answer under `constraint`: one of the choices, a full match of
    the pattern (`re.fullmatch`), or JSON valid against the schema (`jsonschema`)."""
    if constraint.kind == "choice":
        return text in constraint.choices
    if constraint.kind == "regex":
        try:
            return re.fullmatch(constraint.pattern or "", text) is not None
        except re.error:
            return False
    import jsonschema

    try:
        jsonschema.validate(json.loads(text), constraint.schema())
    except (ValueError, jsonschema.ValidationError, jsonschema.SchemaError):
        return False
    return True


class _Unsupported(Exception):
    """A pattern or schema feature the construction does not model."""


def minimal_regex_text(pattern: str) -> str | None:
    """A short string that `re.fullmatch(pattern, ...)` accepts, or None."""
    parser: Any = importlib.import_module("re._parser")  # the stdlib's regex parser (sre_parse)
    try:
        parsed = parser.parse(pattern)
        text = _emit(list(parsed), {})
    except (re.error, _Unsupported, RecursionError):
        return None
    return text if re.fullmatch(pattern, text) else None


def _emit(items: Sequence[tuple[Any, Any]], groups: dict[int, str]) -> str:
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name in ("NOT_LITERAL", "ANY"):
            out.append("b" if name == "NOT_LITERAL" and arg == ord("a") else "a")
        elif name == "IN":
            out.append(_class_member(arg))
        elif name == "BRANCH":
            out.append(_emit(list(arg[1][0]), groups))
        elif name == "SUBPATTERN":
            group, _, _, sub = arg
            text = _emit(list(sub), groups)
            if group is not None:
                groups[group] = text
            out.append(text)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, _, sub = arg
            out.append(_emit(list(sub), groups) * low if low else "")
        elif name == "ATOMIC_GROUP":
            out.append(_emit(list(arg), groups))
        elif name == "GROUPREF":
            out.append(groups.get(arg, ""))
        elif name != "AT":  # anchors match the empty string; lookarounds and conditionals are not modelled
            raise _Unsupported(name)
    return "".join(out)


_CATEGORY_MEMBER = {
    "CATEGORY_DIGIT": "0", "CATEGORY_NOT_DIGIT": "a", "CATEGORY_WORD": "a", "CATEGORY_NOT_WORD": " ",
    "CATEGORY_SPACE": " ", "CATEGORY_NOT_SPACE": "a",
}  # fmt: skip
_CATEGORY_TEST = {
    "CATEGORY_DIGIT": str.isdigit, "CATEGORY_WORD": lambda c: c.isalnum() or c == "_", "CATEGORY_SPACE": str.isspace,
}  # fmt: skip


def _class_member(items: Sequence[tuple[Any, Any]]) -> str:
    """The first character of a [...] class (for a negated class: the first of a few candidates outside it)."""
    if items and str(items[0][0]) == "NEGATE":
        rest = items[1:]
        for candidate in "a0 bxA_-.":
            if not any(_in_item(candidate, item) for item in rest):
                return candidate
        raise _Unsupported("negated class")
    op, arg = items[0]
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[0])
    if name == "CATEGORY":
        return _CATEGORY_MEMBER[str(arg)]
    raise _Unsupported(name)


def _in_item(ch: str, item: tuple[Any, Any]) -> bool:
    name, arg = str(item[0]), item[1]
    if name == "LITERAL":
        return ch == chr(arg)
    if name == "RANGE":
        return arg[0] <= ord(ch) <= arg[1]
    if name == "CATEGORY":
        category = str(arg)
        positive = category.replace("_NOT", "")
        if positive not in _CATEGORY_TEST:
            raise _Unsupported(category)
        return bool(_CATEGORY_TEST[positive](ch)) != (category != positive)
    raise _Unsupported(name)


def minimal_json_text(schema: dict[str, Any]) -> str | None:
    """A short JSON document valid against `schema`, or None."""
    import jsonschema

    try:
        value = _minimal_value(schema, schema, 0)
        jsonschema.validate(value, schema)
    except (_Unsupported, jsonschema.ValidationError, jsonschema.SchemaError, RecursionError):
        return None
    return json.dumps(value, ensure_ascii=False)


def _minimal_value(schema: Any, root: dict[str, Any], depth: int) -> Any:
    if depth > 32 or not isinstance(schema, dict):
        raise _Unsupported("depth" if depth > 32 else "boolean schema")
    if "$ref" in schema:
        return _minimal_value(_resolve(schema["$ref"], root), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return _minimal_value(schema[key][0], root, depth + 1)
    if "allOf" in schema:
        merged = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            merged.update(part)
        return _minimal_value(merged, root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema or "required" in schema else "array" if "items" in schema else "null"
    if kind == "object":
        properties = schema.get("properties", {})
        required = list(schema.get("required", []))
        names = [n for n in properties if n in required] + [n for n in required if n not in properties]
        names += [n for n in properties if n not in names][: max(0, schema.get("minProperties", 0) - len(names))]
        return {n: _minimal_value(properties.get(n, {}), root, depth + 1) for n in names}
    if kind == "array":
        prefix = [_minimal_value(s, root, depth + 1) for s in schema.get("prefixItems", [])]
        missing = max(0, schema.get("minItems", 0) - len(prefix))
        return prefix + [_minimal_value(schema.get("items", {}), root, depth + 1) for _ in range(missing)]
    if kind == "string":
        if "pattern" in schema:
            text = minimal_regex_text(schema["pattern"])
            if text is None:
                raise _Unsupported("pattern")
            return text
        return _FORMATS.get(schema.get("format", ""), "a" * schema.get("minLength", 0))
    if kind in ("integer", "number"):
        return _minimal_number(schema, kind == "integer")
    if kind == "boolean":
        return False
    if kind == "null":
        return None
    raise _Unsupported(str(kind))


_FORMATS = {"date": "2000-01-01", "time": "00:00:00Z", "date-time": "2000-01-01T00:00:00Z", "email": "a@a.aa", "uri": "a:a"}


def _minimal_number(schema: dict[str, Any], integer: bool) -> int | float:
    """0, moved up to the lower bound (or down to the upper one) and to a multiple of multipleOf."""
    low = schema.get("minimum", -math.inf)
    if "exclusiveMinimum" in schema:
        low = max(low, schema["exclusiveMinimum"] + (1 if integer else 1e-6))
    high = schema.get("maximum", math.inf)
    if "exclusiveMaximum" in schema:
        high = min(high, schema["exclusiveMaximum"] - (1 if integer else 1e-6))
    value: float = min(max(0, low), high)
    step = schema.get("multipleOf")
    if step:
        value = math.ceil(value / step) * step
    return int(math.ceil(value)) if integer else value


def _resolve(ref: str, root: dict[str, Any]) -> Any:
    if not ref.startswith("#"):
        raise _Unsupported("remote $ref")
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node
