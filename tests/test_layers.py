"""The layer contract: which source folder may import which (docs/architecture.md, "Layers").

Every `import bench.X...` / `from bench.X... import` in the source folders is read with `ast`
(imports inside functions included) and checked against RULES. A rule names the folders a
folder may import from, and for the harness the modules that form its public task API. Imports
inside one folder are free, except that a task plugin never imports another plugin.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_ROOTS = ("harness", "tasks", "metrics", "arenas", "leaderboards")

# The harness modules a plugin may use: the records and the client it awaits, its errors, result
# documents (read by plugin sub-commands), the JSON-file reader, the lm-eval bridge and the log-likelihood chooser. Never backends, the scheduler,
# the cache, model loading or the registry: a plugin gets its model through TaskContext.
TASK_API = frozenset(
    {"requests", "task", "errors", "client", "results", "schema", "lm_eval_bridge", "progress", "choosing", "json_files", "derived_cache"}
)


@dataclass(frozen=True)
class Rule:
    folders: frozenset[str]  # other top-level folders it may import from
    harness_modules: frozenset[str] | None = None  # None: any harness module; else only these


RULES: dict[str, Rule] = {
    # Pure maths: numbers in, numbers out. May build the MetricValue record (harness.task) and
    # nothing else of bench.
    "metrics": Rule(frozenset({"harness"}), frozenset({"task"})),
    # Game engines, environments and players: maths from metrics, requests to phrase an LLM move.
    "arenas": Rule(frozenset({"metrics", "harness"}), frozenset({"requests", "task"})),
    # Plugins: the public task API, metrics and arenas. Not each other (the registry finds them).
    "tasks": Rule(frozenset({"harness", "metrics", "arenas"}), TASK_API),
    # The leaderboard reads result documents; it runs nothing.
    "leaderboards": Rule(frozenset({"harness", "metrics"}), frozenset({"results", "schema", "errors", "provenance"})),
    # The core knows plugins only through the registry's entry points, never by import.
    "harness": Rule(frozenset({"metrics"})),
}


@dataclass(frozen=True)
class Import:
    path: str  # file, relative to the repository
    line: int
    module: str  # the imported module, e.g. "bench.harness.client"


def bench_imports(root: str) -> list[Import]:
    found = []
    for path in sorted((REPO_ROOT / root).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
                if node.module.count(".") <= 1:  # `from bench.tasks import uno` imports bench.tasks.uno
                    modules += [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            relative = str(path.relative_to(REPO_ROOT))
            found += [Import(relative, node.lineno, m) for m in modules if m.startswith("bench.")]
    return found


def violations(root: str, imports: list[Import]) -> list[str]:
    rule = RULES[root]
    problems = []
    for imp in imports:
        parts = imp.module.split(".")
        target = parts[1]
        where = f"{imp.path}:{imp.line} imports {imp.module}"
        if target not in SOURCE_ROOTS:
            continue  # `from bench.harness import x` adds bench.harness.x: only real folders count
        if target == root:
            own_plugin = Path(imp.path).parts[1] if root == "tasks" and len(Path(imp.path).parts) > 2 else None
            if own_plugin and len(parts) > 2 and parts[2] != own_plugin:
                problems.append(f"{where}: a task plugin imports another plugin (use the registry)")
            continue
        if target not in rule.folders:
            problems.append(f"{where}: {root}/ may import only {sorted(rule.folders) or 'nothing of bench'}")
        elif target == "harness" and rule.harness_modules is not None and len(parts) > 2:
            if parts[2] not in rule.harness_modules:
                problems.append(f"{where}: {root}/ may use only harness.{{{', '.join(sorted(rule.harness_modules))}}}")
    return problems


@pytest.mark.parametrize("root", SOURCE_ROOTS)
def test_folder_keeps_the_layer_contract(root: str) -> None:
    assert violations(root, bench_imports(root)) == []


def test_every_source_folder_has_a_rule() -> None:
    assert set(RULES) == set(SOURCE_ROOTS)
    assert {p.name for p in REPO_ROOT.iterdir() if (p / "__init__.py").is_file()} <= set(SOURCE_ROOTS)


@pytest.mark.parametrize(
    ("root", "path", "module", "complaint"),
    [
        ("metrics", "metrics/m.py", "bench.tasks.uno", "may import only"),
        ("metrics", "metrics/m.py", "bench.harness.client", "may use only harness"),
        ("tasks", "tasks/uno/t.py", "bench.harness.backends.base", "may use only harness"),
        ("tasks", "tasks/uno/t.py", "bench.tasks.codegenbias.records", "another plugin"),
        ("harness", "harness/h.py", "bench.tasks.uno", "may import only"),
        ("arenas", "arenas/uno/a.py", "bench.leaderboards.site", "may import only"),
        ("leaderboards", "leaderboards/l.py", "bench.harness.scheduler", "may use only harness"),
    ],
)
def test_the_checker_catches_each_kind_of_violation(root: str, path: str, module: str, complaint: str) -> None:
    [problem] = violations(root, [Import(path, 1, module)])
    assert complaint in problem and path in problem


def test_the_checker_reads_imports_inside_functions(tmp_path: Path) -> None:
    source = "def f():\n    from bench.harness.backends.base import parse_model_args\n"
    tree = ast.parse(source)
    [node] = [n for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert node.module == "bench.harness.backends.base"
    # the same walk as bench_imports: nested imports are found by ast.walk
    assert violations("tasks", [Import("tasks/x/t.py", node.lineno, node.module)])
